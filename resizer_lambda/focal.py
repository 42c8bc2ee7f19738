"""Focal points: where a cover crop is centred, and how the point travels as S3 metadata.

An editor marks the point of an original that must stay in frame; Django stores it on the
original as the user metadata `focal` ("x,y", fractions of the display-oriented width and
height, 4 decimals: `x-amz-meta-focal: 0.3120,0.4410`), and the Lambda reads it from the
GetObject it makes anyway, so it needs no database. This module owns that format (Django writes
through `format_value`, the Lambda reads through `parse`) and the crop geometry (`cover_box`).
Pure functions: no I/O, no Pillow.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["CENTRE", "METADATA_KEY", "BadFocal", "Focal", "cover_box", "format_value", "parse"]

# S3 user metadata key (sent as `x-amz-meta-focal`; boto3 reads it back lower-cased).
METADATA_KEY = "focal"
DECIMALS = 4
_MAX_CHARS = 64  # a well-formed value is 13 characters; anything far longer is not one
_NUMBER = re.compile(r"^\s*(?:[01](?:\.[0-9]+)?|\.[0-9]+)\s*$")

Box = tuple[float, float, float, float]


class BadFocal(ValueError):
    """A focal value that is not two fractions in [0, 1]; the message says what is wrong."""


@dataclass(frozen=True)
class Focal:
    """A point as fractions of the display-oriented image: (0, 0) top left, (1, 1) bottom right."""

    x: float
    y: float

    def __post_init__(self) -> None:
        for name, value in (("x", self.x), ("y", self.y)):
            if not (isinstance(value, int | float) and math.isfinite(value) and 0 <= value <= 1):
                raise BadFocal(f"focal {name} must be a number from 0 to 1, got {value!r}")


CENTRE = Focal(0.5, 0.5)


def parse(value: str) -> Focal:
    """Return the focal point a metadata value names, or raise BadFocal saying why."""
    if len(value) > _MAX_CHARS:
        raise BadFocal(f"focal value is {len(value)} characters long; expected 'x,y'")
    parts = value.split(",")
    if len(parts) != 2 or not all(_NUMBER.match(p) for p in parts):
        raise BadFocal(f"focal value must be 'x,y' with x and y from 0 to 1, got {value!r}")
    return Focal(float(parts[0]), float(parts[1]))


def format_value(point: Focal) -> str:
    """Return the metadata value for `point`: "x,y" with DECIMALS decimals ("0.3120,0.4410")."""
    return f"{point.x:.{DECIMALS}f},{point.y:.{DECIMALS}f}"


def _place(centre: float, span: float, extent: float) -> tuple[float, float]:
    """Return [start, end) of length `span` centred on `centre`, kept inside [0, extent]."""
    start = min(max(centre - span / 2, 0.0), extent - span)
    start = max(start, 0.0)
    return start, min(start + span, extent)


def cover_box(
    src_w: float, src_h: float, out_w: int, out_h: int, focal: Focal | None = None
) -> Box:
    """Return the crop box (x0, y0, x1, y1) of a cover crop of a `src_w` x `src_h` image.

    The box is the largest region with the output's aspect ratio, centred on `focal` (None: the
    image's centre) as far as the image allows: near an edge it is pushed back inside, so the
    focal point is in frame but no longer centred. Coordinates are fractional source pixels
    (Pillow resamples from a fractional box), in display orientation.
    """
    point = focal or CENTRE
    if src_w * out_h > src_h * out_w:  # the source is wider: crop the sides
        span = src_h * out_w / out_h
        x0, x1 = _place(point.x * src_w, span, float(src_w))
        return (x0, 0.0, x1, float(src_h))
    span = src_w * out_h / out_w  # taller (or equal): crop top and bottom
    y0, y1 = _place(point.y * src_h, span, float(src_h))
    return (0.0, y0, float(src_w), y1)
