"""Cover crops around a focal point, on a real photo whose subject is off-centre.

`tests/photos/ladybird.jpg` has a red ladybird right of centre. A tall cover preset keeps only a
third of the width: centred, the ladybird is cut off; around its focal point, it is in the
output. The oracle is the ladybird's red pixels, counted in the output. Rotated and mirrored
copies (EXIF orientations 2-8, made with Pillow's transposes and checked with
`ImageOps.exif_transpose`) must give the same picture: the point is in display coordinates.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageOps

from resizer_lambda import imaging
from resizer_lambda.focal import Focal
from resizer_lambda.presets import Preset
from tests.photos import LADYBIRD, LADYBIRD_FOCAL, LADYBIRD_SIZE
from tests.resizer import images as img
from tests.resizer.imaging_asserts import LIMITS, mean_abs_diff

TALL = Preset("tall", 100, 300, fit="cover")  # a 133 px wide window of the 640x400 photo
WIDE = Preset("wide", 400, 100, fit="cover")  # a 160 px high band
POINT = Focal(*LADYBIRD_FOCAL)


def red_pixels(im: Image.Image) -> list[tuple[int, int]]:
    """Return where the ladybird's shell is: saturated red (the rest is greens, blues, white)."""
    rgb = im.convert("RGB")
    px = rgb.load()
    assert px is not None
    return [
        (x, y)
        for y in range(rgb.height)
        for x in range(rgb.width)
        if px[x, y][0] > 150 and px[x, y][1] < 80 and px[x, y][2] < 80
    ]


def opened(data: bytes) -> Image.Image:
    out = Image.open(io.BytesIO(data))
    out.load()
    return out


@pytest.fixture(scope="module")
def photo() -> bytes:
    return LADYBIRD.read_bytes()


def test_the_photo_has_its_subject_off_centre(photo: bytes) -> None:
    im = opened(photo)
    reds = red_pixels(im)

    assert im.size == LADYBIRD_SIZE
    assert len(reds) > 100
    assert min(x for x, _ in reds) > im.width * 0.6  # right of centre, out of a centred third


def test_centred_cover_cuts_the_subject_off(photo: bytes) -> None:
    out = opened(imaging.render_one(photo, TALL, LIMITS, "png").data)

    assert out.size == (100, 300)
    assert red_pixels(out) == []


def test_cover_around_the_focal_point_keeps_the_subject(photo: bytes) -> None:
    out = opened(imaging.render_one(photo, TALL, LIMITS, "png", focal=POINT).data)

    reds = red_pixels(out)
    assert out.size == (100, 300)
    assert len(reds) > 50  # ~44x27 px shell scaled by 0.75
    xs = [x for x, _ in reds]
    assert 25 < sum(xs) / len(xs) < 75  # near the middle of the frame, as the editor asked


def test_focal_point_at_the_edge_is_clamped_inside_the_image(photo: bytes) -> None:
    right = opened(imaging.render_one(photo, TALL, LIMITS, "png", focal=Focal(1.0, 0.5)).data)
    reference = Image.open(LADYBIRD).convert("RGB")
    # The window cannot go past the right edge: it is the image's last 133.3 px, scaled.
    last_third = reference.resize(
        (100, 300), Image.Resampling.LANCZOS, box=(640 - 400 / 3, 0, 640, 400)
    )

    assert right.size == (100, 300)
    assert mean_abs_diff(right, last_third) < 3


def test_focal_point_moves_a_wide_crop_vertically(photo: bytes) -> None:
    # 640x160 of 640x400: the ladybird (y 179-205) is in the centred band too, but at the top
    # it is cut off and around the point it is kept.
    top = opened(imaging.render_one(photo, WIDE, LIMITS, "png", focal=Focal(0.5, 0.0)).data)
    kept = opened(imaging.render_one(photo, WIDE, LIMITS, "png", focal=POINT).data)

    assert red_pixels(top) == []
    assert len(red_pixels(kept)) > 20


def test_inside_and_contain_ignore_the_focal_point(photo: bytes) -> None:
    for preset in (Preset("in", 200), Preset("box", 200, 200, fit="contain")):
        plain = imaging.render_one(photo, preset, LIMITS, "png")
        pointed = imaging.render_one(photo, preset, LIMITS, "png", focal=Focal(0.0, 0.0))
        assert plain.data == pointed.data


def test_render_outputs_applies_the_point_to_every_cover_preset_and_format(photo: bytes) -> None:
    outputs = [(TALL, "png"), (TALL, "webp"), (WIDE, "png"), (Preset("in", 200), "png")]

    rendered = imaging.render_outputs(photo, outputs, LIMITS, focal=POINT)

    assert len(red_pixels(opened(rendered[("tall", "png")].data))) > 50
    assert len(red_pixels(opened(rendered[("tall", "webp")].data))) > 30
    assert len(red_pixels(opened(rendered[("wide", "png")].data))) > 20


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_focal_point_is_in_display_coordinates_for_every_orientation(
    photo: bytes, orientation: int, fmt: str
) -> None:
    display = opened(photo).convert("RGB")
    stored = img.oriented(orientation, display)
    data = img.encode(
        stored,
        fmt,
        exif=img.exif(orientation).tobytes(),
        **({"quality": 95} if fmt == "JPEG" else {}),
    )
    # The oracle: Pillow's own transpose of the file shows the upright photo.
    assert mean_abs_diff(ImageOps.exif_transpose(opened(data)), display) < 3

    upright = opened(imaging.render_one(photo, TALL, LIMITS, "png", focal=POINT).data)
    out = opened(imaging.render_one(data, TALL, LIMITS, "png", focal=POINT).data)
    centred = opened(imaging.render_one(data, TALL, LIMITS, "png").data)

    assert out.size == (100, 300)
    assert len(red_pixels(out)) > 50
    assert mean_abs_diff(out, upright) < 4
    assert red_pixels(centred) == []
