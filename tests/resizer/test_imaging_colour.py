"""Tests for resizer_lambda.imaging: colour (CMYK, ICC profiles), 16-bit, alpha and animation.

Originals come from `tests/resizer/images.py`; outputs are opened again with Pillow and checked
by pixels (see `tests/resizer/imaging_asserts.py`).
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from resizer_lambda.presets import Preset
from tests.resizer import images as img
from tests.resizer.imaging_asserts import JPEG_TOL, assert_no_metadata, render

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


# --- animation and multi-picture files ---------------------------------------------------------


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


@pytest.mark.parametrize(("preset_format", "expected"), [("original", "jpeg"), ("webp", "webp")])
def test_a_multi_picture_jpeg_gives_its_first_picture(preset_format: str, expected: str) -> None:
    # MPO, as many cameras and phones write: a JPEG whose MP header lists further pictures.
    data = img.encode(
        img.quadrants(), "MPO", save_all=True, append_images=[Image.new("RGB", (80, 40), "blue")]
    )
    opened = Image.open(io.BytesIO(data))
    assert (opened.format, getattr(opened, "n_frames", 1)) == ("MPO", 2)

    rendered, out = render(data, Preset("p", 40, format=preset_format))  # type: ignore[arg-type]

    assert (rendered.format, out.size) == (expected, (40, 20))
    assert getattr(out, "n_frames", 1) == 1
    colours = img.quadrant_colours(out)
    assert all(img.close(colours[q], img.QUADRANTS[q], 24) for q in img.QUADRANTS), colours
