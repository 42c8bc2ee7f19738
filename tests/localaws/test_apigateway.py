"""API Gateway's REST proxy integration (payload 1.0) as the local edge builds and reads it."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from localaws import apigateway

RECORDED = Path(__file__).resolve().parent.parent / "resizer" / "events" / "apigw_rest_v1.json"


@pytest.mark.parametrize(
    ("query", "single", "multi"),
    [
        ("key=small/originals/a.jpg", {"key": "small/originals/a.jpg"}, None),
        ("key=small%2Foriginals%2Fa.jpg", {"key": "small/originals/a.jpg"}, None),
        ("key=a+b.jpg", {"key": "a b.jpg"}, None),  # + is a space in a query string
        ("key=a%2Bb.jpg", {"key": "a+b.jpg"}, None),
        ("key=a%25b.jpg", {"key": "a%b.jpg"}, None),  # decoded once only
        ("key=%C3%BC.jpg", {"key": "ü.jpg"}, None),
        ("key=", {"key": ""}, None),
        ("key=a&key=b", {"key": "b"}, {"key": ["a", "b"]}),  # the last value wins
        ("", None, None),
    ],
)
def test_query_parameters(
    query: str, single: dict[str, str] | None, multi: dict[str, list[str]] | None
) -> None:
    params, multi_params = apigateway.query_parameters(query)
    assert params == single
    expected_multi = (
        multi if multi is not None else ({k: [v] for k, v in single.items()} if single else None)
    )
    assert multi_params == expected_multi


def test_event_has_the_recorded_events_shape() -> None:
    recorded = json.loads(RECORDED.read_text())
    event = apigateway.rest_event(
        method="GET",
        stage="default",
        resource="/resize",
        raw_query="key=small/originals/photo.jpg",
        headers=[("Host", "127.0.0.1:8080"), ("Accept", "image/avif"), ("Accept", "image/*")],
        request_id="r-1",
        now=1_800_000_000,
    )
    assert set(event) == set(recorded)
    assert set(event["requestContext"]) <= set(recorded["requestContext"])
    assert event["resource"] == event["path"] == "/resize"
    assert event["requestContext"]["path"] == "/default/resize"
    assert event["requestContext"]["stage"] == "default"
    assert event["requestContext"]["requestId"] == "r-1"
    assert event["queryStringParameters"] == {"key": "small/originals/photo.jpg"}
    assert event["headers"]["Accept"] == "image/*"
    assert event["multiValueHeaders"]["Accept"] == ["image/avif", "image/*"]
    assert event["body"] is None
    assert event["isBase64Encoded"] is False


def test_the_real_handler_reads_the_event() -> None:
    from resizer_lambda.handler import _method, _query_key

    event = apigateway.rest_event(
        method="HEAD", stage="default", resource="/resize", raw_query="key=small/x.jpg", headers=[]
    )
    assert (_method(event), _query_key(event)) == ("HEAD", "small/x.jpg")


def test_proxy_response_decodes_base64_and_keeps_headers() -> None:
    result = {
        "statusCode": 200,
        "headers": {"Content-Type": "image/jpeg", "Content-Length": "999"},
        "multiValueHeaders": {"Vary": ["Accept", "Origin"]},
        "body": base64.b64encode(b"jpeg").decode(),
        "isBase64Encoded": True,
    }
    reply = apigateway.proxy_response(result, head=False, request_id="r")
    headers = list(reply.headers)
    assert (reply.status, reply.body) == (200, b"jpeg")
    assert ("Content-Type", "image/jpeg") in headers
    assert ("Content-Length", "4") in headers
    assert ("Vary", "Accept") in headers
    assert ("Vary", "Origin") in headers
    assert ("x-amzn-RequestId", "r") in headers
    assert apigateway.proxy_response(result, head=True).body == b""


@pytest.mark.parametrize(
    "result",
    [
        None,
        "nope",
        {},
        {"statusCode": "200"},
        {"statusCode": 200, "body": "!", "isBase64Encoded": True},
    ],
)
def test_malformed_lambda_answers_are_502(result: Any) -> None:
    reply = apigateway.proxy_response(result, head=False)
    assert reply.status == 502
    assert json.loads(reply.body) == {"message": "Internal server error"}


def test_lambda_context_counts_down() -> None:
    context = apigateway.LambdaContext()
    assert 0 < context.get_remaining_time_in_millis() <= apigateway.TIMEOUT_MS
    assert context.aws_request_id
