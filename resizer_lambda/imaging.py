"""Pure image operations: bytes in, bytes out. No I/O, no AWS, no Django.

The pipeline for one original and one or more presets:

1. sniff the format from the bytes (allow-list), open the header only and refuse bombs by their
   header dimensions before any pixel is decoded;
2. plan every output in display orientation (EXIF orientation applied), then map each plan back
   to stored orientation so resizing happens before the (cheap) transpose of the small result;
3. decode once: for JPEG, `draft` lets libjpeg scale in the DCT domain to the smallest power-of-two
   size that is still >= REDUCING_GAP x the largest output; other formats decode in full;
4. per preset: resize (LANCZOS with Pillow's `reducing_gap`), crop or pad for the fit, transpose,
   convert to sRGB, flatten alpha for JPEG, encode with no metadata.

Animated GIF/WebP/AVIF inputs give their first frame. GIF sources become PNG when the preset keeps
the original format (GIF is a poor output format for resized photos).
"""

from __future__ import annotations

import io
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageFile

from resizer_lambda.errors import CorruptImage, TooLarge, UnsupportedFormat
from resizer_lambda.presets import Limits, Preset

# How much larger than the output the intermediate must stay before the final LANCZOS pass.
# Measured in bench/ (see bench/README.md): 2.0 keeps SSIM >= full-decode LANCZOS within 0.002.
REDUCING_GAP = 2.0
PNG_COMPRESS_LEVEL = 6
WEBP_METHOD = 4
AVIF_SPEED = 8

CONTENT_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "avif": "image/avif",
}
_PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF", "avif": "AVIF"}
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_ORIENTATION_TAG = 0x0112


@dataclass(frozen=True)
class Rendered:
    """One encoded output image."""

    data: bytes
    width: int
    height: int
    format: str

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


@dataclass(frozen=True)
class SourceInfo:
    """What the header of an original says, in display orientation."""

    format: str
    width: int
    height: int
    orientation: int


@dataclass(frozen=True)
class _Plan:
    """How to make one output: a source-space crop box, a resize size, and a final canvas."""

    box: tuple[float, float, float, float]  # in display orientation, source pixels
    size: tuple[int, int]  # resized size in display orientation
    canvas: tuple[int, int] | None  # pad to this (contain), else None


Timings = dict[str, float]


@contextmanager
def _timed(timings: Timings | None, name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + (time.perf_counter() - start) * 1000


def sniff_format(data: bytes) -> str:
    """Return the allow-listed format of `data` from its magic bytes, or raise."""
    head = data[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis"):
        return "avif"
    if head[4:8] == b"ftyp" and b"avif" in data[16 : 8 + int.from_bytes(head[:4], "big")]:
        return "avif"
    if not data:
        raise CorruptImage("the original is empty")
    raise UnsupportedFormat("the original is not a JPEG, PNG, WebP, GIF or AVIF image")


def _open(data: bytes, limits: Limits) -> tuple[ImageFile.ImageFile, str]:
    """Open the header of `data` and check it against the limits; decode nothing yet."""
    if len(data) > limits.max_bytes:
        raise TooLarge(f"the original is {len(data)} bytes; the limit is {limits.max_bytes}")
    fmt = sniff_format(data)
    _load_plugin(fmt)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[fmt]])
    except Image.DecompressionBombError as err:
        raise TooLarge(f"the original's dimensions exceed the pixel limit: {err}") from err
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise CorruptImage(f"the original is not a readable {fmt.upper()} image") from err
    width, height = im.size
    if width * height > limits.max_pixels:
        raise TooLarge(
            f"the original is {width}x{height} = {width * height} pixels; "
            f"the limit is {limits.max_pixels}"
        )
    if width < 1 or height < 1:
        raise CorruptImage("the original has no pixels")
    return im, fmt


def _load_plugin(fmt: str) -> None:
    # Import only the plugin needed: Image.init() would import every plugin (cold start).
    if fmt == "jpeg":
        from PIL import JpegImagePlugin  # noqa: F401
    elif fmt == "png":
        from PIL import PngImagePlugin  # noqa: F401
    elif fmt == "gif":
        from PIL import GifImagePlugin  # noqa: F401
    elif fmt == "webp":
        from PIL import WebPImagePlugin  # noqa: F401
    elif fmt == "avif":
        from PIL import AvifImagePlugin  # noqa: F401


