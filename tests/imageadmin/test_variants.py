"""Variant services against moto's S3 server: generate, mark_stale and purge.

Tasks run eagerly (in-process) here; test_sync.py covers sync, test_tasks_worker.py a real worker.
"""

from __future__ import annotations

from typing import Any

import pytest

from imageadmin import tasks, variants
from imageadmin.models import Asset, Job, JobStatus, Preset, Variant, VariantStatus
from resizer_lambda.presets import DEFAULT_CACHE_CONTROL
from tests.imageadmin.originals import (
    DEFAULT_WIDTHS,
    S3Calls,
    fetch_image,
    image_bytes,
    keys_in,
)
from tests.imageadmin.versioned import head, publish_snapshot
from tests.resizer.images import scan_bomb

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


# --- generate -----------------------------------------------------------------------------------


def test_generate_writes_every_active_preset_and_records_rows(
    stored_asset: Any, generated: Any, s3_client: Any, s3_bucket: str, presets: dict[str, Preset]
) -> None:
    asset = stored_asset("originals/shop/cat.jpg", (1600, 1000))
    job = generated([asset])
    assert (job.kind, job.status, job.total, job.done, job.failed) == ("generate", "done", 1, 1, 0)

    for name, width in DEFAULT_WIDTHS.items():
        key = f"{head(name)}/originals/shop/cat.jpg"
        im, response = fetch_image(s3_client, s3_bucket, key)
        assert im.format == "JPEG"
        assert im.size == (width, round(width * 1000 / 1600))
        assert response["ContentType"] == "image/jpeg"
        assert response["CacheControl"] == DEFAULT_CACHE_CONTROL
        row = Variant.objects.get(key=key)
        assert (row.asset_id, row.preset_id, row.format) == (asset.pk, presets[name].pk, "jpeg")
        assert (row.width, row.height) == im.size == asset.variant_size(presets[name])
        assert row.bytes == response["ContentLength"]
        assert row.status == VariantStatus.READY
        assert row.generated_at is not None
        assert row.last_seen_at >= row.generated_at
    assert Variant.objects.count() == len(DEFAULT_WIDTHS)


def test_generate_reads_the_original_once(
    stored_asset: Any, generated: Any, presets: dict[str, Preset], monkeypatch: pytest.MonkeyPatch
) -> None:
    asset = stored_asset("originals/once.jpg", (800, 600))
    calls = S3Calls(monkeypatch)
    generated([asset])
    assert calls.operations.count("GetObject") == 1
    assert calls.operations.count("PutObject") == len(DEFAULT_WIDTHS)


def test_generate_chosen_presets_formats_and_fits(
    stored_asset: Any, generated: Any, s3_client: Any, s3_bucket: str
) -> None:
    Preset.objects.all().delete()
    thumb = Preset.objects.create(name="thumb", width=100, height=100, fit="cover", format="webp")
    card = Preset.objects.create(name="card", width=400, height=300, fit="contain", format="png")
    skipped = Preset.objects.create(name="skipped", width=50)
    asset = stored_asset("originals/wide.png", (900, 300), "PNG")
    job = generated([asset], [thumb.pk, card.pk])
    assert job.status == JobStatus.DONE

    im, response = fetch_image(s3_client, s3_bucket, f"{head('thumb')}/originals/wide.png")
    assert (im.format, im.size, response["ContentType"]) == ("WEBP", (100, 100), "image/webp")
    im, response = fetch_image(s3_client, s3_bucket, f"{head('card')}/originals/wide.png")
    assert (im.format, im.size, response["ContentType"]) == ("PNG", (400, 300), "image/png")
    assert keys_in(s3_client, s3_bucket, "skipped/") == set()
    assert set(Variant.objects.values_list("preset__name", flat=True)) == {"thumb", "card"}
    assert skipped.variants.count() == 0


