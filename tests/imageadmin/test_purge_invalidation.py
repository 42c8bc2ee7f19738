"""Purging variants invalidates their CDN paths (else CloudFront serves them for a year).

Against moto's server (S3 and CloudFront), with tasks run eagerly as in test_variants.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from imageadmin import aws, purging, storage, variants
from imageadmin.models import Asset, JobStatus, Preset, Variant
from tests.imageadmin.originals import keys_in, make_asset
from tests.imageadmin.publish_data import configure, create_distribution, invalidated_paths
from tests.imageadmin.versioned import head

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


@pytest.fixture
def distribution(
    settings: Any, s3_endpoint: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> str:
    configure(settings, s3_endpoint, monkeypatch)
    settings.IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID = create_distribution(s3_endpoint, s3_bucket)
    return str(settings.IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID)


@pytest.fixture
def two_assets(
    s3_client: Any, s3_bucket: str, presets: dict[str, Preset], run_on_commit: Any
) -> tuple[Asset, Asset]:
    first = make_asset(s3_client, s3_bucket, "originals/first.jpg", (400, 300))
    second = make_asset(s3_client, s3_bucket, "originals/second.jpg", (400, 300))
    with run_on_commit():
        variants.start_generate([first.pk, second.pk])
    for asset in (first, second):
        s3_client.put_object(Bucket=s3_bucket, Key=f"small.webp/{asset.key}", Body=b"variant")
    return first, second


def paths_of(keys: Iterable[str]) -> list[str]:
    return sorted("/" + key for key in keys)


def test_purging_an_asset_invalidates_exactly_its_variant_paths(
    s3_endpoint: str,
    distribution: str,
    presets: dict[str, Preset],
    two_assets: tuple[Asset, Asset],
    run_on_commit: Any,
) -> None:
    first, second = two_assets
    with run_on_commit():
        job = variants.start_purge([first.pk])
    [paths] = invalidated_paths(s3_endpoint, distribution)
    tokens = variants.known_tokens(list(presets))
    assert paths == paths_of(variants.variant_keys(list(presets), first.key, tokens))
    # The plain variant and four explicit formats: unversioned, and at the token in 1x and 2x.
    assert len(paths) == len(presets) * (5 + 5 * 2)
    assert "/small.webp/originals/first.jpg" in paths
    assert f"/{head('small', '.webp')}/originals/first.jpg" in paths
    assert not [p for p in paths if p.endswith(second.key)]
    assert "/originals/first.jpg" not in paths  # the original is never served
    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == (JobStatus.DONE, 1, 0)
    assert f"assets {first.pk}: CloudFront invalidation " in job.message


def test_purging_a_preset_of_all_assets_invalidates_the_listed_keys(
    s3_client: Any,
    s3_bucket: str,
    s3_endpoint: str,
    distribution: str,
    presets: dict[str, Preset],
    two_assets: tuple[Asset, Asset],
    run_on_commit: Any,
) -> None:
    s3_client.put_object(
        Bucket=s3_bucket, Key=f"{head('small')}/originals/orphan.jpg", Body=b"orphan"
    )
    before = {k for k in keys_in(s3_client, s3_bucket) if k.startswith(("small/", "small."))}
    with run_on_commit():
        job = variants.start_purge(preset_ids=[presets["small"].pk])
    [paths] = invalidated_paths(s3_endpoint, distribution)
    assert paths == paths_of(before)
    assert f"/{head('small')}/originals/orphan.jpg" in paths
    assert not [p for p in paths if not p.startswith(("/small/", "/small."))]
    job.refresh_from_db()
    assert (job.status, job.done) == (JobStatus.DONE, 1)
    assert "presets small: CloudFront invalidation " in job.message


def test_a_preset_past_the_path_limit_is_invalidated_by_wildcards(
    s3_endpoint: str,
    distribution: str,
    presets: dict[str, Preset],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only MAX_INVALIDATION_PATHS + 1 keys per preset are kept; each purged preset still counts."""
    listed = {"small": 3000, "large": 2}
    now = datetime.now(UTC)

    def list_prefix(prefix: str) -> Iterator[storage.StoredObject]:
        name = prefix.rstrip("/")
        if prefix.endswith("/") and name in listed:
            for i in range(listed[name]):
                yield storage.StoredObject(f"{head(name)}/originals/{i}.jpg", 1, now)

    monkeypatch.setattr(storage, "list_prefix", list_prefix)
    monkeypatch.setattr(storage, "delete_batch", lambda keys: "request-id")
    ids = [presets["small"].pk, presets["large"].pk]
    assert variants.purge(None, ids) == 3002
    assert invalidated_paths(s3_endpoint, distribution) == [
        ["/large.*", "/large/*", "/small.*", "/small/*"]
    ]