def _orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:  # a broken EXIF block must not make the image unusable
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def probe(data: bytes, limits: Limits) -> SourceInfo:
    """Return format and display-oriented dimensions of `data` without decoding pixels."""
    im, fmt = _open(data, limits)
    orientation = _orientation(im)
    width, height = im.size
    if orientation >= 5:
        width, height = height, width
    return SourceInfo(format=fmt, width=width, height=height, orientation=orientation)


def _plan(preset: Preset, width: int, height: int) -> _Plan:
    """Compute crop box, resize size and canvas for `preset` on a display-oriented source."""
    full = (0.0, 0.0, float(width), float(height))
    if preset.fit == "cover":
        assert preset.height is not None
        tw, th = preset.width, preset.height
        if not preset.upscale and (tw > width or th > height):
            shrink = min(width / tw, height / th)
            tw, th = max(1, round(tw * shrink)), max(1, round(th * shrink))
        # The largest centred region of the source with the target's aspect ratio.
        if width * th > height * tw:
            crop_w = height * tw / th
            left = (width - crop_w) / 2
            box = (left, 0.0, left + crop_w, float(height))
        else:
            crop_h = width * th / tw
            top = (height - crop_h) / 2
            box = (0.0, top, float(width), top + crop_h)
        return _Plan(box=box, size=(tw, th), canvas=None)
    scale = preset.width / width
    if preset.height is not None:
        scale = min(scale, preset.height / height)
    if not preset.upscale:
        scale = min(scale, 1.0)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    canvas: tuple[int, int] | None = None
    if preset.fit == "contain" and preset.height is not None:
        canvas = (preset.width, preset.height)
        size = (min(size[0], preset.width), min(size[1], preset.height))
    return _Plan(box=full, size=size, canvas=canvas)


def _to_stored(
    plan: _Plan, orientation: int, width: int, height: int
) -> tuple[tuple[float, float, float, float], tuple[int, int]]:
    """Map a display-space box and size to stored (pre-transpose) orientation."""
    x0, y0, x1, y1 = plan.box
    w, h = float(width), float(height)  # display dimensions
    # Display coordinates -> stored coordinates for each EXIF orientation.
    if orientation == 2:
        box = (w - x1, y0, w - x0, y1)
    elif orientation == 3:
        box = (w - x1, h - y1, w - x0, h - y0)
    elif orientation == 4:
        box = (x0, h - y1, x1, h - y0)
    elif orientation == 5:
        box = (y0, x0, y1, x1)
    elif orientation == 6:
        box = (y0, w - x1, y1, w - x0)
    elif orientation == 7:
        box = (h - y1, w - x1, h - y0, w - x0)
    elif orientation == 8:
        box = (h - y1, x0, h - y0, x1)
    else:
        box = plan.box
    size = (plan.size[1], plan.size[0]) if orientation >= 5 else plan.size
    return box, size


def _normalise_mode(im: Image.Image) -> Image.Image:
    """Return `im` in a mode that resizes and encodes correctly (L, LA, RGB or RGBA)."""
    mode = im.mode
    if mode in ("L", "RGB", "RGBA", "LA"):
        return im
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # convert("L") would clamp 16-bit values at 255; scale the range instead.
        return im.point(lambda v: v * (1 / 257)).convert("L")
    if mode == "F":
        return im.point(lambda v: v * 255).convert("L")
    if mode == "1":
        return im.convert("L")
    if mode == "P":
        has_alpha = "transparency" in im.info or (
            im.palette is not None and im.palette.mode == "RGBA"
        )
        return im.convert("RGBA" if has_alpha else "RGB")
    if mode == "PA":
        return im.convert("RGBA")
    if mode == "La":
        return im.convert("LA")
    if mode == "RGBa":
        return im.convert("RGBA")
    return im.convert("RGB")  # CMYK, YCbCr, LAB, HSV, RGBX


