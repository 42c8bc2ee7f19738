"""PNG decoding through libvips: the same pixels as Pillow's decoder, or Pillow decides.

The oracle is Pillow's own PNG decoder on the same bytes; the pipeline checks render real PNG
files end to end and compare with a render that was forced through Pillow's decoder.
"""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from PIL import Image

from resizer_lambda import deadline, imaging, vips_png
from resizer_lambda.errors import CorruptImage, DecodeTooSlow
from resizer_lambda.presets import DEFAULT_PRESETS, Limits
from tests.resizer import images as img
from tests.resizer.imaging_asserts import LIMITS

pytestmark = pytest.mark.skipif(
    not vips_png.available(), reason="pyvips-binary (libvips) is a requirement of the resizer"
)


def _pillow(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def _opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data), formats=["PNG"])


def _picture(mode: str, size: tuple[int, int] = (301, 203), opaque: bool = False) -> Image.Image:
    """A photo-like picture in `mode`, its alpha a gradient unless `opaque`."""
    base = img.natural(size)
    if mode in ("L", "LA"):
        base = base.convert("L")
    if mode in ("RGBA", "LA"):
        alpha = Image.new("L", size, 255) if opaque else Image.linear_gradient("L").resize(size)
        base.putalpha(alpha)
    return base


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA"])
@pytest.mark.parametrize("params", [{}, {"optimize": True}, {"interlace": 1}])
def test_decoded_pixels_are_pillows_to_the_byte(mode: str, params: dict[str, object]) -> None:
    data = img.encode(_picture(mode), "PNG", **params)

    ours = vips_png.decode(data, _opened(data))

    assert ours is not None
    expected = _pillow(data)
    assert (ours.mode, ours.size) == (expected.mode, expected.size)
    assert ours.tobytes() == expected.tobytes()


def test_opaque_rgba_comes_back_as_rgbx_over_the_same_pixels() -> None:
    data = img.encode(_picture("RGBA", opaque=True), "PNG")

    ours = vips_png.decode(data, _opened(data))

    assert ours is not None
    assert ours.mode == "RGBX"
    assert ours.convert("RGB").tobytes() == _pillow(data).convert("RGB").tobytes()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(img.encode(_picture("RGB").quantize(64), "PNG"), id="palette"),
        pytest.param(img.png_16bit_grey((40, 30), 40000), id="16-bit grey"),
        pytest.param(img.png_16bit_rgb((40, 30), (60000, 30000, 100)), id="16-bit RGB"),
        pytest.param(
            img.encode(_picture("RGB"), "PNG", transparency=(0, 0, 0)), id="tRNS colour key"
        ),
        pytest.param(img.encode(Image.new("1", (40, 30), 1), "PNG"), id="1-bit"),
    ],
)
def test_layouts_pillow_treats_specially_are_left_to_pillow(data: bytes) -> None:
    assert not vips_png.handles(_opened(data))
    assert vips_png.decode(data, _opened(data)) is None


def test_a_truncated_png_is_left_to_pillow_which_refuses_it() -> None:
    data = img.encode(img.noise((400, 300)), "PNG")  # noise: the IDAT fills most of the file
    cut = data[: len(data) // 2]

    assert vips_png.decode(cut, _opened(cut)) is None
    with pytest.raises(CorruptImage, match="truncated or corrupt"):
        imaging.render_many(cut, DEFAULT_PRESETS[:1], LIMITS)


def test_a_bad_idat_checksum_decodes_as_pillow_decodes_it() -> None:
    """Pillow does not check IDAT's CRC, and neither does libvips: the same pixels either way."""
    data = bytearray(img.encode(_picture("RGB", (120, 80)), "PNG"))
    idat = data.index(b"IDAT")
    length = int.from_bytes(data[idat - 4 : idat], "big")
    data[idat + 4 + length] ^= 0xFF  # first byte of IDAT's CRC
    bad = bytes(data)

    ours = vips_png.decode(bad, _opened(bad))
    assert ours is not None
    assert ours.tobytes() == _pillow(bad).tobytes()
    rendered = imaging.render_many(bad, DEFAULT_PRESETS[:1], LIMITS)
    assert rendered[DEFAULT_PRESETS[0].name].width == 120


def test_decoded_buffer_is_freed_with_the_image() -> None:
    """The image maps libvips' buffer; it must outlive the decode call, and no longer."""
    data = img.encode(_picture("RGBA"), "PNG")
    ours = vips_png.decode(data, _opened(data))
    assert ours is not None
    expected = _pillow(data).tobytes()
    for _ in range(3):  # other decodes in between must not reuse the mapped memory
        vips_png.decode(data, _opened(data))
    assert ours.tobytes() == expected


def test_pipeline_renders_the_same_as_through_pillows_decoder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sources = {
        "rgba": img.encode(_picture("RGBA", (1300, 900)), "PNG"),
        "opaque rgba": img.encode(_picture("RGBA", (1300, 900), opaque=True), "PNG"),
        "grey": img.encode(_picture("L", (1300, 900)), "PNG"),
    }
    ours = {k: imaging.render_many(v, DEFAULT_PRESETS, LIMITS) for k, v in sources.items()}
    monkeypatch.setattr(vips_png, "decode", lambda data, im: None)
    pillows = {k: imaging.render_many(v, DEFAULT_PRESETS, LIMITS) for k, v in sources.items()}

    for name, rendered in ours.items():
        for preset, out in rendered.items():
            expected = pillows[name][preset]
            assert (out.width, out.height) == (expected.width, expected.height)
            got, want = Image.open(io.BytesIO(out.data)), Image.open(io.BytesIO(expected.data))
            assert got.mode == want.mode, (name, preset)
            assert got.tobytes() == want.tobytes(), (name, preset)


def test_the_decode_clock_applies_after_libvips(monkeypatch: pytest.MonkeyPatch) -> None:
    """libvips cannot be stopped midway: a decode that took too long is refused after it."""
    data = img.encode(_picture("RGB", (600, 400)), "PNG")
    ticks = iter([0.0, 5.0])  # started at 0, checked at 5 s
    real_start = deadline.DecodeClock.start

    def start(self: deadline.DecodeClock, limit: float, clock: object = None) -> None:
        real_start(self, limit, lambda: next(ticks, 5.0))

    monkeypatch.setattr(deadline.DecodeClock, "start", start)
    with pytest.raises(DecodeTooSlow):
        imaging.render_many(data, DEFAULT_PRESETS[:1], Limits(max_decode_seconds=1.0))


def test_handler_import_does_not_load_libvips() -> None:
    """libvips takes 7-43 ms to load: only a process that decodes a PNG pays it."""
    code = (
        "import sys, resizer_lambda.handler, resizer_lambda.imaging;"
        "print('resizer_lambda.vips_png' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_decoding_module_routes_8bit_pngs_to_libvips(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = vips_png.decode

    def spy(data: bytes, im: Image.Image) -> Image.Image | None:
        out = real(data, im)  # type: ignore[arg-type]
        calls.append(out.mode if out is not None else "pillow")
        return out

    monkeypatch.setattr(vips_png, "decode", spy)
    imaging.render_many(img.encode(_picture("RGBA"), "PNG"), DEFAULT_PRESETS[:1], LIMITS)
    imaging.render_many(img.png_16bit_grey((40, 30), 40000), DEFAULT_PRESETS[:1], LIMITS)
    assert calls == ["RGBA", "pillow"]
