"""Encoder quality per output format: a preset's `quality` is on the JPEG scale.

JPEG, WebP and AVIF encoders each number their quality their own way: the same number gives a
different fidelity in each. A preset has one `quality`, meant as libjpeg's; `quality_for` turns it
into the number the WebP or AVIF encoder needs for the same fidelity, so a variant looks the same
in whichever format a browser picks from a <picture>, and is no larger than it needs to be.

The map is measured, not guessed: `bench/quality_map.py` encodes resized real photos as JPEG at
60..95 and finds the WebP and AVIF quality whose SSIM against the unencoded image equals the
JPEG's (median over 8 photos x 4 preset widths; docs/resizer.md has the table, the corpus and a
spot check with SSIMULACRA2). Between measured points the map is linear; below the first it runs
straight down to (1, 1), above the last straight up to (100, 100). AVIF needs lower numbers than
JPEG; WebP (libwebp's lossy VP8) needs higher ones at these qualities.
"""

from __future__ import annotations

from itertools import pairwise

# (JPEG quality, encoder quality of the same SSIM), measured by bench/quality_map.py.
ANCHORS: dict[str, tuple[tuple[int, int], ...]] = {
    "webp": ((60, 74), (65, 77), (70, 79), (75, 82), (80, 85), (85, 89), (90, 93), (95, 99)),
    "avif": ((60, 54), (65, 55), (70, 59), (75, 65), (80, 68), (85, 75), (90, 83), (95, 92)),
}


def quality_for(out_format: str, jpeg_quality: int) -> int:
    """Return the `out_format` encoder's quality that matches JPEG at `jpeg_quality` (1-100).

    JPEG keeps its number; PNG is lossless and ignores it.
    """
    anchors = ANCHORS.get(out_format)
    if anchors is None:
        return jpeg_quality
    q = min(100, max(1, jpeg_quality))
    points = ((1, 1), *anchors, (100, 100))
    for (x0, y0), (x1, y1) in pairwise(points):
        if q <= x1:
            return round(y0 + (y1 - y0) * (q - x0) / (x1 - x0))
    raise AssertionError("unreachable: the last point is 100")  # pragma: no cover
