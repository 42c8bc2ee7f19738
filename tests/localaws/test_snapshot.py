"""Saving moto's in-memory bucket to a folder and restoring it into a fresh bucket."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from localaws import snapshot

WEBSITE = {
    "IndexDocument": {"Suffix": "index.html"},
    "RoutingRules": [
        {
            "Condition": {"HttpErrorCodeReturnedEquals": "403", "KeyPrefixEquals": "small"},
            "Redirect": {"ReplaceKeyPrefixWith": "default/resize?key=small"},
        }
    ],
}
LIFECYCLE = {
    "Rules": [
        {
            "ID": "imageadmin-small",
            "Filter": {"Prefix": "small/"},
            "Status": "Enabled",
            "Expiration": {"Days": 30},
        }
    ]
}


def fill(s3: Any, bucket: str) -> None:
    s3.put_object(
        Bucket=bucket,
        Key="originals/2026/11/a.jpg",
        Body=b"original",
        ContentType="image/jpeg",
        CacheControl="private, max-age=0",
        Metadata={"uploaded-by": "editor"},
    )
    s3.put_object(Bucket=bucket, Key="small/originals/2026/11/a.jpg", Body=b"variant")
    s3.put_object(Bucket=bucket, Key="copy.jpg", Body=b"variant")  # same bytes, one blob
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=WEBSITE)
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration=LIFECYCLE)


def test_save_then_restore_into_a_new_bucket(
    s3_client: Any, s3_bucket: str, tmp_path: Path
) -> None:
    fill(s3_client, s3_bucket)
    saved = snapshot.save(s3_client, s3_bucket, tmp_path)
    assert (saved.objects, saved.downloaded) == (3, 3)
    assert len(list((tmp_path / "blobs").iterdir())) == 2

    target = s3_bucket[:40] + "-restored"
    try:
        assert snapshot.restore(s3_client, target, tmp_path) == 3
        original = s3_client.get_object(Bucket=target, Key="originals/2026/11/a.jpg")
        assert original["Body"].read() == b"original"
        assert original["ContentType"] == "image/jpeg"
        assert original["CacheControl"] == "private, max-age=0"
        assert original["Metadata"] == {"uploaded-by": "editor"}
        website = s3_client.get_bucket_website(Bucket=target)
        assert website["RoutingRules"] == WEBSITE["RoutingRules"]
        rules = s3_client.get_bucket_lifecycle_configuration(Bucket=target)["Rules"]
        assert [r["ID"] for r in rules] == ["imageadmin-small"]
        # Restoring twice is harmless (the bucket exists already).
        assert snapshot.restore(s3_client, target, tmp_path) == 3
    finally:
        for obj in s3_client.list_objects_v2(Bucket=target).get("Contents", []):
            s3_client.delete_object(Bucket=target, Key=obj["Key"])
        s3_client.delete_bucket(Bucket=target)


def test_saves_are_incremental_and_drop_what_is_gone(
    s3_client: Any, s3_bucket: str, tmp_path: Path
) -> None:
    fill(s3_client, s3_bucket)
    snapshot.save(s3_client, s3_bucket, tmp_path)
    assert snapshot.save(s3_client, s3_bucket, tmp_path).downloaded == 0
    s3_client.put_object(Bucket=s3_bucket, Key="copy.jpg", Body=b"changed")
    s3_client.delete_object(Bucket=s3_bucket, Key="small/originals/2026/11/a.jpg")
    saved = snapshot.save(s3_client, s3_bucket, tmp_path)
    assert (saved.objects, saved.downloaded) == (2, 1)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert sorted(manifest["objects"]) == ["copy.jpg", "originals/2026/11/a.jpg"]
    assert len(list((tmp_path / "blobs").iterdir())) == 2  # "variant" is no longer used


def test_nothing_saved_yet_creates_an_empty_bucket(s3_endpoint: str, tmp_path: Path) -> None:
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    name = "snapshot-empty-restore"
    assert snapshot.restore(s3, name, tmp_path / "none") == 0
    assert s3.list_objects_v2(Bucket=name)["KeyCount"] == 0
    s3.delete_bucket(Bucket=name)


def test_a_bucket_without_configuration_saves_none(
    s3_client: Any, s3_bucket: str, tmp_path: Path
) -> None:
    snapshot.save(s3_client, s3_bucket, tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert (manifest["website"], manifest["lifecycle"], manifest["objects"]) == (None, None, {})


def test_an_unreadable_manifest_counts_as_no_snapshot(
    s3_client: Any, s3_bucket: str, tmp_path: Path
) -> None:
    (tmp_path / "manifest.json").write_text("{not json")
    assert snapshot.restore(s3_client, s3_bucket, tmp_path) == 0


def test_other_errors_are_not_swallowed(tmp_path: Path) -> None:
    class Failing:
        def create_bucket(self, **kwargs: Any) -> None:
            raise ClientError({"Error": {"Code": "AccessDenied"}}, "CreateBucket")

    with pytest.raises(ClientError, match="AccessDenied"):
        snapshot.restore(Failing(), "b", tmp_path)
