"""Real image files for the asset tests, made with Pillow (and by hand for broken ones)."""

from __future__ import annotations

import io
import random
import struct
import zlib
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

ORIENTATION_TAG = 0x0112


def _noise(size: tuple[int, int], seed: int, mode: str = "RGB") -> Image.Image:
    """Return an image of random pixels: every seed gives different bytes (and sha256)."""
    rng = random.Random(seed)
    bands = len(mode)
    return Image.frombytes(mode, size, rng.randbytes(size[0] * size[1] * bands))


def encode(im: Image.Image, fmt: str, **params: Any) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def jpeg(size: tuple[int, int] = (64, 48), seed: int = 1) -> bytes:
    return encode(_noise(size, seed), "JPEG", quality=90)


def png_alpha(size: tuple[int, int] = (40, 30), seed: int = 2) -> bytes:
    return encode(_noise(size, seed, "RGBA"), "PNG")


def webp(size: tuple[int, int] = (50, 20), seed: int = 3) -> bytes:
    return encode(_noise(size, seed), "WEBP", quality=80)


def gif(size: tuple[int, int] = (30, 30), seed: int = 4) -> bytes:
    return encode(_noise(size, seed).convert("P"), "GIF")


def exif_rotated_jpeg(stored: tuple[int, int] = (80, 40), orientation: int = 6) -> bytes:
    """Return a JPEG stored `stored` wide x high whose EXIF says to rotate it for display."""
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    return encode(_noise(stored, 6), "JPEG", exif=exif.tobytes())


def tiff() -> bytes:
    return encode(_noise((20, 20), 7), "TIFF")


def bmp() -> bytes:
    return encode(_noise((20, 20), 8), "BMP")


def truncated_jpeg() -> bytes:
    data = jpeg((400, 300), seed=9)
    return data[: len(data) // 2]


def truncated_png() -> bytes:
    data = encode(_noise((200, 200), 10), "PNG")
    return data[: len(data) // 2]


def garbage_jpeg() -> bytes:
    """Return a JPEG signature followed by noise: sniffed as JPEG, decodable as nothing."""
    return b"\xff\xd8\xff\xe0" + random.Random(11).randbytes(2000)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """Return a tiny PNG whose header claims `width` x `height` pixels (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    idat = zlib.compress(b"\x00" * 1000, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def upload_file(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)
