"""Tests for resizer_lambda.imaging: real encoded files in, encoded files out, checked by pixels.

Every original is made by a factory in `tests/resizer/images.py`; outputs are opened again with
Pillow and checked for size, mode, format (sniffed from the bytes), metadata and pixel values.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import pytest
from PIL import Image, ImageChops, ImageOps, ImageStat, PngImagePlugin

from resizer_lambda import imaging
from resizer_lambda.errors import CorruptImage, ResizerError, TooLarge, UnsupportedFormat
from resizer_lambda.presets import DEFAULT_PRESETS, Limits, Preset
from tests.resizer import images as img

LIMITS = Limits()
JPEG_TOL = 16  # levels a flat JPEG colour may drift (chroma subsampling, quantisation)


def render(
    data: bytes, preset: Preset, fmt: str | None = None, limits: Limits = LIMITS
) -> tuple[imaging.Rendered, Image.Image]:
    """Render one preset and return the result with its bytes opened (and loaded) by Pillow."""
    rendered = imaging.render_one(data, preset, limits, fmt)
    out = Image.open(io.BytesIO(rendered.data))
    out.load()
    assert (rendered.width, rendered.height) == out.size
    assert imaging.sniff_format(rendered.data) == rendered.format
    return rendered, out


def mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    """Return the mean absolute difference of two images in levels, averaged over RGB."""
    diff = ImageChops.difference(a.convert("RGB"), b.convert("RGB"))
    return sum(ImageStat.Stat(diff).mean) / 3


def assert_no_metadata(rendered: imaging.Rendered, out: Image.Image) -> None:
    assert not out.getexif(), "the output carries EXIF"
    for key in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "Comment", "Author"):
        assert key not in out.info, f"the output carries {key}"
    for marker in (b"Exif\0\0", b"CameraMake", b"secret", b"ICC_PROFILE", b"iCCP", b"xpacket"):
        assert marker not in rendered.data, f"the output bytes contain {marker!r}"


# --- EXIF orientation --------------------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize(
    ("fmt", "display_size", "width"),
    [
        ("JPEG", (80, 40), 40),  # small: no DCT scaling
        ("JPEG", (1001, 501), 100),  # draft path, odd size: boxes mapped through the DCT scale
        ("PNG", (80, 40), 40),
        ("WEBP", (80, 40), 40),
    ],
)
def test_exif_orientation_is_applied_and_dropped(
    orientation: int, fmt: str, display_size: tuple[int, int], width: int
) -> None:
    stored = img.oriented(orientation, img.quadrants(display_size))
    params: dict[str, object] = {"quality": 95} if fmt != "PNG" else {}
    data = img.encode(stored, fmt, exif=img.exif(orientation).tobytes(), **params)

    rendered, out = render(data, Preset("p", width), "png")

    assert out.size == (width, width // 2)  # display orientation, landscape
    for corner, colour in img.quadrant_colours(out).items():
        assert img.close(colour, img.QUADRANTS[corner], JPEG_TOL), (corner, colour)
    assert_no_metadata(rendered, out)
    if fmt == "JPEG" and display_size[0] > 1000:
        assert rendered.decoded is not None
        assert max(rendered.decoded) < 1001 / 2


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_with_cover_crops_in_display_space(orientation: int) -> None:
    data = img.oriented_file(orientation, "JPEG", quality=95)

    _, out = render(data, Preset("p", 40, 10, fit="cover"), "png")  # the middle band

    assert out.size == (40, 10)
    colours = img.quadrant_colours(out)
    assert img.close(colours["tl"], img.RED, JPEG_TOL)
    assert img.close(colours["br"], img.YELLOW, JPEG_TOL)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "AVIF"])
def test_probe_reports_display_size_from_the_header_alone(orientation: int, fmt: str) -> None:
    data = img.oriented_file(orientation, fmt)

    info = imaging.probe(data, LIMITS)

    assert info == imaging.SourceInfo(fmt.lower(), 80, 40, orientation)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_probe_decodes_no_pixels(fmt: str) -> None:
    # Without its pixel data the file cannot be decoded, so a probe that works never decoded.
    data = img.oriented_file(6, fmt)
    if fmt == "PNG":  # up to the first bytes of the pixel data chunk
        header_only = data[: data.index(b"IDAT") + 8]
    else:  # up to the first bytes after the start-of-scan header
        sos = data.index(b"\xff\xda")
        header_only = data[: sos + 2 + int.from_bytes(data[sos + 2 : sos + 4]) + 4]

    assert imaging.probe(header_only, LIMITS) == imaging.SourceInfo(fmt.lower(), 80, 40, 6)
    with pytest.raises(CorruptImage, match="truncated or corrupt"):
        imaging.render_one(header_only, Preset("p", 40), LIMITS)


def test_probe_of_a_large_png_is_instant() -> None:
    data = img.encode(Image.new("RGB", (4000, 3000), img.BLUE), "PNG")
    start = time.perf_counter()
    info = imaging.probe(data, LIMITS)
    assert time.perf_counter() - start < 0.05  # a full decode takes ~100 ms
    assert (info.width, info.height, info.orientation) == (4000, 3000, 1)


def test_a_broken_exif_block_means_no_rotation() -> None:
    data = img.encode(img.quadrants(), "JPEG", exif=b"Exif\0\0II*\0\x08\0\0\0\xff\xff")
    assert imaging.probe(data, LIMITS).orientation == 1
    _, out = render(data, Preset("p", 40))
    assert out.size == (40, 20)


# --- colour: CMYK and ICC profiles -------------------------------------------------------------

CMYK_CASES = [
    ((0, 255, 255, 0), img.RED),
    ((255, 0, 0, 0), (0, 255, 255)),
    ((0, 0, 255, 0), img.YELLOW),
    ((0, 0, 0, 0), img.WHITE),
    ((0, 0, 0, 255), img.BLACK),
]


@pytest.mark.parametrize(("cmyk", "rgb"), CMYK_CASES)
@pytest.mark.parametrize("size", [(32, 32), (800, 600)])  # the second decodes through draft
def test_cmyk_jpeg_comes_out_as_rgb_not_inverted(
    cmyk: tuple[int, int, int, int], rgb: img.RGB, size: tuple[int, int]
) -> None:
    data = img.encode(Image.new("CMYK", size, cmyk), "JPEG", quality=95)  # Adobe-style CMYK
    assert Image.open(io.BytesIO(data)).mode == "CMYK"

    rendered, out = render(data, Preset("p", 16))

    assert (rendered.format, out.mode) == ("jpeg", "RGB")
    assert img.close(img.pixel(out, (8, 4)), rgb, 6)
    assert_no_metadata(rendered, out)


@pytest.mark.parametrize("cmyk", [c for c, _ in CMYK_CASES] + [(128, 0, 0, 0), (0, 0, 0, 128)])
def test_cmyk_jpeg_with_a_cmyk_profile_is_converted_through_it(
    cmyk: tuple[int, int, int, int],
) -> None:
    profile = img.cmyk_profile()  # a press with strong dot gain, unlike Pillow's naive maths
    data = img.encode(Image.new("CMYK", (400, 300), cmyk), "JPEG", quality=95, icc_profile=profile)
    expected = img.expected_through_profile(cmyk, "CMYK", profile)

    _, out = render(data, Preset("p", 20))

    assert out.mode == "RGB"
    assert img.close(img.pixel(out, (10, 7)), expected, 4), (img.pixel(out, (10, 7)), expected)
    assert "icc_profile" not in out.info
    if 0 < max(cmyk) < 255:  # mid-tones: the profile's dot gain shows
        naive = img.pixel(Image.new("CMYK", (1, 1), cmyk).convert("RGB"), (0, 0))
        assert img.distance(img.pixel(out, (10, 7)), naive) > 30


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
@pytest.mark.parametrize("colour", [(200, 50, 50), (50, 200, 50), (40, 60, 220), (128, 128, 128)])
def test_wide_gamut_rgb_is_converted_to_srgb(fmt: str, colour: img.RGB) -> None:
    profile = img.rgb_profile()  # Adobe RGB (1998)-compatible primaries
    params: dict[str, object] = {"quality": 100} if fmt != "PNG" else {}
    data = img.encode(Image.new("RGB", (64, 64), colour), fmt, icc_profile=profile, **params)
    expected = img.expected_through_profile(colour, "RGB", profile)

    rendered, out = render(data, Preset("p", 16), "png")

    got = img.pixel(out, (8, 8))
    tol = 1 if fmt == "PNG" else 6
    assert img.close(got, expected, tol), (got, expected)
    assert_no_metadata(rendered, out)
    if colour != (128, 128, 128):  # saturated colours move visibly toward sRGB's
        assert img.distance(expected, colour) > 15


def test_wide_gamut_rgba_keeps_its_alpha() -> None:
    profile = img.rgb_profile()
    im = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    im.paste((200, 50, 50, 255), (20, 0, 40, 20))
    data = img.encode(im, "PNG", icc_profile=profile)

    _, out = render(data, Preset("p", 40))

    assert out.mode == "RGBA"
    assert img.pixel(out, (5, 10))[3] == 0
    expected = img.expected_through_profile((200, 50, 50), "RGB", profile)
    assert img.close(img.pixel(out, (35, 10)), (*expected, 255), 1)


@pytest.mark.parametrize(
    "icc",
    [
        pytest.param(img.srgb_profile(), id="srgb"),
        pytest.param(b"not an ICC profile at all", id="garbage"),
        pytest.param(img.cmyk_profile(grid=2), id="cmyk-profile-on-rgb"),
    ],
)
def test_srgb_and_unusable_profiles_leave_pixels_unchanged(icc: bytes) -> None:
    colour = (200, 50, 50)
    data = img.encode(Image.new("RGB", (32, 32), colour), "PNG", icc_profile=icc)

    rendered, out = render(data, Preset("p", 16))

    assert img.pixel(out, (8, 8)) == colour
    assert_no_metadata(rendered, out)


# --- modes: 16-bit, palettes, transparency -----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 0), (257, 1), (30000, 117), (32896, 128), (65535, 255)]
)
def test_16bit_grey_png_is_scaled_not_clamped(value: int, expected: int) -> None:
    data = img.png_16bit_grey((20, 10), value)
    assert Image.open(io.BytesIO(data)).mode == "I;16"

    rendered, out = render(data, Preset("p", 10))

    assert (rendered.format, out.mode) == ("png", "L")
    assert img.pixel(out, (5, 2)) == (expected,)


@pytest.mark.parametrize(
    ("alpha", "fmt", "mode", "expected"),
    [
        (None, None, "RGB", (255, 117, 0)),
        (65535, None, "RGB", (255, 117, 0)),  # alpha opaque everywhere is dropped, losslessly
        (0, None, "RGBA", (0, 0, 0, 0)),  # Pillow keeps colour under alpha 0 as it was: 0
        (0, "jpeg", "RGB", img.WHITE),
    ],
)
def test_16bit_colour_png(
    alpha: int | None, fmt: str | None, mode: str, expected: tuple[int, ...]
) -> None:
    data = img.png_16bit_rgb((20, 10), (65535, 30000, 0), alpha)

    _, out = render(data, Preset("p", 10), fmt)

    assert out.mode == mode
    got = img.pixel(out, (5, 2))
    if mode == "RGBA" and expected[3] == 0:
        assert got[3] == 0
    else:
        assert img.close(got, expected, 2 if fmt is None else 4)


def _half_transparent(kind: str) -> bytes:
    """Return a 40x20 original whose left half is transparent and right half opaque blue/grey."""
    if kind in ("palette-png", "palette-gif"):
        im = Image.new("P", (40, 20), 0)
        im.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)  # 0 = red (transparent), 1 = blue
        im.paste(1, (20, 0, 40, 20))
        return img.encode(im, "PNG" if kind == "palette-png" else "GIF", transparency=0)
    if kind == "palette-rgba-png":
        im = Image.new("RGBA", (40, 20), (255, 0, 0, 0))
        im.paste((0, 0, 255, 255), (20, 0, 40, 20))
        return img.encode(im.quantize(colors=4, method=Image.Quantize.FASTOCTREE), "PNG")
    if kind == "rgba-png":
        im = Image.new("RGBA", (40, 20), (255, 0, 0, 0))
        im.paste((0, 0, 255, 255), (20, 0, 40, 20))
        return img.encode(im, "PNG")
    if kind == "rgb-key-png":
        im = Image.new("RGB", (40, 20), (1, 2, 3))
        im.paste((0, 0, 255), (20, 0, 40, 20))
        return img.encode(im, "PNG", transparency=(1, 2, 3))
    if kind == "la-png":
        im = Image.new("LA", (40, 20), (0, 0))
        im.paste((100, 255), (20, 0, 40, 20))
        return img.encode(im, "PNG")
    if kind == "grey-key-png":
        im = Image.new("L", (40, 20), 0)
        im.paste(100, (20, 0, 40, 20))
        return img.encode(im, "PNG", transparency=0)
    if kind == "grey16-key-png":
        im = Image.new("I;16", (40, 20), 0)
        im.paste(25700, (20, 0, 40, 20))  # 25700 / 257 = 100
        return img.encode(im, "PNG", transparency=0)
    raise AssertionError(kind)


TRANSPARENT_KINDS = [
    "palette-png",
    "palette-gif",
    "palette-rgba-png",
    "rgba-png",
    "rgb-key-png",
    "la-png",
    "grey-key-png",
    "grey16-key-png",
]


@pytest.mark.parametrize("kind", TRANSPARENT_KINDS)
@pytest.mark.parametrize("fmt", ["png", "webp", "avif"])
def test_transparency_is_kept_where_the_output_has_alpha(kind: str, fmt: str) -> None:
    data = _half_transparent(kind)
    grey = kind.startswith(("la", "grey"))

    rendered, out = render(data, Preset("p", 20), fmt)

    assert rendered.format == fmt
    assert out.mode in (("LA", "RGBA") if grey else ("RGBA",))
    rgba = out.convert("RGBA")
    assert img.pixel(rgba, (2, 5))[3] == 0, "transparent pixels must stay transparent"
    opaque = (100, 100, 100, 255) if grey else (0, 0, 255, 255)
    assert img.close(img.pixel(rgba, (17, 5)), opaque, 3 if fmt == "png" else 12)


@pytest.mark.parametrize("kind", TRANSPARENT_KINDS)
def test_transparency_is_flattened_onto_white_for_jpeg(kind: str) -> None:
    data = _half_transparent(kind)
    grey = kind.startswith(("la", "grey"))

    rendered, out = render(data, Preset("p", 20), "jpeg")

    assert (rendered.format, out.mode) == ("jpeg", "L" if grey else "RGB")
    rgb = out.convert("RGB")
    assert img.close(img.pixel(rgb, (2, 5)), img.WHITE, 6), "transparent must become white"
    assert img.close(img.pixel(rgb, (17, 5)), (100,) * 3 if grey else img.BLUE, JPEG_TOL)


def test_a_gif_with_transparency_becomes_a_png_with_alpha() -> None:
    rendered, out = render(_half_transparent("palette-gif"), Preset("p", 20))
    assert (rendered.format, rendered.content_type, out.format) == ("png", "image/png", "PNG")
    assert out.mode == "RGBA"


@pytest.mark.parametrize(
    ("mode", "fmt", "out_mode"),
    [("L", "JPEG", "L"), ("1", "PNG", "L"), ("RGB", "JPEG", "RGB"), ("P", "PNG", "RGB")],
)
def test_opaque_modes(mode: str, fmt: str, out_mode: str) -> None:
    im = Image.new("RGB", (40, 20), (255, 255, 255)).convert(mode)
    _, out = render(img.encode(im, fmt), Preset("p", 20))
    assert out.mode == out_mode
    assert img.close(img.pixel(out.convert("RGB"), (10, 5)), img.WHITE, 2)


# --- animation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG", "AVIF"])
def test_animated_input_gives_its_first_frame(fmt: str) -> None:
    data = img.animated(fmt, [img.RED, img.GREEN, img.BLUE])
    assert getattr(Image.open(io.BytesIO(data)), "n_frames", 1) >= 2

    _, out = render(data, Preset("p", 20), "png")

    assert out.size == (20, 15)
    assert not getattr(out, "is_animated", False)
    assert img.close(img.pixel(out, (10, 7)), img.RED, 6)
    if fmt != "PNG":  # APNG outputs are PNG either way
        _, out = render(data, Preset("p", 20))
        assert getattr(out, "n_frames", 1) == 1


# --- refusals ----------------------------------------------------------------------------------


def _photo_file(fmt: str) -> bytes:
    return img.encode(img.photo((120, 80)), fmt)


REFUSALS: list[tuple[str, Callable[[], bytes], type[ResizerError], str]] = [
    ("empty", lambda: b"", CorruptImage, "empty"),
    ("jpeg-half", lambda: (d := _photo_file("JPEG"))[: len(d) // 2], CorruptImage, "truncated"),
    ("png-half", lambda: (d := _photo_file("PNG"))[: len(d) // 2], CorruptImage, "truncated"),
    ("gif-half", lambda: (d := _photo_file("GIF"))[: len(d) // 2], CorruptImage, "GIF"),
    ("webp-half", lambda: (d := _photo_file("WEBP"))[: len(d) // 2], CorruptImage, "WEBP"),
    ("avif-half", lambda: (d := _photo_file("AVIF"))[: len(d) // 2], CorruptImage, "AVIF"),
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
        imaging.probe(_photo_file("PNG")[:20], LIMITS)


def test_over_the_byte_limit_is_refused_before_sniffing() -> None:
    data = _photo_file("PNG")
    with pytest.raises(TooLarge, match=f"{len(data)} bytes; the limit is 1000"):
        imaging.render_one(data, Preset("p", 40), Limits(max_bytes=1000))
    with pytest.raises(TooLarge, match="bytes; the limit is 1000"):
        imaging.probe(b"x" * 1001, Limits(max_bytes=1000))


def test_over_the_pixel_limit_is_refused() -> None:
    data = _photo_file("JPEG")
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

    data = _photo_file("AVIF")
    monkeypatch.setattr(AvifImagePlugin, "SUPPORTED", False)
    with pytest.raises(UnsupportedFormat, match="without AVIF support"):
        imaging.render_one(data, Preset("p", 40), LIMITS)


# --- sizes and fits ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preset", "size"),
    [
        (Preset("p", 150), (100, 50)),
        (Preset("p", 150, upscale=True), (150, 75)),
        (Preset("p", 150, 150), (100, 50)),
        (Preset("p", 150, 150, upscale=True), (150, 75)),
        (Preset("p", 60), (60, 30)),
        (Preset("p", 150, 20), (40, 20)),
        (Preset("p", 80, 80, fit="cover"), (50, 50)),  # target aspect, shrunk to fit
        (Preset("p", 200, 50, fit="cover"), (100, 25)),
        (Preset("p", 50, 200, fit="cover"), (12, 50)),
        (Preset("p", 80, 80, fit="cover", upscale=True), (80, 80)),
        (Preset("p", 40, 40, fit="cover"), (40, 40)),
        (Preset("p", 200, 200, fit="contain"), (200, 200)),  # canvas; the picture not enlarged
        (Preset("p", 60, 60, fit="contain"), (60, 60)),
    ],
)
def test_output_size(preset: Preset, size: tuple[int, int]) -> None:
    data = img.encode(img.quadrants((100, 50)), "PNG")

    _, out = render(data, preset)

    assert out.size == size
    assert imaging.output_size(preset, 100, 50) == size


def test_no_upscaling_keeps_the_source_pixels() -> None:
    source = img.photo((100, 50))
    _, out = render(img.encode(source, "PNG"), Preset("p", 150))
    assert out.size == (100, 50)
    assert mean_abs_diff(out, source) == 0


def test_contain_without_upscale_centres_the_unscaled_picture() -> None:
    data = img.encode(img.quadrants((80, 40)), "PNG")

    _, out = render(data, Preset("p", 200, 200, fit="contain", background="#000000"))

    assert out.getbbox() == (60, 80, 140, 120)  # 80x40 in the middle of black padding


def test_inside_fits_the_box() -> None:
    _, out = render(img.encode(img.quadrants((80, 40)), "PNG"), Preset("p", 40, 10))
    assert out.size == (20, 10)
    for corner, colour in img.quadrant_colours(out).items():
        assert img.close(colour, img.QUADRANTS[corner], 2)


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        # A centred square of the 80x40 quadrants keeps all four colours in place.
        (20, 20, img.QUADRANTS),
        # A wide band from the vertical middle: top is still red/green, bottom blue/yellow.
        (40, 10, img.QUADRANTS),
    ],
)
def test_cover_crops_the_centre(width: int, height: int, expected: dict[str, img.RGB]) -> None:
    _, out = render(img.encode(img.quadrants((80, 40)), "PNG"), Preset("p", width, height, "cover"))
    assert out.size == (width, height)
    for corner, colour in img.quadrant_colours(out).items():
        assert img.close(colour, expected[corner], 2), corner


def test_cover_crop_is_centred_not_left_aligned() -> None:
    # Black | quadrants | white: a centred square crop shows neither outer strip.
    im = Image.new("RGB", (120, 40), img.BLACK)
    im.paste(img.quadrants((40, 40)), (40, 0))
    im.paste(img.WHITE, (80, 0, 120, 40))

    _, out = render(img.encode(im, "PNG"), Preset("p", 20, 20, fit="cover"))

    for corner, colour in img.quadrant_colours(out, inset=0.1).items():
        assert img.close(colour, img.QUADRANTS[corner], 2), corner


@pytest.mark.parametrize(
    ("background", "fmt", "mode", "padding"),
    [
        ("#00ff00", None, "RGB", (0, 255, 0)),
        ("#ffffff00", None, "RGBA", (255, 255, 255, 0)),
        ("#ff000080", None, "RGBA", (255, 0, 0, 128)),
        ("#ffffff00", "jpeg", "RGB", img.WHITE),
        ("#123456", "webp", "RGB", (0x12, 0x34, 0x56)),
    ],
)
def test_contain_pads_with_the_background(
    background: str, fmt: str | None, mode: str, padding: tuple[int, ...]
) -> None:
    data = img.encode(img.quadrants((80, 40)), "PNG")

    _, out = render(data, Preset("p", 60, 60, fit="contain", background=background), fmt)

    assert (out.size, out.mode) == ((60, 60), mode)
    tol = 0 if fmt is None else 10
    for xy in [(0, 0), (59, 0), (30, 5), (0, 59), (59, 59), (30, 54)]:  # above and below
        assert img.close(img.pixel(out, xy), padding, tol), xy
    # The picture is 60x30, centred: rows 15-44.
    assert img.close(img.pixel(out, (10, 20))[:3], img.RED, tol + 10)
    assert img.close(img.pixel(out, (50, 40))[:3], img.YELLOW, tol + 10)


def test_contain_composites_a_transparent_picture_over_the_background() -> None:
    im = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    im.paste((0, 0, 255, 255), (20, 0, 40, 20))

    _, out = render(img.encode(im, "PNG"), Preset("p", 40, 40, fit="contain", background="#ff0000"))

    assert out.size == (40, 40)
    assert img.pixel(out, (5, 20))[:3] == img.RED  # transparent part shows the background
    assert img.pixel(out, (35, 20))[:3] == img.BLUE


# --- metadata ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp", "avif"])
def test_exif_gps_icc_and_xmp_are_stripped_from_jpeg(fmt: str) -> None:
    xmp = b'<?xpacket begin=""?><x:xmpmeta xmlns:x="adobe:ns:meta/">secret</x:xmpmeta>'
    data = img.encode(
        img.quadrants(),
        "JPEG",
        exif=img.exif(orientation=1, gps=True, make="CameraMake"),
        icc_profile=img.srgb_profile(),
        xmp=xmp,
        comment=b"secret",
    )
    source = Image.open(io.BytesIO(data))
    assert source.getexif().get_ifd(img.GPS_IFD)  # the test is real
    assert "xmp" in source.info

    rendered, out = render(data, Preset("p", 40), fmt)

    assert_no_metadata(rendered, out)


@pytest.mark.parametrize("fmt", ["png", "webp"])
def test_png_text_exif_and_icc_are_stripped(fmt: str) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret")
    info.add_text("Author", "secret", zip=True)
    info.add_itxt("Description", "secret")
    data = img.encode(
        img.quadrants(),
        "PNG",
        pnginfo=info,
        exif=img.exif(gps=True, make="CameraMake"),
        icc_profile=img.srgb_profile(),
    )
    assert {"Comment", "Author", "exif", "icc_profile"} <= set(Image.open(io.BytesIO(data)).info)

    rendered, out = render(data, Preset("p", 40), fmt)

    assert_no_metadata(rendered, out)
    assert not {"Comment", "Author", "Description"} & set(out.info)


# --- formats -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "preset_format", "override", "expected"),
    [
        ("JPEG", "original", None, "jpeg"),
        ("PNG", "original", None, "png"),
        ("WEBP", "original", None, "webp"),
        ("AVIF", "original", None, "avif"),
        ("GIF", "original", None, "png"),
        ("JPEG", "webp", None, "webp"),
        ("JPEG", "avif", None, "avif"),
        ("JPEG", "png", None, "png"),
        ("PNG", "jpeg", None, "jpeg"),
        ("GIF", "webp", None, "webp"),
        ("WEBP", "jpeg", "avif", "avif"),  # the key's format wins over the preset's
        ("PNG", "original", "webp", "webp"),
        ("AVIF", "original", "jpeg", "jpeg"),
    ],
)
def test_output_format(
    source: str, preset_format: str, override: str | None, expected: str
) -> None:
    data = img.encode(img.quadrants(), source)
    preset = Preset("p", 40, format=preset_format)  # type: ignore[arg-type]

    rendered, out = render(data, preset, override)

    assert rendered.format == expected
    assert imaging.sniff_format(rendered.data) == expected
    assert rendered.content_type == imaging.CONTENT_TYPES[expected] == f"image/{expected}"
    assert out.format == {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "avif": "AVIF"}[expected]
    assert out.size == (40, 20)
    assert img.close(img.quadrant_colours(out)["tl"], img.RED, 24)


@pytest.mark.parametrize("fmt", ["jpeg", "webp", "avif"])
def test_quality_changes_the_size(fmt: str) -> None:
    data = img.encode(img.photo((300, 200)), "PNG")
    low = imaging.render_one(data, Preset("p", 300, quality=20), LIMITS, fmt)
    high = imaging.render_one(data, Preset("p", 300, quality=95), LIMITS, fmt)
    assert len(low.data) < len(high.data)


# --- the JPEG fast path ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def detailed_jpeg() -> tuple[bytes, Image.Image]:
    """A photo-like 3001x2001 JPEG (odd size: DCT scaling does not divide it) and its decode."""
    data = img.encode(img.photo((3001, 2001)), "JPEG", quality=92)
    full = Image.open(io.BytesIO(data))
    full.load()
    return data, full


@pytest.mark.parametrize(
    "preset",
    [
        Preset("w150", 150),
        Preset("w300", 300),
        Preset("w600", 600),
        Preset("w97", 97),
        Preset("c150", 150, 150, fit="cover"),
        Preset("c400", 400, 100, fit="cover"),
        Preset("box", 500, 200),
    ],
    ids=lambda p: p.name,
)
def test_jpeg_fast_path_matches_a_full_decode_lanczos_resize(
    detailed_jpeg: tuple[bytes, Image.Image], preset: Preset
) -> None:
    data, full = detailed_jpeg

    rendered, out = render(data, preset, "png")  # lossless output: compare the resize only

    if preset.fit == "cover":
        reference = ImageOps.fit(full, out.size, Image.Resampling.LANCZOS)
    else:
        reference = full.resize(out.size, Image.Resampling.LANCZOS)
    # Levels out of 255: 0.3-1.1 measured on this noisy synthetic photo with DRAFT_GAP 1.25
    # (0.4 with 2.0); on real photos bench/ checks SSIM against sharp's instead.
    assert mean_abs_diff(out, reference) < 1.5
    assert rendered.decoded is not None
    assert rendered.decoded[0] <= 1501, "libjpeg should have scaled in the DCT domain"
    assert rendered.decoded[0] >= out.width * imaging.DRAFT_GAP


def test_jpeg_draft_decodes_a_reduced_image_for_every_preset() -> None:
    gradient = Image.linear_gradient("L").resize((6000, 4000))
    data = img.encode(
        Image.merge(
            "RGB", (gradient, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT), gradient)
        ),
        "JPEG",
    )

    only_small = imaging.render_many(data, [Preset("small", 150)], LIMITS)
    every = imaging.render_many(data, DEFAULT_PRESETS, LIMITS)

    assert only_small["small"].decoded == (750, 500)  # 1/8 scale: 300 wide would do
    # 1200 wide x DRAFT_GAP 1.25 = 1500 = 6000/4: a quarter-scale decode is enough.
    assert {r.decoded for r in every.values()} == {(1500, 1000)}
    assert [(r.width, r.height) for r in every.values()] == [
        (150, 100),
        (300, 200),
        (600, 400),
        (1200, 800),
    ]


def test_a_png_is_decoded_at_full_size() -> None:
    rendered = imaging.render_one(_photo_file("PNG"), Preset("p", 30), LIMITS)
    assert rendered.decoded == (120, 80)


def test_timings_are_recorded_per_stage() -> None:
    timings: dict[str, float] = {"fetch": 1.0}
    imaging.render_many(_photo_file("JPEG"), DEFAULT_PRESETS[:2], LIMITS, timings=timings)
    assert set(timings) == {"fetch", "decode", "resize", "encode"}
    assert all(v >= 0 for v in timings.values())


# --- render_many -------------------------------------------------------------------------------

MANY = (
    *DEFAULT_PRESETS,
    Preset("square", 200, 200, fit="cover"),
    Preset("boxed", 250, 250, fit="contain", background="#ff0000"),
    Preset("thumb-webp", 120, format="webp"),
)


def test_render_many_equals_render_one_for_a_jpeg(detailed_jpeg: tuple[bytes, Image.Image]) -> None:
    data, _ = detailed_jpeg

    many = imaging.render_many(data, MANY, LIMITS)
    many_png = imaging.render_many(data, MANY, LIMITS, "png")

    assert list(many) == [p.name for p in MANY]
    for preset in MANY:
        one = imaging.render_one(data, preset, LIMITS)
        got = many[preset.name]
        assert (got.width, got.height, got.format) == (one.width, one.height, one.format)
        # The shared decode may use a finer DCT scale than one preset alone: close, within the
        # sum of both renderings' distance to the full-decode reference (each < 1.5 levels on
        # this noisy synthetic photo, see the fast-path test). Compared losslessly: a lossy
        # encoder would amplify the differences.
        one_png = imaging.render_one(data, preset, LIMITS, "png")
        a, b = (Image.open(io.BytesIO(r.data)) for r in (many_png[preset.name], one_png))
        assert mean_abs_diff(a, b) < 2.0, preset.name


def test_render_many_matches_render_one_for_a_png() -> None:
    data = img.encode(img.oriented(6, img.photo((400, 300))), "PNG", exif=img.exif(6))

    many = imaging.render_many(data, MANY, LIMITS)
    many_png = imaging.render_many(data, MANY, LIMITS, "png")

    assert list(many) == [p.name for p in MANY]  # in the order asked, though made largest first
    for preset in MANY:
        one = imaging.render_one(data, preset, LIMITS)
        got = many[preset.name]
        assert (got.width, got.height, got.format) == (one.width, one.height, one.format)
        # Smaller outputs are made from a larger one when it is REDUCING_GAP x larger: compared
        # losslessly, near-identical to rendering each alone.
        one_png = imaging.render_one(data, preset, LIMITS, "png")
        a, b = (Image.open(io.BytesIO(r.data)) for r in (many_png[preset.name], one_png))
        assert mean_abs_diff(a, b) < 1.0, preset.name


def test_render_many_of_nothing_is_nothing() -> None:
    assert imaging.render_many(b"not even an image", [], LIMITS) == {}
