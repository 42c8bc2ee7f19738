"""Hostile input: how the decode-time limit was derived, and refusal times (docs/resizer.md).

    .venv/bin/python bench/hostile.py          # corpus decode times, scan bomb and deadline
    .venv/bin/python bench/hostile.py --slow   # + the worst files the limits let in (~1 min)

1. Every corpus file is decoded at full size (no DCT scaling: the slowest case, a preset as wide
   as the original) through the resizer's own reader, three times; the minimum counts. The
   slowest real photo, also scaled to the 75 MP pixel limit, is what `limits.max_decode_seconds`
   is measured against.
2. The scan bomb of the issue (3000 scans claiming 8000x8000) is refused by the marker walk and by
   `render_one`; the cost of decoding it is extrapolated from the measured cost of one block in
   one scan (a genuine 2000x2000 bomb with 300 scans), since decoding it takes minutes.
3. A genuine bomb within the scan limit (100 scans of 3000x3000) against a 0.05 s deadline: how
   long after the deadline the decode stops.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
for _p in (str(BENCH_DIR.parent), str(BENCH_DIR)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import corpus  # noqa: E402
from PIL import Image  # noqa: E402

from resizer_lambda import imaging, jpeg  # noqa: E402
from resizer_lambda.deadline import DecodeClock  # noqa: E402
from resizer_lambda.errors import ResizerError  # noqa: E402
from resizer_lambda.presets import Limits, Preset  # noqa: E402
from tests.resizer.images import scan_bomb  # noqa: E402

PIXEL_LIMIT = Limits().max_pixels


def decode_seconds(data: bytes, repeats: int = 3) -> float:
    """Return the fastest of `repeats` full-size decodes of `data` through a DecodeClock."""
    best = float("inf")
    for _ in range(repeats):
        offsets = jpeg.scan_offsets(data, 10**6) if data.startswith(b"\xff\xd8") else []
        reader = DecodeClock(data, offsets)
        im = Image.open(reader)
        start = time.perf_counter()
        reader.start(3600)
        im.load()
        best = min(best, time.perf_counter() - start)
    return best


def refusal_ms(call: Callable[[], object]) -> tuple[float, str]:
    """Return how long `call` took to refuse, in ms, and the refusal's code."""
    start = time.perf_counter()
    try:
        call()
    except ResizerError as err:
        return (time.perf_counter() - start) * 1000, err.code
    raise AssertionError("not refused")


def corpus_figures() -> None:
    print("full-size decode (min of 3)                    s    s/MP   at 75 MP")
    photos: list[tuple[float, str, float]] = []
    for f in corpus.ensure_corpus(quiet=True):
        seconds = decode_seconds(f.path.read_bytes())
        scaled = seconds / f.megapixels * PIXEL_LIMIT / 1e6
        print(f"  {f.name:38} {seconds:6.3f} {seconds / f.megapixels:7.4f} {scaled:8.2f}")
        if "derived" not in f.source and "render" not in f.notes:
            photos.append((seconds, f.name, scaled))
    seconds, name, scaled = max(photos)
    limit = Limits().max_decode_seconds
    print(f"slowest real photo: {name}, {seconds:.3f} s ({scaled:.2f} s scaled to 75 MP)")
    print(
        f"max_decode_seconds {limit:g} s = {limit / seconds:.0f}x it, {limit / scaled:.1f}x scaled"
    )


def bomb_figures(slow: bool) -> None:
    issue = scan_bomb(3000, (256, 256), claim=(8000, 8000))
    print(f"\nscan bomb: 3000 scans claiming 8000x8000, {len(issue) // 1024} KiB")
    for label, call in (
        ("marker walk", lambda: jpeg.scan_offsets(issue)),
        ("render_one", lambda: imaging.render_one(issue, Preset("p", 150), Limits())),
        ("probe", lambda: imaging.probe(issue, Limits())),
    ):
        ms, code = refusal_ms(call)
        print(f"  {label:12} refused in {ms:6.2f} ms ({code})")
    sample = scan_bomb(300, (2000, 2000))
    per_block = decode_seconds(sample, 1) / (300 * (2000 // 8) ** 2)
    full = per_block * 3000 * (8000 // 8) ** 2
    print(f"  one block in one scan: {per_block * 1e9:.0f} ns; a decode would take ~{full:.0f} s")

    slow_jpeg = scan_bomb(jpeg.MAX_SCANS, (3000, 3000))
    whole = decode_seconds(slow_jpeg, 1)
    ms, code = refusal_ms(
        lambda: imaging.render_one(slow_jpeg, Preset("p", 150), Limits(max_decode_seconds=0.05))
    )
    print(f"\n100 scans of 3000x3000 (within the scan limit): whole decode {whole:.2f} s")
    print(f"  with max_decode_seconds 0.05: {code} after {ms:.0f} ms")
    if slow:
        worst = decode_seconds(scan_bomb(jpeg.MAX_SCANS, (8000, 8000)), 1)
        print(f"  100 scans of 8000x8000 (64 MP grey): whole decode {worst:.2f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slow", action="store_true", help="also decode the worst allowed file")
    args = parser.parse_args(argv)
    corpus_figures()
    bomb_figures(args.slow)
    return 0


if __name__ == "__main__":
    sys.exit(main())
