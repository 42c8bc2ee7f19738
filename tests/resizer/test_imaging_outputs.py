"""`imaging.render_outputs`: several formats of several presets from one decode.

What warming on upload relies on: every (preset, key format) from one `Image.open`, each preset
resized once however many formats it is asked in, the cascade of sizes kept, and each format's
own finishing (JPEG flattens alpha, WebP/AVIF keep it).
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from resizer_lambda import imaging
from resizer_lambda.errors import TooLarge
from resizer_lambda.presets import DEFAULT_PRESETS, Preset
from tests.resizer import images as img
from tests.resizer.imaging_asserts import LIMITS, mean_abs_diff

WARM = (None, "webp", "avif")  # what {% picture %} asks for: the fallback, then AVIF and WebP


class Calls:
    """Count calls of one function while still calling it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
        self.count = 0
        real = getattr(owner, name)

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, counting)


def _opened(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def test_every_preset_in_every_format_from_one_open(monkeypatch: pytest.MonkeyPatch) -> None:
    data = img.encode(img.photo((1600, 1000)), "JPEG", quality=90)
    outputs = [(p, fmt) for p in DEFAULT_PRESETS for fmt in WARM]
    opens = Calls(monkeypatch, Image, "open")
    rendered = imaging.render_outputs(data, outputs, LIMITS)
    assert opens.count == 1
    assert list(rendered) == [(p.name, fmt) for p, fmt in outputs]
    for preset, fmt in outputs:
        out = rendered[(preset.name, fmt)]
        expected = fmt or "jpeg"  # "original" keeps the JPEG
        im = _opened(out.data)
        assert (out.format, im.format.lower(), out.content_type) == (
            expected,
            expected,
            f"image/{expected}",
        )
        assert im.size == (out.width, out.height) == (preset.width, round(preset.width * 0.625))


def test_each_preset_is_resized_once_whatever_the_formats(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = img.encode(img.photo((1600, 1000)), "PNG")
    counts = []
    for formats in ((None,), WARM):
        resizes = Calls(monkeypatch, Image.Image, "resize")
        imaging.render_outputs(data, [(p, f) for p in DEFAULT_PRESETS for f in formats], LIMITS)
        counts.append(resizes.count)
        monkeypatch.undo()
    assert counts[0] == counts[1] == len(DEFAULT_PRESETS)


def test_formats_share_the_pixels_of_render_many() -> None:
    data = img.encode(img.photo((1200, 800)), "PNG")
    rendered = imaging.render_outputs(data, [(p, f) for p in DEFAULT_PRESETS for f in WARM], LIMITS)
    for fmt in ("png", "webp"):
        alone = imaging.render_many(data, DEFAULT_PRESETS, LIMITS, None if fmt == "png" else fmt)
        for preset in DEFAULT_PRESETS:
            key = None if fmt == "png" else fmt
            assert rendered[(preset.name, key)].data == alone[preset.name].data


def test_a_key_asking_for_the_presets_own_format_shares_its_encoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    preset = Preset("thumb", 100, format="webp")
    encodes = Calls(monkeypatch, imaging, "encode")
    rendered = imaging.render_outputs(
        img.encode(img.photo((400, 300)), "JPEG"), [(preset, None), (preset, "webp")], LIMITS
    )
    assert encodes.count == 1
    assert rendered[("thumb", None)] is rendered[("thumb", "webp")]
    assert rendered[("thumb", None)].format == "webp"


def test_jpeg_flattens_alpha_while_webp_and_avif_keep_it() -> None:
    picture = img.photo((200, 100)).convert("RGBA")
    picture.putalpha(Image.linear_gradient("L").resize((200, 100)))  # clear at the top
    data = img.encode(picture, "PNG")
    preset = Preset("p", 100)
    rendered = imaging.render_outputs(data, [(preset, f) for f in ("jpeg", "webp", "avif")], LIMITS)
    assert _opened(rendered[("p", "jpeg")].data).mode == "RGB"
    for fmt in ("webp", "avif"):
        assert _opened(rendered[("p", fmt)].data).mode == "RGBA", fmt
    flat = _opened(rendered[("p", "jpeg")].data)
    kept = _opened(rendered[("p", "webp")].data)
    background = Image.new("RGBA", kept.size, (255, 255, 255, 255))
    assert mean_abs_diff(flat, Image.alpha_composite(background, kept.convert("RGBA"))) < 6


def test_an_output_too_large_for_one_format_refuses_the_whole_render() -> None:
    tall = img.encode(Image.new("L", (100, 17000), 128), "PNG")
    preset = Preset("p", 100)
    assert imaging.render_outputs(tall, [(preset, "jpeg")], LIMITS)[("p", "jpeg")].height == 17000
    with pytest.raises(TooLarge, match="too large for WEBP"):
        imaging.render_outputs(tall, [(preset, "jpeg"), (preset, "webp")], LIMITS)


def test_nothing_asked_renders_nothing() -> None:
    assert imaging.render_outputs(b"not even an image", [], LIMITS) == {}
