"""Decoding an original: sniff, open the header against the limits, decode once, normalise.

Split out of `resizer_lambda.imaging` (the pipeline) to keep each module to one topic. What is
decoded is as small as the outputs allow:

- JPEG: `Image.draft` lets libjpeg scale in the DCT domain to the smallest power-of-two
  reduction that is still >= DRAFT_GAP x the largest output;
- WebP: libwebp scales while decoding (`resizer_lambda.webp`), straight to WEBP_GAP x the
  largest output, instead of Pillow's full-size decode;
- PNG decodes in full, 8-bit truecolour and grey through libvips (`resizer_lambda.vips_png`:
  libspng over zlib-ng, 1.3-1.7x faster than Pillow's decoder for the same pixels), the rest
  with Pillow; GIF and AVIF decode in full with Pillow.

Then the pixels are brought to L, LA, RGB or RGBA, and an alpha channel that is opaque everywhere
is dropped (lossless, and it halves the resampling work). Decoding runs on the clock of
`limits.max_decode_seconds` (`resizer_lambda.deadline`).
"""

from __future__ import annotations

import importlib
import math
import warnings
from collections.abc import Sequence

from PIL import Image, ImageFile

from resizer_lambda import jpeg
from resizer_lambda.colour import ColourManager
from resizer_lambda.deadline import DecodeClock
from resizer_lambda.errors import CorruptImage, TooLarge, UnsupportedFormat
from resizer_lambda.presets import Limits

# How much larger than the largest output JPEG's DCT-domain scaling may go. bench/ measured 1.25
# against 2.0: half the time for 1200 px outputs of 12-20 MP photos with SSIM against a
# full-decode LANCZOS reference still at or above sharp's at every width; 1.0 falls below it.
DRAFT_GAP = 1.25
# How much larger than the largest output libwebp's scaled decoding goes. The VP8 decode itself
# costs about the same at any output size; what the gap decides is the LANCZOS pass after it.
# bench/ on the six WebPs: 1.5 takes ~20% less time than 2.0 with SSIM 0.982 (one width per
# request) and 0.985 (all presets) against sharp's 0.974 and 0.984, no output more than 0.0004
# below sharp's; at 1.25 the 17 MP render's outputs fall to 0.974.
WEBP_GAP = 1.5

_PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "gif": "GIF", "avif": "AVIF"}
_PLUGINS = {"jpeg": "Jpeg", "png": "Png", "webp": "WebP", "gif": "Gif", "avif": "Avif"}
_ORIENTATION_TAG = 0x0112

Box = tuple[float, float, float, float]
# Each output as (source box, output size) in stored orientation: what decode() may shrink to.
Wanted = Sequence[tuple[Box, tuple[int, int]]]


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


def open_image(data: bytes, limits: Limits) -> tuple[ImageFile.ImageFile, str, DecodeClock]:
    """Open the header of `data` and check it against the limits; decode nothing yet.

    Return the image, its format and the reader Pillow decodes from (started by `_decode`).
    """
    if len(data) > limits.max_bytes:
        raise TooLarge(f"the original is {len(data)} bytes; the limit is {limits.max_bytes}")
    fmt = sniff_format(data)
    reader = DecodeClock(data, jpeg.scan_offsets(data) if fmt == "jpeg" else ())
    load_plugin(fmt)
    try:
        with warnings.catch_warnings():
            # Bomb warnings (our own limit applies below) and "Corrupt EXIF data" log noise.
            warnings.simplefilter("ignore")
            # A JPEG with an MP header opens as Pillow's MPO (a JPEG subclass): frame 0 is used.
            im = Image.open(reader, formats=[_PIL_FORMATS[fmt]])
    except Image.DecompressionBombError as err:  # Pillow's own cap, 2 x MAX_IMAGE_PIXELS
        raise TooLarge(
            f"the original's dimensions exceed the pixel limit ({limits.max_pixels}): {err}"
        ) from err
    except (OSError, SyntaxError, ValueError, EOFError, RuntimeError) as err:  # AVIF: RuntimeError
        raise CorruptImage(f"the original is not a readable {fmt.upper()} image") from err
    width, height = im.size
    if width * height > limits.max_pixels:
        raise TooLarge(
            f"the original is {width}x{height} = {width * height} pixels; "
            f"the limit is {limits.max_pixels}"
        )
    if width < 1 or height < 1:
        raise CorruptImage("the original has no pixels")
    return im, fmt, reader


def load_plugin(fmt: str) -> None:
    """Import only the plugin needed: Image.init() would import every plugin (cold start)."""
    plugin = importlib.import_module(f"PIL.{_PLUGINS[fmt]}ImagePlugin")
    if not getattr(plugin, "SUPPORTED", True):  # WebP and AVIF are optional in Pillow builds
        raise UnsupportedFormat(f"this resizer's Pillow was built without {fmt.upper()} support")


