"""Measure alternatives for our own pipeline (--explore): resize strategies, encoder settings.

These are the experiments behind the choices in resizer_lambda/imaging.py (draft size,
reducing_gap, PNG compress_level, dropping an opaque alpha): each alternative is timed and
scored with SSIM on every corpus file, per format, so a change can be argued from numbers.
"""

from __future__ import annotations

import io
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import corpus
from measure import JPEG_QUALITY, ms_samples, summarise, target_size
from quality import Reference


def explore_all(
    files: list[corpus.CorpusFile],
    widths: list[int],
    repeats: int,
    file_results: dict[str, Any],
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Explore every file; sharp's PNG byte counts (if sharp ran) go along for comparison."""
    explore: dict[str, Any] = {}
    for f in files:
        log(f"explore {f.name}")
        sharp_bytes = file_results.get(f.name, {}).get("bytes", {}).get("sharp_b")
        png = sharp_bytes if f.format == "png" else None
        explore[f.name] = explore_file(f, widths, repeats, png)
    return explore


def _decode(data: bytes, draft_for: int | None, gap: float, drop_alpha: bool = False) -> Any:
    """Decode `data`; for JPEG with `draft_for`, let libjpeg scale to >= gap x that width."""
    from PIL import Image

    im = Image.open(io.BytesIO(data))
    if draft_for is not None and im.format == "JPEG":
        h = round(im.height * draft_for / im.width)
        im.draft(im.mode, (int(draft_for * gap) + 1, int(h * gap) + 1))
    im.load()
    if drop_alpha and im.mode == "RGBA" and im.getchannel("A").getextrema() == (255, 255):
        im = im.convert("RGB")  # lossless: every pixel is opaque
    return im


def _explore_resize(im: Any, full_size: tuple[int, int], widths: list[int], how: str) -> list[Any]:
    from PIL import Image

    lz = Image.Resampling.LANCZOS
    outs = []
    prev = None
    for w in sorted(widths, reverse=True):
        size = target_size(full_size[0], full_size[1], w)
        if how == "lanczos":
            out = im.resize(size, lz)
        elif how.startswith("gap"):
            out = im.resize(size, lz, reducing_gap=float(how[3:]))
        elif how == "reduce":
            factor = max(1, min(im.width // (2 * size[0]), im.height // (2 * size[1])))
            src = im.reduce(factor) if factor > 1 else im
            out = src.resize(size, lz)
        elif how == "cascade":  # each width from the previous output when it is >= 2x larger
            src = prev if prev is not None and prev.width >= 2 * size[0] else im
            out = src.resize(size, lz, reducing_gap=2.0)
            prev = out
        elif how == "bicubic-gap2":
            out = im.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)
        else:
            raise ValueError(how)
        outs.append(out)
    return outs


@dataclass(frozen=True)
class Variant:
    label: str
    draft_gap: float | None  # None: full decode (draft() is JPEG-only anyway)
    how: str
    drop_alpha: bool = False
    all_only: bool = False  # only meaningful when several widths share one decode


RESIZE_VARIANTS = [
    Variant("full + LANCZOS (the reference)", None, "lanczos"),
    Variant("full + LANCZOS gap 2", None, "gap2.0"),
    Variant("full + LANCZOS gap 3", None, "gap3.0"),
    Variant("full + reduce(k) + LANCZOS", None, "reduce"),
    Variant("full + BICUBIC gap 2", None, "bicubic-gap2"),
    Variant("full + cascade (gap 2, widths from the previous)", None, "cascade", all_only=True),
    Variant("full, opaque alpha dropped + LANCZOS gap 2", None, "gap2.0", drop_alpha=True),
    Variant("draft 1x + LANCZOS", 1.0, "lanczos"),
    Variant("draft 1x + LANCZOS gap 2", 1.0, "gap2.0"),
    Variant("draft 1.5x + LANCZOS gap 2", 1.5, "gap2.0"),
    Variant("draft 2x + LANCZOS", 2.0, "lanczos"),
    Variant("draft 2x + LANCZOS gap 2 (like imaging.py)", 2.0, "gap2.0"),
    Variant("draft 2x + LANCZOS gap 3", 2.0, "gap3.0"),
    Variant("draft 2x + reduce(k) + LANCZOS", 2.0, "reduce"),
    Variant("draft 2x + cascade (gap 2)", 2.0, "cascade", all_only=True),
    Variant("draft 3x + LANCZOS gap 2", 3.0, "gap2.0"),
]


def _explore_variant(
    v: Variant,
    data: bytes,
    ref: Reference,
    full_size: tuple[int, int],
    widths: list[int],
    repeats: int,
) -> dict[str, Any]:
    gap = v.draft_gap or 1.0
    top = max(widths) if v.draft_gap is not None else None

    def all_from_one() -> list[Any]:
        im = _decode(data, top, gap, v.drop_alpha)
        return _explore_resize(im, full_size, widths, v.how)

    row: dict[str, Any] = {"variant": v.label}
    decode_ms = summarise(ms_samples(lambda: _decode(data, top, gap, v.drop_alpha), repeats)[0])
    samples, images = ms_samples(all_from_one, repeats)
    ssims = [ref.score_image(im) for im in images]
    row["all"] = {
        "decode_ms": decode_ms,
        "resize_ms": summarise(samples) - decode_ms,
        "total_ms": summarise(samples),
        "ssim_mean": statistics.fmean(ssims),
        "ssim_min": min(ssims),
    }
    if v.all_only:
        return row
    total, ssims = 0.0, []
    for w in widths:  # one request per width: its own decode, drafted for that width
        d = w if v.draft_gap is not None else None

        def one(w: int = w, d: int | None = d) -> Any:
            im = _decode(data, d, gap, v.drop_alpha)
            return _explore_resize(im, full_size, [w], v.how)[0]

        samples, out = ms_samples(one, repeats)
        total += summarise(samples)
        ssims.append(ref.score_image(out))
    row["one"] = {"total_ms": total, "ssim_mean": statistics.fmean(ssims), "ssim_min": min(ssims)}
    return row


def explore_file(
    f: corpus.CorpusFile, widths: list[int], repeats: int, sharp_png: dict[int, int] | None
) -> dict[str, Any]:
    data = f.path.read_bytes()
    ref = Reference(data)
    full_size = (f.width, f.height)
    out: dict[str, Any] = {"resize": [], "encode": []}
    for v in RESIZE_VARIANTS:
        if v.draft_gap is not None and f.format != "jpeg":
            continue  # draft() only affects JPEG
        if v.drop_alpha and ref.full.mode != "RGBA":
            continue
        out["resize"].append(_explore_variant(v, data, ref, full_size, widths, repeats))

    # Encoder settings, on the outputs of the imaging.py-like path (draft 2x + gap 2).
    base = _decode(data, max(widths) if f.format == "jpeg" else None, 2.0)
    images = _explore_resize(base, full_size, widths, "gap2.0")

    def enc(fmt: str, imgs: list[Any], **kw: Any) -> tuple[float, int, float]:
        def go() -> list[bytes]:
            blobs = []
            for im in imgs:
                buf = io.BytesIO()
                im.save(buf, fmt, **kw)
                blobs.append(buf.getvalue())
            return blobs

        samples, blobs = ms_samples(go, repeats)
        ssims = [ref.score(b)[0] for b in blobs]
        return summarise(samples), sum(map(len, blobs)), statistics.fmean(ssims)

    settings: list[tuple[str, str, list[Any], dict[str, Any]]] = []
    if f.format == "png":
        settings += [
            (f"compress_level={lv}", "PNG", images, {"compress_level": lv}) for lv in range(10)
        ]
        settings.append(
            ("optimize=True (level 9 + filter search)", "PNG", images, {"optimize": True})
        )
        if base.mode == "RGBA" and base.getchannel("A").getextrema() == (255, 255):
            rgb = [im.convert("RGB") for im in images]
            for lv in (1, 3, 6):
                settings.append(
                    (
                        f"compress_level={lv}, opaque alpha dropped (RGB)",
                        "PNG",
                        rgb,
                        {"compress_level": lv},
                    )
                )
    elif f.format == "jpeg":
        for opt in (False, True):
            for prog in (False, True):
                settings.append(
                    (
                        f"q{JPEG_QUALITY} optimize={opt} progressive={prog}",
                        "JPEG",
                        images,
                        {"quality": JPEG_QUALITY, "optimize": opt, "progressive": prog},
                    )
                )
    elif f.format == "webp":
        settings += [
            (f"q{JPEG_QUALITY} method={m}", "WEBP", images, {"quality": JPEG_QUALITY, "method": m})
            for m in (0, 2, 4, 6)
        ]
    for label, fmt, imgs, kw in settings:
        ms, nbytes, s_mean = enc(fmt, imgs, **kw)
        out["encode"].append({"setting": label, "ms": ms, "bytes": nbytes, "ssim_mean": s_mean})
    if sharp_png:
        out["sharp_png_bytes"] = sum(sharp_png.values())
    return out
