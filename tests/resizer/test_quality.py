"""Encoder quality per output format: the JPEG-scale map and what it buys.

`resizer_lambda.quality.quality_for` is checked as a function (bounds, monotonic, identity for
JPEG and PNG) and by its purpose: on a natural-statistics picture, WebP and AVIF at the mapped
quality score the SSIM of JPEG at the preset's quality, in fewer bytes.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from resizer_lambda import imaging
from resizer_lambda.presets import Limits, Preset
from resizer_lambda.quality import ANCHORS, quality_for
from tests.resizer.images import encode, natural
from tests.resizer.imaging_asserts import ssim

ALL = range(1, 101)


@pytest.mark.parametrize("fmt", ["webp", "avif"])
def test_the_map_rises_with_the_jpeg_quality_and_stays_in_range(fmt: str) -> None:
    mapped = [quality_for(fmt, q) for q in ALL]
    assert all(1 <= m <= 100 for m in mapped)
    assert mapped == sorted(mapped)
    assert (mapped[0], mapped[-1]) == (1, 100)
    for jpeg_quality, encoder_quality in ANCHORS[fmt]:
        assert quality_for(fmt, jpeg_quality) == encoder_quality  # the measured points


def test_avif_needs_lower_numbers_and_webp_higher_at_the_usual_qualities() -> None:
    for q in range(60, 96):
        assert quality_for("avif", q) < q < quality_for("webp", q)


@pytest.mark.parametrize("fmt", ["jpeg", "png"])
def test_jpeg_keeps_its_number(fmt: str) -> None:
    assert [quality_for(fmt, q) for q in ALL] == list(ALL)


@pytest.mark.parametrize("value", [0, -5, 101, 400])
def test_out_of_range_input_is_clamped(value: int) -> None:
    assert quality_for("avif", value) == quality_for("avif", min(100, max(1, value)))


def test_the_encoders_get_the_mapped_quality(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, int]] = []
    real = imaging.encode

    def spy(im: Image.Image, out_format: str, quality: int) -> bytes:
        seen.append((out_format, quality))
        return real(im, out_format, quality)

    monkeypatch.setattr(imaging, "encode", spy)
    preset = Preset("p", 40, quality=82)
    outputs = [(preset, "jpeg"), (preset, "webp"), (preset, "avif")]
    imaging.render_outputs(encode(natural((80, 60)), "PNG"), outputs, Limits())
    assert seen == [
        ("jpeg", 82),
        ("webp", quality_for("webp", 82)),
        ("avif", quality_for("avif", 82)),
    ]


@pytest.mark.parametrize("jpeg_quality", [60, 75, 82, 90])
def test_mapped_quality_matches_the_jpegs_ssim_in_fewer_bytes(jpeg_quality: int) -> None:
    """Within 0.015: the map is a median over real photos, one picture sits off it a little.

    (At 95 WebP needs more bytes than JPEG for the same SSIM, on this picture as on photos.)
    """
    source = natural((480, 320))
    preset = Preset("p", source.width, quality=jpeg_quality)  # no resize: only the encoders
    outputs = [(preset, "jpeg"), (preset, "webp"), (preset, "avif")]
    rendered = imaging.render_outputs(encode(source, "PNG"), outputs, Limits())
    scores = {
        fmt: ssim(source, Image.open(io.BytesIO(rendered[("p", fmt)].data)))
        for fmt in ("jpeg", "webp", "avif")
    }
    jpeg = rendered[("p", "jpeg")]
    for fmt in ("webp", "avif"):
        assert scores[fmt] == pytest.approx(scores["jpeg"], abs=0.015), scores
        assert len(rendered[("p", fmt)].data) < len(jpeg.data), fmt
