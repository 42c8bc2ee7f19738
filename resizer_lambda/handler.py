"""The Lambda entry point: event -> request -> render -> response.

This is the only place where errors become HTTP: a `ResizerError` becomes its status with a JSON
body; anything else is logged with its traceback and answered with a generic 500. Every request
writes exactly one JSON log line.

Environment: BUCKET, URL (the CDN base URL redirects point at), REDIRECT_CODE (301), RESPONSE_MODE
(redirect | direct), ORIGINALS_PREFIX (originals are only read under it), PRESETS_S3_KEY
(+ PRESETS_BUCKET, PRESETS_TTL, default 60 s) or PRESETS_FILE; without either, the presets.json
bundled in the package, else the built-in defaults; METRICS_NAMESPACE for the metrics the log
line carries (`metrics.py`). See docs/resizer.md.
"""

from __future__ import annotations

import base64
import json
import math
import os
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TextIO
from urllib.parse import parse_qs

from resizer_lambda import focal, imaging, keys, metrics, s3
from resizer_lambda.errors import (
    BadKey,
    ConfigError,
    NoDensity,
    OriginalNotFound,
    ResizerError,
    TooLarge,
)
from resizer_lambda.presets import (
    BUNDLED_PATH,
    DEFAULT_CONFIG,
    DENSITY_FITS,
    Config,
    Preset,
    RefreshingConfig,
    StaticConfig,
    load_file,
    output_token,
)

# Lambda's synchronous response payload limit is 6 MB; base64 and JSON framing eat into it.
DIRECT_RESPONSE_LIMIT = 6 * 1024 * 1024 - 16 * 1024
DIRECT_RAW_LIMIT = DIRECT_RESPONSE_LIMIT * 3 // 4  # bytes that still fit once base64-encoded
REDIRECT_CODES = (301, 302, 303, 307, 308)
# A redirect to the current version of a key: permanent, but cached only briefly, because the
# current token moves when the preset is published again.
VERSION_REDIRECT_CODE = 301
VERSION_REDIRECT_CACHE_CONTROL = "public, max-age=60"


class ConfigSource(Protocol):
    def get(self) -> Config: ...


