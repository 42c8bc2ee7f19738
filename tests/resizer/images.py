"""Pillow factories for the imaging tests: real encoded files, made on the fly.

Nothing here is checked in as a binary: EXIF orientation samples, CMYK JPEGs, ICC profiles
(a matrix/TRC RGB profile and a LUT-based CMYK profile, written byte by byte), 16-bit PNGs,
animations, decompression bombs and JPEG scan bombs are all generated, so a fresh machine needs
only Pillow.
"""

from __future__ import annotations

import io
import math
import random
import struct
import zlib
from collections.abc import Callable, Sequence

from PIL import Image, ImageDraw, ImageFilter, ImageOps

RGB = tuple[int, int, int]
RGB16 = tuple[int, int, int]
RED: RGB = (255, 0, 0)
GREEN: RGB = (0, 255, 0)
BLUE: RGB = (0, 0, 255)
YELLOW: RGB = (255, 255, 0)
WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)

# The colour of each quadrant of the canonical (display-oriented) test picture.
QUADRANTS: dict[str, RGB] = {"tl": RED, "tr": GREEN, "bl": BLUE, "br": YELLOW}

# Stored image -> displayed image for each EXIF orientation, as a viewer applies it.
DISPLAY = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# The inverse: displayed image -> what the camera stored.
_STORE = {**DISPLAY, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}

ORIENTATION_TAG = 0x0112
GPS_IFD = 0x8825


def encode(im: Image.Image, fmt: str, **params: object) -> bytes:
    """Return `im` encoded as `fmt` (a Pillow format name) with the given save parameters."""
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    return buf.getvalue()


