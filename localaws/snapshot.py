"""Keep the local bucket across runs: moto's server holds everything in memory, so snapshot it.

`save` writes what the bucket holds to a folder (every object with its Content-Type,
Cache-Control and metadata, plus the website and lifecycle configuration); `restore` puts it
back into a fresh server. Bodies are stored once per content (`blobs/<sha256>`) and a save only
downloads objects whose ETag changed since the last one, so `make run` can save every few
seconds as well as at shutdown. The manifest is replaced atomically: a crash mid-save leaves the
previous snapshot whole.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

MANIFEST = "manifest.json"
VERSION = 1


@dataclass(frozen=True)
class Saved:
    objects: int
    downloaded: int


def _read_manifest(folder: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return data if data.get("version") == VERSION else {}


def _config(client: Any, method: str, bucket: str, absent: str) -> dict[str, Any] | None:
    try:
        answer = getattr(client, method)(Bucket=bucket)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") == absent:
            return None
        raise
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


def save(client: Any, bucket: str, folder: Path) -> Saved:
    """Write the bucket's objects and configuration under `folder`."""
    blobs = folder / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    previous = _read_manifest(folder).get("objects", {})
    objects: dict[str, dict[str, Any]] = {}
    downloaded = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            key, etag = item["Key"], item["ETag"]
            known = previous.get(key)
            if known and known["etag"] == etag and (blobs / known["sha256"]).exists():
                objects[key] = known
                continue
            try:
                obj = client.get_object(Bucket=bucket, Key=key)
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") == "NoSuchKey":
                    continue  # deleted since the listing
                raise
            body = obj["Body"].read()
            digest = hashlib.sha256(body).hexdigest()
            blob = blobs / digest
            if not blob.exists():
                tmp = blob.with_suffix(".part")
                tmp.write_bytes(body)
                tmp.replace(blob)
            objects[key] = {
                "etag": obj.get("ETag", etag),
                "sha256": digest,
                "content_type": obj.get("ContentType", ""),
                "cache_control": obj.get("CacheControl", ""),
                "metadata": obj.get("Metadata", {}),
            }
            downloaded += 1
    manifest = {
        "version": VERSION,
        "bucket": bucket,
        "website": _config(client, "get_bucket_website", bucket, "NoSuchWebsiteConfiguration"),
        "lifecycle": _config(
            client,
            "get_bucket_lifecycle_configuration",
            bucket,
            "NoSuchLifecycleConfiguration",
        ),
        "objects": objects,
    }
    tmp = folder / (MANIFEST + ".part")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, folder / MANIFEST)
    used = {entry["sha256"] for entry in objects.values()}
    for blob in blobs.iterdir():
        if blob.name not in used:
            blob.unlink(missing_ok=True)
    return Saved(len(objects), downloaded)


def exists(folder: Path) -> bool:
    """Return whether `folder` holds a snapshot this version can restore."""
    return bool(_read_manifest(folder))


def restore(client: Any, bucket: str, folder: Path) -> int:
    """Put a saved snapshot back into `bucket` (created if needed); return the objects restored."""
    manifest = _read_manifest(folder)
    try:
        client.create_bucket(Bucket=bucket)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") not in (
            "BucketAlreadyOwnedByYou",
            "BucketAlreadyExists",
        ):
            raise
    if not manifest:
        return 0
    count = 0
    for key, entry in manifest.get("objects", {}).items():
        blob = folder / "blobs" / entry["sha256"]
        if not blob.exists():
            continue
        params: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": blob.read_bytes()}
        if entry.get("content_type"):
            params["ContentType"] = entry["content_type"]
        if entry.get("cache_control"):
            params["CacheControl"] = entry["cache_control"]
        if entry.get("metadata"):
            params["Metadata"] = entry["metadata"]
        client.put_object(**params)
        count += 1
    if manifest.get("website"):
        client.put_bucket_website(Bucket=bucket, WebsiteConfiguration=manifest["website"])
    lifecycle = manifest.get("lifecycle")
    if lifecycle and lifecycle.get("Rules"):
        client.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": lifecycle["Rules"]}
        )
    return count
