"""S3 reads and writes for the Lambda; the only module that sees botocore's errors.

A missing object becomes `OriginalNotFound` (or False / None where absence is normal); throttling
and timeouts that outlast botocore's bounded retries become `Unavailable` (503 + Retry-After);
everything else (AccessDenied, NoSuchBucket, ...) re-raises untouched and ends as a logged 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    IncompleteReadError,
    ReadTimeoutError,
    ResponseStreamingError,
)

from resizer_lambda.errors import ConfigError, OriginalNotFound, TooLarge, Unavailable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
else:
    S3Client = Any

__all__ = [
    "Original",
    "S3Client",
    "exists",
    "get_if_changed",
    "get_object",
    "get_original",
    "make_client",
    "put_object",
]

# Only a missing *key* is "not found": NoSuchBucket is also a 404, but it is a deployment
# mistake that must surface as a logged 500, not as a client-facing 404. HEAD responses have no
# body, so botocore reports their code as the bare status ("404").
_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
_RETRYABLE = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "503",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "ServiceUnavailable",
    "InternalError",
    "500",
}
_TRANSIENT = (
    ConnectTimeoutError,
    ReadTimeoutError,
    EndpointConnectionError,
    ConnectionClosedError,
    ResponseStreamingError,
    IncompleteReadError,
)
# Bounded so that a throttled or silent S3 ends in our 503 rather than in API Gateway's own 504
# (its integration timeout is 29 s): 3 x (2 s + 5 s) plus at most 3 s of backoff per call. The
# read timeout is per socket read, not per transfer, so large originals still download.
ATTEMPTS = 3  # total, the first try included
CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 5.0


def make_client(
    endpoint_url: str | None = None,
    *,
    attempts: int = ATTEMPTS,
    connect_timeout: float = CONNECT_TIMEOUT,
    read_timeout: float = READ_TIMEOUT,
) -> S3Client:
    """Return an S3 client with bounded retries and timeouts.

    boto3 honours AWS_ENDPOINT_URL_S3 by itself, which is how tests and the local stack point
    the Lambda at a local S3 server; `endpoint_url` overrides it. `attempts` counts every try
    (botocore's `max_attempts` would count retries only, one fewer than it reads).
    """
    config = BotoConfig(
        retries={"total_max_attempts": attempts, "mode": "standard"},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )
    return boto3.client("s3", endpoint_url=endpoint_url, config=config)


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _status(err: ClientError) -> int:
    return int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _is_not_found(err: ClientError) -> bool:
    return _code(err) in _NOT_FOUND


def _is_retryable(err: ClientError) -> bool:
    return _code(err) in _RETRYABLE or _status(err) in (500, 503)


def _unavailable(what: str, err: Exception) -> Unavailable:
    if isinstance(err, ClientError):
        return Unavailable(f"S3 is busy ({_code(err)}) {what}; retry shortly")
    return Unavailable(f"S3 did not answer in time {what}; retry shortly")


@dataclass(frozen=True)
class Original:
    """An object's bytes and its user metadata (`x-amz-meta-*`, names lower-cased by S3)."""

    data: bytes
    metadata: Mapping[str, str] = field(default_factory=dict)


def get_object(client: S3Client, bucket: str, key: str, max_bytes: int) -> bytes:
    """Return the object's bytes; refuse it before reading when it is over `max_bytes`."""
    return get_original(client, bucket, key, max_bytes).data


def get_original(client: S3Client, bucket: str, key: str, max_bytes: int) -> Original:
    """Return the object's bytes and user metadata from one GetObject (see `get_object`).

    The metadata comes with the response headers, so reading it costs no extra request: this is
    how the Lambda learns an original's focal point (`resizer_lambda.focal`).
    """
    try:
        response = client.get_object(Bucket=bucket, Key=key)
        length = int(response.get("ContentLength", 0))
        body = response["Body"]
        if length > max_bytes:
            body.close()  # drop the connection rather than download what we will refuse
            raise TooLarge(f"the original is {length} bytes; the limit is {max_bytes}")
        data: bytes = body.read()
    except ClientError as err:
        if _is_not_found(err):
            raise OriginalNotFound(f"no original at {key!r}") from err
        if _is_retryable(err):
            raise _unavailable(f"reading {key!r}", err) from err
        raise
    except _TRANSIENT as err:
        raise _unavailable(f"reading {key!r}", err) from err
    if len(data) > max_bytes:  # no trustworthy Content-Length: check what arrived
        raise TooLarge(f"the original is {len(data)} bytes; the limit is {max_bytes}")
    metadata = response.get("Metadata") or {}
    return Original(data, {str(k).lower(): str(v) for k, v in metadata.items()})


def exists(client: S3Client, bucket: str, key: str) -> bool:
    """Return whether `key` exists.

    Without s3:ListBucket, S3 answers 403 rather than 404 for a missing key; both mean "not
    there" here: if the role really cannot read, the following get fails loudly anyway. A
    missing bucket also reads as "not there" (a HEAD has no error body to tell them apart); the
    following get names it.
    """
    try:
        client.head_object(Bucket=bucket, Key=key)
    except ClientError as err:
        if _is_not_found(err) or _status(err) in (403, 404):
            return False
        if _is_retryable(err):
            raise _unavailable(f"checking {key!r}", err) from err
        raise
    except _TRANSIENT as err:
        raise _unavailable(f"checking {key!r}", err) from err
    return True


def put_object(
    client: S3Client,
    bucket: str,
    key: str,
    data: bytes,
    content_type: str,
    cache_control: str,
) -> None:
    """Store `data` at `key`. S3 PUTs are atomic: the object is whole or absent."""
    try:
        client.put_object(
            Bucket=bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            CacheControl=cache_control,
        )
    except ClientError as err:
        if _is_retryable(err):
            raise _unavailable(f"writing {key!r}", err) from err
        raise
    except _TRANSIENT as err:
        raise _unavailable(f"writing {key!r}", err) from err


def get_if_changed(
    client: S3Client, bucket: str, key: str, etag: str | None
) -> tuple[bytes, str] | None:
    """Return (body, etag) of `key`, or None when its ETag still equals `etag` (HTTP 304)."""
    kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if etag:
        kwargs["IfNoneMatch"] = etag
    where = f"s3://{bucket}/{key}"
    try:
        response = client.get_object(**kwargs)
        body: bytes = response["Body"].read()
    except ClientError as err:
        if _status(err) == 304 or _code(err) == "304":
            return None
        if _is_not_found(err):
            raise ConfigError(f"no presets object at {where} (PRESETS_S3_KEY)") from err
        if _is_retryable(err):
            raise _unavailable(f"reading {where}", err) from err
        raise
    except _TRANSIENT as err:
        raise _unavailable(f"reading {where}", err) from err
    return body, str(response.get("ETag", ""))
