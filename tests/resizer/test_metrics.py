"""The log line as CloudWatch Embedded Metric Format, and Server-Timing on direct responses.

`assert_emf` checks a line against the EMF specification itself (the rules, not the code's
constants): the `_aws` metadata, every MetricDirective's members, every metric a number at the top
level, every dimension a string at the top level.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from resizer_lambda import metrics
from tests.resizer.conftest import Invoke, head
from tests.resizer.fakes import FakeContext

ORIGINAL = "originals/photo.jpg"
SMALL = head("small")
# The units CloudWatch accepts (MetricDatum.Unit), as the EMF specification lists them.
CLOUDWATCH_UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
    "Terabits/Second", "Count/Second", "None",
}  # fmt: skip


def now_ms() -> int:
    return int(time.time() * 1000)


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def assert_emf(line: dict[str, Any]) -> dict[tuple[str, ...], set[str]]:
    """Assert `line` is a valid EMF document; return {dimension set: metric names}."""
    aws = line["_aws"]
    assert set(aws) == {"Timestamp", "CloudWatchMetrics"}
    assert type(aws["Timestamp"]) is int
    assert abs(aws["Timestamp"] - time.time() * 1000) < 60_000  # milliseconds since the epoch
    published: dict[tuple[str, ...], set[str]] = {}
    assert aws["CloudWatchMetrics"]
    for directive in aws["CloudWatchMetrics"]:
        assert set(directive) == {"Namespace", "Dimensions", "Metrics"}
        namespace = directive["Namespace"]
        assert isinstance(namespace, str)
        assert 1 <= len(namespace) <= 1024
        assert not namespace.startswith("AWS/")  # reserved for AWS's own metrics
        assert len(directive["Dimensions"]) >= 1
        assert 1 <= len(directive["Metrics"]) <= 100
        for dimension_set in directive["Dimensions"]:
            assert len(dimension_set) <= 30
            for key in dimension_set:
                value = line[key]
                assert isinstance(value, str), (key, value)
                assert 1 <= len(value) <= 1024, (key, value)
            names = published.setdefault(tuple(dimension_set), set())
            for definition in directive["Metrics"]:
                assert set(definition) <= {"Name", "Unit", "StorageResolution"}
                assert definition.get("Unit", "None") in CLOUDWATCH_UNITS
                value = line[definition["Name"]]
                assert is_number(value), (definition["Name"], value)
                names.add(definition["Name"])
    return published


@pytest.fixture
def original(lambda_env: str, s3_client: Any, photo: bytes) -> str:
    s3_client.put_object(Bucket=lambda_env, Key=ORIGINAL, Body=photo, ContentType="image/jpeg")
    return lambda_env


# --- the pure record --------------------------------------------------------------------------


def rendered_record() -> dict[str, Any]:
    return {
        "level": "info",
        "request_id": "r-1",
        "key": f"small/{ORIGINAL}",
        "preset": "small",
        "bytes_in": 120_000,
        "bytes_out": 9_000,
        "method": "GET",
        "existed": False,
        "ms": {"exists": 3.1, "fetch": 20.5, "decode": 40.0, "resize": 8.2, "encode": 6.0,
               "put": 15.0, "total": 95.25},
        "status": 301,
    }  # fmt: skip


def test_record_keeps_every_field_and_adds_metrics() -> None:
    record = rendered_record()
    line = metrics.emf_record(record, "imageadmin/test", 1_700_000_000_000)

    assert {k: v for k, v in line.items() if k in record} == record
    assert line["_aws"]["Timestamp"] == 1_700_000_000_000
    assert {d["Namespace"] for d in line["_aws"]["CloudWatchMetrics"]} == {"imageadmin/test"}
    assert (line["FetchMs"], line["PutMs"], line["TotalMs"]) == (20.5, 15.0, 95.25)
    assert (line["BytesIn"], line["BytesOut"]) == (120_000, 9_000)
    assert (line["Requests"], line["Renders"], line["Status4xx"], line["Status5xx"]) == (1, 1, 0, 0)
    assert line["Preset"] == "small"


@pytest.mark.parametrize(
    ("status", "status_4xx", "status_5xx"),
    [(200, 0, 0), (301, 0, 0), (400, 1, 0), (404, 1, 0), (499, 1, 0), (500, 0, 1), (503, 0, 1)],
)
def test_status_classes_are_counted_on_every_line(
    status: int, status_4xx: int, status_5xx: int
) -> None:
    line = metrics.emf_record({"status": status, "ms": {"total": 1.0}}, "ns", 0)
    assert (line["Status4xx"], line["Status5xx"], line["Requests"]) == (status_4xx, status_5xx, 1)


def test_stages_that_did_not_run_publish_nothing() -> None:
    # A variant that existed: no fetch, decode, ... and no bytes in; a 0 would skew percentiles.
    record = {"preset": "small", "status": 301, "bytes_in": 0, "bytes_out": 0,
              "ms": {"exists": 2.0, "total": 4.0}}  # fmt: skip
    line = metrics.emf_record(record, "ns", now_ms())
    published = assert_emf(line)

    assert published[()] == {"Requests", "Renders", "Status4xx", "Status5xx", "ExistsMs", "TotalMs"}
    assert published[("Preset",)] == {"Renders", "TotalMs"}
    assert line["Renders"] == 0
    for name in ("FetchMs", "DecodeMs", "PutMs", "BytesIn", "BytesOut"):
        assert name not in line


@pytest.mark.parametrize("preset", [None, ""])
def test_requests_without_a_known_preset_share_one_dimension_value(preset: str | None) -> None:
    line = metrics.emf_record({"preset": preset, "status": 404, "ms": {"total": 1.0}}, "ns", 0)
    assert line["Preset"] == metrics.NO_PRESET


def test_every_metric_has_a_unit_and_presets_get_only_a_few() -> None:
    line = metrics.emf_record(rendered_record(), "ns", now_ms())
    published = assert_emf(line)

    assert published[()] == set(metrics.UNITS)  # a render runs every stage
    assert published[("Preset",)] == set(metrics.PER_PRESET)
    units = {d["Name"]: d["Unit"] for c in line["_aws"]["CloudWatchMetrics"] for d in c["Metrics"]}
    assert units["TotalMs"] == "Milliseconds"
    assert units["BytesOut"] == "Bytes"
    assert units["Status5xx"] == "Count"


@pytest.mark.parametrize(
    ("env", "expected"),
    [({}, metrics.DEFAULT_NAMESPACE), ({"METRICS_NAMESPACE": " "}, metrics.DEFAULT_NAMESPACE),
     ({"METRICS_NAMESPACE": "imageadmin/shop"}, "imageadmin/shop")],
)  # fmt: skip
def test_namespace_from_the_environment(env: dict[str, str], expected: str) -> None:
    assert metrics.namespace(env) == expected


def test_server_timing_lists_the_stages_in_order() -> None:
    value = metrics.server_timing({"total": 95.25, "fetch": 20.5, "exists": 3.1, "put": 15.0})
    assert value == "exists;dur=3.1, fetch;dur=20.5, put;dur=15.0, total;dur=95.25"


# --- the handler's line -----------------------------------------------------------------------


def test_handler_line_is_emf_for_a_render(
    original: str, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METRICS_NAMESPACE", "imageadmin/image-resizer")
    log = invoke(f"{SMALL}.webp/{ORIGINAL}", context=FakeContext(aws_request_id="req-9")).log

    published = assert_emf(log)
    assert published[()] == set(metrics.UNITS)
    assert {d["Namespace"] for d in log["_aws"]["CloudWatchMetrics"]} == {
        "imageadmin/image-resizer"
    }
    assert log["Preset"] == log["preset"] == "small"
    assert log["TotalMs"] == log["ms"]["total"]
    assert log["BytesOut"] == log["bytes_out"] > 0
    assert (log["status"], log["Renders"], log["request_id"]) == (301, 1, "req-9")


def test_handler_line_for_an_existing_variant(original: str, invoke: Invoke) -> None:
    invoke(f"{SMALL}/{ORIGINAL}")
    log = invoke(f"{SMALL}/{ORIGINAL}").log

    published = assert_emf(log)
    assert "FetchMs" not in published[()]
    assert log["Renders"] == 0
    assert log["_aws"]["CloudWatchMetrics"][0]["Namespace"] == metrics.DEFAULT_NAMESPACE


@pytest.mark.parametrize(
    ("key", "status", "counted"),
    [(f"huge/{ORIGINAL}", 404, "Status4xx"), ("small/..", 400, "Status4xx"),
     (f"{SMALL}/originals/missing.jpg", 404, "Status4xx")],
)  # fmt: skip
def test_handler_line_for_client_errors(
    key: str, status: int, counted: str, original: str, invoke: Invoke
) -> None:
    log = invoke(key).log

    assert_emf(log)
    assert log["status"] == status
    assert log[counted] == 1
    # Only a configured preset becomes a dimension value: made-up names cannot add metrics.
    expected = "small" if key.startswith(f"{SMALL}/originals") else metrics.NO_PRESET
    assert log["Preset"] == expected


def test_handler_line_for_a_config_error(lambda_env: str, invoke: Invoke, monkeypatch: Any) -> None:
    monkeypatch.setenv("REDIRECT_CODE", "200")  # settings refuse it: 500 config_error
    log = invoke(f"{SMALL}/{ORIGINAL}").log

    assert_emf(log)
    assert (log["status"], log["Status5xx"], log["Preset"]) == (500, 1, metrics.NO_PRESET)


# --- Server-Timing ----------------------------------------------------------------------------


@pytest.fixture
def direct(original: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("RESPONSE_MODE", "direct")
    return original


def timing_entries(header: str) -> dict[str, float]:
    entries = {}
    for entry in header.split(", "):
        name, dur = entry.split(";")
        assert dur.startswith("dur=")
        entries[name] = float(dur.removeprefix("dur="))
    return entries


def test_direct_render_has_server_timing_for_every_stage(direct: str, invoke: Invoke) -> None:
    result = invoke(f"{SMALL}/{ORIGINAL}")

    assert result.status == 200
    entries = timing_entries(result.headers["Server-Timing"])
    assert list(entries) == ["exists", "fetch", "decode", "resize", "encode", "put", "total"]
    assert entries == result.log["ms"]  # the same numbers as the log line
    assert entries["total"] >= entries["decode"] + entries["encode"]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_direct_existing_variant_has_server_timing(
    method: str, direct: str, invoke: Invoke
) -> None:
    invoke(f"{SMALL}/{ORIGINAL}")
    result = invoke(f"{SMALL}/{ORIGINAL}", method=method)

    assert result.status == 200
    assert list(timing_entries(result.headers["Server-Timing"])) == ["exists", "total"]


def test_redirects_and_errors_have_no_server_timing(original: str, invoke: Invoke) -> None:
    assert "Server-Timing" not in invoke(f"{SMALL}/{ORIGINAL}").headers  # redirect mode
    assert "Server-Timing" not in invoke(f"huge/{ORIGINAL}").headers  # 404
