"""Read and write the bucket configuration publishing owns: presets JSON, website, lifecycle.

Every call returns what it read or did together with the request id AWS gave it, so a
Publication can say which request did what. "Absent" answers (no website or lifecycle
configuration, no presets object) are normal states and come back as None; every other failure
is an `imageadmin.aws` error naming the operation, the AWS error code and the request id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from imageadmin import aws, storage


@dataclass(frozen=True)
class StoredConfig:
    """The presets object as S3 holds it."""

    body: bytes
    cache_control: str
    last_modified: datetime


def _read(operation: str, method: Any, **params: Any) -> aws.Answer:
    """Return the Answer of a read, with None for a configuration or object that is absent."""
    try:
        return aws.call(operation, method, Bucket=storage.bucket(), **params)
    except aws.ObjectMissing as err:
        return aws.Answer(None, err.request_id)


def _without_metadata(answer: aws.Answer) -> aws.Answer:
    if answer.value is None:
        return answer
    config = {k: v for k, v in answer.value.items() if k != "ResponseMetadata"}
    return aws.Answer(config, answer.request_id)


def read_config(key: str) -> aws.Answer:
    """Return the presets object at `key` as a StoredConfig, or None when there is none."""
    answer = _read("GetObject", storage.client().get_object, Key=key)
    if answer.value is None:
        return answer
    response = answer.value
    with aws.translated("GetObject", storage.uri(key)):
        body = response["Body"].read()
    stored = StoredConfig(body, str(response.get("CacheControl", "")), response["LastModified"])
    return aws.Answer(stored, answer.request_id)


def read_website() -> aws.Answer:
    """Return the bucket's website configuration (without ResponseMetadata), or None."""
    return _without_metadata(_read("GetBucketWebsite", storage.client().get_bucket_website))


def read_lifecycle() -> aws.Answer:
    """Return the bucket's lifecycle configuration (Rules and any bucket-level fields), or None."""
    method = storage.client().get_bucket_lifecycle_configuration
    return _without_metadata(_read("GetBucketLifecycleConfiguration", method))


def write_config(key: str, body: bytes) -> aws.Answer:
    """Store the presets JSON at `key`: private (no ACL), never cached."""
    return aws.call(
        "PutObject",
        storage.client().put_object,
        Bucket=storage.bucket(),
        Key=key,
        Body=body,
        ContentType="application/json",
        CacheControl="no-store",
    )


def write_website(config: dict[str, Any]) -> aws.Answer:
    """Replace the bucket's website configuration with `config`."""
    return aws.call(
        "PutBucketWebsite",
        storage.client().put_bucket_website,
        Bucket=storage.bucket(),
        WebsiteConfiguration=config,
    )


def write_lifecycle(config: dict[str, Any]) -> aws.Answer:
    """Replace the lifecycle configuration with `config` (no rules: delete the configuration)."""
    client = storage.client()
    if not config.get("Rules"):
        return aws.call(
            "DeleteBucketLifecycle", client.delete_bucket_lifecycle, Bucket=storage.bucket()
        )
    params: dict[str, Any] = {"LifecycleConfiguration": {"Rules": config["Rules"]}}
    if "TransitionDefaultMinimumObjectSize" in config:
        params["TransitionDefaultMinimumObjectSize"] = config["TransitionDefaultMinimumObjectSize"]
    return aws.call(
        "PutBucketLifecycleConfiguration",
        client.put_bucket_lifecycle_configuration,
        Bucket=storage.bucket(),
        **params,
    )
