"""Tests for resizer_lambda.imaging: EXIF orientation, and probing sizes from the header alone.

Originals come from `tests/resizer/images.py`; outputs are opened again with Pillow and checked
by pixels (see `tests/resizer/imaging_asserts.py`).
"""

from __future__ import annotations

import time

import pytest
from PIL import Image

from resizer_lambda import imaging
from resizer_lambda.errors import CorruptImage
from resizer_lambda.presets import Preset
from tests.resizer import images as img
from tests.resizer.imaging_asserts import JPEG_TOL, LIMITS, assert_no_metadata, render

# --- EXIF orientation --------------------------------------------------------------------------


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize(
    ("fmt", "display_size", "width"),
    [
        ("JPEG", (80, 40), 40),  # small: no DCT scaling
        ("JPEG", (1001, 501), 100),  # draft path, odd size: boxes mapped through the DCT scale
        ("PNG", (80, 40), 40),
        ("WEBP", (80, 40), 40),
        ("WEBP", (1001, 501), 100),  # scaled decode, odd size: boxes mapped through the scale
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
    if display_size[0] > 1000:
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