def quadrants(size: tuple[int, int] = (80, 40)) -> Image.Image:
    """Return the canonical asymmetric picture: a different colour in each quadrant."""
    w, h = size
    im = Image.new("RGB", size)
    draw = ImageDraw.Draw(im)
    draw.rectangle((0, 0, w // 2 - 1, h // 2 - 1), QUADRANTS["tl"])
    draw.rectangle((w // 2, 0, w - 1, h // 2 - 1), QUADRANTS["tr"])
    draw.rectangle((0, h // 2, w // 2 - 1, h - 1), QUADRANTS["bl"])
    draw.rectangle((w // 2, h // 2, w - 1, h - 1), QUADRANTS["br"])
    return im


def quadrant_colours(im: Image.Image, inset: float = 0.25) -> dict[str, tuple[int, ...]]:
    """Return the pixel at the centre of each quadrant of `im` (in RGB)."""
    rgb = im.convert("RGB")
    w, h = rgb.size
    points = {
        "tl": (w * inset, h * inset),
        "tr": (w * (1 - inset), h * inset),
        "bl": (w * inset, h * (1 - inset)),
        "br": (w * (1 - inset), h * (1 - inset)),
    }
    return {k: _px(rgb, (int(x), int(y))) for k, (x, y) in points.items()}


def _px(im: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = im.getpixel(xy)
    assert isinstance(value, tuple)
    return tuple(int(v) for v in value)


def pixel(im: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """Return the pixel at `xy` as a tuple of ints, whatever the mode."""
    value = im.getpixel(xy)
    if isinstance(value, tuple):
        return tuple(int(v) for v in value)
    assert isinstance(value, int | float)
    return (int(value),)


def close(a: Sequence[int], b: Sequence[int], tol: int) -> bool:
    """Return whether two pixels match channel by channel within `tol` levels."""
    return len(a) == len(b) and all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def exif(orientation: int | None = None, gps: bool = False, make: str | None = None) -> Image.Exif:
    """Return an EXIF block with an orientation tag, a GPS IFD and a camera make, as asked."""
    block = Image.Exif()
    if orientation is not None:
        block[ORIENTATION_TAG] = orientation
    if make is not None:
        block[0x010F] = make
    if gps:
        ifd = block.get_ifd(GPS_IFD)
        ifd[1] = "N"  # GPSLatitudeRef
        ifd[2] = (51.0, 30.0, 0.0)  # GPSLatitude
        ifd[3] = "W"  # GPSLongitudeRef
        ifd[4] = (0.0, 7.0, 0.0)  # GPSLongitude
    return block


def oriented(orientation: int, display: Image.Image | None = None) -> Image.Image:
    """Return the stored image a camera writes so that `orientation` displays `display`."""
    display = display if display is not None else quadrants()
    transpose = _STORE[orientation]
    return display.copy() if transpose is None else display.transpose(transpose)


def oriented_file(orientation: int, fmt: str = "JPEG", **params: object) -> bytes:
    """Return a file whose *displayed* picture is `quadrants()`, stored rotated/flipped."""
    stored = oriented(orientation)
    return encode(stored, fmt, exif=exif(orientation).tobytes(), **params)


def noise(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """Return deterministic uniform grey noise (random.Random, not libc's rand)."""
    data = random.Random(seed).randbytes(size[0] * size[1])
    return Image.frombytes("L", size, data)


def photo(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """Return a detailed, photo-like RGB picture: gradients, texture, hard edges and fine lines.

    Made to stress a resampler the way a real photo does (smooth skies, grain, sharp edges),
    deterministically and without numpy.
    """
    w, h = size
    horizontal = Image.linear_gradient("L").rotate(90).resize(size)
    radial = Image.radial_gradient("L").resize(size)
    grain = noise(size, seed).filter(ImageFilter.GaussianBlur(1.2))
    texture = Image.effect_mandelbrot(size, (-2.2, -1.2, 1.0, 1.2), 64)
    r = Image.blend(horizontal, grain, 0.35)
    g = Image.blend(radial, texture, 0.4)
    b = Image.blend(Image.blend(horizontal, radial, 0.5), grain, 0.25)
    im = Image.merge("RGB", (r, g, b))
    draw = ImageDraw.Draw(im)
    rng = random.Random(seed + 1)
    for _ in range(40):
        x, y = rng.randrange(w), rng.randrange(h)
        rw, rh = rng.randrange(w // 40, w // 6), rng.randrange(h // 40, h // 6)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        if rng.random() < 0.5:
            draw.ellipse((x, y, x + rw, y + rh), fill=colour)
        else:
            draw.rectangle((x, y, x + rw, y + rh), outline=colour, width=max(1, w // 500))
    for i in range(0, w, max(4, w // 150)):  # fine lines: the moire a bad resampler shows
        draw.line((i, 0, i + h // 3, h), fill=(20, 20, 20), width=1)
    return im


def _pink(size: tuple[int, int], seed: int, octaves: int = 7) -> Image.Image:
    """Return greyscale 1/f-like noise: octaves of upscaled noise, coarser ones stronger."""
    acc: Image.Image | None = None
    total = 0.0
    for k in range(octaves):
        step = 2**k
        small = noise((max(2, size[0] // step), max(2, size[1] // step)), seed * 31 + k)
        layer = small.resize(size, Image.Resampling.BICUBIC)
        weight = step**0.9
        acc = layer if acc is None else Image.blend(acc, layer, weight / (total + weight))
        total += weight
    assert acc is not None
    return ImageOps.autocontrast(acc)


def natural(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """Return a picture with the statistics of a natural photo, for measuring encoders.

    Natural images have a power spectrum falling as 1/f: mostly soft texture, luma-dominated,
    with a few soft-edged objects. `photo()`'s grain and one-pixel lines are a resampler's
    torture test, which encoders treat unlike photos (WebP and AVIF keep hard lines far better
    than JPEG); on this picture the three compare as they do on the bench's real photos.
    """
    luma = _pink(size, seed + 3)
    channels = [Image.blend(luma, _pink(size, seed + i), 0.3) for i in range(3)]
    im = Image.merge("RGB", channels)
    draw = ImageDraw.Draw(im)
    rng = random.Random(seed)
    for _ in range(12):
        x, y, r = rng.randrange(size[0]), rng.randrange(size[1]), rng.randrange(10, 60)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x, y, x + r, y + r), fill=colour)
    return im.filter(ImageFilter.GaussianBlur(0.7))


def png_16bit_grey(size: tuple[int, int], value: int) -> bytes:
    """Return a 16-bit greyscale PNG (Pillow mode I;16) filled with `value` (0-65535)."""
    return encode(Image.new("I;16", size, value), "PNG")


def png_16bit_rgb(size: tuple[int, int], rgb: RGB16, alpha: int | None = None) -> bytes:
    """Return a 16-bit-per-channel RGB (or RGBA) PNG, written chunk by chunk.

    Pillow reads 16-bit colour PNGs but writes them only as 8-bit, so this builds the file.
    """
    w, h = size
    samples = list(rgb) + ([alpha] if alpha is not None else [])
    row = b"\x00" + struct.pack(f">{len(samples)}H", *samples) * w
    colour_type = 6 if alpha is not None else 2
    ihdr = struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0)
    return _png([(b"IHDR", ihdr), (b"IDAT", zlib.compress(row * h)), (b"IEND", b"")])


def _png(chunks: Sequence[tuple[bytes, bytes]]) -> bytes:
    out = [b"\x89PNG\r\n\x1a\n"]
    for kind, body in chunks:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        out.append(struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc))
    return b"".join(out)


def png_bomb(width: int, height: int) -> bytes:
    """Return a genuine 1-bit PNG of `width` x `height` black pixels, tiny once compressed.

    Decoding it would allocate width x height bytes (Pillow unpacks 1-bit to 8-bit).
    """
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return _png([(b"IHDR", ihdr), (b"IDAT", idat), (b"IEND", b"")])


def gif_bomb(width: int, height: int) -> bytes:
    """Return a tiny GIF whose logical screen claims `width` x `height` pixels."""
    data = bytearray(encode(Image.new("P", (8, 8), 0), "GIF"))
    data[6:10] = struct.pack("<HH", width, height)
    return bytes(data)


def scan_bomb(
    scans: int, size: tuple[int, int] = (64, 64), claim: tuple[int, int] | None = None
) -> bytes:
    """Return a genuine progressive greyscale JPEG of `size` whose last scan is repeated.

    libjpeg's greyscale script writes 6 scans; the last (a Huffman table and an AC refinement
    scan that is one end-of-band run, ~36 bytes for a flat picture) is copied until there are
    `scans`. libjpeg walks every block of the image for every copy, so 3000 scans of 8000x8000
    are a few hundred KB that decode for minutes. `claim` rewrites the frame header's dimensions
    (the issue's 8000x8000 without encoding 64 MP): a refusal must not need to decode, and
    libjpeg would fill the missing pixel data with grey and still walk every block per scan.
    """
    data = encode(Image.new("L", size, 128), "JPEG", progressive=True)
    assert data.count(b"\xff\xda") == 6
    assert data.endswith(b"\xff\xd9")
    last = data.rfind(b"\xff\xc4")  # the last scan's table: no FF C4 in a flat image's data
    bomb = bytearray(data[:-2] + data[last:-2] * (scans - 6) + b"\xff\xd9")
    if claim is not None:
        sof = bomb.index(b"\xff\xc2")  # FF C2, length, precision, height, width
        bomb[sof + 5 : sof + 9] = struct.pack(">HH", claim[1], claim[0])
    return bytes(bomb)


def animated(fmt: str, colours: Sequence[RGB], size: tuple[int, int] = (40, 30)) -> bytes:
    """Return an animated GIF/WEBP/PNG with one frame per colour."""
    frames = [Image.new("RGB", size, c) for c in colours]
    params: dict[str, object] = {"save_all": True, "append_images": frames[1:], "duration": 100}
    if fmt == "WEBP":
        params["lossless"] = True
    return encode(frames[0], fmt, **params)


# --- ICC profiles, written byte by byte -------------------------------------------------------

D50 = (0.9642, 1.0, 0.8249)
# Adobe RGB (1998) primaries, chromatically adapted to D50 (the ICC PCS white).
ADOBE_RGB_D50 = (
    (0.6097559, 0.3111242, 0.0194811),
    (0.2052401, 0.6256560, 0.0608902),
    (0.1492240, 0.0632197, 0.7448387),
)
# sRGB primaries adapted to D50 (Lindbloom), for the Lab maths of the CMYK profile.
_SRGB_D50 = (
    (0.4360747, 0.3850649, 0.1430804),
    (0.2225045, 0.7168786, 0.0606169),
    (0.0139322, 0.0971045, 0.7141733),
)


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz_tag(xyz: Sequence[float]) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15(v) for v in xyz)


def _desc_tag(text: str) -> bytes:
    ascii_ = text.encode("ascii") + b"\0"
    # textDescriptionType (ICC v2): ASCII, then empty Unicode and ScriptCode parts.
    return b"desc\0\0\0\0" + struct.pack(">I", len(ascii_)) + ascii_ + b"\0" * (4 + 4 + 2 + 1 + 67)


def _text_tag(text: str) -> bytes:
    return b"text\0\0\0\0" + text.encode("ascii") + b"\0"


def _profile(device_class: bytes, space: bytes, pcs: bytes, tags: dict[bytes, bytes]) -> bytes:
    """Assemble an ICC v2.1 profile from its tags (each padded to 4 bytes)."""
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    entries, bodies = [], []
    for sig, body in tags.items():
        padded = body + b"\0" * (-len(body) % 4)
        entries.append(struct.pack(">4sII", sig, offset, len(body)))
        bodies.append(padded)
        offset += len(padded)
    size = offset
    header = (
        struct.pack(">I", size)
        + b"\0\0\0\0"
        + bytes([2, 0x10, 0, 0])
        + device_class
        + space
        + pcs
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acsp"
        + b"\0" * 4  # platform
        + b"\0" * 4  # flags
        + b"\0" * 8  # manufacturer, model
        + b"\0" * 8  # attributes
        + struct.pack(">I", 0)  # rendering intent: perceptual
        + b"".join(_s15(v) for v in D50)
        + b"\0" * 4  # creator
        + b"\0" * 44  # profile id and reserved
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + b"".join(entries) + b"".join(bodies)


def rgb_profile(
    description: str = "Test Adobe RGB (1998) compatible",
    primaries: Sequence[Sequence[float]] = ADOBE_RGB_D50,
    gamma: float = 563 / 256,
) -> bytes:
    """Return a matrix/TRC RGB display profile (by default Adobe RGB (1998)-like)."""
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256))
    return _profile(
        b"mntr",
        b"RGB ",
        b"XYZ ",
        {
            b"desc": _desc_tag(description),
            b"cprt": _text_tag("No copyright, use freely"),
            b"wtpt": _xyz_tag(D50),
            b"rXYZ": _xyz_tag(primaries[0]),
            b"gXYZ": _xyz_tag(primaries[1]),
            b"bXYZ": _xyz_tag(primaries[2]),
            b"rTRC": curve,
            b"gTRC": curve,
            b"bTRC": curve,
        },
    )


def srgb_profile() -> bytes:
    """Return LittleCMS's built-in sRGB profile, as cameras and editors embed it."""
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _srgb_to_lab(rgb: Sequence[float]) -> tuple[float, float, float]:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    lin = [linear(c) for c in rgb]
    xyz = [sum(m * c for m, c in zip(row, lin, strict=True)) for row in _SRGB_D50]

    def f(t: float) -> float:
        return float(t ** (1 / 3)) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    fx, fy, fz = (f(v / w) for v, w in zip(xyz, D50, strict=True))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def dot_gain_cmyk(c: float, m: float, y: float, k: float) -> tuple[float, float, float]:
    """Return the sRGB (0-1) that the test CMYK press prints for ink coverages 0-1.

    Naive subtractive mixing with a strong dot gain (coverage ** 0.6), so a profiled
    conversion is measurably different from Pillow's naive CMYK -> RGB.
    """

    def ink(v: float) -> float:
        return float(v**0.6)

    paper = 1 - ink(k)
    return (1 - ink(c)) * paper, (1 - ink(m)) * paper, (1 - ink(y)) * paper


def cmyk_profile(
    press: Callable[[float, float, float, float], tuple[float, float, float]] = dot_gain_cmyk,
    grid: int = 9,
) -> bytes:
    """Return a LUT-based CMYK output profile (A2B0 only) describing `press`."""
    steps = [i / (grid - 1) for i in range(grid)]
    clut = bytearray()
    for c in steps:  # the first input channel varies slowest
        for m in steps:
            for y in steps:
                for k in steps:
                    lab = _srgb_to_lab(press(c, m, y, k))
                    # lut16 uses the ICC v2 "legacy" 16-bit Lab encoding.
                    clut += struct.pack(
                        ">3H",
                        round(min(max(lab[0], 0.0), 100.0) * 65280 / 100),
                        round(min(max(lab[1] + 128, 0.0), 255.99) * 256),
                        round(min(max(lab[2] + 128, 0.0), 255.99) * 256),
                    )
    identity = b"".join(_s15(1.0 if i % 4 == 0 else 0.0) for i in range(9))
    linear_table = struct.pack(">2H", 0, 65535)
    a2b0 = (
        b"mft2\0\0\0\0"
        + bytes([4, 3, grid, 0])
        + identity
        + struct.pack(">2H", 2, 2)
        + linear_table * 4
        + bytes(clut)
        + linear_table * 3
    )
    return _profile(
        b"prtr",
        b"CMYK",
        b"Lab ",
        {
            b"desc": _desc_tag("Test CMYK press with dot gain"),
            b"cprt": _text_tag("No copyright, use freely"),
            b"wtpt": _xyz_tag(D50),
            b"A2B0": a2b0,
        },
    )


def expected_through_profile(colour: Sequence[int], mode: str, profile: bytes) -> tuple[int, ...]:
    """Return what LittleCMS makes of one `mode` pixel tagged with `profile`, in sRGB."""
    from PIL import ImageCms

    im = Image.new(mode, (1, 1), tuple(colour))
    src = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    out = ImageCms.profileToProfile(
        im,
        src,
        ImageCms.createProfile("sRGB"),
        outputMode="RGB",
        renderingIntent=ImageCms.Intent.PERCEPTUAL,
    )
    assert out is not None
    return pixel(out, (0, 0))


def distance(a: Sequence[int], b: Sequence[int]) -> float:
    return math.dist(a, b)


def photo_file(fmt: str) -> bytes:
    """Return a small (120x80) photo-like original encoded as `fmt`."""
    return encode(photo((120, 80)), fmt)