def test_generate_again_refreshes_stale_rows(
    stored_asset: Any,
    generated: Any,
    s3_client: Any,
    s3_bucket: str,
    presets: dict[str, Preset],
    run_on_commit: Any,
) -> None:
    asset = stored_asset("originals/again.jpg", (1000, 1000))
    generated([asset])
    assert variants.mark_stale(presets["small"]) == 1
    assert variants.mark_stale(presets["small"]) == 0  # already stale
    assert (
        Variant.objects.get(key=f"{head('small')}/originals/again.jpg").status
        == VariantStatus.STALE
    )
    old_key = f"{head('small')}/originals/again.jpg"
    Preset.objects.filter(pk=presets["small"].pk).update(width=100)
    with run_on_commit():  # saved, not published: generating makes what the Lambda serves
        variants.start_generate([asset.pk], preset_ids=[presets["small"].pk])
    assert fetch_image(s3_client, s3_bucket, old_key)[0].size == (150, 150)
    publish_snapshot()
    with run_on_commit():  # published: a new token, a new key with the new size
        variants.start_generate([asset.pk], preset_ids=[presets["small"].pk])
    row = Variant.objects.get(key=f"{head('small')}/originals/again.jpg")
    assert row.key != old_key
    assert (row.status, row.token, row.width, row.height) == (
        VariantStatus.READY,
        head("small").split(".")[1],
        100,
        100,
    )
    assert fetch_image(s3_client, s3_bucket, row.key)[0].size == (100, 100)
    assert Variant.objects.count() == len(DEFAULT_WIDTHS) + 1  # the old one until it expires


def test_broken_original_fails_the_job_and_writes_nothing(
    stored_asset: Any, generated: Any, s3_client: Any, s3_bucket: str, presets: dict[str, Preset]
) -> None:
    good = stored_asset("originals/good.jpg", (600, 400))
    whole = image_bytes((600, 400))
    truncated = whole[: len(whole) * 2 // 3]  # the header reads, the pixels do not
    broken = stored_asset("originals/broken.jpg", (600, 400), data=truncated)
    job = generated([good, broken])
    assert (job.status, job.total, job.done, job.failed) == ("failed", 2, 1, 1)
    assert f"asset {broken.pk} (originals/broken.jpg)" in job.message
    assert "truncated or corrupt" in job.message
    assert job.percent == 100
    written = keys_in(s3_client, s3_bucket)
    assert not {k for k in written if k.endswith("broken.jpg") and not k.startswith("originals/")}
    assert {f"{head(n)}/originals/good.jpg" for n in DEFAULT_WIDTHS} <= written
    assert not Variant.objects.filter(asset=broken).exists()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "empty"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not a JPEG, PNG, WebP, GIF or AVIF"),
        (None, "does not exist"),
        (scan_bomb(3000), "the original JPEG has 3000 scans; the limit is 100"),
    ],
    ids=["empty", "svg", "missing", "scan-bomb"],
)
def test_unusable_originals_fail_with_the_reason(
    stored_asset: Any,
    generated: Any,
    s3_client: Any,
    s3_bucket: str,
    presets: dict[str, Preset],
    body: bytes | None,
    expected: str,
) -> None:
    asset = stored_asset("originals/bad.jpg", (10, 10), data=body or b"x")
    if body is None:
        s3_client.delete_object(Bucket=s3_bucket, Key="originals/bad.jpg")
    else:
        s3_client.put_object(Bucket=s3_bucket, Key="originals/bad.jpg", Body=body)
    job = generated([asset])
    assert (job.status, job.failed) == (JobStatus.FAILED, 1)
    assert expected in job.message
    assert keys_in(s3_client, s3_bucket) <= {"originals/bad.jpg"}


def test_deleted_asset_counts_as_failed(presets: dict[str, Preset]) -> None:
    job = Job.objects.create(kind="generate", total=1)
    assert tasks.generate_variants(987654, None, job.pk) == 0
    job.refresh_from_db()
    assert (job.status, job.failed) == (JobStatus.FAILED, 1)
    assert "987654" in job.message


def test_nothing_to_generate_is_done_at_once() -> None:
    job = variants.start_generate([])
    job.refresh_from_db()
    assert (job.status, job.total) == (JobStatus.DONE, 0)


def test_unreachable_queue_fails_the_job(
    stored_asset: Any, generated: Any, presets: dict[str, Preset], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kombu.exceptions import OperationalError

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.generate_variants, "delay", refuse)
    asset = stored_asset("originals/q.jpg", (100, 100))
    job = generated([asset])
    assert job.status == JobStatus.FAILED
    assert "Could not reach the task queue" in job.message


def test_nothing_is_enqueued_before_commit(
    stored_asset: Any,
    s3_client: Any,
    s3_bucket: str,
    presets: dict[str, Preset],
    django_capture_on_commit_callbacks: Any,
) -> None:
    asset = stored_asset("originals/later.jpg", (100, 100))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = variants.start_generate([asset.pk])
    assert len(callbacks) == 1
    assert keys_in(s3_client, s3_bucket, "small/") == set()
    assert Job.objects.get(pk=job.pk).status == JobStatus.QUEUED


