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


# --- PNG: filters and zlib-ng ---------------------------------------------------------------


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
def test_png_is_lossless_and_close_to_sharps_unfiltered_rows(picture: object) -> None:
    """Lossless, and within 5% of what libvips (sharp) writes: unfiltered rows at zlib 6.

    These synthetic pictures are grain-heavy, the worst case for filtering with RLE (and 1.1-1.2x
    Pillow's adaptive filters at level 4). On bench/'s real PNGs the total is 0.83x sharp's bytes
    and 1.02x Pillow's; bench/ compares every output with sharp's.
    """
    im = picture()  # type: ignore[operator]

    data = imaging.encode(im, "png", 82)

    back = Image.open(io.BytesIO(data))
    back.load()
    assert back.mode == im.mode
    assert back.tobytes() == im.tobytes()
    assert len(data) <= 1.05 * len(png.write(im, png.NONE, im))


def _filters(data: bytes, row_bytes: int) -> set[int]:
    """Return the filter types of a single-IDAT PNG's rows."""
    raw = zlib.decompress(data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8])
    return set(raw[:: row_bytes + 1])


def test_png_with_soft_alpha_is_written_unfiltered() -> None:
    im = _glow((600, 400))

    data = imaging.encode(im, "png", 82)

    assert png.has_soft_alpha(im)
    assert _filters(data, 600 * 4) == {0}


def _horizontal_stripes(size: tuple[int, int]) -> Image.Image:
    """Rows of one colour each: Sub leaves zeros but for the first column, Up does not."""
    im = Image.linear_gradient("L").resize((1, 256)).resize(size, Image.Resampling.NEAREST)
    return Image.merge("RGB", [im, im.point(lambda v: 255 - v), im.point(lambda v: v // 2)])


@pytest.mark.parametrize(
    ("picture", "expected"),
    [
        pytest.param(_horizontal_stripes, png.SUB, id="rows-of-one-colour-sub"),
        pytest.param(
            lambda size: _horizontal_stripes(size).transpose(Image.Transpose.TRANSPOSE),
            png.UP,
            id="columns-of-one-colour-up",
        ),
    ],
)
def test_png_filters_every_row_with_the_filter_that_leaves_less(
    picture: object, expected: int
) -> None:
    im = picture((600, 400))  # type: ignore[operator]

    data = imaging.encode(im, "png", 82)

    assert _filters(data, im.width * 3) == {expected}
    back = Image.open(io.BytesIO(data))
    assert back.tobytes() == im.tobytes()
    other = png.UP if expected == png.SUB else png.SUB
    assert len(data) < len(png.write(im, other, png.residuals(im, other)))


@pytest.mark.parametrize("picture", [_cut_out, lambda size: img.photo(size).convert("RGBA")])
def test_png_of_a_cut_out_or_opaque_picture_is_filtered(picture: object) -> None:
    im = picture((600, 400))  # type: ignore[operator]

    data = png.encode(im)

    assert not png.has_soft_alpha(im)
    assert len(_filters(data, 600 * 4)) == 1
    assert _filters(data, 600 * 4) <= {png.SUB, png.UP}


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA"])
@pytest.mark.parametrize("size", [(1, 1), (1, 9), (9, 1), (97, 31)])
def test_png_round_trips_every_mode_and_thin_sizes(mode: str, size: tuple[int, int]) -> None:
    im = Image.merge(
        "RGBA",
        [
            Image.effect_noise(size, 60),
            Image.linear_gradient("L").resize(size),
            Image.radial_gradient("L").resize(size),
            Image.linear_gradient("L").resize(size).point(lambda v: 255 - v),
        ],
    ).convert(mode)

    back = Image.open(io.BytesIO(png.encode(im)))
    back.load()

    assert (back.mode, back.size) == (mode, size)
    assert back.tobytes() == im.tobytes()
    assert not back.info


def test_png_of_another_mode_goes_to_pillows_encoder() -> None:
    im = img.photo((40, 30)).convert("P")

    back = Image.open(io.BytesIO(png.encode(im)))
    back.load()

    assert back.mode == "P"
    assert back.tobytes() == im.tobytes()
