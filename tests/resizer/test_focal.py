"""Tests for resizer_lambda.focal: the crop box around a focal point, and the metadata format.

`cover_box` is checked against boxes written out by hand (the expected numbers are arithmetic on
the table's sizes, not a call to the code under test).
"""

from __future__ import annotations

import math

import pytest

from resizer_lambda.focal import CENTRE, BadFocal, Focal, cover_box, format_value, parse

# (source w, h), (output w, h), focal or None, expected box (x0, y0, x1, y1)
BOXES = [
    # A 1000x500 landscape cut to a square: a 500x500 window slides along x.
    ((1000, 500), (100, 100), None, (250, 0, 750, 500)),
    ((1000, 500), (100, 100), Focal(0.5, 0.5), (250, 0, 750, 500)),
    ((1000, 500), (100, 100), Focal(0.7, 0.5), (450, 0, 950, 500)),
    ((1000, 500), (100, 100), Focal(0.3, 0.9), (50, 0, 550, 500)),  # y cannot move: full height
    # Near an edge the window is pushed back inside: the point is in frame, not centred.
    ((1000, 500), (100, 100), Focal(0.0, 0.0), (0, 0, 500, 500)),
    ((1000, 500), (100, 100), Focal(0.1, 0.5), (0, 0, 500, 500)),
    ((1000, 500), (100, 100), Focal(1.0, 1.0), (500, 0, 1000, 500)),
    ((1000, 500), (100, 100), Focal(0.9, 0.5), (500, 0, 1000, 500)),
    # A portrait cut to a landscape: the window slides along y.
    ((400, 1000), (200, 100), None, (0, 400, 400, 600)),
    ((400, 1000), (200, 100), Focal(0.0, 0.2), (0, 100, 400, 300)),
    ((400, 1000), (200, 100), Focal(0.5, 0.0), (0, 0, 400, 200)),
    ((400, 1000), (200, 100), Focal(0.5, 1.0), (0, 800, 400, 1000)),
    # Same aspect ratio: the whole image, wherever the point is.
    ((800, 600), (400, 300), Focal(0.0, 1.0), (0, 0, 800, 600)),
    ((800, 600), (400, 300), Focal(0.25, 0.75), (0, 0, 800, 600)),
    # Extreme aspect ratios: a 100:1 banner from a square, a 1:100 strip from a square.
    ((1000, 1000), (1000, 10), Focal(0.5, 0.0), (0, 0, 1000, 10)),
    ((1000, 1000), (1000, 10), Focal(0.5, 0.333), (0, 328, 1000, 338)),
    ((1000, 1000), (1000, 10), Focal(0.5, 1.0), (0, 990, 1000, 1000)),
    ((1000, 1000), (10, 1000), Focal(0.995, 0.5), (990, 0, 1000, 1000)),
    ((20000, 10), (1, 1), Focal(0.25, 0.5), (4995, 0, 5005, 10)),
    ((10, 20000), (1, 1), Focal(0.5, 1.0), (0, 19990, 10, 20000)),
    # A tiny source: fractional boxes are kept (Pillow resamples from them), not rounded.
    ((3, 2), (1, 1), Focal(0.5, 0.5), (0.5, 0, 2.5, 2)),
    ((3, 2), (1, 1), Focal(0.6, 0.5), (0.8, 0, 2.8, 2)),
    ((3, 2), (1, 1), Focal(1.0, 0.5), (1, 0, 3, 2)),
]


@pytest.mark.parametrize(("src", "out", "point", "expected"), BOXES)
def test_cover_box(
    src: tuple[int, int],
    out: tuple[int, int],
    point: Focal | None,
    expected: tuple[float, float, float, float],
) -> None:
    box = cover_box(*src, *out, point)

    assert box == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(("src", "out", "point", "expected"), BOXES)
def test_cover_box_stays_inside_and_keeps_the_point_and_aspect(
    src: tuple[int, int],
    out: tuple[int, int],
    point: Focal | None,
    expected: tuple[float, float, float, float],
) -> None:
    x0, y0, x1, y1 = cover_box(*src, *out, point)
    p = point or CENTRE

    assert 0 <= x0 < x1 <= src[0]
    assert 0 <= y0 < y1 <= src[1]
    assert (x1 - x0) * out[1] == pytest.approx((y1 - y0) * out[0])
    assert x0 <= p.x * src[0] <= x1
    assert y0 <= p.y * src[1] <= y1
    assert max(x1 - x0 - src[0], y1 - y0 - src[1]) == pytest.approx(0)  # as large as fits


def test_rounding_near_the_far_edge_never_overshoots() -> None:
    # 1/3-pixel windows on odd sizes: the end is clamped to the extent, not start + span.
    for width in range(4, 400):
        x0, _, x1, _ = cover_box(width / 3, 1, 1, 1, Focal(1.0, 0.5))
        assert x1 <= width / 3, width
        assert x0 >= 0, width
        assert math.isclose(x1 - x0, 1), width


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.3120,0.4410", Focal(0.312, 0.441)),
        ("0,1", Focal(0.0, 1.0)),
        ("1.0000,0.0000", Focal(1.0, 0.0)),
        (".5,.25", Focal(0.5, 0.25)),
        (" 0.5 , 0.5 ", Focal(0.5, 0.5)),
    ],
)
def test_parse(text: str, expected: Focal) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "0.5",
        "0.5,0.5,0.5",
        "1.5,0.5",
        "0.5,1.0001",
        "-0.1,0.5",
        "nan,0.5",
        "inf,0.5",
        "0.5;0.5",
        "0x1,0.5",
        "1e-1,0.5",
        "0.5,",
        "½,0.5",
        "0." + "1" * 100 + ",0.5",
    ],
)
def test_parse_refuses_what_is_not_two_fractions(text: str) -> None:
    with pytest.raises(BadFocal):
        parse(text)


@pytest.mark.parametrize("values", [(-0.01, 0.5), (0.5, 1.01), (math.nan, 0.5), (0.5, math.inf)])
def test_focal_refuses_values_outside_the_image(values: tuple[float, float]) -> None:
    with pytest.raises(BadFocal):
        Focal(*values)


def test_format_has_four_decimals_and_parses_back() -> None:
    assert format_value(Focal(0.312, 0.441)) == "0.3120,0.4410"
    assert format_value(Focal(1, 0)) == "1.0000,0.0000"
    assert format_value(Focal(0.123456, 0.98765)) == "0.1235,0.9877"
    assert parse(format_value(Focal(0.123456, 0.98765))) == Focal(0.1235, 0.9877)
