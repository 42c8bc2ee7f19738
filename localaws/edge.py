"""The local edge: CloudFront -> S3 website endpoint -> routing rules -> API Gateway -> Lambda.

One WSGI app on one port plays every AWS part of the request flow that moto's server does not:

- **CloudFront** (`cache.py`): runs the template's viewer-request function first (`negotiate.py`: a
  `<head>.auto/` path becomes `.avif`, `.webp` or the own format by the Accept header; the access
  line says `as <path>`), then, by that path, answers from its cache (`X-Cache: Hit from edge`) or
  asks the website endpoint (`Miss from edge`; `Error from edge` for 4xx/5xx, as CloudFront says
  `Error from cloudfront`), keeps what the project's cache policy keeps, and forgets what CloudFront
  invalidations name: it polls moto's `ListInvalidations` for the distribution at most every
  `invalidation_ttl` seconds, on the next request. Only GET and HEAD are allowed (403 otherwise, as
  for the template's `AllowedMethods`); the query string is not forwarded (the policy's
  `QueryStringBehavior: none`), and a HEAD miss is fetched with GET.
- **The S3 website endpoint** (`website.py`): the bucket's website configuration as `publish`
  wrote it to moto, re-read at most every `website_ttl` seconds; objects with their stored
  Content-Type and Cache-Control; the bucket policy's 403 for `originals/` and `_config/`; a
  missing key answers 403 (no public ListBucket, as deployed) or 404 (`missing_status`).
  Routing rules without a HostName redirect to the host the request came to, this edge.
- **API Gateway** (`apigateway.py`): requests for `/<IMAGEADMIN_API_PATH>` (the routing rules'
  target; `make run` points IMAGEADMIN_API_HOST at this edge) become REST payload 1.0 events for
  the real `resizer_lambda.handler.handle_event`, the body of the Lambda's `handler`, run
  in-process. Each "container" is a `Resizer` built from the Lambda's environment (BUCKET, URL,
  PRESETS_S3_KEY, ORIGINALS_PREFIX, PRESETS_TTL, AWS_ENDPOINT_URL_S3) and serves one request at a
  time; up to `lambda_concurrency` run at once. PRESETS_TTL is 0 locally: no container keeps old
  presets, so publishing needs no settle time (IMAGEADMIN_PUBLISH_SETTLE_SECONDS=0).

`python -m localaws.edge` serves it from the environment (what `make run` does);
tests build `Edge` directly and serve it on a free port with `serve_in_thread`.
"""

from __future__ import annotations

import email.utils
import http
import logging
import os
import signal
import sys
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any
from urllib.parse import quote, unquote

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from werkzeug.serving import BaseWSGIServer, make_server

from localaws import apigateway, negotiate, website
from localaws.cache import Cache, Policy
from resizer_lambda import handler, s3
from resizer_lambda.errors import ResizerError

logger = logging.getLogger("localaws.edge")

Reply = tuple[int, list[tuple[str, str]], bytes]
CDN_METHODS = ("GET", "HEAD")
METHOD_REFUSED = (
    b"This distribution is not configured to allow the HTTP request method that was used for "
    b"this request. The distribution supports only cachable requests.\n"
)


@dataclass(frozen=True)
class EdgeConfig:
    """What the edge emulates: the bucket, the API path, the distribution and the Lambda's env."""

    bucket: str
    lambda_env: Mapping[str, str]
    api_path: str = "default/resize"
    distribution_id: str = ""
    missing_status: int = 403
    denied_prefixes: tuple[str, ...] = ("originals/", "_config/")
    website_ttl: float = 2.0
    invalidation_ttl: float = 1.0
    policy: Policy = field(default_factory=Policy)
    cache_bytes: int = 256 * 1024 * 1024
    lambda_concurrency: int = 4

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EdgeConfig:
        """Return the configuration `make run` gives the edge through the environment."""
        bucket = env.get("IMAGEADMIN_BUCKET", "images")
        originals = env.get("IMAGEADMIN_ORIGINALS_PREFIX", "originals").strip("/")
        lambda_env = {
            "BUCKET": bucket,
            "URL": env.get("IMAGEADMIN_CDN_URL", "http://127.0.0.1:8080"),
            "PRESETS_S3_KEY": env.get("IMAGEADMIN_PRESETS_KEY", "_config/presets.json"),
            "ORIGINALS_PREFIX": originals,
            "PRESETS_TTL": "0",
        }
        if env.get("AWS_ENDPOINT_URL_S3"):
            lambda_env["AWS_ENDPOINT_URL_S3"] = env["AWS_ENDPOINT_URL_S3"]
        missing = int(env.get("IMAGEADMIN_EDGE_MISSING_STATUS", "403"))
        if missing not in (403, 404):
            raise ValueError(f"IMAGEADMIN_EDGE_MISSING_STATUS must be 403 or 404, got {missing}")
        return cls(
            bucket=bucket,
            lambda_env=lambda_env,
            api_path=env.get("IMAGEADMIN_API_PATH", "default/resize").strip("/"),
            distribution_id=env.get("IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID", ""),
            missing_status=missing,
            denied_prefixes=(f"{originals}/", "_config/") if originals else ("_config/",),
        )


