"""Pure image operations: bytes in, bytes out. No I/O, no AWS, no Django.

The pipeline for one original and one or more presets:

1. sniff the format, open the header and refuse bombs before any pixel is decoded
   (`resizer_lambda.decoding`; a JPEG's scans are counted first, `resizer_lambda.jpeg`);
2. plan every output in display orientation (EXIF orientation applied), then map each plan back
   to stored orientation so resizing happens before the (cheap) transpose of the small result;
3. decode once, as small as the outputs allow (JPEG DCT scaling, WebP scaled decoding), on the
   clock of `limits.max_decode_seconds` (`resizer_lambda.decoding`, `resizer_lambda.deadline`);
4. per preset, largest first: resize from the smallest earlier output that is still
   REDUCING_GAP x larger (it is display-oriented and sRGB already), else from the decoded image,
   cropping for the fit, then transpose and convert to sRGB (`resizer_lambda.colour`); LANCZOS
   with Pillow's `reducing_gap` either way; then per output format asked
   (`render_outputs`: several from one resize) pad for `contain`, flatten alpha for JPEG and
   encode with no metadata at the preset's quality mapped from the JPEG scale
   (`resizer_lambda.quality`).

Animated GIF/WebP/AVIF inputs give their first frame. GIF sources become PNG when the preset keeps
the original format (GIF is a poor output format for resized photos).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

from PIL import Image

from resizer_lambda import png
from resizer_lambda.decoding import (
    DRAFT_GAP,
    Box,
    decode,
    load_plugin,
    open_image,
    orientation,
    sniff_format,
)
from resizer_lambda.errors import TooLarge, UnsupportedFormat
from resizer_lambda.focal import Focal, cover_box
from resizer_lambda.presets import Limits, Preset, at_density
from resizer_lambda.quality import quality_for

__all__ = [
    "CONTENT_TYPES",
    "DRAFT_GAP",
    "Rendered",
    "SourceInfo",
    "density_preset",
    "encode",
    "output_size",
    "probe",
    "render_many",
    "render_one",
    "render_outputs",
    "sniff_format",
]

# How much larger than the output an intermediate must stay before the final LANCZOS pass
# (Pillow's reducing_gap, and the cascade between outputs in render_many).
REDUCING_GAP = 2.0
# Between 3x and 4x, reducing_gap 2 leaves the whole reduction to LANCZOS (Pillow box-reduces
# by int(factor / gap) first); there the pass from the decoded source box-reduces by 2 and LANCZOS
# does the last 1.5-2x: 73 -> 30 ms for an 8 MP PNG to 1200 px, SSIM against the full LANCZOS
# reference still above sharp's for the format (bench/). JPEG and WebP rarely get here: their
# decoders have already shrunk to within 2.5x and 1.5x of the output.
GAP_3_TO_4 = 1.5
WEBP_METHOD = 4
AVIF_SPEED = 8

CONTENT_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "avif": "image/avif",
}
_PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "avif": "AVIF"}
# The largest side each encoder can write (PNG's limit is far beyond any pixel limit).
_MAX_SIDE = {"jpeg": 65_500, "webp": 16_383, "avif": 65_536}
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True)
class Rendered:
    """One encoded output image.

    `decoded` is the size of the source as decoded (stored orientation): smaller than the
    header's when JPEG DCT-domain scaling did part of the reduction. For logs and tests.
    """

    data: bytes
    width: int
    height: int
    format: str
    decoded: tuple[int, int] | None = None

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

    box: Box  # in display orientation, source pixels
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


def probe(data: bytes, limits: Limits) -> SourceInfo:
    """Return format and display-oriented dimensions of `data` without decoding pixels."""
    im, fmt, _ = open_image(data, limits)
    turn = orientation(im)
    width, height = im.size
    if turn >= 5:
        width, height = height, width
    return SourceInfo(format=fmt, width=width, height=height, orientation=turn)


def _plan(preset: Preset, width: int, height: int, focal: Focal | None = None) -> _Plan:
    """Compute crop box, resize size and canvas for `preset` on a display-oriented source.

    `focal` (display orientation) centres a cover crop; the other fits ignore it.
    """
    full = (0.0, 0.0, float(width), float(height))
    if preset.fit == "cover":
        assert preset.height is not None
        tw, th = preset.width, preset.height
        if not preset.upscale and (tw > width or th > height):
            shrink = min(width / tw, height / th)
            tw, th = max(1, round(tw * shrink)), max(1, round(th * shrink))
        # The largest region with the target's aspect ratio, around the focal point.
        box = cover_box(width, height, tw, th, focal)
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


# Display box (x0, y0, x1, y1) -> stored box, for a w x h display image, per EXIF orientation.
_STORED_BOX: dict[int, Callable[[float, float, float, float, float, float], Box]] = {
    2: lambda x0, y0, x1, y1, w, h: (w - x1, y0, w - x0, y1),
    3: lambda x0, y0, x1, y1, w, h: (w - x1, h - y1, w - x0, h - y0),
    4: lambda x0, y0, x1, y1, w, h: (x0, h - y1, x1, h - y0),
    5: lambda x0, y0, x1, y1, w, h: (y0, x0, y1, x1),
    6: lambda x0, y0, x1, y1, w, h: (y0, w - x1, y1, w - x0),
    7: lambda x0, y0, x1, y1, w, h: (h - y1, w - x1, h - y0, w - x0),
    8: lambda x0, y0, x1, y1, w, h: (h - y1, x0, h - y0, x1),
}


def _to_stored(
    plan: _Plan, orientation: int, width: int, height: int
) -> tuple[Box, tuple[int, int]]:
    """Map a display-space box and size to stored (pre-transpose) orientation."""
    to_stored = _STORED_BOX.get(orientation)
    box = plan.box if to_stored is None else to_stored(*plan.box, float(width), float(height))
    size = (plan.size[1], plan.size[0]) if orientation >= 5 else plan.size
    return box, size


def _gap(box: Box, size: tuple[int, int]) -> float:
    """Pillow's reducing_gap for a pass from the decoded source (GAP_3_TO_4 says why)."""
    factor = min((box[2] - box[0]) / size[0], (box[3] - box[1]) / size[1])
    return GAP_3_TO_4 if 3.0 <= factor < 4.0 else REDUCING_GAP


