"""Django-side S3 I/O for variants and housekeeping; botocore errors are translated here only.

Originals go through Django's storage API (django-storages' S3 backend); this module handles what
that API does not: variant objects with their own Content-Type/Cache-Control, batch deletes and
listing prefixes for reconciliation.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
else:
    S3Client = Any


class StorageError(Exception):
    """S3 could not do what was asked; the message says what, for the admin to show."""


class ObjectMissing(StorageError):
    """The object does not exist."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    last_modified: datetime


@functools.cache
def client() -> S3Client:
    """Return the process's S3 client (settings' endpoint; boto3's standard variables apply)."""
    return boto3.client(
        "s3",
        endpoint_url=settings.AWS_S3_ENDPOINT_URL or None,
        region_name=settings.AWS_S3_REGION_NAME,
        config=BotoConfig(retries={"max_attempts": 3, "mode": "standard"}),
    )


def bucket() -> str:
    return str(settings.IMAGEADMIN_BUCKET)


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def read(key: str) -> bytes:
    """Return the bytes of `key`."""
    try:
        body: bytes = client().get_object(Bucket=bucket(), Key=key)["Body"].read()
    except ClientError as err:
        if _code(err) in ("NoSuchKey", "404"):
            raise ObjectMissing(f"s3://{bucket()}/{key} does not exist") from err
        raise StorageError(f"cannot read s3://{bucket()}/{key}: {_code(err)}") from err
    except BotoCoreError as err:
        raise StorageError(f"cannot read s3://{bucket()}/{key}: {err}") from err
    return body


def write(key: str, data: bytes, content_type: str, cache_control: str) -> None:
    """Store `data` at `key` (a whole object or none: S3 PUTs are atomic)."""
    try:
        client().put_object(
            Bucket=bucket(),
            Key=key,
            Body=data,
            ContentType=content_type,
            CacheControl=cache_control,
        )
    except (ClientError, BotoCoreError) as err:
        raise StorageError(f"cannot write s3://{bucket()}/{key}: {err}") from err


DELETE_BATCH = 1000  # S3's DeleteObjects limit


def refused(response: Any) -> tuple[str, str] | None:
    """Return (message, code) when S3 refused part of a DeleteObjects batch, else None."""
    errors = response.get("Errors", [])
    if not errors:
        return None
    first = errors[0]
    message = (
        f"S3 refused to delete {len(errors)} object(s), e.g. {first.get('Key')}: "
        f"{first.get('Code')}"
    )
    return message, str(first.get("Code", ""))


def delete(keys: Iterable[str]) -> int:
    """Delete `keys` (missing ones are fine), 1000 per request; return how many were asked."""
    count = 0
    for batch in itertools.batched(keys, DELETE_BATCH):
        try:
            response = client().delete_objects(
                Bucket=bucket(),
                Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
            )
        except (ClientError, BotoCoreError) as err:
            raise StorageError(f"cannot delete from s3://{bucket()}: {err}") from err
        if why := refused(response):
            raise StorageError(why[0])
        count += len(batch)
    return count


def list_prefix(prefix: str) -> Iterator[StoredObject]:
    """Yield every object under `prefix`."""
    paginator = client().get_paginator("list_objects_v2")
    try:
        for page in paginator.paginate(Bucket=bucket(), Prefix=prefix):
            for obj in page.get("Contents", []):
                yield StoredObject(obj["Key"], int(obj["Size"]), obj["LastModified"])
    except (ClientError, BotoCoreError) as err:
        raise StorageError(f"cannot list s3://{bucket()}/{prefix}: {err}") from err
