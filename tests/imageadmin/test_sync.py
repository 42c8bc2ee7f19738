"""sync_variants on moto's S3 server: rows follow what the Lambda made and lifecycle expired."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from imageadmin import aws, inventory, reconcile, tasks, variants
from imageadmin.models import Job, JobStatus, ObjectMark, Preset, Variant, VariantStatus
from tests.imageadmin.originals import DEFAULT_WIDTHS, S3Calls, make_asset
from tests.imageadmin.versioned import head

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


def test_sync_reconciles_rows_with_the_bucket(
    stored_asset: Any,
    generated: Any,
    s3_client: Any,
    s3_bucket: str,
    presets: dict[str, Preset],
    run_on_commit: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = stored_asset("originals/made.jpg", (1000, 500))
    lazy = stored_asset("originals/lazy.jpg", (2000, 1000))
    generated([made], [presets["small"].pk, presets["large"].pk])
    # The Lambda made these on request (no rows yet) ...
    put = {
        f"{head('small')}/originals/lazy.jpg": b"a" * 111,
        f"{head('small', '.webp')}/originals/lazy.jpg": b"b" * 222,
        f"{head('medium', '.avif')}/originals/lazy.jpg": b"c" * 333,
        f"{head('small')}/originals/nobody.jpg": b"d" * 44,  # no Asset: counted, left alone
        "small/notes.txt": b"e" * 5,  # not a variant key: ignored
    }
    for key, body in put.items():
        s3_client.put_object(Bucket=s3_bucket, Key=key, Body=body)
    # ... lifecycle expired this one, and this one was replaced with a new size.
    s3_client.delete_object(Bucket=s3_bucket, Key=f"{head('large')}/originals/made.jpg")
    s3_client.put_object(
        Bucket=s3_bucket, Key=f"{head('small')}/originals/made.jpg", Body=b"f" * 77
    )
    inactive = Preset.objects.create(name="old", width=10, active=False)
    Variant.objects.create(asset=made, preset=inactive, key="old/originals/made.jpg")

    calls = S3Calls(monkeypatch)
    with run_on_commit():
        job = variants.start_sync()
    job.refresh_from_db()
    assert set(calls.operations) == {"ListObjectsV2"}  # a listing only: nothing downloaded
    assert (job.kind, job.status, job.total, job.done, job.failed) == ("sync", "done", 4, 4, 0)
    assert "small: 4 objects, 454 bytes; 2 created, 1 updated, 0 unchanged, 0 removed, " in (
        job.message
    )
    assert "1 without an asset" in job.message
    assert "large: 0 objects, 0 bytes; 0 created, 0 updated, 0 unchanged, 1 removed" in job.message

    rows = {v.key: v for v in Variant.objects.all()}
    assert set(rows) == {
        f"{head('small')}/originals/made.jpg",
        f"{head('small')}/originals/lazy.jpg",
        f"{head('small', '.webp')}/originals/lazy.jpg",
        f"{head('medium', '.avif')}/originals/lazy.jpg",
        "old/originals/made.jpg",  # inactive presets are not synced
    }
    webp = rows[f"{head('small', '.webp')}/originals/lazy.jpg"]
    assert (webp.asset_id, webp.preset_id, webp.format) == (lazy.pk, presets["small"].pk, "webp")
    assert (webp.width, webp.height, webp.bytes) == (150, 75, 222)
    assert webp.status == VariantStatus.READY
    assert rows[f"{head('medium', '.avif')}/originals/lazy.jpg"].width == 300
    assert rows[f"{head('small')}/originals/made.jpg"].bytes == 77

    # A second run changes nothing and says so.
    result = reconcile.sync()
    assert result["small"] == {
        "objects": 4,
        "bytes": 454,
        "created": 0,
        "updated": 0,
        "unchanged": 3,
        "removed": 0,
        "orphans": 1,
        "error": "",
    }
    assert result["medium"]["bytes"] == 333
    assert Job.objects.filter(kind="sync").count() == 2  # the beat run recorded its own job


def test_sync_failure_keeps_rows(
    stored_asset: Any, generated: Any, presets: dict[str, Preset], monkeypatch: pytest.MonkeyPatch
) -> None:
    asset = stored_asset("originals/keep.jpg", (400, 400))
    generated([asset])

    def broken_listing(prefix: str) -> Iterator[Any]:
        raise aws.AwsRefused("ListObjectsV2", f"AccessDenied (s3://bucket/{prefix})")
        yield

    monkeypatch.setattr(reconcile.storage, "list_prefix", broken_listing)
    result = tasks.sync_variants()
    assert "AccessDenied" in result["small"]["error"]
    assert Variant.objects.count() == len(DEFAULT_WIDTHS)
    job = Job.objects.get(kind="sync")
    assert (job.status, job.failed) == (JobStatus.FAILED, len(DEFAULT_WIDTHS))
    assert "small: failed: ListObjectsV2 failed: AccessDenied" in job.message


def test_a_sync_prunes_old_event_marks_and_keeps_recent_ones(presets: dict[str, Preset]) -> None:
    now = timezone.now()
    kept = inventory.MARKS_KEPT
    ages = {"old": kept + timedelta(hours=1), "recent": kept - timedelta(hours=1), "new": None}
    for key, age in ages.items():
        mark = ObjectMark.objects.create(
            key=f"small/originals/{key}.jpg", sequencer="0A", present=True
        )
        if age is not None:
            ObjectMark.objects.filter(pk=mark.pk).update(updated_at=now - age)

    tasks.sync_variants()

    assert set(ObjectMark.objects.values_list("key", flat=True)) == {
        "small/originals/recent.jpg",
        "small/originals/new.jpg",
    }


def test_a_sync_without_active_presets_still_prunes_marks() -> None:
    Preset.objects.update(active=False)
    mark = ObjectMark.objects.create(key="small/originals/a.jpg", sequencer="0A", present=False)
    ObjectMark.objects.filter(pk=mark.pk).update(
        updated_at=timezone.now() - inventory.MARKS_KEPT - timedelta(days=1)
    )
    reconcile.sync()
    assert not ObjectMark.objects.exists()


@pytest.mark.usefixtures("eager_tasks")
def test_sync_records_tokens_and_counts_other_versions_as_stale(
    s3_client: Any, s3_bucket: str, presets: dict[str, Preset]
) -> None:
    make_asset(s3_client, s3_bucket, "originals/s/a.jpg", (800, 600))
    current = f"{head('medium')}/originals/s/a.jpg"
    retired = "medium.0badc0de.webp/originals/s/a.jpg"
    legacy = "medium/originals/s/a.jpg"
    for key in (current, retired, legacy):
        s3_client.put_object(Bucket=s3_bucket, Key=key, Body=b"x" * 10)
    Variant.objects.all().delete()

    reconcile.sync()

    rows = {v.key: (v.token, v.status) for v in Variant.objects.filter(preset__name="medium")}
    assert rows == {
        current: (head("medium").split(".")[1], VariantStatus.READY),
        retired: ("0badc0de", VariantStatus.STALE),
        legacy: ("", VariantStatus.STALE),
    }