def test_mark_stale_only_touches_that_preset(
    stored_asset: Any, generated: Any, presets: dict[str, Preset]
) -> None:
    for name in ("a", "b"):
        asset = stored_asset(f"originals/{name}.jpg", (400, 300))
        generated([asset])
    assert variants.mark_stale(presets["medium"].pk) == 2
    stale = Variant.objects.filter(status=VariantStatus.STALE)
    assert set(stale.values_list("preset__name", flat=True)) == {"medium"}


# --- purge --------------------------------------------------------------------------------------


@pytest.fixture
def two_assets(
    stored_asset: Any, generated: Any, s3_client: Any, s3_bucket: str, presets: dict[str, Preset]
) -> tuple[Asset, Asset]:
    first = stored_asset("originals/first.jpg", (800, 600))
    second = stored_asset("originals/second.jpg", (800, 600))
    generated([first, second])
    # Explicit-format variants the Lambda made on request (no rows yet).
    for asset in (first, second):
        for key in (asset.variant_key("small", "webp"), asset.variant_key("large", "avif")):
            s3_client.put_object(Bucket=s3_bucket, Key=key, Body=b"variant")
    return first, second


def test_purge_removes_one_assets_objects_and_rows(
    s3_client: Any, s3_bucket: str, two_assets: tuple[Asset, Asset], run_on_commit: Any
) -> None:
    first, second = two_assets
    with run_on_commit():
        job = variants.start_purge([first.pk])
    job.refresh_from_db()
    assert (job.kind, job.status, job.total, job.done) == ("purge", "done", 1, 1)
    left = keys_in(s3_client, s3_bucket)
    assert not {k for k in left if k.endswith("first.jpg") and not k.startswith("originals/")}
    assert "originals/first.jpg" in left
    assert {f"{head(n)}/originals/second.jpg" for n in DEFAULT_WIDTHS} <= left
    assert {
        f"{head('small', '.webp')}/originals/second.jpg",
        f"{head('large', '.avif')}/originals/second.jpg",
    } <= left
    assert not Variant.objects.filter(asset=first).exists()
    assert Variant.objects.filter(asset=second).count() == len(DEFAULT_WIDTHS)


def test_purge_chosen_presets_only(
    s3_client: Any,
    s3_bucket: str,
    presets: dict[str, Preset],
    two_assets: tuple[Asset, Asset],
    run_on_commit: Any,
) -> None:
    first, _ = two_assets
    with run_on_commit():
        variants.start_purge([first.pk], preset_ids=[presets["small"].pk])
    left = keys_in(s3_client, s3_bucket)
    assert f"{head('small')}/originals/first.jpg" not in left
    assert f"{head('small', '.webp')}/originals/first.jpg" not in left
    assert {
        f"{head('medium')}/originals/first.jpg",
        f"{head('large', '.avif')}/originals/first.jpg",
    } <= left
    assert set(Variant.objects.filter(asset=first).values_list("preset__name", flat=True)) == {
        "medium",
        "large",
        "xlarge",
    }


def test_purge_all_assets_of_a_preset_lists_its_prefixes(
    s3_client: Any,
    s3_bucket: str,
    presets: dict[str, Preset],
    two_assets: tuple[Asset, Asset],
    run_on_commit: Any,
) -> None:
    s3_client.put_object(
        Bucket=s3_bucket, Key=f"{head('large')}/originals/gone.jpg", Body=b"orphan"
    )
    with run_on_commit():
        job = variants.start_purge(preset_ids=[presets["large"].pk])
    job.refresh_from_db()
    assert (job.status, job.total, job.done) == (JobStatus.DONE, 1, 1)
    left = keys_in(s3_client, s3_bucket)
    assert not {k for k in left if k.startswith(("large/", "large."))}
    assert {
        f"{head('xlarge')}/originals/first.jpg",
        f"{head('small', '.webp')}/originals/second.jpg",
    } <= left
    assert not Variant.objects.filter(preset=presets["large"]).exists()
    assert Variant.objects.count() == 2 * (len(DEFAULT_WIDTHS) - 1)


def test_purge_still_knows_the_keys_when_the_asset_is_deleted_in_the_same_transaction(
    s3_client: Any,
    s3_bucket: str,
    two_assets: tuple[Asset, Asset],
    django_capture_on_commit_callbacks: Any,
) -> None:
    first, _ = two_assets
    with django_capture_on_commit_callbacks(execute=True):
        job = variants.start_purge([first.pk])
        first.delete()  # the asset admin deletes the row in the same transaction
    left = keys_in(s3_client, s3_bucket)
    assert not {k for k in left if k.endswith("first.jpg") and not k.startswith("originals/")}
    assert Job.objects.get(pk=job.pk).status == JobStatus.DONE