class _ColourManager:
    """Convert ICC-tagged images to sRGB; built once per source, applied per output.

    RGB sources are converted after resizing (the same result on far fewer pixels); CMYK
    sources are converted before, since nothing downstream handles CMYK.
    """

    def __init__(self, icc: bytes | None) -> None:
        self._profile: Any = None
        self._space = ""
        self._transforms: dict[str, Any] = {}
        if not icc:
            return
        from PIL import ImageCms  # imported lazily: untagged images never pay for it

        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            description = (ImageCms.getProfileDescription(profile) or "").strip().lower()
            space = profile.profile.xcolor_space.strip()
        except (OSError, ImageCms.PyCMSError, AttributeError):
            return  # an unreadable profile: treat the pixels as sRGB, as browsers do
        if space == "RGB" and description.startswith("srgb"):
            return  # already sRGB: skip a near-identity transform
        self._profile = profile
        self._space = space

    def _apply(self, im: Image.Image, in_mode: str) -> Image.Image:
        from PIL import ImageCms

        transform = self._transforms.get(in_mode)
        if transform is None:
            transform = ImageCms.buildTransform(
                self._profile,
                ImageCms.createProfile("sRGB"),
                in_mode,
                "RGB",
                renderingIntent=ImageCms.Intent.PERCEPTUAL,
            )
            self._transforms[in_mode] = transform
        out = ImageCms.applyTransform(im, transform)
        assert out is not None
        return out

    def cmyk_to_srgb(self, im: Image.Image) -> Image.Image:
        """Return a CMYK image as sRGB, through its profile when it has a CMYK one."""
        if self._profile is not None and self._space == "CMYK":
            try:
                return self._apply(im, "CMYK")
            except Exception:
                pass  # a profile LittleCMS cannot use: fall back to the naive conversion
        return im.convert("RGB")

    def to_srgb(self, im: Image.Image) -> Image.Image:
        """Return an RGB/RGBA output converted from the source profile to sRGB."""
        if self._profile is None or self._space != "RGB" or im.mode not in ("RGB", "RGBA"):
            return im
        if im.mode == "RGBA":
            alpha = im.getchannel("A")
            out = self._apply(im.convert("RGB"), "RGB")
            out.putalpha(alpha)
            return out
        return self._apply(im, "RGB")


def _parse_colour(value: str) -> tuple[int, int, int, int]:
    value = value.lstrip("#")
    r, g, b = int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
    a = int(value[6:8], 16) if len(value) == 8 else 255
    return r, g, b, a


