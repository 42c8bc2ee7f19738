"""Measure which WebP and AVIF quality looks like JPEG at a preset's quality; print the table.

A preset's `quality` is on the JPEG scale. WebP and AVIF reach the same fidelity at lower
numbers, so `resizer_lambda.quality.quality_for` maps it per output format. This script measures
that map on real photos:

1. each photo is decoded in full, EXIF-oriented, converted to sRGB through its ICC profile and
   resized with LANCZOS to each default preset width (150, 300, 600, 1200): the reference R,
   what the resizer hands its encoders;
2. R is encoded as JPEG at q = 60, 65, ... 95 through `resizer_lambda.imaging.encode` (the
   resizer's own settings: optimized Huffman tables, 4:2:0) and scored: SSIM(R, JPEG_q), on sRGB
   luma (`bench/quality.py`: Wang et al. 2004, 11x11 Gaussian, sigma 1.5);
3. for WebP and AVIF (again through `imaging.encode`: WebP method 4, AVIF speed 8) the smallest
   encoder quality Q whose SSIM(R, out_Q) reaches the JPEG's is found by bisection over 1..100,
   then refined linearly between Q-1 and Q;
4. per JPEG q, the median Q over every photo x width is the map (min and max shown too), with
   the median of the bytes at that Q relative to the JPEG's.

The photos are the corpus's photographs (`bench/corpus.py`) and the four nature photos `make run`
seeds (`localaws/seed.py`, Debian's mate-backgrounds); both are fetched once.

    .venv/bin/python bench/quality_map.py            # all photos (~10 min on one core)
    .venv/bin/python bench/quality_map.py --quick    # 600 px only, two photos (~1 min)
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path[:0] = [str(BENCH_DIR), str(REPO)]

import corpus  # noqa: E402
from quality import _luma, _to_srgb, ensure_numpy, ssim  # noqa: E402

from resizer_lambda import imaging  # noqa: E402

JPEG_QUALITIES = (60, 65, 70, 75, 80, 85, 90, 95)
WIDTHS = (150, 300, 600, 1200)
FORMATS = ("webp", "avif")
MATE_DIR = corpus.CORPUS_DIR / "mate"


def photos(quick: bool) -> list[Path]:
    """Return the photographs: the corpus's JPEG photos and the `make run` demo photos."""
    files = [f.path for f in corpus.ensure_corpus(quiet=True) if f.role == "throughput"]
    found = [p for p in files if p.suffix == ".jpg"]
    try:
        from localaws import seed

        found += seed.fetch_photos(MATE_DIR, log=lambda line: print(line, file=sys.stderr))
    except Exception as err:  # the corpus alone still gives a table
        print(f"demo photos unavailable ({err}): corpus photos only", file=sys.stderr)
    return found[:2] if quick else found


def reference(path: Path) -> Any:
    """Return the photo decoded in full, EXIF-oriented, in sRGB (RGB)."""
    from PIL import Image, ImageOps

    im = Image.open(path)
    im.load()
    icc = im.info.get("icc_profile") or None
    im = ImageOps.exif_transpose(im).convert("RGB")
    return _to_srgb(im, icc)


@dataclass
class Curve:
    """SSIM and bytes of one format's encodings of one reference, by encoder quality."""

    score: Callable[[int], tuple[float, int]]
    seen: dict[int, tuple[float, int]] = field(default_factory=dict)

    def at(self, q: int) -> tuple[float, int]:
        if q not in self.seen:
            self.seen[q] = self.score(q)
        return self.seen[q]

    def match(self, target: float) -> tuple[float, int]:
        """Return (fractional quality reaching `target` SSIM, bytes at its ceiling)."""
        low, high = 1, 100
        if self.at(high)[0] < target:
            return 100.0, self.at(high)[1]
        while low < high:  # the smallest q with SSIM >= target (SSIM rises with q)
            mid = (low + high) // 2
            if self.at(mid)[0] >= target:
                high = mid
            else:
                low = mid + 1
        if high == 1:
            return 1.0, self.at(1)[1]
        below, above = self.at(high - 1)[0], self.at(high)[0]
        frac = (target - below) / (above - below) if above > below else 1.0
        return high - 1 + frac, self.at(high)[1]


