"""A clock on decoding: Pillow reads the original through `DecodeClock`, which stops it in time.

Pillow's decoders run in C and cannot be interrupted by a Python timer. But the streaming ones
(JPEG, PNG, GIF) take their input from Python one block at a time through `read()`, and libjpeg
suspends when a block runs out, so a clock checked on every read bounds a decode to the limit plus
the work one block can cause. For a JPEG a block also ends where each scan starts (the offsets
come from the marker walk in resizer_lambda.jpeg): one scan of a few bytes can cost a pass over
the whole image, so without that cut one 64 KB block could hold a hundred such passes.

WebP and AVIF decode in one call without reading in between; their time is bounded by the byte
and pixel limits alone (docs/resizer.md has the figures).
"""

from __future__ import annotations

import bisect
import io
import time
from collections.abc import Callable, Sequence

from resizer_lambda.errors import DecodeTooSlow

Clock = Callable[[], float]


class DecodeClock(io.BytesIO):
    """The original's bytes; once `start`ed, every read checks the deadline and stops at scans."""

    def __init__(self, data: bytes, boundaries: Sequence[int] = ()) -> None:
        super().__init__(data)
        self._boundaries = sorted(boundaries)
        self._clock: Clock = time.monotonic
        self._started = 0.0
        self._limit = 0.0
        self._running = False
        self.reads = 0  # reads since start (for tests and the bench)

    def start(self, limit: float, clock: Clock = time.monotonic) -> None:
        """Start the clock: reads from now on raise DecodeTooSlow once `limit` seconds pass.

        Header parsing happens before, with whole reads: Pillow expects them.
        """
        self._clock = clock
        self._limit = limit
        self._started = clock()
        self._running = True
        self.reads = 0

    def check(self) -> None:
        """Raise DecodeTooSlow if the clock runs and `limit` seconds have passed.

        For decoders that read the bytes at once rather than through `read` (libvips for PNG).
        """
        if not self._running:
            return
        elapsed = self._clock() - self._started
        if elapsed > self._limit:
            raise DecodeTooSlow(elapsed, self._limit)

    def read(self, size: int | None = -1, /) -> bytes:
        if not self._running:
            return super().read(size)
        self.check()
        self.reads += 1
        pos = self.tell()
        i = bisect.bisect_right(self._boundaries, pos)
        if i < len(self._boundaries):
            to_boundary = self._boundaries[i] - pos
            size = to_boundary if size is None or size < 0 else min(size, to_boundary)
        return super().read(size)
