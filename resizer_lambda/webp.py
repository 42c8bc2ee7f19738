"""Scaled WebP decoding: libwebp shrinks while it decodes, as libjpeg's DCT scaling does for JPEG.

Pillow decodes a WebP only at full size, through libwebp's animation API: the whole canvas is
decoded, converted to RGBA, copied into a Python bytes object and copied again into the image.
For a 16.8 MP original that is most of the request. libwebp itself can scale while decoding
(`WebPDecoderOptions.use_scaling`): its rescaler averages the decoded rows into the smaller size
as they are produced (an area filter, like `Image.reduce`), so the full-size RGB(A) picture is
never built. libvips (sharp) uses the same option for its WebP shrink-on-load.

Pillow's own wheels carry that libwebp (`pillow.libs/libwebp-*.so*`, `PIL/.dylibs` on macOS), so
this module calls it through ctypes: no new dependency, and the same library version that Pillow
links. The decoder structures are libwebp's ABI (`WEBP_DECODER_ABI_VERSION` 0x0209, unchanged
since libwebp 0.5); libwebp refuses a config of another major ABI version, and then, or when the
library cannot be found, `decode` returns None and the caller decodes with Pillow as before.
Animated files are left to Pillow too (their first frame needs the animation API).
"""

from __future__ import annotations

import ctypes
import glob
import os
from functools import cache

from PIL import Image

_ABI_VERSION = 0x0209
_MODE_RGB = 0
_MODE_RGBA = 1
_VP8_STATUS_OK = 0


class _Features(ctypes.Structure):
    _fields_ = [
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("has_alpha", ctypes.c_int),
        ("has_animation", ctypes.c_int),
        ("format", ctypes.c_int),
        ("pad", ctypes.c_uint32 * 5),
    ]


class _RGBABuffer(ctypes.Structure):
    _fields_ = [
        ("rgba", ctypes.c_void_p),
        ("stride", ctypes.c_int),
        ("size", ctypes.c_size_t),
    ]


class _YUVABuffer(ctypes.Structure):
    _fields_ = [
        ("y", ctypes.c_void_p),
        ("u", ctypes.c_void_p),
        ("v", ctypes.c_void_p),
        ("a", ctypes.c_void_p),
        ("y_stride", ctypes.c_int),
        ("u_stride", ctypes.c_int),
        ("v_stride", ctypes.c_int),
        ("a_stride", ctypes.c_int),
        ("y_size", ctypes.c_size_t),
        ("u_size", ctypes.c_size_t),
        ("v_size", ctypes.c_size_t),
        ("a_size", ctypes.c_size_t),
    ]


class _BufferUnion(ctypes.Union):
    _fields_ = [("RGBA", _RGBABuffer), ("YUVA", _YUVABuffer)]


class _DecBuffer(ctypes.Structure):
    _fields_ = [
        ("colorspace", ctypes.c_int),
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("is_external_memory", ctypes.c_int),
        ("u", _BufferUnion),
        ("pad", ctypes.c_uint32 * 4),
        ("private_memory", ctypes.c_void_p),
    ]


class _Options(ctypes.Structure):
    _fields_ = [
        ("bypass_filtering", ctypes.c_int),
        ("no_fancy_upsampling", ctypes.c_int),
        ("use_cropping", ctypes.c_int),
        ("crop_left", ctypes.c_int),
        ("crop_top", ctypes.c_int),
        ("crop_width", ctypes.c_int),
        ("crop_height", ctypes.c_int),
        ("use_scaling", ctypes.c_int),
        ("scaled_width", ctypes.c_int),
        ("scaled_height", ctypes.c_int),
        ("use_threads", ctypes.c_int),
        ("dithering_strength", ctypes.c_int),
        ("flip", ctypes.c_int),
        ("alpha_dithering_strength", ctypes.c_int),
        ("pad", ctypes.c_uint32 * 5),
    ]


class _Config(ctypes.Structure):
    _fields_ = [("input", _Features), ("output", _DecBuffer), ("options", _Options)]


def _candidates() -> list[str]:
    """Pillow's bundled libwebp first (the version Pillow itself uses), then the system's."""
    pil = os.path.dirname(Image.__file__)
    found = sorted(glob.glob(os.path.join(pil, os.pardir, "pillow.libs", "libwebp-*.so*")))
    found += sorted(glob.glob(os.path.join(pil, ".dylibs", "libwebp*.dylib")))
    return [*found, "libwebp.so.7"]


@cache
def _library() -> ctypes.CDLL | None:
    """Load libwebp once per process; None if no usable one is found."""
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
            init = lib.WebPInitDecoderConfigInternal
        except (OSError, AttributeError):
            continue
        init.argtypes = [ctypes.POINTER(_Config), ctypes.c_int]
        init.restype = ctypes.c_int
        lib.WebPGetFeaturesInternal.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.POINTER(_Features),
            ctypes.c_int,
        ]
        lib.WebPGetFeaturesInternal.restype = ctypes.c_int
        lib.WebPDecode.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(_Config)]
        lib.WebPDecode.restype = ctypes.c_int
        lib.WebPFreeDecBuffer.argtypes = [ctypes.POINTER(_DecBuffer)]
        lib.WebPFreeDecBuffer.restype = None
        config = _Config()
        if not init(ctypes.byref(config), _ABI_VERSION):
            continue  # another major ABI: the structures above would not match
        return lib
    return None


def decode(data: bytes, size: tuple[int, int] | None) -> Image.Image | None:
    """Decode a still WebP to RGB or RGBA, scaled to `size` while decoding (None: full size).

    Return None when this path cannot decode it (no libwebp, an animation, a decoding error),
    so the caller falls back to Pillow, which reports errors in its own terms.
    """
    lib = _library()
    if lib is None:
        return None
    config = _Config()
    if not lib.WebPInitDecoderConfigInternal(ctypes.byref(config), _ABI_VERSION):
        return None
    src = ctypes.c_char_p(data)
    status = lib.WebPGetFeaturesInternal(src, len(data), ctypes.byref(config.input), _ABI_VERSION)
    if status != _VP8_STATUS_OK or config.input.has_animation:
        return None
    width, height = config.input.width, config.input.height
    if size is not None and size != (width, height):
        config.options.use_scaling = 1
        config.options.scaled_width, config.options.scaled_height = size
        width, height = size
    alpha = bool(config.input.has_alpha)
    channels = 4 if alpha else 3
    out = bytearray(width * height * channels)
    pixels = (ctypes.c_char * len(out)).from_buffer(out)
    config.output.colorspace = _MODE_RGBA if alpha else _MODE_RGB
    config.output.is_external_memory = 1
    config.output.u.RGBA.rgba = ctypes.addressof(pixels)
    config.output.u.RGBA.stride = width * channels
    config.output.u.RGBA.size = len(out)
    status = lib.WebPDecode(src, len(data), ctypes.byref(config))
    lib.WebPFreeDecBuffer(ctypes.byref(config.output))
    del pixels  # release the export, so the image can keep `out`
    if status != _VP8_STATUS_OK:
        return None
    mode = "RGBA" if alpha else "RGB"
    # RGBA maps `out` (kept alive by the image); RGB is unpacked into Pillow's 4-byte layout.
    return Image.frombuffer(mode, (width, height), out, "raw", mode, 0, 1)
