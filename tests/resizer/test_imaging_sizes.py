"""Tests for resizer_lambda.imaging: sizes and fits, metadata, formats, the JPEG fast path and
render_many against render_one.

Originals come from `tests/resizer/images.py`; outputs are opened again with Pillow and checked
by pixels (see `tests/resizer/imaging_asserts.py`).
"""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageOps, PngImagePlugin

from resizer_lambda import imaging
from resizer_lambda.presets import DEFAULT_PRESETS, Preset
from tests.resizer import images as img
from tests.resizer.imaging_asserts import LIMITS, assert_no_metadata, mean_abs_diff, render

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
    rendered = imaging.render_one(img.photo_file("PNG"), Preset("p", 30), LIMITS)
    assert rendered.decoded == (120, 80)


def test_timings_are_recorded_per_stage() -> None:
    timings: dict[str, float] = {"fetch": 1.0}
    imaging.render_many(img.photo_file("JPEG"), DEFAULT_PRESETS[:2], LIMITS, timings=timings)
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


@pytest.mark.parametrize(
    ("source_width", "output_width", "gap"),
    [
        (900, 300, 1.5),  # 3x: box-reduce by 2, then LANCZOS 1.5x
        (1199, 300, 1.5),  # just under 4x
        (1200, 300, 2.0),  # 4x: reducing_gap 2 box-reduces by 2 already
        (899, 300, 2.0),  # under 3x: LANCZOS alone, as before
        (3000, 300, 2.0),
    ],
)
def test_the_box_step_before_lanczos_starts_at_3x(
    source_width: int, output_width: int, gap: float
) -> None:
    h = source_width * 2 // 3
    size = (output_width, round(h * output_width / source_width))
    assert imaging._gap((0.0, 0.0, float(source_width), float(h)), size) == gap


def test_a_3x_reduction_stays_close_to_a_full_lanczos_reference() -> None:
    """The 2x box step between 3x and 4x costs little against LANCZOS over the whole range."""
    source = img.natural((960, 640))
    reference = source.resize((300, 200), Image.Resampling.LANCZOS)

    _, out = render(img.encode(source, "PNG"), Preset("p", 300), "png")

    assert out.size == (300, 200)
    # levels of 255 over RGB: 0.30 here; a 3x box step (reducing_gap 1) gives 0.50, box alone 1.5
    assert mean_abs_diff(out, reference) < 0.4
