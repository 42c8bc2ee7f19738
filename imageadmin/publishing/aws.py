"""The AWS calls publishing makes (S3 bucket configuration, CloudFront); botocore errors end here.

Every call returns what it read or did together with the request id AWS gave it, so a
Publication can say which request did what. "Absent" answers (no website or lifecycle
configuration, no presets object) are normal states and come back as None; every other failure
becomes an `AwsError` naming the operation, the AWS error code and the request id.
"""

from __future__ import annotations

import functools
import itertools
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from imageadmin import storage

if TYPE_CHECKING:
    from mypy_boto3_cloudfront import CloudFrontClient
else:
    CloudFrontClient = Any

ABSENT_CODES = frozenset(
    {"NoSuchKey", "404", "NoSuchWebsiteConfiguration", "NoSuchLifecycleConfiguration"}
)


class AwsError(Exception):
    """An AWS call failed; `str()` is the sentence the admin and the command show."""

    def __init__(self, operation: str, message: str, code: str = "", request_id: str = "") -> None:
        self.operation = operation
        self.code = code
        self.request_id = request_id
        super().__init__(f"{operation} failed: {message}")


@dataclass(frozen=True)
class Answer:
    """What a call returned (None for an absent configuration or object) and its request id."""

    value: Any
    request_id: str


@dataclass(frozen=True)
class StoredConfig:
    """The presets object as S3 holds it."""

    body: bytes
    cache_control: str
    last_modified: datetime


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


def _request_id(response: Any) -> str:
    meta = response.get("ResponseMetadata", {}) if isinstance(response, dict) else {}
    return str(meta.get("RequestId", ""))


def _translate(operation: str, err: ClientError | BotoCoreError) -> AwsError:
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = str(error.get("Message", "")) or code
        return AwsError(operation, f"{code}: {message}", code, _request_id(err.response))
    return AwsError(operation, str(err))


def _call(operation: str, method: Any, absent_ok: bool = False, **params: Any) -> Answer:
    try:
        response = method(**params)
    except ClientError as err:
        code = str(err.response.get("Error", {}).get("Code", ""))
        if absent_ok and code in ABSENT_CODES:
            return Answer(None, _request_id(err.response))
        raise _translate(operation, err) from err
    except BotoCoreError as err:
        raise _translate(operation, err) from err
    return Answer(response, _request_id(response))


# --- reads --------------------------------------------------------------------------------------


def read_config(key: str) -> Answer:
    """Return the presets object at `key` as a StoredConfig, or None when there is none."""
    answer = _call("GetObject", storage.client().get_object, True, Bucket=storage.bucket(), Key=key)
    if answer.value is None:
        return answer
    response = answer.value
    try:
        body = response["Body"].read()
    except BotoCoreError as err:
        raise _translate("GetObject", err) from err
    stored = StoredConfig(body, str(response.get("CacheControl", "")), response["LastModified"])
    return Answer(stored, answer.request_id)


def read_website() -> Answer:
    """Return the bucket's website configuration (without ResponseMetadata), or None."""
    answer = _call(
        "GetBucketWebsite", storage.client().get_bucket_website, True, Bucket=storage.bucket()
    )
    if answer.value is None:
        return answer
    config = {k: v for k, v in answer.value.items() if k != "ResponseMetadata"}
    return Answer(config, answer.request_id)


def read_lifecycle() -> Answer:
    """Return the bucket's lifecycle configuration (Rules and any bucket-level fields), or None."""
    answer = _call(
        "GetBucketLifecycleConfiguration",
        storage.client().get_bucket_lifecycle_configuration,
        True,
        Bucket=storage.bucket(),
    )
    if answer.value is None:
        return answer
    config = {k: v for k, v in answer.value.items() if k != "ResponseMetadata"}
    return Answer(config, answer.request_id)


def list_keys(prefix: str) -> Iterator[str]:
    """Yield every key under `prefix`."""
    try:
        for obj in storage.list_prefix(prefix):
            yield obj.key
    except storage.StorageError as err:
        raise AwsError("ListObjectsV2", str(err)) from err


# --- writes -------------------------------------------------------------------------------------


def write_config(key: str, body: bytes) -> Answer:
    """Store the presets JSON at `key`: private (no ACL), never cached."""
    return _call(
        "PutObject",
        storage.client().put_object,
        Bucket=storage.bucket(),
        Key=key,
        Body=body,
        ContentType="application/json",
        CacheControl="no-store",
    )


def write_website(config: dict[str, Any]) -> Answer:
    """Replace the bucket's website configuration with `config`."""
    return _call(
        "PutBucketWebsite",
        storage.client().put_bucket_website,
        Bucket=storage.bucket(),
        WebsiteConfiguration=config,
    )


def write_lifecycle(config: dict[str, Any]) -> Answer:
    """Replace the lifecycle configuration with `config` (no rules: delete the configuration)."""
    client = storage.client()
    if not config.get("Rules"):
        return _call(
            "DeleteBucketLifecycle", client.delete_bucket_lifecycle, Bucket=storage.bucket()
        )
    params: dict[str, Any] = {"LifecycleConfiguration": {"Rules": config["Rules"]}}
    if "TransitionDefaultMinimumObjectSize" in config:
        params["TransitionDefaultMinimumObjectSize"] = config["TransitionDefaultMinimumObjectSize"]
    return _call(
        "PutBucketLifecycleConfiguration",
        client.put_bucket_lifecycle_configuration,
        Bucket=storage.bucket(),
        **params,
    )


def delete_keys(keys: Iterable[str]) -> list[str]:
    """Delete `keys` (missing ones are fine), 1000 per request; return the request ids."""
    request_ids: list[str] = []
    for batch in itertools.batched(keys, storage.DELETE_BATCH):
        answer = _call(
            "DeleteObjects",
            storage.client().delete_objects,
            Bucket=storage.bucket(),
            Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
        )
        request_ids.append(answer.request_id)
        if why := storage.refused(answer.value):
            raise AwsError("DeleteObjects", why[0], why[1], answer.request_id)
    return request_ids


def invalidate(distribution_id: str, paths: list[str], reference: str = "") -> Answer:
    """Create a CloudFront invalidation of `paths`; the value is the Invalidation (Id, Status).

    The caller reference makes a retried request (same reference, same paths) return the first
    invalidation instead of making a second one.
    """
    answer = _call(
        "CreateInvalidation",
        cloudfront().create_invalidation,
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": paths},
            "CallerReference": reference or uuid.uuid4().hex,
        },
    )
    return Answer(answer.value["Invalidation"], answer.request_id)
