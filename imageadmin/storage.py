"""Django-side S3 I/O for originals, variants and housekeeping, through the app's storage alias.

Everything the app keeps in S3 goes through one storage: the `STORAGES` alias named by
`IMAGEADMIN_STORAGE` (an S3Storage of django-storages), never the host project's
`default_storage`. Originals are saved through Django's storage API (`save_original`); this
module handles what that API does not, with the same storage's boto3 client and bucket: variant
objects with their own Content-Type/Cache-Control, batch deletes and listing prefixes. Every call
goes through `imageadmin.aws`, so a failure arrives as its ObjectMissing, AwsUnavailable or
AwsRefused.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from storages.backends.s3 import S3Storage

from imageadmin import aws
from imageadmin.conf import conf

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


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
    s3: S3Client = original_storage().connection.meta.client
    return s3


def bucket() -> str:
    """Return the name of the storage's bucket."""
    return str(original_storage().bucket_name)


def uri(key: str = "") -> str:
    """Return `s3://<bucket>/<key>`, how messages name an object."""
    return f"s3://{bucket()}/{key}"


def read(key: str) -> bytes:
    """Return the bytes of `key` (aws.ObjectMissing when there is none)."""
    with aws.translated("GetObject", uri(key)):  # the body streams: reading it can fail too
        body: bytes = client().get_object(Bucket=bucket(), Key=key)["Body"].read()
    return body


def write(key: str, data: bytes, content_type: str, cache_control: str) -> str:
    """Store `data` at `key` (a whole object or none: S3 PUTs are atomic); return the request id."""
    answer = aws.call(
        "PutObject",
        client().put_object,
        Bucket=bucket(),
        Key=key,
        Body=data,
        ContentType=content_type,
        CacheControl=cache_control,
    )
    return answer.request_id


def save_original(
    key: str, data: bytes, content_type: str, metadata: Mapping[str, str] | None = None
) -> str:
    """Store an original through the storage's own API; return the key it was stored at.

    django-storages stores a file with its `content_type`, which an uploaded file carries, and
    the storage's `object_parameters` (the host's encryption, ACL...). `metadata` is S3 user
    metadata (`x-amz-meta-<name>`), added to those parameters for this one PUT: the storage is
    shared, so a shallow copy carries them rather than the storage itself.
    """
    content = SimpleUploadedFile(key, data, content_type)
    store = original_storage()
    if metadata:
        params = dict(getattr(store, "object_parameters", None) or {})
        params["Metadata"] = {**(params.get("Metadata") or {}), **metadata}
        store = copy.copy(store)
        store.object_parameters = params
    with aws.translated("PutObject", uri(key)):
        return str(store.save(key, content))


# What a copy with MetadataDirective=REPLACE would otherwise drop, kept as the object had them.
_KEPT_HEADERS = ("ContentType", "CacheControl", "ContentDisposition", "ContentEncoding",
                 "ContentLanguage")  # fmt: skip


def metadata(key: str) -> dict[str, str]:
    """Return the user metadata of `key` (names lower-cased, as S3 answers them)."""
    answer = aws.call("HeadObject", client().head_object, Bucket=bucket(), Key=key)
    return {str(k).lower(): str(v) for k, v in (answer.value.get("Metadata") or {}).items()}


def set_metadata(key: str, changes: Mapping[str, str | None]) -> str:
    """Change user metadata of `key` in place; a None value removes that name. Return request id.

    S3 cannot edit metadata: the object is copied onto itself with MetadataDirective=REPLACE
    (one server-side copy, no download), and REPLACE drops every header not sent again, so
    Content-Type, Cache-Control and the other representation headers are read first and kept.
    """
    head = aws.call("HeadObject", client().head_object, Bucket=bucket(), Key=key).value
    current = {str(k).lower(): str(v) for k, v in (head.get("Metadata") or {}).items()}
    for name, value in changes.items():
        if value is None:
            current.pop(name, None)
        else:
            current[name] = value
    kept = {h: head[h] for h in _KEPT_HEADERS if head.get(h)}
    answer = aws.call(
        "CopyObject",
        client().copy_object,
        Bucket=bucket(),
        Key=key,
        CopySource={"Bucket": bucket(), "Key": key},
        MetadataDirective="REPLACE",
        Metadata=current,
        **kept,
    )
    return answer.request_id


DELETE_BATCH = 1000  # S3's DeleteObjects limit


def delete_batch(keys: Sequence[str]) -> str:
    """Delete up to DELETE_BATCH `keys` (missing ones are fine); return the request id.

    S3 answers 200 even when it refused some keys; the first refusal is raised like any error.
    """
    answer = aws.call(
        "DeleteObjects",
        client().delete_objects,
        Bucket=bucket(),
        Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True},
    )
    errors = answer.value.get("Errors") or []
    if errors:
        first = errors[0]
        text = f"S3 refused to delete {len(errors)} object(s), e.g. {first.get('Key')}"
        code = str(first.get("Code", ""))
        raise aws.error_for("DeleteObjects", code, text, answer.request_id, uri())
    return answer.request_id


def delete(keys: Iterable[str]) -> int:
    """Delete `keys` (missing ones are fine), 1000 per request; return how many were asked."""
    count = 0
    for batch in itertools.batched(keys, DELETE_BATCH):
        delete_batch(batch)
        count += len(batch)
    return count


def list_prefix(prefix: str) -> Iterator[StoredObject]:
    """Yield every object under `prefix`."""
    paginator = client().get_paginator("list_objects_v2")
    with aws.translated("ListObjectsV2", uri(prefix)):
        for page in paginator.paginate(Bucket=bucket(), Prefix=prefix):
            for obj in page.get("Contents", []):
                yield StoredObject(obj["Key"], int(obj["Size"]), obj["LastModified"])