def output_format(source_format: str, preset: Preset, fmt: str | None) -> str:
    """Return the format a variant of a `source_format` original is stored in.

    An explicit format in the key wins, then the preset's own; GIF becomes PNG (first frame).
    """
    if fmt is not None:
        return fmt
    if preset.format != "original":
        return preset.format
    return "png" if source_format == "gif" else source_format


def _finish(im: Image.Image, preset: Preset, out_format: str, plan: _Plan) -> Image.Image:
    """Pad for `contain`, flatten alpha where the output cannot carry it."""
    if plan.canvas is not None:
        hex_ = preset.background.lstrip("#") + ("" if len(preset.background) == 9 else "ff")
        bg = tuple(int(hex_[i : i + 2], 16) for i in range(0, 8, 2))
        offset = ((plan.canvas[0] - im.width) // 2, (plan.canvas[1] - im.height) // 2)
        canvas = Image.new("RGBA", plan.canvas, bg)
        canvas.alpha_composite(im.convert("RGBA"), offset)
        keep_alpha = bg[3] < 255 or im.mode in ("RGBA", "LA")
        im = canvas if keep_alpha else canvas.convert("RGB")
    if out_format == "jpeg" and im.mode in ("RGBA", "LA"):
        flat = Image.new("RGBA", im.size, (255, 255, 255, 255))
        flat.alpha_composite(im.convert("RGBA"))
        im = flat.convert("L" if im.mode == "LA" else "RGB")
    return im


def encode(im: Image.Image, out_format: str, quality: int) -> bytes:
    """Encode `im` with no metadata (no EXIF, GPS, ICC or text chunks)."""
    im.info = {}  # resize/convert copy `info`; some encoders default to writing it
    if out_format == "png":  # zlib settings and filtering chosen by resizer_lambda.png
        return png.encode(im)
    params: dict[str, dict[str, object]] = {
        "jpeg": {"quality": quality, "optimize": True},
        "webp": {"quality": quality, "method": WEBP_METHOD},
        "avif": {"quality": quality, "speed": AVIF_SPEED},
    }
    if out_format not in params:  # pragma: no cover - the contract and key grammar check it
        raise UnsupportedFormat(f"cannot encode {out_format!r}")
    load_plugin(out_format)
    buf = io.BytesIO()
    im.save(buf, _PIL_FORMATS[out_format], **params[out_format])
    return buf.getvalue()


Output = tuple[Preset, str | None]
"""A preset and the format its key names (None: the preset's own, the plain `<preset>/` key)."""


def render_outputs(
    data: bytes,
    outputs: Sequence[Output],
    limits: Limits,
    timings: Timings | None = None,
    *,
    focal: Focal | None = None,
) -> dict[tuple[str, str | None], Rendered]:
    """Render each (preset, fmt) of `outputs` from one decode of `data`.

    Each preset is resized once, however many formats it is asked in, and encoded once per
    distinct output format (the plain key of a WebP preset and its `.webp` key share one
    encoding); the quality each encoder gets is the preset's, mapped from the JPEG scale
    (`resizer_lambda.quality`). Keyed by (preset name, fmt) as asked. `focal` is the original's
    focal point in display orientation (None: the centre): cover crops are centred on it, and
    the crop box is mapped to stored orientation with every other box (`_to_stored`).
    """
    if not outputs:
        return {}
    presets = list({p.name: p for p, _ in outputs}.values())
    im, source_format, reader = open_image(data, limits)
    turn = orientation(im)
    width, height = im.size
    if turn >= 5:
        width, height = height, width
    plans = [_plan(p, width, height, focal) for p in presets]
    stored = [_to_stored(plan, turn, width, height) for plan in plans]
    # Per preset: the format each key asked for -> the format it is stored in.
    formats = [
        {f: output_format(source_format, p, f) for q, f in outputs if q.name == p.name}
        for p in presets
    ]
    for plan, wanted in zip(plans, formats, strict=True):
        out_w, out_h = plan.canvas or plan.size  # a width-only preset on a very tall original
        for out_format in dict.fromkeys(wanted.values()):
            if max(out_w, out_h) > _MAX_SIDE.get(out_format, 2**31):
                raise TooLarge(
                    f"the {out_w}x{out_h} output is too large for {out_format.upper()} "
                    f"(at most {_MAX_SIDE[out_format]} pixels a side)"
                )

    stored_w, stored_h = im.size  # before draft() shrinks it
    with _timed(timings, "decode"):
        base, colour, extent = decode(im, source_format, stored, reader, limits)
    # The decoder may have made a smaller image than the header says: scale the boxes.
    sx, sy = extent[0] / stored_w, extent[1] / stored_h

    results: dict[tuple[str, str | None], Rendered] = {}
    full = (0.0, 0.0, float(width), float(height))
    # Whole-image outputs, largest first, so smaller ones can be made from a larger one.
    whole: list[Image.Image] = []
    order = sorted(range(len(presets)), key=lambda i: -plans[i].size[0] * plans[i].size[1])
    for i in order:
        preset, plan, wanted = presets[i], plans[i], formats[i]
        box, size = stored[i]
        box = (box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy)
        with _timed(timings, "resize"):
            source = None
            if plan.box == full:
                fits = [w for w in whole if w.width >= REDUCING_GAP * plan.size[0]]
                source = min(fits, key=lambda w: w.width, default=None)
            if source is not None:  # an earlier output: display-oriented and sRGB already
                out = source.resize(plan.size, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)
            else:
                if size == base.size and box == (0.0, 0.0, *map(float, base.size)):
                    out = base.copy()
                else:
                    out = base.resize(
                        size, Image.Resampling.LANCZOS, box=box, reducing_gap=_gap(box, size)
                    )
                if out.mode == "RGBX":  # an opaque RGBA PNG as libvips decoded it
                    out = out.convert("RGB")
                if turn in _TRANSPOSE:
                    out = out.transpose(_TRANSPOSE[turn])
                out = colour.to_srgb(out)
            if plan.box == full:
                whole.append(out)
        encoded: dict[str, Rendered] = {}
        for out_format in dict.fromkeys(wanted.values()):
            with _timed(timings, "resize"):
                final = _finish(out, preset, out_format, plan)
            with _timed(timings, "encode"):
                blob = encode(final, out_format, quality_for(out_format, preset.quality))
            encoded[out_format] = Rendered(
                data=blob,
                width=final.width,
                height=final.height,
                format=out_format,
                decoded=base.size,
            )
        for fmt, out_format in wanted.items():
            results[(preset.name, fmt)] = encoded[out_format]
    return {(p.name, fmt): results[(p.name, fmt)] for p, fmt in outputs}


def render_many(
    data: bytes,
    presets: Sequence[Preset],
    limits: Limits,
    fmt: str | None = None,
    timings: Timings | None = None,
    *,
    focal: Focal | None = None,
) -> dict[str, Rendered]:
    """Render every preset from one decode of `data`; `fmt` overrides the output format."""
    rendered = render_outputs(data, [(p, fmt) for p in presets], limits, timings, focal=focal)
    return {p.name: rendered[(p.name, fmt)] for p in presets}


def render_one(
    data: bytes,
    preset: Preset,
    limits: Limits,
    fmt: str | None = None,
    timings: Timings | None = None,
    *,
    focal: Focal | None = None,
) -> Rendered:
    """Render one preset of `data` (one variant per request, as the Lambda does)."""
    return render_many(data, [preset], limits, fmt, timings, focal=focal)[preset.name]


def density_preset(preset: Preset, density: int, width: int, height: int) -> Preset:
    """Return the preset a `@<density>x` key renders for a `width` x `height` source.

    `presets.at_density` doubles the box; without upscale, a source too small for it gives a box
    as large as the source allows, with the preset's aspect ratio and never under the 1x box (so a
    2x never pads a source it could have filled). Cover already shrinks in `_plan`; this does the
    same for contain's canvas.
    """
    dense = at_density(preset, density)
    if density == 1 or dense.upscale or dense.fit != "contain" or dense.height is None:
        return dense
    assert preset.height is not None
    fill = min(dense.width / width, dense.height / height)  # the scale the 2x box asks for
    if fill <= 1:
        return dense
    shrink = max(1 / fill, preset.width / dense.width)
    box_w = max(preset.width, round(dense.width * shrink))
    box_h = max(preset.height, round(dense.height * shrink))
    return replace(dense, width=box_w, height=box_h)


def output_size(preset: Preset, width: int, height: int) -> tuple[int, int]:
    """Return the size `preset` gives a display-oriented `width` x `height` source (no I/O).

    Django uses it for width/height attributes and API answers without touching S3.
    """
    plan = _plan(preset, width, height)
    return plan.canvas or plan.size
