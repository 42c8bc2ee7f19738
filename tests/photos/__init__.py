"""Real photos for tests (see README.md): paths and what is known about their subjects."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
LADYBIRD = HERE / "ladybird.jpg"
# Where the ladybird's red shell is, in display pixels of ladybird.jpg (640x400), and its centre
# as fractions of the size: the focal point an editor would click.
LADYBIRD_SIZE = (640, 400)
LADYBIRD_BOX = (426, 179, 470, 206)
LADYBIRD_FOCAL = (0.70, 0.48)