@dataclass(frozen=True)
class Settings:
    """The Lambda's environment, checked once per container."""

    bucket: str
    url: str
    redirect_code: int = 301
    response_mode: Literal["redirect", "direct"] = "redirect"
    presets_file: str | None = None
    presets_s3_key: str | None = None
    presets_bucket: str | None = None
    presets_ttl: float = 60.0
    originals_prefix: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Return Settings from environment variables, or raise ConfigError naming the variable."""
        bucket = env.get("BUCKET", "").strip()
        if not bucket:
            raise ConfigError("environment variable BUCKET is not set")
        url = env.get("URL", "").strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"environment variable URL must be an http(s) base URL, got {url!r}")
        try:
            code = int(env.get("REDIRECT_CODE", "301"))
        except ValueError as err:
            raise ConfigError("environment variable REDIRECT_CODE must be a number") from err
        if code not in REDIRECT_CODES:
            raise ConfigError(f"REDIRECT_CODE must be one of {REDIRECT_CODES}, got {code}")
        mode = env.get("RESPONSE_MODE", "redirect").strip().lower()
        if mode not in ("redirect", "direct"):
            raise ConfigError(f"RESPONSE_MODE must be 'redirect' or 'direct', got {mode!r}")
        try:
            ttl = float(env.get("PRESETS_TTL", "60"))
        except ValueError as err:
            raise ConfigError("environment variable PRESETS_TTL must be a number") from err
        if not math.isfinite(ttl) or ttl < 0:
            raise ConfigError(f"PRESETS_TTL must be a number of seconds >= 0, got {ttl}")
        return cls(
            bucket=bucket,
            url=url,
            redirect_code=code,
            response_mode=mode,  # type: ignore[arg-type]  # checked above
            presets_file=env.get("PRESETS_FILE") or None,
            presets_s3_key=env.get("PRESETS_S3_KEY") or None,
            presets_bucket=env.get("PRESETS_BUCKET") or None,
            presets_ttl=ttl,
            originals_prefix=env.get("ORIGINALS_PREFIX", "").strip().strip("/"),
        )


class MethodNotAllowed(ResizerError):
    """Only GET and HEAD make variants."""

    status = 405
    code = "method_not_allowed"

    def headers(self) -> dict[str, str]:
        return {"Allow": "GET, HEAD"}


def log_line(record: Mapping[str, Any], stream: TextIO | None = None) -> None:
    """Write one structured log line (CloudWatch keeps stdout)."""
    print(json.dumps(record, default=str), file=stream or sys.stdout, flush=True)


def _log_refresh_failure(err: Exception) -> None:
    log_line({"level": "error", "event": "presets_refresh_failed", "error": str(err)})


def presets_source(
    settings: Settings,
    client: s3.S3Client,
    on_error: Callable[[Exception], None] = _log_refresh_failure,
    clock: Callable[[], float] = time.monotonic,
) -> ConfigSource:
    """Return where presets come from: S3 (refreshed), PRESETS_FILE, bundled file, defaults.

    `on_error` hears about a later S3 copy that failed to load (the last good one stays).
    """
    if settings.presets_s3_key:
        bucket = settings.presets_bucket or settings.bucket
        key = settings.presets_s3_key

        def fetch(etag: str | None) -> tuple[bytes, str] | None:
            return s3.get_if_changed(client, bucket, key, etag)

        return RefreshingConfig(
            fetch, f"s3://{bucket}/{key}", ttl=settings.presets_ttl, on_error=on_error, clock=clock
        )
    if settings.presets_file:
        return StaticConfig(load_file(settings.presets_file))
    if BUNDLED_PATH.exists():
        return StaticConfig(load_file(BUNDLED_PATH))
    return StaticConfig(DEFAULT_CONFIG)


def _query_key(event: Mapping[str, Any]) -> str:
    """Return the `key` query parameter exactly as API Gateway decoded it (no second decode)."""
    multi = event.get("multiValueQueryStringParameters") or {}
    if len(multi.get("key") or []) > 1:
        raise BadKey("give exactly one 'key' query parameter")
    raw = event.get("rawQueryString")
    if raw and len(parse_qs(raw, keep_blank_values=True).get("key", [])) > 1:
        raise BadKey("give exactly one 'key' query parameter")
    params = event.get("queryStringParameters") or {}
    key = params.get("key")
    if key is None:
        raise BadKey("missing query parameter 'key'")
    if not isinstance(key, str):
        raise BadKey("query parameter 'key' must be a string")
    return key


def _method(event: Mapping[str, Any]) -> str:
    """Return the HTTP method: `httpMethod` (payload 1.0) or `requestContext.http` (2.0)."""
    method = event.get("httpMethod")
    if method is None:
        http = (event.get("requestContext") or {}).get("http") or {}
        method = http.get("method", "GET")
    return str(method).upper()


def _content_type(data: bytes) -> str:
    try:
        return imaging.CONTENT_TYPES.get(imaging.sniff_format(data), "application/octet-stream")
    except ResizerError:
        return "application/octet-stream"


def _focal_point(metadata: Mapping[str, str], log: dict[str, Any]) -> focal.Focal | None:
    """Return the original's focal point from its metadata; a malformed one is the centre.

    An editor's bad value must not break every cover variant of the image: it is logged on the
    request's line (`focal_error`) and the crop is centred.
    """
    value = metadata.get(focal.METADATA_KEY)
    if value is None:
        return None
    try:
        point = focal.parse(value)
    except focal.BadFocal as err:
        log["level"] = "warning"
        log["focal_error"] = str(err)
        return None
    log["focal"] = focal.format_value(point)
    return point


def error_response(err: ResizerError) -> dict[str, Any]:
    """Return the HTTP response for a ResizerError: JSON body, never cached."""
    headers = {"Content-Type": "application/json", "Cache-Control": "no-store", **err.headers()}
    body = json.dumps({"code": err.code, "message": err.message})
    return {"statusCode": err.status, "headers": headers, "body": body, "isBase64Encoded": False}


def _internal_error(request_id: str | None) -> dict[str, Any]:
    message = "internal error" + (f" (request id {request_id})" if request_id else "")
    body = json.dumps({"code": "internal_error", "message": message})
    headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
    return {"statusCode": 500, "headers": headers, "body": body, "isBase64Encoded": False}


class Resizer:
    """Holds what lives for the container: settings, the S3 client and the presets source."""

    def __init__(
        self, settings: Settings, client: s3.S3Client, config: ConfigSource | None = None
    ) -> None:
        self.settings = settings
        self.client = client
        self._config_errors: list[str] = []
        if config is None:
            config = presets_source(settings, client, on_error=self._config_failed)
        self.config = config

    def _config_failed(self, err: Exception) -> None:
        # Reported on the request's own log line, so each request still writes exactly one.
        self._config_errors.append(str(err))

    def _redirect(self, key: str) -> dict[str, Any]:
        return {
            "statusCode": self.settings.redirect_code,
            "headers": {
                "Location": keys.url_for_key(self.settings.url, key),
                "Cache-Control": "no-store",
            },
            "body": "",
            "isBase64Encoded": False,
        }

    def _version_redirect(self, key: str) -> dict[str, Any]:
        return {
            "statusCode": VERSION_REDIRECT_CODE,
            "headers": {
                "Location": keys.url_for_key(self.settings.url, key),
                "Cache-Control": VERSION_REDIRECT_CACHE_CONTROL,
            },
            "body": "",
            "isBase64Encoded": False,
        }

    def _direct(
        self, data: bytes, content_type: str, cache_control: str, head: bool
    ) -> dict[str, Any]:
        body = "" if head else base64.b64encode(data).decode("ascii")
        return {
            "statusCode": 200,
            "headers": {
                "Content-Type": content_type,
                "Cache-Control": cache_control,
                "Content-Length": str(len(data)),
            },
            "body": body,
            "isBase64Encoded": not head,
        }

    def handle(self, event: Mapping[str, Any], log: dict[str, Any]) -> dict[str, Any]:
        """Make the variant the event asks for (unless it exists) and answer."""
        method = _method(event)
        log["method"] = method
        if method not in ("GET", "HEAD"):
            raise MethodNotAllowed(f"method {method} is not allowed; use GET")
        key = _query_key(event)
        log["key"] = key
        config = self.config.get()
        if self._config_errors:
            log["level"] = "error"
            log["presets_error"] = "; ".join(self._config_errors)
            self._config_errors.clear()
        request = keys.parse_variant_key(key, config.names)
        preset = config.get(request.preset)
        assert preset is not None  # parse_variant_key checked the name
        log["preset"] = request.preset
        if request.density != 1 and preset.fit not in DENSITY_FITS:
            raise NoDensity(
                f"preset {preset.name!r} has fit {preset.fit!r}: 2x renditions exist only for "
                "cover and contain presets"
            )
        current = current_key(request, preset)
        if current != key:
            # Unversioned, stale or `.auto`: never rendered (no S3 call), sent to the current key.
            log["redirect"] = "version"
            return self._version_redirect(current)
        bucket = self.settings.bucket
        timings: dict[str, float] = {}
        log["ms"] = timings
        direct = self.settings.response_mode == "direct"

        start = time.perf_counter()
        already = s3.exists(self.client, bucket, key)
        timings["exists"] = (time.perf_counter() - start) * 1000
        if already:
            log["existed"] = True
            if direct:
                try:
                    data = s3.get_object(self.client, bucket, key, DIRECT_RAW_LIMIT)
                except TooLarge:
                    return self._redirect(key)  # over the payload limit: let the CDN serve it
                log["bytes_out"] = len(data)
                head = method == "HEAD"
                return self._direct(data, _content_type(data), config.cache_control, head)
            return self._redirect(key)
        log["existed"] = False

        prefix = self.settings.originals_prefix
        if prefix and not request.original_key.startswith(prefix + "/"):
            # The role may read nothing else: answer as S3 would for a missing original.
            raise OriginalNotFound(f"no original at {request.original_key!r} (not under {prefix}/)")
        start = time.perf_counter()
        got = s3.get_original(self.client, bucket, request.original_key, config.limits.max_bytes)
        timings["fetch"] = (time.perf_counter() - start) * 1000
        log["bytes_in"] = len(got.data)
        if request.density != 1:
            source = imaging.probe(got.data, config.limits)
            preset = imaging.density_preset(preset, request.density, source.width, source.height)
        point = _focal_point(got.metadata, log) if preset.fit == "cover" else None
        rendered = imaging.render_one(
            got.data, preset, config.limits, request.fmt, timings, focal=point
        )
        log["bytes_out"] = len(rendered.data)
        log["size"] = [rendered.width, rendered.height]
        start = time.perf_counter()
        s3.put_object(
            self.client, bucket, key, rendered.data, rendered.content_type, config.cache_control
        )
        timings["put"] = (time.perf_counter() - start) * 1000
        if direct and len(rendered.data) <= DIRECT_RAW_LIMIT:
            return self._direct(
                rendered.data, rendered.content_type, config.cache_control, method == "HEAD"
            )
        return self._redirect(key)


def current_key(request: keys.VariantRequest, preset: Preset) -> str:
    """Return the key the Lambda renders for `request`: the preset's current token, no `.auto`.

    The request's own key when it is already that. An unversioned plain key of a preset with
    format negotiation goes to its `.auto` form (which the edge function rewrites by Accept);
    a `.auto` key that reached the Lambda (no edge function in front) goes to the preset's own
    format. Density and explicit formats are kept.
    """
    fmt = request.fmt
    if fmt == keys.AUTO:
        fmt = None
    elif request.token is None and fmt is None and preset.negotiate:
        fmt = keys.AUTO
    return keys.build_variant_key(
        preset.name,
        request.original_key,
        fmt,
        token=output_token(preset),
        density=request.density,
    )


_resizer: Resizer | None = None


def get_resizer() -> Resizer:
    """Return the container's Resizer, creating settings, client and presets source once."""
    global _resizer
    if _resizer is None:
        settings = Settings.from_env(os.environ)
        _resizer = Resizer(settings, s3.make_client())
    return _resizer