def _output_format(source_format: str, preset: Preset, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    if preset.format != "original":
        return preset.format
    return "png" if source_format == "gif" else source_format


def _finish(im: Image.Image, preset: Preset, out_format: str, plan: _Plan) -> Image.Image:
    """Pad for `contain`, flatten alpha where the output cannot carry it."""
    if plan.canvas is not None:
        bg = _parse_colour(preset.background)
        canvas_mode = "RGBA" if (bg[3] < 255 or im.mode in ("RGBA", "LA")) else "RGB"
        canvas = Image.new(canvas_mode, plan.canvas, bg if canvas_mode == "RGBA" else bg[:3])
        offset = ((plan.canvas[0] - im.width) // 2, (plan.canvas[1] - im.height) // 2)
        if im.mode in ("RGBA", "LA"):
            layer = Image.new("RGBA", plan.canvas, (0, 0, 0, 0))
            layer.paste(im.convert("RGBA"), offset)
            canvas = Image.alpha_composite(canvas.convert("RGBA"), layer)
        else:
            canvas.paste(im.convert(canvas_mode), offset)
        im = canvas
    if out_format == "jpeg" and im.mode in ("RGBA", "LA"):
        background = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, im.convert("RGBA")).convert("RGB")
    return im


def encode(im: Image.Image, out_format: str, quality: int) -> bytes:
    """Encode `im` with no metadata (no EXIF, GPS, ICC or text chunks)."""
    im.info = {}  # resize/convert copy `info`; some encoders default to writing it
    buf = io.BytesIO()
    if out_format == "jpeg":
        im.save(buf, "JPEG", quality=quality, optimize=True)
    elif out_format == "png":
        im.save(buf, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    elif out_format == "webp":
        _load_plugin("webp")
        im.save(buf, "WEBP", quality=quality, method=WEBP_METHOD)
    elif out_format == "avif":
        _load_plugin("avif")
        im.save(buf, "AVIF", quality=quality, speed=AVIF_SPEED)
    else:  # pragma: no cover - formats are validated by the contract and the key grammar
        raise UnsupportedFormat(f"cannot encode {out_format!r}")
    return buf.getvalue()


def render_many(
    data: bytes,
    presets: Sequence[Preset],
    limits: Limits,
    fmt: str | None = None,
    timings: Timings | None = None,
) -> dict[str, Rendered]:
    """Render every preset from one decode of `data`; `fmt` overrides the output format."""
    if not presets:
        return {}
    im, source_format = _open(data, limits)
    orientation = _orientation(im)
    width, height = im.size
    if orientation >= 5:
        width, height = height, width
    plans = [_plan(p, width, height) for p in presets]

    # Decode once, at the smallest DCT scale that keeps every output REDUCING_GAP x away.
    with _timed(timings, "decode"):
        if source_format == "jpeg":
            scale = max(
                min(1.0, max(p.size[0] / (p.box[2] - p.box[0]), p.size[1] / (p.box[3] - p.box[1])))
                for p in plans
            )
            stored_w, stored_h = im.size
            want = (
                min(stored_w, int(stored_w * scale * REDUCING_GAP) + 1),
                min(stored_h, int(stored_h * scale * REDUCING_GAP) + 1),
            )
            im.draft(im.mode if im.mode in ("RGB", "L", "CMYK") else None, want)
        icc = im.info.get("icc_profile")
        try:
            im.load()
        except Image.DecompressionBombError as err:
            raise TooLarge(f"the original's dimensions exceed the pixel limit: {err}") from err
        except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as err:
            raise CorruptImage(
                f"the original {source_format.upper()} image is truncated or corrupt"
            ) from err
        colour = _ColourManager(icc if isinstance(icc, bytes) else None)
        base = colour.cmyk_to_srgb(im) if im.mode == "CMYK" else _normalise_mode(im)
    # draft() may have decoded a smaller image than the header says: scale the boxes.
    header_w, header_h = (width, height) if orientation < 5 else (height, width)
    decoded_w, decoded_h = base.size
    sx, sy = decoded_w / header_w, decoded_h / header_h

    results: dict[str, Rendered] = {}
    for preset, plan in zip(presets, plans, strict=True):
        out_format = _output_format(source_format, preset, fmt)
        box, size = _to_stored(plan, orientation, width, height)
        box = (box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy)
        with _timed(timings, "resize"):
            if size == base.size and box == (0.0, 0.0, float(decoded_w), float(decoded_h)):
                out = base.copy()
            else:
                out = base.resize(
                    size, Image.Resampling.LANCZOS, box=box, reducing_gap=REDUCING_GAP
                )
            if orientation in _TRANSPOSE:
                out = out.transpose(_TRANSPOSE[orientation])
            out = colour.to_srgb(out)
            out = _finish(out, preset, out_format, plan)
        with _timed(timings, "encode"):
            encoded = encode(out, out_format, preset.quality)
        results[preset.name] = Rendered(
            data=encoded, width=out.width, height=out.height, format=out_format
        )
    return results


def render_one(
    data: bytes,
    preset: Preset,
    limits: Limits,
    fmt: str | None = None,
    timings: Timings | None = None,
) -> Rendered:
    """Render one preset of `data` (one variant per request, as the Lambda does)."""
    return render_many(data, [preset], limits, fmt, timings)[preset.name]


def output_size(preset: Preset, width: int, height: int) -> tuple[int, int]:
    """Return the size `preset` gives a display-oriented `width` x `height` source (no I/O).

    Django uses it for width/height attributes and API answers without touching S3.
    """
    plan = _plan(preset, width, height)
    return plan.canvas or plan.size
