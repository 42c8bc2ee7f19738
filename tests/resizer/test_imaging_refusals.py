"""Tests for resizer_lambda.imaging: corrupt, unsupported and too large originals, and bombs.

Originals come from `tests/resizer/images.py`; every refusal is a ResizerError with the
message a client would see.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import pytest
from PIL import Image

from resizer_lambda import deadline, decoding, imaging, jpeg
from resizer_lambda.errors import (
    CorruptImage,
    DecodeTooSlow,
    ResizerError,
    TooLarge,
    TooManyScans,
    UnsupportedFormat,
)
from resizer_lambda.presets import Limits, Preset
from tests.resizer import images as img
from tests.resizer.imaging_asserts import LIMITS

# --- refusals ----------------------------------------------------------------------------------

REFUSALS: list[tuple[str, Callable[[], bytes], type[ResizerError], str]] = [
    ("empty", lambda: b"", CorruptImage, "empty"),
    ("jpeg-half", lambda: (d := img.photo_file("JPEG"))[: len(d) // 2], CorruptImage, "truncated"),
    ("png-half", lambda: (d := img.photo_file("PNG"))[: len(d) // 2], CorruptImage, "truncated"),
    ("gif-half", lambda: (d := img.photo_file("GIF"))[: len(d) // 2], CorruptImage, "GIF"),
    ("webp-half", lambda: (d := img.photo_file("WEBP"))[: len(d) // 2], CorruptImage, "WEBP"),
    ("avif-half", lambda: (d := img.photo_file("AVIF"))[: len(d) // 2], CorruptImage, "AVIF"),
    ("jpeg-magic", lambda: b"\xff\xd8\xff" + bytes(range(256)) * 4, CorruptImage, "JPEG"),
    ("png-magic", lambda: b"\x89PNG\r\n\x1a\n" + b"garbage" * 50, CorruptImage, "PNG"),
    ("gif-magic", lambda: b"GIF89a" + b"garbage" * 50, CorruptImage, "GIF"),
    ("webp-magic", lambda: b"RIFF\0\1\0\0WEBPVP8 " + b"garbage" * 50, CorruptImage, "WEBP"),
    ("avif-magic", lambda: b"\0\0\0\x1cftypavif\0\0\0\0avifmif1" + b"x" * 99, CorruptImage, "AVIF"),
    ("text", lambda: b"hello, world\n", UnsupportedFormat, "not a JPEG, PNG, WebP, GIF or AVIF"),
    ("svg", lambda: b'<svg xmlns="http://www.w3.org/2000/svg"/>', UnsupportedFormat, "not a"),
    ("bmp", lambda: img.encode(img.quadrants(), "BMP"), UnsupportedFormat, "not a"),
    ("tiff", lambda: img.encode(img.quadrants(), "TIFF"), UnsupportedFormat, "not a"),
    ("pdf", lambda: img.encode(img.quadrants(), "PDF"), UnsupportedFormat, "not a"),
    ("ico", lambda: img.encode(img.quadrants(), "ICO"), UnsupportedFormat, "not a"),
    ("jpeg2000", lambda: img.encode(img.quadrants(), "JPEG2000"), UnsupportedFormat, "not a"),
    ("heic", lambda: b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 64, UnsupportedFormat, "not"),
]


@pytest.mark.parametrize(
    ("make", "error", "message"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_unreadable_originals_are_refused(
    make: Callable[[], bytes], error: type[ResizerError], message: str
) -> None:
    data = make()
    with pytest.raises(error, match=message):
        imaging.render_one(data, Preset("p", 40), LIMITS)
    if error is UnsupportedFormat or not data:  # sniffing alone decides these
        with pytest.raises(error, match=message):
            imaging.sniff_format(data)


def test_a_truncated_header_is_refused_by_probe_too() -> None:
    with pytest.raises(CorruptImage, match="not a readable PNG"):
        imaging.probe(img.photo_file("PNG")[:20], LIMITS)


def test_over_the_byte_limit_is_refused_before_sniffing() -> None:
    data = img.photo_file("PNG")
    with pytest.raises(TooLarge, match=f"{len(data)} bytes; the limit is 1000"):
        imaging.render_one(data, Preset("p", 40), Limits(max_bytes=1000))
    with pytest.raises(TooLarge, match="bytes; the limit is 1000"):
        imaging.probe(b"x" * 1001, Limits(max_bytes=1000))


def test_over_the_pixel_limit_is_refused() -> None:
    data = img.photo_file("JPEG")
    with pytest.raises(TooLarge, match=r"120x80 = 9600 pixels; the limit is 9599"):
        imaging.render_one(data, Preset("p", 40), Limits(max_pixels=9599))
    imaging.render_one(data, Preset("p", 40), Limits(max_pixels=9600))


def _webp_canvas_bomb() -> bytes:
    data = bytearray(img.animated("WEBP", [img.RED, img.GREEN], size=(8, 8)))
    assert data[12:16] == b"VP8X"
    data[24:30] = (16383 - 1).to_bytes(3, "little") * 2  # canvas 16383 x 16383
    return bytes(data)


BOMBS: list[tuple[str, Callable[[], bytes], str]] = [
    # 100 Mpx over the configured 75 Mpx: refused by our own check.
    ("png-100mp", lambda: img.png_bomb(10_000, 10_000), "10000x10000 = 100000000 pixels"),
    # 400 Mpx: over Pillow's own cap as well, refused while opening.
    ("png-400mp", lambda: img.png_bomb(20_000, 20_000), "exceed the pixel limit"),
    ("gif-900mp", lambda: img.gif_bomb(30_000, 30_000), "exceed the pixel limit"),
    ("webp-268mp", _webp_canvas_bomb, "exceed the pixel limit"),
    # A header that lies: the pixel data could not even be decoded.
    (
        "png-no-pixels",
        lambda: (d := img.png_bomb(10_000, 10_000))[: d.index(b"IDAT") + 8],
        "10000x10000",
    ),
]


@pytest.mark.parametrize(("make", "message"), [b[1:] for b in BOMBS], ids=[b[0] for b in BOMBS])
def test_decompression_bombs_are_refused_before_decoding(
    make: Callable[[], bytes], message: str
) -> None:
    data = make()
    assert len(data) < 100_000  # small on disk

    start = time.perf_counter()
    with pytest.raises(TooLarge, match=message):
        imaging.render_one(data, Preset("p", 150), LIMITS)
    with pytest.raises(TooLarge, match=message):
        imaging.probe(data, LIMITS)
    # Decoding even the smallest of them takes seconds and hundreds of MB.
    assert time.perf_counter() - start < 0.5


def test_an_output_too_large_for_its_format_is_refused() -> None:
    data = img.encode(Image.new("L", (2, 20_000), 128), "PNG")  # a very tall strip

    with pytest.raises(TooLarge, match="2x20000 output is too large for WEBP"):
        imaging.render_one(data, Preset("p", 100), LIMITS, "webp")
    rendered = imaging.render_one(data, Preset("p", 100), LIMITS)  # PNG has room
    assert (rendered.width, rendered.height) == (2, 20_000)


def test_avif_missing_from_the_pillow_build_is_unsupported(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import AvifImagePlugin

    data = img.photo_file("AVIF")
    monkeypatch.setattr(AvifImagePlugin, "SUPPORTED", False)
    with pytest.raises(UnsupportedFormat, match="without AVIF support"):
        imaging.render_one(data, Preset("p", 40), LIMITS)


# --- JPEG scan bombs and the decode clock ------------------------------------------------------


@pytest.fixture(scope="module")
def slow_jpeg() -> bytes:
    """A genuine 3000x3000 progressive JPEG with 100 scans: within the scan limit, ~1 s to decode.

    Every scan walks all 140,625 blocks (~65 ns each here): the worst the scan limit lets in.
    """
    return img.scan_bomb(jpeg.MAX_SCANS, (3000, 3000))


@pytest.mark.parametrize(
    "make",
    [lambda: img.scan_bomb(3000), lambda: img.scan_bomb(3000, (256, 256), (8000, 8000))],
    ids=["3000-scans", "3000-scans-8000x8000"],
)
def test_a_scan_bomb_is_refused_before_pillow_opens_it(
    make: Callable[[], bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = make()

    def not_opened(*args: object, **kwargs: object) -> None:
        raise AssertionError("Pillow opened the file")

    monkeypatch.setattr(Image, "open", not_opened)
    for call in (
        lambda: imaging.render_one(data, Preset("p", 150), LIMITS),
        lambda: imaging.render_many(data, [Preset("a", 150), Preset("b", 300)], LIMITS),
        lambda: imaging.probe(data, LIMITS),
    ):
        start = time.perf_counter()
        with pytest.raises(TooManyScans, match="has 3000 scans; the limit is 100"):
            call()
        assert time.perf_counter() - start < 1.0  # ~6 ms here; decoding it takes minutes


def test_a_decode_over_the_time_limit_is_stopped(
    slow_jpeg: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    clocks: list[deadline.DecodeClock] = []

    class Recorded(deadline.DecodeClock):
        def __init__(self, data: bytes, boundaries: Sequence[int] = ()) -> None:
            super().__init__(data, boundaries)
            clocks.append(self)

    monkeypatch.setattr(decoding, "DecodeClock", Recorded)
    limits = Limits(max_decode_seconds=0.05)
    start = time.perf_counter()
    with pytest.raises(DecodeTooSlow, match=r"took over 0.05 s") as caught:
        imaging.render_one(slow_jpeg, Preset("p", 150), limits)
    elapsed = time.perf_counter() - start

    assert (caught.value.status, caught.value.code) == (422, "decode_too_slow")
    assert caught.value.limit == 0.05
    assert caught.value.seconds > 0.05
    # Stopped between scans: a read per scan, and far fewer reads than scans.
    assert 0 < clocks[0].reads < jpeg.MAX_SCANS // 2
    assert elapsed < 1.0  # ~0.07 s here, where the whole decode takes ~1 s


def test_the_decode_clock_feeds_a_jpeg_one_scan_at_a_time() -> None:
    data = img.scan_bomb(jpeg.MAX_SCANS, (512, 512))
    offsets = jpeg.scan_offsets(data)
    reader = deadline.DecodeClock(data, offsets)
    im = Image.open(reader)
    ticks = iter(range(10_000))
    reader.start(1000, clock=lambda: next(ticks))  # one "second" a read: never over the limit
    im.load()

    assert (im.size, im.getpixel((256, 256))) == ((512, 512), 128)
    assert reader.reads >= len(offsets) == jpeg.MAX_SCANS


def test_the_decode_clock_stops_at_the_deadline_by_its_clock() -> None:
    data = img.encode(img.photo((600, 400)), "PNG")
    reader = deadline.DecodeClock(data)
    im = Image.open(reader)
    im.decodermaxblock = 1024  # many reads
    now = [0.0]

    def clock() -> float:
        now[0] += 1.0
        return now[0]

    reader.start(5.0, clock=clock)
    with pytest.raises(DecodeTooSlow, match="took over 5 s"):
        im.load()
    assert reader.reads == 5  # the sixth read found the deadline passed


def test_reads_before_the_clock_starts_are_whole() -> None:
    data = img.scan_bomb(12)
    reader = deadline.DecodeClock(data, jpeg.scan_offsets(data))
    assert reader.read() == data  # header parsing is not cut at scans
    reader.seek(0)
    reader.start(60)
    offsets = jpeg.scan_offsets(data)
    assert reader.read() == data[: offsets[0]]  # up to the first scan
    assert reader.read(1 << 20) == data[offsets[0] : offsets[1]]  # then one scan at a time


def test_a_real_photo_decodes_well_within_the_default_limit() -> None:
    data = img.encode(img.photo((1200, 800)), "JPEG", progressive=True)
    timings: imaging.Timings = {}
    imaging.render_one(data, Preset("p", 1200), LIMITS, timings=timings)  # no DCT scaling
    assert timings["decode"] / 1000 < LIMITS.max_decode_seconds / 10