def reset() -> None:
    """Forget the container state (tests change the environment between cases)."""
    global _resizer
    _resizer = None


def handle_event(
    event: Mapping[str, Any], resizer: Resizer | None = None, context: object = None
) -> dict[str, Any]:
    """Answer one API Gateway (v1/v2) or Function URL event; log one JSON line (with metrics)."""
    started = time.perf_counter()
    request_id = getattr(context, "aws_request_id", None)
    log: dict[str, Any] = {
        "level": "info",
        "request_id": request_id,
        "key": None,
        "preset": None,
        "bytes_in": 0,
        "bytes_out": 0,
    }
    try:
        response = (resizer or get_resizer()).handle(event, log)
    except ResizerError as err:
        response = error_response(err)
        log["code"] = err.code
        log["message"] = err.message
        if err.status >= 500:
            log["level"] = "error"
            if err.__cause__ is not None:
                log["cause"] = repr(err.__cause__)
    except Exception as err:
        response = _internal_error(request_id)
        log["level"] = "error"
        log["code"] = "internal_error"
        log["error"] = "".join(traceback.format_exception(err))
    log["status"] = response["statusCode"]
    log.setdefault("ms", {})["total"] = (time.perf_counter() - started) * 1000
    log["ms"] = {name: round(value, 2) for name, value in log["ms"].items()}
    if response["statusCode"] == 200:  # only RESPONSE_MODE=direct answers with the image itself
        response["headers"]["Server-Timing"] = metrics.server_timing(log["ms"])
    log_line(metrics.emf_record(log, metrics.namespace(os.environ), int(time.time() * 1000)))
    return response


def handler(event: Mapping[str, Any], context: object) -> dict[str, Any]:
    """AWS Lambda entry point: `resizer_lambda.handler.handler`."""
    return handle_event(event, context=context)
