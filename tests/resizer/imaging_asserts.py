"""Rendering and checking helpers for the imaging tests, shared by the `test_imaging_*` modules.

`render` opens every output again with Pillow and checks that its reported size and format match
the bytes; the rest compare pixels and look for metadata that must not survive.
"""

from __future__ import annotations

import io

from PIL import Image, ImageChops, ImageMath, ImageStat

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


def ssim(a: Image.Image, b: Image.Image, window: int = 8) -> float:
    """Return the mean SSIM of two same-size images' luma over `window`-pixel square blocks.

    Wang et al. (2004) on non-overlapping blocks (their 8x8 variant) with K1 0.01, K2 0.03,
    computed with Pillow alone (box averages by `reduce`), so the tests need no numpy. An oracle
    independent of the resizer: bench/quality.py's Gaussian SSIM measured the quality map.
    """
    assert a.size == b.size, (a.size, b.size)
    x, y = a.convert("L").convert("F"), b.convert("L").convert("F")
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def mean(expr: Image.Image) -> Image.Image:
        return expr.reduce(window)

    mx, my = mean(x), mean(y)
    xx = mean(ImageMath.lambda_eval(lambda v: v["x"] * v["x"], x=x))
    yy = mean(ImageMath.lambda_eval(lambda v: v["y"] * v["y"], y=y))
    xy = mean(ImageMath.lambda_eval(lambda v: v["x"] * v["y"], x=x, y=y))
    index = ImageMath.lambda_eval(
        lambda v: (
            ((2 * v["mx"] * v["my"] + c1) * (2 * (v["xy"] - v["mx"] * v["my"]) + c2))
            / (
                (v["mx"] * v["mx"] + v["my"] * v["my"] + c1)
                * (v["xx"] - v["mx"] * v["mx"] + v["yy"] - v["my"] * v["my"] + c2)
            )
        ),
        mx=mx,
        my=my,
        xx=xx,
        yy=yy,
        xy=xy,
    )
    mean_of_all = index.reduce(index.size)  # one box average (ImageStat bins "F" images)
    return float(mean_of_all.getpixel((0, 0)))  # type: ignore[arg-type]
