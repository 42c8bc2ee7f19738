"""imageadmin.logs: the event helper and the JSON formatter, on their own."""

from __future__ import annotations

import json
import logging
import math
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from imageadmin import logs
from imageadmin.logs import JsonFormatter, log_event

LOGGER = "imageadmin.tests"


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text for you")


def event_records(caplog: pytest.LogCaptureFixture, event: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "event", None) == event]


def formatted(record: logging.LogRecord) -> dict[str, Any]:
    line = JsonFormatter().format(record)
    assert "\n" not in line  # one object per line, whatever the values
    doc = json.loads(line)
    assert isinstance(doc, dict)
    return doc


def test_an_event_is_a_readable_message_with_its_fields_in_extra(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    log_event(
        logging.getLogger(LOGGER),
        "upload.stored",
        asset=12,
        key="originals/2026/01/shoe-a1b2c3.jpg",
        name="red shoe.jpg",
        bytes=48213,
        ms=37,
    )
    [record] = event_records(caplog, "upload.stored")
    assert record.levelno == logging.INFO
    assert record.getMessage() == (
        'upload.stored asset=12 key=originals/2026/01/shoe-a1b2c3.jpg name="red shoe.jpg" '
        "bytes=48213 ms=37"
    )
    assert record.fields == {  # type: ignore[attr-defined]
        "asset": 12,
        "key": "originals/2026/01/shoe-a1b2c3.jpg",
        "name": "red shoe.jpg",
        "bytes": 48213,
        "ms": 37,
    }
    # The record points at the caller, not at the helper.
    assert record.funcName == "test_an_event_is_a_readable_message_with_its_fields_in_extra"
    assert Path(record.pathname).name == "test_logs.py"


def test_nothing_is_built_below_the_loggers_level(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER)
    log_event(logging.getLogger(LOGGER), "job.progress", job=Unprintable())
    assert not caplog.records


def test_json_has_time_level_logger_event_and_the_fields(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    log_event(
        logging.getLogger(LOGGER),
        "publish.finished",
        level=logging.WARNING,
        publication=3,
        status="failed",
        changed=["presets_json", "website"],
        data={"deleted": 2},
    )
    [record] = event_records(caplog, "publish.finished")
    doc = formatted(record)
    assert list(doc)[:5] == ["time", "level", "logger", "event", "message"]
    assert doc["level"] == "WARNING"
    assert doc["logger"] == LOGGER
    assert doc["event"] == "publish.finished"
    assert doc["publication"] == 3
    assert doc["changed"] == ["presets_json", "website"]
    assert doc["data"] == {"deleted": 2}
    assert doc["message"].startswith("publish.finished publication=3 status=failed ")
    assert 'changed=["presets_json","website"]' in doc["message"]
    when = datetime.fromisoformat(doc["time"])
    assert doc["time"].endswith("Z")
    assert when.utcoffset() is not None
    assert when.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert abs(when.timestamp() - record.created) < 0.001
    assert "exception" not in doc


def test_exception_info_is_a_string(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    try:
        raise ValueError("the bucket said no")
    except ValueError:
        log_event(logging.getLogger(LOGGER), "upload.failed", level=logging.ERROR, exc_info=True)
    [record] = event_records(caplog, "upload.failed")
    doc = formatted(record)
    assert doc["level"] == "ERROR"
    assert isinstance(doc["exception"], str)
    assert doc["exception"].startswith("Traceback (most recent call last):")
    assert "ValueError: the bucket said no" in doc["exception"]


def test_values_json_cannot_hold_never_make_it_raise(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    loop: list[Any] = [1]
    loop.append(loop)
    log_event(
        logging.getLogger(LOGGER),
        "job.finished",
        broken=Unprintable(),
        when=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        amount=Decimal("1.50"),
        tags={"b"},
        raw=b"\xff\x00",
        ratio=math.nan,
        loop=loop,
        path=Path("/tmp/x"),
        keyed={1: "one", Unprintable(): "two"},
    )
    [record] = event_records(caplog, "job.finished")
    doc = formatted(record)
    assert doc["broken"] == "<unprintable Unprintable>"
    assert doc["when"] == "2026-01-02T03:04:05+00:00"
    assert doc["amount"] == "1.50"
    assert doc["tags"] == ["b"]
    assert doc["raw"] == "<2 bytes>"
    assert doc["ratio"] == "nan"
    assert doc["loop"][0] == 1  # the cycle ends as text a few levels down
    assert doc["path"] == "/tmp/x"
    assert doc["keyed"] == {"1": "one", "<unprintable Unprintable>": "two"}
    assert "broken=<unprintable Unprintable>" in doc["message"]


def test_a_field_named_like_a_key_of_the_line_is_kept_aside(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    log_event(logging.getLogger(LOGGER), "events.batch", level=logging.INFO, message="hi", time=1)
    doc = formatted(event_records(caplog, "events.batch")[0])
    assert doc["event"] == "events.batch"
    assert doc["field.message"] == "hi"
    assert doc["field.time"] == 1
    assert doc["time"].endswith("Z")


def test_a_record_logged_another_way_is_a_line_too() -> None:
    record = logging.LogRecord(LOGGER, logging.INFO, __file__, 1, "plain %s %d", ("a",), None)
    doc = formatted(record)  # a bad %-format in someone's call does not lose the line
    assert doc["event"] is None
    assert "plain %s %d" in doc["message"]
    stacked = logging.LogRecord(LOGGER, logging.INFO, __file__, 1, "hello", None, None)
    stacked.stack_info = "Stack (most recent call last):\n  here"
    doc = formatted(stacked)
    assert (doc["message"], doc["stack"]) == ("hello", stacked.stack_info)


def test_summary_shrinks_a_steps_data() -> None:
    data = {
        "deleted": {"small": 3, "large": 2},
        "rows_deleted": {"small": 1},
        "invalidation_paths": ["/small/a.jpg", "/large/a.jpg"],
        "id": "I2X",
        "other": {"nested": {"x": 1}},
        "flag": True,
    }
    assert logs.summary(data) == {
        "deleted": 5,
        "rows_deleted": 1,
        "invalidation_paths": 2,
        "id": "I2X",
        "flag": True,
    }


def test_durations() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert logs.duration_ms(start, datetime(2026, 1, 1, 0, 0, 1, 500, tzinfo=UTC)) == 1000
    assert logs.duration_ms(None) is None
    assert logs.ms_since(0.0) > 0


def test_the_app_configures_no_logging_and_the_demo_site_writes_json() -> None:
    app = Path(logs.__file__).parent
    for source in app.rglob("*.py"):
        text = source.read_text()
        for call in ("basicConfig(", "dictConfig(", "addHandler(", ".setLevel("):
            assert call not in text, f"{source} configures logging ({call})"
    config = django_settings.LOGGING
    [handler] = config["loggers"]["imageadmin"]["handlers"]
    formatter = config["handlers"][handler]["formatter"]
    assert config["formatters"][formatter]["()"] == "imageadmin.logs.JsonFormatter"
