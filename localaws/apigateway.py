"""API Gateway (REST API, Lambda proxy integration, payload 1.0) in front of the resizer.

The template's API has one resource, `/resize` on the stage `default`, with GET and HEAD methods
proxied to the Lambda. What API Gateway documents for that integration, and what this module
builds (tests/resizer/events/apigw_rest_v1.json is a recorded event of the same shape):

- The event: `resource` and `path` are the resource path (`/resize`), `requestContext.path` the
  stage path (`/default/resize`), `httpMethod`, `headers` (last value per name) and
  `multiValueHeaders`, `queryStringParameters` and `multiValueQueryStringParameters` (None when
  there is no query), `pathParameters`/`stageVariables` None, `body` None, `isBase64Encoded` false.
- The query string is decoded once, as `application/x-www-form-urlencoded`: `%XX` escapes are
  decoded and `+` becomes a space (`?key=a+b` arrives as `a b`, `%2B` as `+`); for a repeated name
  `queryStringParameters` holds the last value, `multiValueQueryStringParameters` all of them.
- The Lambda's answer: `statusCode`, `headers`, `multiValueHeaders`, `body` (base64 when
  `isBase64Encoded`). An answer without a valid `statusCode`, or a function that raises, becomes
  502 `{"message": "Internal server error"}`. HEAD answers carry no body.
- A method the resource does not define answers 403 `{"message":"Missing Authentication Token"}`.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

FUNCTION_NAME = "image-resizer"
TIMEOUT_MS = 25_000  # the template's function timeout
INTERNAL_ERROR = (502, {"message": "Internal server error"})
MISSING_TOKEN = (403, {"message": "Missing Authentication Token"})


@dataclass(frozen=True)
class ApiResponse:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


def json_response(status: int, payload: Mapping[str, Any], request_id: str = "") -> ApiResponse:
    body = json.dumps(payload).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    if request_id:
        headers.append(("x-amzn-RequestId", request_id))
    return ApiResponse(status, tuple(headers), body)


def query_parameters(
    raw_query: str,
) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    """Return (queryStringParameters, multiValueQueryStringParameters) as API Gateway does."""
    pairs = parse_qsl(raw_query, keep_blank_values=True)
    if not pairs:
        return None, None
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        multi.setdefault(name, []).append(value)
    return {name: values[-1] for name, values in multi.items()}, multi


def rest_event(
    *,
    method: str,
    stage: str,
    resource: str,
    raw_query: str,
    headers: Iterable[tuple[str, str]],
    source_ip: str = "127.0.0.1",
    request_id: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Return the Lambda proxy event (payload 1.0) API Gateway sends for this request."""
    single: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        single[name] = value
        multi_headers.setdefault(name, []).append(value)
    params, multi_params = query_parameters(raw_query)
    request_id = request_id or str(uuid.uuid4())
    now = time.time() if now is None else now
    host = single.get("Host", "")
    user_agent = single.get("User-Agent")
    return {
        "resource": resource,
        "path": resource,
        "httpMethod": method,
        "headers": single or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": params,
        "multiValueQueryStringParameters": multi_params,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split(".")[0].split(":")[0],
            "httpMethod": method,
            "identity": {"sourceIp": source_ip, "userAgent": user_agent},
            "path": f"/{stage}{resource}",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000),
            "resourceId": "local",
            "resourcePath": resource,
            "stage": stage,
        },
        "body": None,
        "isBase64Encoded": False,
    }


@dataclass
class LambdaContext:
    """The context object the Lambda runtime passes (what the handler reads of it)."""

    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_name: str = FUNCTION_NAME
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1769
    invoked_function_arn: str = f"arn:aws:lambda:us-east-1:000000000000:function:{FUNCTION_NAME}"
    log_group_name: str = f"/aws/lambda/{FUNCTION_NAME}"
    log_stream_name: str = "local"
    deadline: float = field(default_factory=lambda: time.monotonic() + TIMEOUT_MS / 1000)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def proxy_response(result: Any, head: bool, request_id: str = "") -> ApiResponse:
    """Return the HTTP answer for the Lambda's result, or 502 if it is not a valid one."""
    if not isinstance(result, Mapping) or not isinstance(result.get("statusCode"), int):
        return json_response(*INTERNAL_ERROR, request_id=request_id)
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((str(name), str(value)))
    named = {n.lower() for n, _ in headers}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        if str(name).lower() not in named:
            headers.extend((str(name), str(v)) for v in values)
    body_text = result.get("body") or ""
    try:
        if result.get("isBase64Encoded"):
            body = base64.b64decode(body_text, validate=True)
        else:
            body = str(body_text).encode()
    except ValueError:
        return json_response(*INTERNAL_ERROR, request_id=request_id)
    headers = [(n, v) for n, v in headers if n.lower() != "content-length"]
    headers.append(("Content-Length", str(len(body))))
    if request_id:
        headers.append(("x-amzn-RequestId", request_id))
    return ApiResponse(int(result["statusCode"]), tuple(headers), b"" if head else body)
