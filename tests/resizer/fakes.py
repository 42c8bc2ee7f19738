"""Test doubles for what moto cannot play: Lambda events and context, and an S3 that misbehaves.

`FakeS3Server` is a real HTTP server on loopback, so botocore's own retry, timeout and error
parsing run unpatched against it; it answers every request the same (bad) way and counts them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote


@dataclass
class FakeContext:
    """The attributes of the Lambda context object the handler may read."""

    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    function_name: str = "image-resizer"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:image-resizer"
    memory_limit_in_mb: int = 1024
    log_group_name: str = "/aws/lambda/image-resizer"
    log_stream_name: str = "2026/11/28/[$LATEST]2e1dfd7ea8e64ab8b1c5d3f0f6b8e1d4"
    timeout_ms: int = 30_000
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        elapsed = (time.monotonic() - self._started) * 1000
        return max(0, int(self.timeout_ms - elapsed))


def s3_error_xml(code: str, message: str) -> bytes:
    """Return an S3 error document as S3 itself writes it."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        "<RequestId>4442587FB7D0A2F9</RequestId>"
        "<HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId></Error>"
    ).encode()


@dataclass
class Behaviour:
    """How the fake answers: an error status/code, a hang, or a body shorter than announced."""

    status: int = 503
    code: str = "SlowDown"
    message: str = "Please reduce your request rate."
    hang: float = 0.0  # seconds to sit on the request before answering (past a read timeout)
    announce_length: int | None = None  # answer 200 with this Content-Length, send 16 bytes, wait


class FakeS3Server:
    """A loopback HTTP server that answers every request the same way, counting requests."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.requests: list[tuple[str, str]] = []
        self.release = threading.Event()  # set on shutdown: frees hanging handler threads
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        # Every answer closes its connection, so each handler thread ends after one request and
        # stop() can join them all: `requests` is complete once the server has stopped.
        self._server.daemon_threads = False
        self._server.block_on_close = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def count(self, method: str | None = None) -> int:
        with self._lock:
            return sum(1 for m, _ in self.requests if method is None or m == method)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()  # joins the handler threads
        self._thread.join(timeout=5)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

            def _drain_body(self) -> None:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return
                        self.rfile.read(size + 2)
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)

            def _answer(self) -> None:
                with fake._lock:
                    fake.requests.append((self.command, self.path))
                self._drain_body()
                self.close_connection = True
                b = fake.behaviour
                try:
                    if b.hang:
                        fake.release.wait(b.hang)
                    if b.announce_length is not None:
                        self.send_response(200)
                        self.send_header("Content-Type", "image/jpeg")
                        self.send_header("Content-Length", str(b.announce_length))
                        self.send_header("ETag", '"0123456789abcdef0123456789abcdef"')
                        self.send_header("Connection", "close")
                        self.end_headers()
                        self.wfile.write(b"\xff\xd8\xff" + b"\0" * 13)
                        self.wfile.flush()
                        fake.release.wait(30)
                        return
                    body = s3_error_xml(b.code, b.message)
                    self.send_response(b.status)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("x-amz-request-id", "4442587FB7D0A2F9")
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout): that was the point

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _answer

        return Handler


@contextmanager
def fake_s3(**behaviour: object) -> Iterator[FakeS3Server]:
    """Run a FakeS3Server for the duration of the block."""
    server = FakeS3Server(Behaviour(**behaviour))  # type: ignore[arg-type]
    server.start()
    try:
        yield server
    finally:
        server.stop()


EVENTS_DIR = Path(__file__).with_name("events")
EVENT_KINDS = ("apigw_rest_v1", "http_api_v2", "function_url")


def load_event(kind: str) -> dict[str, Any]:
    """Return a recorded event (see events/): API Gateway REST 1.0, HTTP API 2.0, Function URL."""
    doc: dict[str, Any] = json.loads((EVENTS_DIR / f"{kind}.json").read_text())
    return doc


def make_event(kind: str, *keys: str, method: str = "GET") -> dict[str, Any]:
    """Return the recorded `kind` event asking for `keys` (none: no query; several: repeated).

    Fields are filled as API Gateway fills them: decoded values in queryStringParameters (1.0
    keeps the last repeat, 2.0 joins repeats with commas), percent-encoded rawQueryString (2.0).
    """
    event = load_event(kind)
    if kind == "apigw_rest_v1":
        event["httpMethod"] = method
        event["requestContext"]["httpMethod"] = method
        event["queryStringParameters"] = {"key": keys[-1]} if keys else None
        event["multiValueQueryStringParameters"] = {"key": list(keys)} if keys else None
    else:
        event["requestContext"]["http"]["method"] = method
        event["rawQueryString"] = "&".join("key=" + quote(k, safe="") for k in keys)
        if keys:
            event["queryStringParameters"] = {"key": ",".join(keys)}
        else:
            event.pop("queryStringParameters", None)  # 2.0 omits the field without a query
    return event
