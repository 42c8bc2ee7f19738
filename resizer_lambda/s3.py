"""S3 reads and writes for the Lambda; the only module that sees botocore's errors.

A missing object becomes `OriginalNotFound` (or False / None where absence is normal); throttling
and timeouts that outlast botocore's bounded retries become `Unavailable` (503 + Retry-After);
everything else re-raises untouched and ends as a logged 500.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from resizer_lambda.errors import ConfigError, OriginalNotFound, TooLarge, Unavailable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
else:
    S3Client = Any

__all__ = ["S3Client", "exists", "get_if_changed", "get_object", "make_client", "put_object"]

_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
_RETRYABLE = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "ServiceUnavailable",
    "InternalError",
    "503",
    "500",
}
_TRANSIENT = (ConnectTimeoutError, ReadTimeoutError, EndpointConnectionError, ConnectionClosedError)


def make_client() -> S3Client:
    """Return an S3 client with bounded retries and timeouts.

    boto3 honours AWS_ENDPOINT_URL_S3 by itself, which is how tests and the local stack point
    the Lambda at a local S3 server.
    """
    config = BotoConfig(
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=3,
        read_timeout=10,
    )
    return boto3.client("s3", config=config)


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _status(err: ClientError) -> int:
    return int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _unavailable(what: str, err: Exception) -> Unavailable:
    return Unavailable(f"S3 did not answer in time for {what}; retry shortly")


def _is_retryable(err: ClientError) -> bool:
    return _code(err) in _RETRYABLE or _status(err) in (500, 503)


def get_object(client: S3Client, bucket: str, key: str, max_bytes: int) -> bytes:
    """Return the object's bytes; refuse it before reading when it is over `max_bytes`."""
    try:
        response = client.get_object(Bucket=bucket, Key=key)
        length = int(response.get("ContentLength", 0))
        body = response["Body"]
        if length > max_bytes:
            body.close()
            raise TooLarge(f"the original is {length} bytes; the limit is {max_bytes}")
        data: bytes = body.read()
    except ClientError as err:
        if _code(err) in _NOT_FOUND or _status(err) == 404:
            raise OriginalNotFound(f"no original at {key!r}") from err
        if _is_retryable(err):
            raise _unavailable(f"reading {key!r}", err) from err
        raise
    except _TRANSIENT as err:
        raise _unavailable(f"reading {key!r}", err) from err
    return data


def exists(client: S3Client, bucket: str, key: str) -> bool:
    """Return whether `key` exists.

    Without s3:ListBucket, S3 answers 403 rather than 404 for a missing key; both mean "not
    there" here: if the role really cannot read, the following put fails loudly anyway.
    """
    try:
        client.head_object(Bucket=bucket, Key=key)
    except ClientError as err:
        if _code(err) in _NOT_FOUND or _status(err) in (403, 404):
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
    try:
        response = client.get_object(**kwargs)
    except ClientError as err:
        if _status(err) == 304 or _code(err) == "304":
            return None
        if _code(err) in _NOT_FOUND or _status(err) == 404:
            raise ConfigError(f"no presets object at s3://{bucket}/{key}") from err
        if _is_retryable(err):
            raise _unavailable(f"reading s3://{bucket}/{key}", err) from err
        raise
    except _TRANSIENT as err:
        raise _unavailable(f"reading s3://{bucket}/{key}", err) from err
    return response["Body"].read(), str(response.get("ETag", ""))
