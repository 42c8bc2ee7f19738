"""PNG decoding through libvips (libspng over zlib-ng), handed to Pillow as an ordinary image.

Pillow decodes a PNG with the system's zlib (its wheel compiles for zlib-ng but loads
`libz.so.1` at run time: Debian's 1.2.13 here) and scalar unfiltering, and a one-width request
decodes the whole original: on 15 MP PNGs that is 80-90% of the request. libvips as the
`pyvips-binary` wheel ships it (one self-contained `libvips-*.so.42` for manylinux_2_28 x86_64
and aarch64, the build sharp uses) reads PNG with libspng's SIMD unfiltering over zlib-ng: the
same pixels, 1.3-1.7x sooner on 8-bit truecolour and grey PNGs. Only the decode moves: the
pixels come back as a Pillow image, and resizing, colour and encoding stay Pillow's.

The library is called through ctypes, as `resizer_lambda.webp` calls libwebp: the pyvips
bindings are not needed (they ship as an sdist only, and need cffi). It is
loaded on the first PNG a process decodes, not with the handler; libvips runs single-threaded
with its operation cache off, and the decoded buffer is freed when the image that maps it is.

Pillow keeps doing everything else about the file: the header checks and pixel limits
(`decoding.open_image`), the ICC profile, and the PNGs this module leaves alone (palette,
16-bit and sub-byte depths, a tRNS colour key: Pillow's own modes and conversions apply there,
and palette files decode faster in Pillow anyway). `decode` returns None for those, and when no
libvips can be loaded, so the caller decodes with Pillow as before.
"""

from __future__ import annotations

import ctypes
import glob
import os
import sys
import weakref
from functools import cache
from typing import cast

from PIL import Image, ImageFile

from resizer_lambda.decoding import alpha_is_opaque

# PNG layouts libvips decodes to the same pixels as Pillow: 8 bits, no palette, no colour key.
_MODES = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}
_FORMAT_UCHAR = 0  # VipsBandFormat
# Read once, top to bottom; a truncated or corrupt file is an error, not a grey remainder.
_LOAD_OPTIONS = b"[access=sequential,fail_on=truncated]"


def _candidates() -> list[str]:
    """The libvips of the pyvips-binary wheel, wherever sys.path puts it (/var/task in Lambda)."""
    found: list[str] = []
    for entry in sys.path:
        found += sorted(glob.glob(os.path.join(entry or ".", "pyvips_binary.libs", "libvips-*")))
    return found


@cache
def _library() -> ctypes.CDLL | None:
    """Load and start libvips once per process; None if no usable one is found."""
    # libvips prints its warnings ("not enough data") to stderr unless this is set; a file it
    # cannot decode is left to Pillow, which says what is wrong with it.
    os.environ.setdefault("VIPS_WARNING", "0")
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
            if lib.vips_init(b"resizer_lambda") != 0:
                continue
        except (OSError, AttributeError):
            continue
        lib.vips_concurrency_set(1)
        lib.vips_cache_set_max(0)
        lib.vips_image_new_from_buffer.restype = ctypes.c_void_p
        lib.vips_image_write_to_memory.restype = ctypes.c_void_p
        lib.vips_image_write_to_memory.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_size_t),
        ]
        for getter in ("width", "height", "bands", "format"):
            func = getattr(lib, f"vips_image_get_{getter}")
            func.argtypes, func.restype = [ctypes.c_void_p], ctypes.c_int
        lib.g_object_unref.argtypes, lib.g_object_unref.restype = [ctypes.c_void_p], None
        lib.g_free.argtypes, lib.g_free.restype = [ctypes.c_void_p], None
        return lib
    return None


def available() -> bool:
    """True if libvips can be loaded (the pyvips-binary wheel is installed)."""
    return _library() is not None


def handles(im: ImageFile.ImageFile) -> bool:
    """True if `im` (an opened, not yet loaded PNG) is one this module decodes."""
    if im.format != "PNG" or im.mode not in _MODES or "transparency" in im.info:
        return False
    if len(im.tile) != 1:
        return False
    return bool(im.tile[0].args == im.mode)  # "RGB;16B", "L;2" etc. are Pillow's to unpack


def decode(data: bytes, im: ImageFile.ImageFile) -> Image.Image | None:
    """Decode the PNG `data` (opened by Pillow as `im`) with libvips, or return None.

    The image is read-only over libvips' buffer, in `im`'s mode, with an alpha channel that is
    opaque everywhere dropped, as `decoding` does for Pillow's images: an opaque RGBA picture
    comes back as RGBX over the same buffer (alpha ignored), for the caller to resize and then
    convert to RGB; an opaque LA one as L. A file libvips cannot decode (truncated, a bad CRC) gives
    None too: Pillow then decodes it, or refuses it in its own terms (CorruptImage).
    """
    if not handles(im):
        return None
    lib = _library()
    if lib is None:
        return None
    src = ctypes.c_char_p(data)
    vi = lib.vips_image_new_from_buffer(src, ctypes.c_size_t(len(data)), _LOAD_OPTIONS, None)
    if not vi:
        lib.vips_error_clear()
        return None  # libvips does not take it as a PNG: Pillow decides
    try:
        if (
            (lib.vips_image_get_width(vi), lib.vips_image_get_height(vi)) != im.size
            or lib.vips_image_get_bands(vi) != _MODES[im.mode]
            or lib.vips_image_get_format(vi) != _FORMAT_UCHAR
        ):
            return None  # not the layout Pillow's header promised: leave it to Pillow
        size = ctypes.c_size_t(0)
        pointer = lib.vips_image_write_to_memory(vi, ctypes.byref(size))
    finally:
        lib.g_object_unref(vi)
    if not pointer:  # truncated or corrupt for libspng: Pillow decodes it or says why not
        lib.vips_error_clear()
        return None
    pixels = (ctypes.c_char * size.value).from_address(pointer)
    weakref.finalize(pixels, lib.g_free, pointer)  # freed with the last image that maps it
    buffer = cast(bytes, pixels)  # any buffer will do; Pillow's stubs name bytes
    decoded = Image.frombuffer(im.mode, im.size, buffer, "raw", im.mode, 0, 1)
    if not alpha_is_opaque(decoded):
        return decoded
    if im.mode == "RGBA":
        # The same buffer seen as RGBX (no copy). Resampling then neither premultiplies nor
        # needs a full-size RGBA -> RGB conversion first; the caller converts the (small)
        # resized result to RGB.
        return Image.frombuffer("RGB", im.size, buffer, "raw", "RGBX", 0, 1)
    return decoded.convert("L")
