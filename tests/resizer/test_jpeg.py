"""The JPEG marker walk (resizer_lambda.jpeg): scans counted from the bytes as libjpeg reads them.

The expected counts come from libjpeg's own scripts (`jpeg_simple_progression`: 10 scans for
YCbCr, 6 for greyscale, 18 for CMYK; one for baseline), not from the walk.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import pytest
from PIL import Image

from resizer_lambda import jpeg
from resizer_lambda.errors import CorruptImage, TooManyScans
from tests.resizer import images as img


def _jpeg(mode: str = "RGB", **params: object) -> bytes:
    return img.encode(img.photo((96, 64)).convert(mode), "JPEG", **params)


def _segment(code: int, body: bytes) -> bytes:
    return bytes([0xFF, code]) + (len(body) + 2).to_bytes(2, "big") + body


def _after_soi(data: bytes, extra: bytes) -> bytes:
    return data[:2] + extra + data[2:]


def _before_eoi(data: bytes, extra: bytes) -> bytes:
    return data[:-2] + extra + data[-2:]


def _first_sos(data: bytes) -> int:
    return data.index(b"\xff\xda")


COUNTS: list[tuple[str, Callable[[], bytes], int]] = [
    ("baseline", lambda: _jpeg(), 1),
    ("baseline-grey", lambda: _jpeg("L"), 1),
    ("progressive", lambda: _jpeg(progressive=True), 10),
    ("progressive-grey", lambda: _jpeg("L", progressive=True), 6),
    ("progressive-cmyk", lambda: _jpeg("CMYK", progressive=True), 18),
    # Restart markers (FF D0-D7) sit inside the entropy-coded data: not segments.
    ("restarts", lambda: _jpeg(progressive=True, restart_marker_blocks=1), 10),
    # An EXIF-style thumbnail: a whole JPEG inside an APP1 segment is skipped by its length.
    (
        "thumbnail",
        lambda: _after_soi(_jpeg(), _segment(0xE1, _jpeg(progressive=True))),
        1,
    ),
    # A multi-picture file: only the first picture (up to its EOI) is decoded.
    (
        "mpo",
        lambda: img.encode(
            img.quadrants(), "MPO", save_all=True, append_images=[img.quadrants()] * 2
        ),
        1,
    ),
    # Fill bytes before a marker belong to it (libjpeg swallows them).
    ("fill-bytes", lambda: _jpeg().replace(b"\xff\xda", b"\xff\xff\xff\xda", 1), 1),
    # TEM has no length; a length below 2 skips nothing (both as libjpeg reads them).
    ("tem", lambda: _after_soi(_jpeg(), b"\xff\x01"), 1),
    ("short-length", lambda: _after_soi(_jpeg(), b"\xff\xfe\x00\x00"), 1),
    # Anything after EOI is not decoded.
    ("after-eoi", lambda: _jpeg() + _jpeg(progressive=True), 1),
    ("truncated", lambda: (d := _jpeg(progressive=True))[: _first_sos(d) + 20], 1),
    ("scan-bomb-100", lambda: img.scan_bomb(100), 100),
]


@pytest.mark.parametrize(("make", "scans"), [c[1:] for c in COUNTS], ids=[c[0] for c in COUNTS])
def test_scans_are_counted_as_libjpeg_reads_them(make: Callable[[], bytes], scans: int) -> None:
    data = make()
    offsets = jpeg.scan_offsets(data)
    assert len(offsets) == scans
    assert all(data[o : o + 2] == b"\xff\xda" for o in offsets)


def test_scans_hidden_after_garbage_are_still_found() -> None:
    # libjpeg skips bytes between segments up to the next marker ("extraneous bytes before
    # marker"), so the walk must too, else garbage would hide a bomb from it.
    bomb = img.scan_bomb(150)
    sos = _first_sos(bomb)
    hidden = bomb[:sos] + b"garbage\x00\xff\x00" + bomb[sos:]
    with pytest.raises(TooManyScans, match="has 150 scans; the limit is 100"):
        jpeg.scan_offsets(hidden)
    Image.open(io.BytesIO(hidden)).load()  # and libjpeg does decode it


@pytest.mark.parametrize(
    ("scans", "size", "claim"),
    [(3000, (64, 64), None), (3000, (256, 256), (8000, 8000)), (101, (64, 64), None)],
    ids=["3000-small", "3000-8000x8000", "just-over"],
)
def test_a_scan_bomb_is_refused_from_its_bytes_in_milliseconds(
    scans: int, size: tuple[int, int], claim: tuple[int, int] | None
) -> None:
    data = img.scan_bomb(scans, size, claim)
    assert len(data) < 150_000  # small on disk: ~36 bytes a scan

    start = time.perf_counter()
    with pytest.raises(TooManyScans) as caught:
        jpeg.scan_offsets(data)
    elapsed = time.perf_counter() - start

    assert caught.value.message.startswith(
        f"the original JPEG has {scans} scans; the limit is {jpeg.MAX_SCANS}"
    )
    assert (caught.value.status, caught.value.code) == (422, "too_many_scans")
    assert (caught.value.scans, caught.value.limit) == (scans, jpeg.MAX_SCANS)
    assert elapsed < 1.0  # ~6 ms here for 3000 scans; decoding the 8000x8000 one takes minutes


def test_the_limit_is_a_parameter() -> None:
    assert len(jpeg.scan_offsets(img.scan_bomb(12), limit=12)) == 12
    with pytest.raises(TooManyScans, match="has 12 scans; the limit is 11"):
        jpeg.scan_offsets(img.scan_bomb(12), limit=11)


def test_a_marker_flood_ends_the_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jpeg, "MAX_SEGMENTS", 50)
    flood = _after_soi(_jpeg(), b"\xff\xfe\x00\x02" * 60)  # 60 empty comments
    with pytest.raises(CorruptImage, match="over 50 marker segments"):
        jpeg.scan_offsets(flood)
    bomb = img.scan_bomb(40)  # 40 scans, a table before most: 24 scans within 50 segments
    with pytest.raises(TooManyScans, match="has at least 24 scans; the limit is 20"):
        jpeg.scan_offsets(bomb, limit=20)


def test_the_walk_of_a_large_photo_is_fast() -> None:
    data = img.encode(img.photo((3000, 2000)), "JPEG", quality=95)
    start = time.perf_counter()
    assert len(jpeg.scan_offsets(data)) == 1
    assert time.perf_counter() - start < 0.5  # ~1 ms here for 2 MB (regex search in C)
