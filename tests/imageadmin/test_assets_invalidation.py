"""Deleting an asset invalidates its variants in CloudFront (else they are served for a year)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from imageadmin import assets, aws, purging, storage
from imageadmin.models import Preset
from tests.imageadmin import assets_files as files
from tests.imageadmin.publish_data import configure, create_distribution
from tests.imageadmin.versioned import head

pytestmark = pytest.mark.django_db


@pytest.fixture
def distribution(settings: Any, s3_endpoint: str, s3_bucket: str, monkeypatch: Any) -> str:
    configure(settings, s3_endpoint, monkeypatch)
    settings.IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID = create_distribution(s3_endpoint, s3_bucket)
    return str(settings.IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID)


def invalidated_paths(endpoint: str, distribution: str) -> list[list[str]]:
    cloudfront = boto3.client("cloudfront", endpoint_url=endpoint)
    items = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]
    result = []
    for item in items.get("Items", []):
        inv = cloudfront.get_invalidation(DistributionId=distribution, Id=item["Id"])
        result.append(sorted(inv["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]))
    return result


def test_deleting_an_asset_invalidates_every_variant_path(
    editor: Any, distribution: str, s3_endpoint: str, django_capture_on_commit_callbacks: Any
) -> None:
    asset = assets.upload(files.upload_file("pier.jpg", files.jpeg()), editor)
    with django_capture_on_commit_callbacks(execute=True):
        assets.delete_assets([asset.pk])
    [paths] = invalidated_paths(s3_endpoint, distribution)
    names = list(Preset.objects.values_list("name", flat=True))
    # Per preset: the plain variant and four explicit formats, unversioned (legacy) and at the
    # current token in 1x and 2x.
    assert len(paths) == len(names) * (5 + 5 * 2)
    assert f"/small/{asset.key}" in paths
    assert f"/xlarge.avif/{asset.key}" in paths
    assert f"/{head('small')}/{asset.key}" in paths
    assert f"/{head('xlarge', '@2x.avif')}/{asset.key}" in paths
    assert f"/{asset.key}" not in paths  # the original is never served: nothing to forget


def test_without_a_distribution_nothing_is_sent(
    editor: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no invalidation without a distribution")

    monkeypatch.setattr(purging, "invalidate", refuse)
    asset = assets.upload(files.upload_file("pier.jpg", files.jpeg()), editor)
    with django_capture_on_commit_callbacks(execute=True):
        assets.delete_assets([asset.pk])
    assert purging.purge([f"small/{asset.key}"]).skipped == purging.NO_DISTRIBUTION


def test_a_failed_invalidation_is_logged_not_raised(
    editor: Any,
    distribution: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise aws.AwsError("CreateInvalidation", "TooManyInvalidationsInProgress")

    monkeypatch.setattr(purging, "invalidate", fail)
    asset = assets.upload(files.upload_file("pier.jpg", files.jpeg()), editor)
    with django_capture_on_commit_callbacks(execute=True):
        assets.delete_assets([asset.pk])
    [failed] = [r for r in caplog.records if getattr(r, "event", "") == "asset.invalidation_failed"]
    assert "TooManyInvalidationsInProgress" in failed.fields["error"]  # type: ignore[attr-defined]
    assert not storage.client().list_objects_v2(Bucket=storage.bucket()).get("Contents")


def test_no_invalidation_when_the_objects_could_not_be_deleted(
    editor: Any, distribution: str, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    def fail(keys: Any) -> str:
        raise aws.AwsRefused("DeleteObjects", "forced")

    monkeypatch.setattr(storage, "delete_batch", fail)
    asset = assets.upload(files.upload_file("pier.jpg", files.jpeg()), editor)
    with django_capture_on_commit_callbacks(execute=True):
        assets.delete_assets([asset.pk])
    assert invalidated_paths(s3_endpoint, distribution) == []


def test_only_variant_keys_are_invalidated(distribution: str, s3_endpoint: str) -> None:
    assert purging.purge(["originals/2026/11/a.jpg", "not-a-variant"]).invalidation is None
    assert purging.purge([f"{head('small')}/originals/2026/11/a b.jpg"]).invalidation
    assert invalidated_paths(s3_endpoint, distribution) == [
        [f"/{head('small')}/originals/2026/11/a%20b.jpg"]
    ]