def test_without_a_distribution_nothing_is_sent_and_the_job_says_so(
    s3_client: Any,
    s3_bucket: str,
    two_assets: tuple[Asset, Asset],
    run_on_commit: Any,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no invalidation without a distribution")

    settings.IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID = ""
    monkeypatch.setattr(purging, "invalidate", refuse)
    first, _ = two_assets
    with run_on_commit():
        job = variants.start_purge([first.pk])
    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == (JobStatus.DONE, 1, 0)
    assert "IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID is empty: CDN not invalidated" in job.message
    assert not Variant.objects.filter(asset=first).exists()


def test_a_failed_invalidation_fails_the_job_but_keeps_the_deletes(
    s3_client: Any,
    s3_bucket: str,
    distribution: str,
    two_assets: tuple[Asset, Asset],
    run_on_commit: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise aws.AwsError("CreateInvalidation", "TooManyInvalidationsInProgress")

    monkeypatch.setattr(purging, "invalidate", fail)
    first, second = two_assets
    with run_on_commit():
        job = variants.start_purge([first.pk])
    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == (JobStatus.FAILED, 0, 1)
    assert "variants deleted, but the CloudFront invalidation failed" in job.message
    assert "CreateInvalidation failed: TooManyInvalidationsInProgress" in job.message
    left = keys_in(s3_client, s3_bucket)
    assert not {k for k in left if k.endswith("first.jpg") and not k.startswith("originals/")}
    assert not Variant.objects.filter(asset=first).exists()
    assert Variant.objects.filter(asset=second).exists()


def test_no_invalidation_when_the_objects_could_not_be_deleted(
    s3_endpoint: str,
    distribution: str,
    two_assets: tuple[Asset, Asset],
    run_on_commit: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail(keys: Any) -> str:
        raise aws.AwsUnavailable("DeleteObjects", "forced")

    monkeypatch.setattr(storage, "delete_batch", fail)
    first, _ = two_assets
    with run_on_commit():
        job = variants.start_purge([first.pk])
    assert invalidated_paths(s3_endpoint, distribution) == []
    job.refresh_from_db()
    assert (job.status, job.failed) == (JobStatus.FAILED, 1)
    assert Variant.objects.filter(asset=first).exists()


def test_a_failed_batch_keeps_what_the_batches_before_it_deleted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A removal records each batch S3 confirmed, so a half-done purge is still invalidated."""
    confirmed: list[list[str]] = []

    def delete_batch(keys: Iterable[str]) -> str:
        if confirmed:
            raise aws.AwsUnavailable("DeleteObjects", "SlowDown")
        confirmed.append(list(keys))
        return "REQ-1"

    monkeypatch.setattr(storage, "delete_batch", delete_batch)
    removal = purging.Removal()
    doomed = [f"{head('small')}/originals/{i}.jpg" for i in range(1500)] + ["originals/kept.jpg"]
    with pytest.raises(aws.AwsUnavailable):
        removal.delete(doomed)
    assert (removal.deleted, removal.counts, removal.request_ids) == (
        1000,
        {"small": 1000},
        ["REQ-1"],
    )
    assert removal.paths() == (paths_of(confirmed[0]), False)


def test_originals_and_other_keys_are_deleted_but_never_invalidated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(storage, "delete_batch", lambda keys: "REQ-1")
    removal = purging.Removal()
    variant = "small.0a1b2c3d@2x.webp/originals/a.jpg"
    assert removal.delete(["originals/a.jpg", "_config/presets.json", variant]) == 3
    assert removal.counts == {"small": 1}
    assert removal.paths() == ([f"/{variant}"], False)
