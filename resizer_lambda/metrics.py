"""The request's log line as CloudWatch metrics (Embedded Metric Format), and Server-Timing.

The handler writes one JSON line per request. Adding an `_aws` member and a few top-level numbers
makes CloudWatch Logs extract metrics from that same line, so metrics and alarms need no API call,
no agent and no permission beyond writing logs
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).

Every metric and dimension combination is a custom metric billed by the hour it is sent, so the
set is bounded: service-wide metrics with no dimension, and a few per preset. The `Preset`
dimension only ever holds a preset the handler found in its configuration (the handler sets
`preset` only after the key parsed); anything else, an unknown name or a bad key, is `-`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

DEFAULT_NAMESPACE = "imageadmin/resizer"
NO_PRESET = "-"

# Stage timings as the handler records them (`ms` in the log line), in the order they happen.
STAGES = ("exists", "fetch", "decode", "resize", "encode", "put", "total")
STAGE_METRICS = {stage: f"{stage.capitalize()}Ms" for stage in STAGES}
COUNT_METRICS = ("Requests", "Renders", "Status4xx", "Status5xx")
BYTES_METRICS = {"bytes_in": "BytesIn", "bytes_out": "BytesOut"}
# Metrics also published per preset: what a preset costs (renders, time, bytes).
PER_PRESET = ("Renders", "TotalMs", "BytesOut")

UNITS: dict[str, str] = {
    **dict.fromkeys(STAGE_METRICS.values(), "Milliseconds"),
    **dict.fromkeys(COUNT_METRICS, "Count"),
    **dict.fromkeys(BYTES_METRICS.values(), "Bytes"),
}


def namespace(env: Mapping[str, str]) -> str:
    """Return the metrics namespace: METRICS_NAMESPACE, or the default."""
    return env.get("METRICS_NAMESPACE", "").strip() or DEFAULT_NAMESPACE


def values(record: Mapping[str, Any]) -> dict[str, float]:
    """Return the metric values of one request's log record.

    A stage that did not run has no value (rather than 0, which would drag its percentiles
    down); the counts are on every line, 0 or 1, so their average is a rate.
    """
    status = int(record.get("status") or 0)
    timings: Mapping[str, float] = record.get("ms") or {}
    out: dict[str, float] = {
        "Requests": 1,
        "Renders": 1 if "put" in timings else 0,
        "Status4xx": 1 if 400 <= status < 500 else 0,
        "Status5xx": 1 if status >= 500 else 0,
    }
    for stage, name in STAGE_METRICS.items():
        if stage in timings:
            out[name] = float(timings[stage])
    for field, name in BYTES_METRICS.items():
        if record.get(field):
            out[name] = int(record[field])
    return out


def emf_record(record: Mapping[str, Any], namespace: str, timestamp_ms: int) -> dict[str, Any]:
    """Return `record` with the metric values and the `_aws` directives that publish them.

    Every field of `record` is kept as it was; the metrics are added as top-level members
    (CamelCase, where the log's own fields are snake_case), as the format requires.
    """
    metrics = values(record)
    preset = record.get("preset")
    dimension = preset if isinstance(preset, str) and preset else NO_PRESET

    def definitions(names: Iterable[str]) -> list[dict[str, str]]:
        return [{"Name": name, "Unit": UNITS[name]} for name in names if name in metrics]

    return {
        **record,
        **metrics,
        "Preset": dimension,
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {"Namespace": namespace, "Dimensions": [[]], "Metrics": definitions(metrics)},
                {
                    "Namespace": namespace,
                    "Dimensions": [["Preset"]],
                    "Metrics": definitions(PER_PRESET),
                },
            ],
        },
    }


def server_timing(timings: Mapping[str, float]) -> str:
    """Return a Server-Timing header value (`fetch;dur=12.3, ..., total;dur=80.1`)."""
    return ", ".join(f"{stage};dur={timings[stage]}" for stage in STAGES if stage in timings)