def _raw_target(environ: Mapping[str, Any]) -> tuple[str, str]:
    """Return the request's path and query exactly as the client sent them (not decoded)."""
    raw = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
    if "://" in raw:  # an absolute-form target
        raw = "/" + raw.split("://", 1)[1].partition("/")[2]
    path = raw.partition("?")[0]
    if not path:
        path = quote(
            str(environ.get("PATH_INFO", "/")).encode("latin-1"), safe="/:@!$&'()*+,;=-._~"
        )
    return path or "/", str(environ.get("QUERY_STRING", ""))


def _request_headers(environ: Mapping[str, Any]) -> list[tuple[str, str]]:
    headers = []
    for name, value in environ.items():
        if name.startswith("HTTP_"):
            headers.append((name[5:].replace("_", "-").title(), str(value)))
        elif name in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers.append((name.replace("_", "-").title(), str(value)))
    return headers


def _http_date(value: Any) -> str:
    try:
        return email.utils.format_datetime(value.astimezone(UTC), usegmt=True)
    except (TypeError, ValueError, AttributeError):
        return ""


class Edge:
    """The WSGI app; see the module docstring."""

    def __init__(
        self,
        config: EdgeConfig,
        s3_client: Any = None,
        cloudfront_client: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.s3 = s3_client or boto3.client("s3")
        self.cloudfront = cloudfront_client
        if self.cloudfront is None and config.distribution_id:
            self.cloudfront = boto3.client("cloudfront")
        self.cache = Cache(config.policy, config.cache_bytes, clock)
        self.stats: Counter[str] = Counter()
        self._clock = clock
        self._lock = threading.Lock()
        self._website: website.WebsiteConfig | None = None
        self._website_read_at = float("-inf")
        self._invalidations_lock = threading.Lock()
        self._invalidations_read_at = float("-inf")
        self._seen_invalidations: set[str] = set()
        self._containers: list[handler.Resizer] = []
        self._slots = threading.BoundedSemaphore(max(1, config.lambda_concurrency))

    def count(self, name: str) -> None:
        with self._lock:
            self.stats[name] += 1

    # --- WSGI ----------------------------------------------------------------------------------

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        started = time.perf_counter()
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        raw_path, raw_query = _raw_target(environ)
        headers = _request_headers(environ)
        if raw_path == "/" + self.config.api_path:
            status, out, body = self.api(method, raw_query, headers, environ)
            note = "api"
        else:
            uri = self.viewer_request(raw_path, headers)
            status, out, body = self.cdn(method, uri, headers)
            note = next((v for k, v in out if k == "X-Cache"), "")
            if uri != raw_path:
                note += f" as {uri}"
        target = raw_path + ("?" + raw_query if raw_query else "")
        ms = (time.perf_counter() - started) * 1000
        sys.stdout.write(f"{method} {target} {status} {note} {ms:.0f}ms\n")  # one write per line
        sys.stdout.flush()
        phrase = http.HTTPStatus(status).phrase if status in http.HTTPStatus else "Unknown"
        start_response(f"{status} {phrase}", out)
        return [b"" if method == "HEAD" else body]

    # --- CloudFront ----------------------------------------------------------------------------

    def viewer_request(self, raw_path: str, headers: list[tuple[str, str]]) -> str:
        """Return the path the distribution's viewer-request function makes of `raw_path`.

        The template's function, format negotiation, sees the path as sent (not decoded) and
        every Accept header; a WSGI server joins repeated ones with commas, as the function does.
        """
        accept = [value for name, value in headers if name.lower() == "accept"]
        rewritten = negotiate.rewrite(raw_path, ",".join(accept) if accept else None)
        if rewritten != raw_path:
            self.count("negotiated")
        return rewritten

    def cdn(self, method: str, raw_path: str, headers: list[tuple[str, str]]) -> Reply:
        """Answer a viewer request as CloudFront in front of the website endpoint.

        `raw_path` is the path after the viewer-request function (`viewer_request`): the cache
        key and the path asked of the website endpoint.
        """
        self.count("requests")
        request_id = uuid.uuid4().hex
        common = [("Via", "1.1 local-edge (CloudFront)"), ("X-Amz-Cf-Pop", "LOCAL")]
        common.append(("X-Amz-Cf-Id", request_id))
        if method not in CDN_METHODS:
            plain = [("Content-Type", "text/plain"), ("X-Cache", "Error from edge")]
            return 403, [*plain, *common], METHOD_REFUSED
        try:
            path = unquote(raw_path, errors="strict")
        except UnicodeDecodeError:
            error = website.S3Error(400, "InvalidURI", "Couldn't parse the specified URI.")
            answer = website.error_page(error, request_id)
            return 400, [*answer.headers, ("X-Cache", "Error from edge"), *common], answer.body
        self.sync_invalidations()
        entry = self.cache.get(path)
        if entry is not None:
            self.count("hits")
            age = str(int(self._clock() - entry.stored_at))
            cached = [*entry.headers, ("X-Cache", "Hit from edge"), ("Age", age), *common]
            return entry.status, cached, entry.body
        self.count("misses")
        host = dict((k.lower(), v) for k, v in headers).get("host", "127.0.0.1")
        try:
            answer = website.serve(
                self.website_config(), "GET", path[1:], self.lookup, host, "http", request_id
            )
        except (ClientError, BotoCoreError) as err:
            logger.error("origin error for %s: %s", path, err)
            body = b"CloudFront could not connect to the origin (the local S3 server).\n"
            return 502, [("Content-Type", "text/plain"), ("X-Cache", "Error from edge")], body
        self.cache.put(path, answer.status, answer.headers, answer.body)
        state = "Error" if answer.status >= 400 else "Miss"
        out = [*answer.headers, ("X-Cache", f"{state} from edge"), *common]
        return answer.status, out, answer.body

    def sync_invalidations(self) -> None:
        """Apply the distribution's invalidations not seen yet (at most every invalidation_ttl)."""
        if self.cloudfront is None or not self.config.distribution_id:
            return
        with self._invalidations_lock:
            now = self._clock()
            if now - self._invalidations_read_at < self.config.invalidation_ttl:
                return
            self._invalidations_read_at = now
            dist = self.config.distribution_id
            try:
                pages = self.cloudfront.get_paginator("list_invalidations").paginate(
                    DistributionId=dist
                )
                ids = [i["Id"] for p in pages for i in p["InvalidationList"].get("Items", [])]
                for inv_id in ids:
                    if inv_id in self._seen_invalidations:
                        continue
                    inv = self.cloudfront.get_invalidation(DistributionId=dist, Id=inv_id)
                    paths = inv["Invalidation"]["InvalidationBatch"]["Paths"].get("Items", [])
                    dropped = self.cache.invalidate(paths)
                    self._seen_invalidations.add(inv_id)
                    self.count("invalidations")
                    logger.info(
                        "invalidation %s: %d path(s), %d dropped", inv_id, len(paths), dropped
                    )
            except (ClientError, BotoCoreError) as err:
                logger.warning("cannot read invalidations of %s: %s", dist, err)

    # --- S3 website endpoint ------------------------------------------------------------------

    def website_config(self) -> website.WebsiteConfig | None:
        """Return the bucket's website configuration, re-read at most every website_ttl."""
        with self._lock:
            if self._clock() - self._website_read_at < self.config.website_ttl:
                return self._website
        try:
            data = self.s3.get_bucket_website(Bucket=self.config.bucket)
            config: website.WebsiteConfig | None = website.WebsiteConfig.from_s3(data)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code not in ("NoSuchWebsiteConfiguration", "NoSuchBucket"):
                raise
            config = None
        with self._lock:
            self._website, self._website_read_at = config, self._clock()
            self.stats["website_reads"] += 1
        return config

    def lookup(self, key: str) -> website.StoredObject | website.S3Error:
        """Read `key` as an anonymous reader under the bucket policy would."""
        if key.startswith(self.config.denied_prefixes):
            return website.ACCESS_DENIED
        try:
            obj = self.s3.get_object(Bucket=self.config.bucket, Key=key)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404"):
                missing = self.config.missing_status == 404
                return website.NO_SUCH_KEY if missing else website.ACCESS_DENIED
            if code == "NoSuchBucket":
                return website.S3Error(404, "NoSuchBucket", "The specified bucket does not exist")
            raise
        return website.StoredObject(
            body=obj["Body"].read(),
            content_type=obj.get("ContentType") or "binary/octet-stream",
            cache_control=obj.get("CacheControl"),
            etag=obj.get("ETag", ""),
            last_modified=_http_date(obj.get("LastModified")),
        )

    # --- API Gateway -> Lambda ----------------------------------------------------------------

    def api(
        self,
        method: str,
        raw_query: str,
        headers: list[tuple[str, str]],
        environ: Mapping[str, Any],
    ) -> Reply:
        """Answer a request to the resizer's API: build the event, invoke the function."""
        request_id = str(uuid.uuid4())
        if method not in CDN_METHODS:
            reply = apigateway.json_response(*apigateway.MISSING_TOKEN, request_id=request_id)
            return reply.status, list(reply.headers), reply.body
        stage, _, resource = self.config.api_path.partition("/")
        forwarded = [
            ("X-Forwarded-For", str(environ.get("REMOTE_ADDR", "127.0.0.1"))),
            ("X-Forwarded-Proto", "http"),
            ("X-Forwarded-Port", str(environ.get("SERVER_PORT", ""))),
        ]
        event = apigateway.rest_event(
            method=method,
            stage=stage,
            resource="/" + resource,
            raw_query=raw_query,
            headers=[*headers, *forwarded],
            source_ip=str(environ.get("REMOTE_ADDR", "127.0.0.1")),
            request_id=request_id,
        )
        try:
            result = self.invoke(event, apigateway.LambdaContext())
        except Exception:
            traceback.print_exc()  # the function crashed: API Gateway answers 502
            result = None
        reply = apigateway.proxy_response(result, method == "HEAD", request_id)
        return reply.status, list(reply.headers), reply.body

    def invoke(self, event: Mapping[str, Any], context: object) -> dict[str, Any]:
        """Run the resizer on one event in a free container (a new one if none is free)."""
        self.count("lambda_invocations")
        with self._slots:
            with self._lock:
                resizer = self._containers.pop() if self._containers else None
            if resizer is None:
                try:
                    env = self.config.lambda_env
                    settings = handler.Settings.from_env(env)
                    resizer = handler.Resizer(
                        settings, s3.make_client(env.get("AWS_ENDPOINT_URL_S3"))
                    )
                except ResizerError as err:  # a cold start with a bad environment
                    return handler.error_response(err)
            try:
                return handler.handle_event(event, resizer, context)
            finally:
                with self._lock:
                    self._containers.append(resizer)


def serve_in_thread(edge: Edge, host: str = "127.0.0.1", port: int = 0) -> BaseWSGIServer:
    """Serve `edge` from a daemon thread; return the server (`server_port`, `shutdown()`)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(host, port, edge, threaded=True)
    serve = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="edge", daemon=True
    )
    serve.start()
    return server


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Serve the edge on 127.0.0.1:IMAGEADMIN_EDGE_PORT from the environment (make run)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("botocore").setLevel(logging.WARNING)
    config = EdgeConfig.from_env(os.environ)
    port = int(os.environ.get("IMAGEADMIN_EDGE_PORT", "8080"))
    signal.signal(signal.SIGTERM, _stop)
    server = make_server("127.0.0.1", port, Edge(config), threaded=True)
    print(f"local edge on http://127.0.0.1:{port} (bucket {config.bucket})", flush=True)
    server.serve_forever()  # werkzeug's loop ends quietly on KeyboardInterrupt


if __name__ == "__main__":
    main()