def encoded_score(ref_luma: Any, im: Any, fmt: str) -> Callable[[int], tuple[float, int]]:
    """Return q -> (SSIM against the reference, bytes) of `im` encoded as `fmt` at q."""
    from PIL import Image

    def score(q: int) -> tuple[float, int]:
        blob = imaging.encode(im.copy(), fmt, q)
        out = Image.open(io.BytesIO(blob))
        out.load()
        return ssim(ref_luma, _luma(out, None)), len(blob)

    return score


def measure(paths: list[Path], widths: tuple[int, ...]) -> dict[str, dict[int, list[Any]]]:
    """Return per format and JPEG quality the list of (matched quality, byte ratio, jpeg ssim)."""
    from PIL import Image

    found: dict[str, dict[int, list[Any]]] = {f: {q: [] for q in JPEG_QUALITIES} for f in FORMATS}
    for path in paths:
        start = time.perf_counter()
        full = reference(path)
        for width in widths:
            size = (width, max(1, round(full.height * width / full.width)))
            im = full.resize(size, Image.Resampling.LANCZOS)
            ref_luma = _luma(im, None)
            jpeg = Curve(encoded_score(ref_luma, im, "jpeg"))
            curves = {f: Curve(encoded_score(ref_luma, im, f)) for f in FORMATS}
            for q in JPEG_QUALITIES:
                target, jpeg_bytes = jpeg.at(q)
                for fmt, curve in curves.items():
                    matched, size_bytes = curve.match(target)
                    found[fmt][q].append((matched, size_bytes / jpeg_bytes, target))
        took = time.perf_counter() - start
        print(f"  {path.name}: {full.width}x{full.height}, {took:.0f} s", file=sys.stderr)
    return found


def table(found: dict[str, dict[int, list[Any]]]) -> list[str]:
    """Return the Markdown table: per JPEG q, each format's median matched quality and bytes."""
    head = "| JPEG q | JPEG SSIM (median) |"
    rule = "| --- | --- |"
    for fmt in FORMATS:
        head += f" {fmt.upper()} q median (min-max) | {fmt.upper()} bytes / JPEG |"
        rule += " --- | --- |"
    lines = [head, rule]
    for q in JPEG_QUALITIES:
        first = found[FORMATS[0]][q]
        row = f"| {q} | {statistics.median(t for _, _, t in first):.4f} |"
        for fmt in FORMATS:
            matched = [m for m, _, _ in found[fmt][q]]
            ratios = [r for _, r, _ in found[fmt][q]]
            row += (
                f" {statistics.median(matched):.0f} ({min(matched):.0f}-{max(matched):.0f}) |"
                f" {statistics.median(ratios):.2f} |"
            )
        lines.append(row)
    return lines


def anchors(found: dict[str, dict[int, list[Any]]]) -> list[str]:
    """Return the map as `resizer_lambda/quality.py` writes it (medians, made non-decreasing)."""
    lines = []
    for fmt in FORMATS:
        points, last = [], 1
        for q in JPEG_QUALITIES:
            last = max(last, round(statistics.median(m for m, _, _ in found[fmt][q])))
            points.append(f"({q}, {last})")
        lines.append(f'    "{fmt}": ({", ".join(points)}),')
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two photos, 600 px only")
    args = parser.parse_args(argv)
    ensure_numpy()
    paths = photos(args.quick)
    widths = (600,) if args.quick else WIDTHS
    print(f"{len(paths)} photos x widths {widths}", file=sys.stderr)
    found = measure(paths, widths)
    n = len(found[FORMATS[0]][JPEG_QUALITIES[0]])
    print(f"\nSSIM-matched encoder quality ({len(paths)} photos x {len(widths)} widths = {n}):\n")
    print("\n".join(table(found)))
    print("\nresizer_lambda/quality.py ANCHORS:\n")
    print("\n".join(anchors(found)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