def orientation(im: Image.Image) -> int:
    # PNG's getexif() decodes the whole image to look for an eXIf chunk after the pixel data;
    # only one before it counts here, so that probing and planning never decode.
    if im.format == "PNG" and "exif" not in im.info:
        return 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Corrupt EXIF data" would only be log noise
            value = im.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:  # a broken EXIF block must not make the image unusable
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _normalise_mode(im: Image.Image) -> Image.Image:
    """Return `im` in a mode that resizes and encodes correctly (L, LA, RGB or RGBA)."""
    mode = im.mode
    # A tRNS colour key (PNG L/RGB/I;16, GIF palettes) becomes a real alpha channel.
    keyed = "transparency" in im.info
    if mode in ("L", "RGB") and keyed:
        return im.convert("LA" if mode == "L" else "RGBA")
    if mode in ("L", "RGB", "RGBA", "LA"):
        return im
    if mode == "1":
        return im.convert("L")
    if mode.startswith("I"):  # 16-bit greyscale PNG (I;16) or 32-bit I
        # convert("L") would clamp 16-bit values at 255; scale the range instead, rounding.
        grey = im.point(lambda v: v * (1 / 257) + 0.5).convert("L")
        if keyed:
            grey.putalpha(im.convert("LA").getchannel("A"))
        return grey
    if mode == "P":
        palette_alpha = im.palette is not None and im.palette.mode == "RGBA"
        return im.convert("RGBA" if keyed or palette_alpha else "RGB")
    if mode in ("PA", "RGBa"):
        return im.convert("RGBA")
    if mode == "La":
        return im.convert("LA")
    return im.convert("RGB")  # CMYK without a profile, YCbCr, RGBX


def _scale(wanted: Wanted) -> float:
    """The largest output's scale relative to its source box (at most 1)."""
    return max(
        min(1.0, max(size[0] / (box[2] - box[0]), size[1] / (box[3] - box[1])))
        for box, size in wanted
    )


def decode(
    im: ImageFile.ImageFile,
    source_format: str,
    wanted: Wanted,
    reader: DecodeClock,
    limits: Limits,
) -> tuple[Image.Image, ColourManager, tuple[float, float]]:
    """Decode once; return the RGB(A)/L(A) pixels, their colour manager and the source extent.

    For JPEG, decode at the smallest DCT scale that keeps every output DRAFT_GAP x away; for
    WebP, at exactly WEBP_GAP x the largest output. The extent is where the source's right and
    bottom edges fall in the decoded image: W / scale, which is not the decoded size
    ceil(W / scale) when W is not a multiple of a JPEG scale.
    """
    extent: tuple[float, float] = im.size
    w, h = im.size
    scale = _scale(wanted)
    gap = WEBP_GAP if source_format == "webp" else DRAFT_GAP
    want = (min(w, math.ceil(w * scale * gap)), min(h, math.ceil(h * scale * gap)))
    if source_format == "jpeg":
        drafted = im.draft(im.mode if im.mode in ("RGB", "L", "CMYK") else None, want)
        if drafted is not None:
            extent = drafted[1][2], drafted[1][3]
    icc = im.info.get("icc_profile")
    colour = ColourManager(icc if isinstance(icc, bytes) else None)
    if source_format == "webp" and not getattr(im, "is_animated", False):
        from resizer_lambda import webp  # imported lazily: ctypes costs the cold start ~6 ms

        scaled = webp.decode(reader.getvalue(), want if want != (w, h) else None)
        if scaled is not None:
            return _opaque_dropped(scaled), colour, (float(want[0]), float(want[1]))
    reader.start(limits.max_decode_seconds)
    if source_format == "png":
        from resizer_lambda import vips_png  # lazily: libvips takes 7-43 ms to load

        decoded = vips_png.decode(reader.getvalue(), im)  # opaque alpha dropped already
        if decoded is not None:
            reader.check()  # libvips cannot be stopped midway: the limit is checked after it
            return decoded, colour, extent
    try:
        im.load()
    except Image.DecompressionBombError as err:
        raise TooLarge(f"the original's dimensions exceed the pixel limit: {err}") from err
    except (OSError, SyntaxError, ValueError, EOFError, RuntimeError, MemoryError) as err:
        raise CorruptImage(
            f"the original {source_format.upper()} image is truncated or corrupt"
        ) from err
    base = colour.cmyk_to_srgb(im) if im.mode == "CMYK" else _normalise_mode(im)
    return _opaque_dropped(base), colour, extent


def alpha_is_opaque(im: Image.Image) -> bool:
    """True if `im` has an alpha channel (RGBA, LA) that is opaque everywhere."""
    return im.mode in ("RGBA", "LA") and im.getchannel("A").getextrema() == (255, 255)


def _opaque_dropped(im: Image.Image) -> Image.Image:
    """Return `im` without its alpha channel when that is opaque everywhere (lossless)."""
    return im.convert(im.mode[:-1]) if alpha_is_opaque(im) else im
