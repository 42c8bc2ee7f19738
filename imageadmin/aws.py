"""The AWS boundary: botocore's errors become the app's errors here, and only here.

Every boto3 call of the app is made through `call()` or inside `translated()`. Three outcomes
call for three different answers, so they are three classes:

- `ObjectMissing`: the object or configuration asked for does not exist (NoSuchKey, 404,
  NoSuchWebsiteConfiguration, ...): a normal state that the caller decides about.
- `AwsUnavailable`: throttling, a 5xx answer or a connection that failed, once the client's own
  retries are spent: AWS could not answer now, and trying again later may well work.
- `AwsRefused`: every other answer (AccessDenied, NoSuchBucket, InvalidAccessKeyId, ...) and
  missing credentials: a configuration problem that trying again cannot fix. The message says
  so, with the error code and the request id to look up.

Anything else (a parameter botocore refuses: a bug) is not AWS's answer and is re-raised as it
is, as django-storages' `backends/s3.py` does. The S3 client is the storage alias's
(`imageadmin.storage`); the CloudFront and SQS clients are made here, once per process.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from boto3.exceptions import RetriesExceededError, S3UploadFailedError
from botocore.config import Config as BotoConfig
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    HTTPClientError,
    IncompleteReadError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

if TYPE_CHECKING:
    from mypy_boto3_cloudfront import CloudFrontClient
    from mypy_boto3_sqs import SQSClient

# What does not exist: a key, or a bucket configuration never set. Not NoSuchBucket (also a 404):
# a bucket that is not there is a setting to fix.
MISSING_CODES = frozenset(
    {"NoSuchKey", "404", "NotFound", "NoSuchWebsiteConfiguration", "NoSuchLifecycleConfiguration"}
)
# The throttling and transient codes botocore's standard retry mode retries
# (botocore/retries/standard.py; a test keeps this a superset), CloudFront's limit on
# invalidations in progress and S3's conflicting-operation answer. Any 5xx is transient too.
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "EC2ThrottledException",
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
        "InternalError",
        "ServiceUnavailable",
        "TooManyInvalidationsInProgress",
        "OperationAborted",
    }
)
# Failures before AWS answered: the network, or AWS's own answer cut short.
_TRANSIENT_EXCEPTIONS = (
    BotoConnectionError,
    HTTPClientError,
    IncompleteReadError,
    RetriesExceededError,
)
# Failures before a request could be signed: no or broken credentials, no region.
_SETUP_EXCEPTIONS = (
    NoCredentialsError,
    PartialCredentialsError,
    CredentialRetrievalError,
    ProfileNotFound,
    NoRegionError,
)
UNAVAILABLE_ADVICE = "AWS is temporarily unavailable; try again in a moment."
REFUSED_ADVICE = (
    "This is a configuration problem (bucket, credentials or permissions), not a temporary one."
)


class AwsError(Exception):
    """An AWS call failed; `str()` is the sentence the admin, a job or a publication shows."""

    def __init__(self, operation: str, message: str, code: str = "", request_id: str = "") -> None:
        self.operation = operation
        self.code = code
        self.request_id = request_id
        super().__init__(f"{operation} failed: {message}")


class ObjectMissing(AwsError):
    """The object (or bucket configuration) asked for does not exist."""


class AwsUnavailable(AwsError):
    """AWS could not answer now (throttled, 5xx, no connection); trying again later may work."""


class AwsRefused(AwsError):
    """AWS refused the request (permissions, bucket, credentials); trying again will not help."""


@dataclass(frozen=True)
class Answer:
    """What a call returned (None for an absent configuration or object) and its request id."""

    value: Any
    request_id: str


def request_id(response: object) -> str:
    """Return the request id AWS gave a response or an error response ("" when none)."""
    meta = response.get("ResponseMetadata", {}) if isinstance(response, Mapping) else {}
    return str(meta.get("RequestId", "") if isinstance(meta, Mapping) else "")


def error_for(
    operation: str, code: str, text: str, request: str = "", target: str = "", status: int = 0
) -> AwsError:
    """Return the app's error for AWS error `code` (HTTP `status`) answered to `operation`."""
    context = ", ".join(p for p in (target, f"request id {request}" if request else "") if p)
    detail = f"{code}: {text}" if text and text != code else code or text
    message = f"{detail} ({context})" if context else detail
    if code in MISSING_CODES:
        return ObjectMissing(operation, message, code, request)
    if code in TRANSIENT_CODES or status >= 500:
        return AwsUnavailable(operation, f"{message}. {UNAVAILABLE_ADVICE}", code, request)
    return AwsRefused(operation, f"{message}. {REFUSED_ADVICE}", code, request)


def translate(operation: str, err: Exception, target: str = "") -> AwsError | None:
    """Return the app's error for `err` raised by `operation`, or None: not AWS's, re-raise it."""
    if isinstance(err, S3UploadFailedError) and isinstance(err.__context__, ClientError):
        err = err.__context__  # boto3's uploads wrap the ClientError they caught
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        meta = err.response.get("ResponseMetadata", {})
        return error_for(
            operation,
            str(error.get("Code", "")),
            str(error.get("Message", "")),
            request_id(err.response),
            target,
            int(meta.get("HTTPStatusCode", 0) or 0),
        )
    where = f" ({target})" if target else ""
    if isinstance(err, _TRANSIENT_EXCEPTIONS):
        return AwsUnavailable(operation, f"{err}{where}. {UNAVAILABLE_ADVICE}")
    if isinstance(err, _SETUP_EXCEPTIONS):
        return AwsRefused(operation, f"{err}{where}. {REFUSED_ADVICE}")
    return None


@contextmanager
def translated(operation: str, target: str = "") -> Iterator[None]:
    """Run the block, raising the app's error for any AWS failure in it (see `translate`)."""
    try:
        yield
    except (ClientError, BotoCoreError, S3UploadFailedError, RetriesExceededError) as err:
        mine = translate(operation, err, target)
        if mine is None:
            raise
        raise mine from err


def call(operation: str, method: Callable[..., Any], /, **params: Any) -> Answer:
    """Return the Answer of `method(**params)`, the boto3 client method for `operation`."""
    target = f"s3://{params['Bucket']}/{params.get('Key', '')}" if "Bucket" in params else ""
    with translated(operation, target):
        response = method(**params)
    return Answer(response, request_id(response))


@functools.cache
def cloudfront() -> CloudFrontClient:
    """Return the process's CloudFront client.

    boto3's standard variables apply: AWS_ENDPOINT_URL_CLOUDFRONT points it at a local server.
    """
    return boto3.client(
        "cloudfront",
        region_name="us-east-1",  # CloudFront is global; its API lives in us-east-1
        config=BotoConfig(retries={"max_attempts": 3, "mode": "standard"}),
    )


_SQS_REGION_RE = re.compile(r"^https://sqs[.-]([a-z0-9-]+)\.amazonaws\.com")


@functools.cache
def sqs(queue_url: str) -> SQSClient:
    """Return the SQS client for `queue_url` (its region; AWS_ENDPOINT_URL_SQS applies)."""
    found = _SQS_REGION_RE.match(queue_url)
    return boto3.client(
        "sqs",
        region_name=found.group(1) if found else None,
        config=BotoConfig(retries={"max_attempts": 3, "mode": "standard"}),
    )
