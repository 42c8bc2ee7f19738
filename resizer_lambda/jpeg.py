"""The JPEG marker walk: find every scan of a JPEG from its bytes, before any decoding.

A progressive JPEG is decoded scan by scan, and every scan is a pass over all the blocks of its
components whatever its size: an end-of-band run covers 32,767 blocks in two bytes, and a scan
with no data at all still walks the image. A file of a few hundred kilobytes with thousands of
scans therefore decodes for minutes (libjpeg-turbo's "LJT-01-003"; its own tools offer
`-maxscans`). Encoders write about 10 scans (libjpeg's progressive script: 10 for colour, 6 for
greyscale, 18 for CMYK), so MAX_SCANS is far above anything real and far below a bomb.

The walk follows libjpeg's reading of the stream, so that it never sees fewer scans than the
decoder will: a segment's length is skipped whole; garbage between segments is skipped up to the
next marker, as libjpeg resynchronises; in entropy-coded data `FF 00` is a data byte and `FF D0`
to `FF D7` are restart markers inside the scan, while any other `FF xx` ends it; fill bytes
(`FF FF ...`) belong to the marker that follows; the first EOI ends the image (an MPO's further
pictures are not decoded).
"""

from __future__ import annotations

import re

from resizer_lambda.errors import CorruptImage, TooManyScans

MAX_SCANS = 100
# Segments walked at most (a few dozen in real files; ~1 us each here): bounds the walk itself.
MAX_SEGMENTS = 10_000

# A marker: FF, then a code that is not a stuffed zero, a fill byte or a restart marker.
_MARKER = re.compile(rb"\xff[^\x00\xff\xd0-\xd7]")
_SOS = 0xDA
_EOI = 0xD9
_NO_LENGTH = frozenset({0x01, 0xD8})  # TEM and SOI carry no length field


def _walk(data: bytes) -> tuple[list[int], bool]:
    """Return the offsets of the SOS markers up to the first EOI, and whether the walk ended."""
    offsets: list[int] = []
    pos = 2  # after SOI
    for _ in range(MAX_SEGMENTS):
        found = _MARKER.search(data, pos)
        if found is None:  # truncated: the decoder reports that itself
            return offsets, True
        start = found.start()
        code = data[start + 1]
        if code == _EOI:
            return offsets, True
        pos = start + 2
        if code in _NO_LENGTH:
            continue
        if code == _SOS:
            offsets.append(start)
        # libjpeg skips length - 2 bytes after the length field, nothing when length < 2.
        pos += max(int.from_bytes(data[pos : pos + 2], "big"), 2)
    return offsets, False


def scan_offsets(data: bytes, limit: int = MAX_SCANS) -> list[int]:
    """Return where each scan of the JPEG `data` starts, or raise TooManyScans past `limit`.

    The offsets let the decoder be fed one scan at a time (resizer_lambda.deadline).
    """
    offsets, ended = _walk(data)
    if len(offsets) > limit:
        raise TooManyScans(len(offsets), limit, at_least=not ended)
    if not ended:
        raise CorruptImage(
            f"the original JPEG has over {MAX_SEGMENTS} marker segments (encoders write a few "
            "dozen)"
        )
    return offsets
