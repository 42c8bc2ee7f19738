"""Django-side S3 I/O for variants and housekeeping; botocore errors are translated here only.

Everything the app keeps in S3 goes through one storage: the `STORAGES` alias named by
`IMAGEADMIN_STORAGE` (an S3Storage of django-storages), never the host project's
`default_storage`. Originals are saved through Django's storage API (`original_storage()`); this
module handles what that API does not, with the same storage's boto3 client and bucket: variant
objects with their own Content-Type/Cache-Control, batch deletes and listing prefixes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages
from storages.backends.s3 import S3Storage

from imageadmin.conf import conf

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


def original_storage() -> S3Storage:
    """Return the storage originals and variants live in (`STORAGES[IMAGEADMIN_STORAGE]`).

    `imageadmin.checks` (E012) explains a missing alias or a backend that is not S3Storage.
    """
    found = storages[conf.IMAGEADMIN_STORAGE]
    if not isinstance(found, S3Storage):
        raise ImproperlyConfigured(
            f"STORAGES[{conf.IMAGEADMIN_STORAGE!r}] must be an S3Storage (django-storages), "
            f"got {type(found).__name__}; run `manage.py check` for the details."
        )
    return found


def client() -> S3Client:
    """Return the storage's boto3 S3 client (its endpoint, region, credentials and retries)."""
    return original_storage().connection.meta.client  # type: ignore[no-any-return]


def bucket() -> str:
    """Return the name of the storage's bucket."""
    return str(original_storage().bucket_name)


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
