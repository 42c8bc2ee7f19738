"""Rendering and checking helpers for the imaging tests, shared by the `test_imaging_*` modules.

`render` opens every output again with Pillow and checks that its reported size and format match
the bytes; the rest compare pixels and look for metadata that must not survive.
"""

from __future__ import annotations

import io

from PIL import Image, ImageChops, ImageStat

from resizer_lambda import imaging
from resizer_lambda.presets import Limits, Preset

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
