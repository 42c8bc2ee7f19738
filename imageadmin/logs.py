"""Structured log events: one helper to log an event with fields, one formatter for JSON lines.

The app logs what it does (uploads, deletes, publications, jobs, purges, syncs, event batches)
as named events with fields, through the standard `logging` module only: it never configures
a handler, a level or a formatter; the host project's `LOGGING` setting decides where the lines
go (docs/integrate.md, "Logs", lists every event). Each record carries the event name as
`record.event` and its fields as the dict `record.fields` (passed through `extra`), so any
handler can use them, and a plain message that reads on its own
(`upload.stored asset=12 key=originals/2026/01/shoe-a1b2c3.jpg bytes=48213 ms=37`).
`JsonFormatter` writes a record as one JSON object per line for a log pipeline.

The standard library covers this: no dependency (python-json-logger, structlog) is needed for
one formatter and one helper.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

__all__ = ["JsonFormatter", "duration_ms", "log_event", "ms_since", "summary"]

_MAX_DEPTH = 6  # nested containers deeper than this are written as text
# The keys JsonFormatter writes itself; a field of the same name is written as "field.<name>".
_OWN_KEYS = ("time", "level", "logger", "event", "message", "exception", "stack")


def _text(value: object) -> str:
    """Return `value` as text for the plain message; never raise (a broken __str__ included).

    Text with spaces, quotes or `=` is quoted; lists and mappings are written as compact JSON.
    """
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        return json.dumps(_jsonable(value), separators=(",", ":"), default=str)
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:
        return f"<unprintable {type(value).__name__}>"
    if text == "" or any(c.isspace() or c in '="' for c in text):
        return json.dumps(text)
    return text


class _Message:
    """The plain message of an event, built only if a handler formats the record."""

    def __init__(self, event: str, fields: Mapping[str, object]) -> None:
        self.event = event
        self.fields = fields

    def __str__(self) -> str:
        parts = [self.event, *(f"{k}={_text(v)}" for k, v in self.fields.items())]
        return " ".join(parts)


def log_event(
    logger: logging.Logger,
    event: str,
    /,
    *,
    level: int = logging.INFO,
    exc_info: bool = False,
    **fields: object,
) -> None:
    """Log `event` with `fields` on `logger`: a readable message, the fields in `extra`.

    The record's location (function, line) is the caller's. `exc_info=True` inside an `except`
    block attaches the traceback. Event names are stable: docs/integrate.md lists them.
    """
    if not logger.isEnabledFor(level):
        return
    logger.log(
        level,
        _Message(event, fields),
        exc_info=exc_info,
        extra={"event": event, "fields": dict(fields)},
        stacklevel=2,
    )


def summary(data: Mapping[str, object]) -> dict[str, object]:
    """Return `data` shrunk for a log line: lists by length, mappings of numbers by their sum.

    Numbers and text stay as they are, anything else is left out. For the publication steps'
    `data` (counts per preset, lists of CDN paths), which can be long.
    """
    out: dict[str, object] = {}
    for key, value in data.items():
        if isinstance(value, bool | int | float | str):
            out[key] = value
        elif isinstance(value, list | tuple):
            out[key] = len(value)
        elif isinstance(value, Mapping) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value.values()
        ):
            out[key] = sum(value.values())
    return out


def ms_since(started: float) -> int:
    """Return the whole milliseconds since `started`, a `time.monotonic()` reading."""
    return round((time.monotonic() - started) * 1000)


def duration_ms(start: datetime | None, end: datetime | None = None) -> int | None:
    """Return the whole milliseconds from `start` to `end` (default: now); None without a start."""
    if start is None:
        return None
    return round(((end or datetime.now(UTC)) - start).total_seconds() * 1000)


def _jsonable(value: object, depth: int = 0) -> Any:
    """Return `value` as something json.dumps writes without fail (text for anything else)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Enum):
        return _jsonable(value.value, depth)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    if depth < _MAX_DEPTH:
        if isinstance(value, Mapping):
            return {_text_key(k): _jsonable(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [_jsonable(v, depth + 1) for v in value]
    try:
        return str(value)
    except Exception:
        return f"<unprintable {type(value).__name__}>"


def _text_key(key: object) -> str:
    if isinstance(key, str):
        return key
    try:
        return str(key)
    except Exception:
        return f"<unprintable {type(key).__name__}>"


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON: time, level, logger, event, message, fields.

    `time` is ISO 8601 in UTC with milliseconds; `event` is the `log_event` name (null for a
    record logged another way); the event's fields follow as top-level keys (a field named like
    one of these keys is written as `field.<name>`); `exception` (and `stack`) hold the
    formatted traceback when the record has one. Values JSON cannot hold (a datetime, a set, an
    object) are written as text, so formatting never raises.
    """

    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except Exception as err:  # a bad %-format in someone's call: keep the line
            message = f"{record.msg!r} (unformattable: {err!r})"
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "event": _jsonable(getattr(record, "event", None)),
            "message": message,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            for key, value in fields.items():
                name = _text_key(key)
                doc[f"field.{name}" if name in _OWN_KEYS else name] = _jsonable(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            doc["exception"] = record.exc_text
        if record.stack_info:
            doc["stack"] = self.formatStack(record.stack_info)
        return json.dumps(doc, default=str)
