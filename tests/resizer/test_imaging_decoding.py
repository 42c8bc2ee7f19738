"""Tests for the fast paths: WebP decoded scaled by libwebp, and the PNG encoder's zlib strategy.

Each fast path is checked against an independent oracle: Pillow's own full-size WebP decode and a
full-decode LANCZOS resize, and Pillow's own PNG encoder settings.
"""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image, ImageDraw, ImageFilter

from resizer_lambda import imaging, png, webp
from resizer_lambda.presets import Preset
from tests.resizer import images as img
from tests.resizer.imaging_asserts import LIMITS, mean_abs_diff, render

# --- WebP: scaled decoding through libwebp -----------------------------------------------------


def _pillow_decode(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


@pytest.mark.parametrize(
    ("mode", "params"),
    [
        ("RGB", {"quality": 80}),
        ("RGB", {"lossless": True}),
        ("RGBA", {"quality": 80}),
        ("RGBA", {"lossless": True}),
    ],
)
def test_webp_full_size_decode_is_pillows_to_the_pixel(
    mode: str, params: dict[str, object]
) -> None:
    source = img.photo((300, 200))
    if mode == "RGBA":
        source.putalpha(Image.linear_gradient("L").resize((300, 200)))
    data = img.encode(source, "WEBP", **params)

    ours = webp.decode(data, None)

    assert ours is not None
    expected = _pillow_decode(data)
    assert (ours.mode, ours.size) == (expected.mode, expected.size)
    assert ours.tobytes() == expected.tobytes()


def test_webp_is_decoded_scaled_and_matches_a_full_decode_reference() -> None:
    data = img.encode(img.photo((1600, 1200)), "WEBP", quality=90)
    reference = _pillow_decode(data).resize((200, 150), Image.Resampling.LANCZOS)

    rendered, out = render(data, Preset("p", 200), "png")

    assert rendered.decoded == (300, 225)  # WEBP_GAP x the output, not 1600x1200
    assert out.size == (200, 150)
    assert mean_abs_diff(out, reference) < 2.0


def test_webp_all_presets_share_one_scaled_decode() -> None:
    data = img.encode(img.photo((1600, 1200)), "WEBP", quality=90)
    presets = [Preset("a", 100), Preset("b", 300)]

    out = imaging.render_many(data, presets, LIMITS)

    assert {r.decoded for r in out.values()} == {(450, 338)}  # sized for the largest output
    assert (out["a"].width, out["b"].width) == (100, 300)


def test_webp_scaled_decode_keeps_alpha() -> None:
    source = img.photo((1200, 800)).convert("RGBA")
    source.paste((0, 0, 0, 0), (0, 0, 600, 800))  # left half transparent
    data = img.encode(source, "WEBP", quality=90)

    rendered, out = render(data, Preset("p", 120))

    assert rendered.decoded == (180, 120)
    assert out.mode == "RGBA"
    assert out.getpixel((10, 40))[3] == 0
    assert out.getpixel((110, 40))[3] == 255


def test_webp_without_libwebp_falls_back_to_pillow(monkeypatch: pytest.MonkeyPatch) -> None:
    data = img.encode(img.photo((800, 600)), "WEBP", quality=90)
    monkeypatch.setattr(webp, "_library", lambda: None)

    rendered, out = render(data, Preset("p", 100))

    assert webp.decode(data, (200, 150)) is None
    assert rendered.decoded == (800, 600)  # Pillow decodes in full
    assert out.size == (100, 75)


def test_animated_webp_is_left_to_pillow_and_gives_its_first_frame() -> None:
    data = img.animated("WEBP", [img.RED, img.GREEN])

    assert webp.decode(data, None) is None
    _, out = render(data, Preset("p", 20), "png")
    assert img.close(img.pixel(out, (10, 7)), img.RED, 2)


# --- PNG: zlib's strategy -----------------------------------------------------------------------


def _pillow_png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG", compress_level=4)  # Pillow's default strategy, Z_FILTERED
    return buf.getvalue()


def _glow(size: tuple[int, int]) -> Image.Image:
    """A soft glow: transparent corners, colour under alpha fading from the middle."""
    im = img.photo(size).convert("RGBA")
    alpha = Image.radial_gradient("L").resize(size).point(lambda v: max(0, 255 - 2 * v))
    im.putalpha(alpha)
    return im


def _cut_out(size: tuple[int, int]) -> Image.Image:
    """A cut-out: a photo on a transparent background, partial alpha only at its edge."""
    im = img.photo(size).convert("RGBA")
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse(
        (size[0] // 8, size[1] // 8, size[0] * 7 // 8, size[1] * 7 // 8), 255
    )
    im.putalpha(mask.filter(ImageFilter.GaussianBlur(2)))
    return im


@pytest.mark.parametrize(
    "picture",
    [
        pytest.param(lambda: img.photo((600, 400)), id="photo"),
        pytest.param(lambda: img.photo((600, 400)).convert("L"), id="grey"),
        pytest.param(lambda: _cut_out((600, 400)), id="cut-out"),
    ],
)
def test_png_is_lossless_and_close_to_pillows_level_4(picture: object) -> None:
    """Lossless, and within 10% of Pillow's own level 4 on synthetic, grain-heavy pictures.

    On real images RLE is the smaller of the two (bench/ compares both against sharp's bytes);
    the generated photo's uniform grain is its worst case.
    """
    im = picture()  # type: ignore[operator]

    data = imaging.encode(im, "png", 82)

    back = Image.open(io.BytesIO(data))
    back.load()
    assert back.mode == im.mode
    assert back.tobytes() == im.tobytes()
    assert len(data) <= 1.1 * len(_pillow_png(im))


def _filters(data: bytes, row_bytes: int) -> set[int]:
    """Return the filter types of a single-IDAT PNG's rows."""
    raw = zlib.decompress(data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8])
    return set(raw[:: row_bytes + 1])


def test_png_with_soft_alpha_is_written_unfiltered() -> None:
    im = _glow((600, 400))

    data = imaging.encode(im, "png", 82)

    assert png.has_soft_alpha(im)
    assert _filters(data, 600 * 4) == {0}


@pytest.mark.parametrize("picture", [_cut_out, lambda size: img.photo(size).convert("RGBA")])
def test_png_of_a_cut_out_or_opaque_picture_keeps_pillows_filters(picture: object) -> None:
    im = picture((600, 400))  # type: ignore[operator]

    assert not png.has_soft_alpha(im)
    assert png.encode(im) == _pillow_rle(im)


def _pillow_rle(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG", compress_level=png.RLE_LEVEL, compress_type=zlib.Z_RLE)
    return buf.getvalue()


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_unfiltered_png_round_trips(mode: str) -> None:
    im = _glow((97, 31)).convert(mode)

    back = Image.open(io.BytesIO(png.encode_unfiltered(im)))
    back.load()

    assert (back.mode, back.size) == (mode, (97, 31))
    assert back.tobytes() == im.tobytes()
    assert not back.info
