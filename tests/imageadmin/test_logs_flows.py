"""Structured log events of real flows: an upload through the admin, a dry-run publication on
moto's server, jobs. Asserted on the records (caplog) and on the JSON lines the demo site's
formatter writes for them."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from imageadmin import aws, publishing, variants
from imageadmin.logs import JsonFormatter
from imageadmin.models import Asset, Preset
from tests.imageadmin import assets_files as files
from tests.imageadmin.originals import DEFAULT_WIDTHS, image_bytes
from tests.imageadmin.publish_data import create_distribution, put_variants

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]

UPLOAD_URL = "/admin/imageadmin/asset/upload/"


@pytest.fixture(autouse=True)
def info(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="imageadmin")
    return caplog


def events(caplog: pytest.LogCaptureFixture, prefix: str = "") -> list[logging.LogRecord]:
    return [r for r in caplog.records if str(getattr(r, "event", "")).startswith(prefix)]


def only(caplog: pytest.LogCaptureFixture, event: str) -> logging.LogRecord:
    [record] = [r for r in caplog.records if getattr(r, "event", None) == event]
    return record


def json_line(record: logging.LogRecord) -> dict[str, Any]:
    doc = json.loads(JsonFormatter().format(record))
    assert isinstance(doc, dict)
    return doc


def fields(record: logging.LogRecord) -> dict[str, Any]:
    return dict(record.fields)  # type: ignore[attr-defined]


# --- uploads --------------------------------------------------------------------------------------


def test_an_upload_through_the_admin_logs_stored_refused_and_duplicate(
    client: Client, editor: Any, presets: dict[str, Preset], run_on_commit: Any, info: Any
) -> None:
    client.force_login(editor)
    data = files.jpeg((640, 480), seed=5)
    with run_on_commit():
        response = client.post(
            UPLOAD_URL,
            {
                "files": [
                    files.upload_file("red dress.jpg", data),
                    files.upload_file("vector.svg", files.SVG, "image/svg+xml"),
                    files.upload_file("again.jpg", data),
                ]
            },
        )
    assert response.status_code == 200
    asset = Asset.objects.get()

    stored = only(info, "upload.stored")
    assert stored.levelno == logging.INFO
    assert stored.name == "imageadmin.assets"
    found = fields(stored)
    assert {k: found[k] for k in ("asset", "name", "key", "bytes")} == {
        "asset": asset.pk,
        "name": "red dress.jpg",
        "key": asset.key,
        "bytes": len(data),
    }
    assert isinstance(found["ms"], int)
    assert found["ms"] >= 0
    doc = json_line(stored)
    assert (doc["event"], doc["level"], doc["logger"]) == (
        "upload.stored",
        "INFO",
        "imageadmin.assets",
    )
    assert (doc["asset"], doc["key"], doc["bytes"]) == (asset.pk, asset.key, len(data))
    assert doc["message"].startswith(f'upload.stored asset={asset.pk} name="red dress.jpg" ')

    refused = json_line(only(info, "upload.refused"))
    assert refused["reason"] == "unsupported"
    assert "vector.svg is an SVG image" in refused["message"]

    duplicate = json_line(only(info, "upload.duplicate"))
    assert (duplicate["name"], duplicate["existing"], duplicate["key"]) == (
        "again.jpg",
        asset.pk,
        asset.key,
    )

    # The upload's warm job: queued once the upload committed, then run to its end.
    queued = json_line(only(info, "job.queued"))
    assert (queued["kind"], queued["total"], queued["tasks"]) == ("warm", 1, 1)
    finished = json_line(only(info, "job.finished"))
    assert (finished["job"], finished["status"], finished["done"]) == (queued["job"], "done", 1)
    assert isinstance(finished["ms"], int)


@pytest.mark.parametrize(
    ("code", "reason", "level"),
    [("SlowDown", "unavailable", "WARNING"), ("AccessDenied", "refused", "ERROR")],
)
@pytest.mark.parametrize("url", [UPLOAD_URL, "/admin/imageadmin/asset/chooser/upload/"])
def test_a_file_s3_could_not_store_is_logged_as_failed(
    client: Client,
    editor: Any,
    monkeypatch: pytest.MonkeyPatch,
    info: Any,
    url: str,
    code: str,
    reason: str,
    level: str,
) -> None:
    from imageadmin import storage

    def fail(*args: Any, **kwargs: Any) -> str:
        raise aws.error_for("PutObject", code, "no")

    monkeypatch.setattr(storage, "save_original", fail)
    client.force_login(editor)
    field = "files" if url == UPLOAD_URL else "file"
    client.post(url, {field: files.upload_file("a.jpg", files.jpeg())})
    failed = json_line(only(info, "upload.failed"))
    assert (failed["name"], failed["reason"], failed["level"]) == ("a.jpg", reason, level)
    assert code in failed["error"]
    assert ("exception" in failed) is (reason == "refused")


def test_deleting_assets_logs_the_count_and_the_purge(
    editor: Any, presets: dict[str, Preset], run_on_commit: Any, info: Any
) -> None:
    from imageadmin import assets

    asset = assets.upload(files.upload_file("a.jpg", files.jpeg()), editor, warm=False)
    with run_on_commit():
        assets.delete_assets([asset.pk])
    deleted = json_line(only(info, "asset.deleted"))
    assert (deleted["count"], deleted["assets"]) == (1, [asset.pk])
    assert deleted["objects"] > 1  # the original and every key a variant can have
    purged = json_line(only(info, "purge.deleted"))
    assert purged["keys"] == deleted["objects"] - 1  # the variants; the original goes after
    skipped = json_line(only(info, "cdn.invalidation_skipped"))
    assert skipped["reason"] == "IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID is empty"


# --- publishing -----------------------------------------------------------------------------------


@pytest.fixture
def small_deleted(
    settings: Any,
    s3_endpoint: str,
    s3_client: Any,
    s3_bucket: str,
    publishing_aws: None,
    info: pytest.LogCaptureFixture,
) -> Callable[[list[str]], None]:
    """Publish, let the Lambda make `small`'s variants of some originals, delete `small`.

    A deleted preset's variants are purged and invalidated (a changed one only gets new URLs).
    """
    settings.IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID = create_distribution(s3_endpoint, s3_bucket)

    def change(originals: list[str]) -> None:
        publishing.publish()
        put_variants(s3_client, s3_bucket, "small", originals)
        Preset.objects.filter(name="small").delete()
        info.clear()  # only the next publication's lines

    return change


def test_a_dry_run_publication_logs_start_plan_steps_and_end(
    small_deleted: Callable[[list[str]], None], info: Any
) -> None:
    small_deleted(["originals/2026/11/pier.jpg"])
    pub = publishing.publish(dry_run=True)

    started = json_line(only(info, "publish.started"))
    assert (started["publication"], started["dry_run"], started["via"]) == (pub.pk, True, "command")
    planned = json_line(only(info, "publish.planned"))
    assert planned["purges"] == ["small"]
    assert "presets_json" in planned["changed"]
    steps = [json_line(r) for r in events(info, "publish.step")]
    assert [s["step"] for s in steps] == list(publishing.STEPS)
    assert all(s["dry_run"] is True and s["publication"] == pub.pk for s in steps)
    by_step = {s["step"]: s for s in steps}
    assert by_step["presets_json"]["outcome"] == by_step["purge"]["outcome"] == "dry_run"
    assert by_step["purge"]["detail"] == "small: 2 objects"
    finished = json_line(only(info, "publish.finished"))
    assert (finished["status"], finished["dry_run"], finished["error"]) == ("dry_run", True, "")
    assert isinstance(finished["ms"], int)
    assert finished["ms"] >= 0
    # Nothing was written, so nothing was deleted or invalidated.
    assert not events(info, "purge.")
    assert not events(info, "cdn.")


def test_a_publication_logs_each_applied_step_with_its_counts(
    settings: Any, small_deleted: Callable[[list[str]], None], info: Any
) -> None:
    small_deleted(["originals/a.jpg", "originals/b.jpg"])
    pub = publishing.publish()

    by_step = {s["step"]: s for s in map(json_line, events(info, "publish.step"))}
    assert by_step["presets_json"]["outcome"] == "ok"
    # Two originals' plain and WebP variants: four objects deleted, four paths invalidated.
    assert by_step["purge"]["data"]["deleted"] == 4
    assert by_step["purge"]["data"]["invalidation_paths"] == 4
    assert by_step["invalidate"]["outcome"] == "ok"
    assert by_step["invalidate"]["data"]["paths"] == 4
    assert json_line(only(info, "purge.deleted"))["variants"] == {"small": 4}
    invalidated = json_line(only(info, "cdn.invalidated"))
    assert (invalidated["paths"], invalidated["wildcard"]) == (4, False)
    assert invalidated["distribution"] == settings.IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID
    finished = only(info, "publish.finished")
    assert (fields(finished)["status"], finished.levelno) == ("succeeded", logging.INFO)
    assert fields(finished)["publication"] == pub.pk


@pytest.mark.usefixtures("publishing_aws")
def test_a_failed_step_is_a_warning(monkeypatch: pytest.MonkeyPatch, info: Any) -> None:
    from imageadmin.publishing import bucket

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise aws.AwsRefused("PutBucketWebsite", "AccessDenied")

    monkeypatch.setattr(bucket, "write_website", refuse)
    publishing.publish()
    [failed] = [r for r in events(info, "publish.step") if fields(r)["outcome"] == "failed"]
    assert failed.levelno == logging.WARNING
    assert fields(failed)["step"] == "website"
    assert "AccessDenied" in fields(failed)["error"]
    finished = json_line(only(info, "publish.finished"))
    assert (finished["level"], finished["status"], finished["failed_step"]) == (
        "WARNING",
        "failed",
        "website",
    )


# --- jobs -----------------------------------------------------------------------------------------


def test_a_job_logs_queued_coarse_progress_and_finished(
    stored_asset: Any, generated: Any, presets: dict[str, Preset], info: Any
) -> None:
    job = generated([stored_asset(f"originals/j{i}.jpg", (300, 200)) for i in range(8)])

    queued = json_line(only(info, "job.queued"))
    assert (queued["job"], queued["kind"], queued["total"], queued["tasks"]) == (
        job.pk,
        "generate",
        8,
        8,
    )
    progress = [json_line(r) for r in events(info, "job.progress")]
    assert [(p["percent"], p["done"]) for p in progress] == [(25, 2), (50, 4), (75, 6)]
    finished = json_line(only(info, "job.finished"))
    assert (finished["job"], finished["status"], finished["done"], finished["failed"]) == (
        job.pk,
        "done",
        8,
        0,
    )
    assert finished["level"] == "INFO"
    assert isinstance(finished["ms"], int)
    assert finished["ms"] >= 0


def test_a_failed_job_logs_the_asset_and_ends_as_a_warning(
    stored_asset: Any, generated: Any, presets: dict[str, Preset], info: Any
) -> None:
    whole = image_bytes((600, 400))
    broken = stored_asset("originals/broken.jpg", (600, 400), data=whole[: len(whole) // 2])
    job = generated([broken])
    failed = json_line(only(info, "job.asset_failed"))
    assert (failed["job"], failed["asset"], failed["key"]) == (job.pk, broken.pk, broken.key)
    assert failed["level"] == "WARNING"
    finished = json_line(only(info, "job.finished"))
    assert (finished["status"], finished["failed"], finished["level"]) == ("failed", 1, "WARNING")


def test_a_job_with_nothing_to_do_is_queued_and_finished_at_once(info: Any) -> None:
    job = variants.start_generate([])
    assert json_line(only(info, "job.queued"))["tasks"] == 0
    finished = json_line(only(info, "job.finished"))
    assert (finished["job"], finished["status"], finished["ms"]) == (job.pk, "done", 0)


def test_a_sync_logs_each_preset_and_its_end(
    stored_asset: Any, s3_client: Any, s3_bucket: str, presets: dict[str, Preset], info: Any
) -> None:
    from imageadmin import reconcile

    asset = stored_asset("originals/s.jpg", (400, 300))
    s3_client.put_object(Bucket=s3_bucket, Key=f"small/{asset.key}", Body=b"x" * 10)
    reconcile.sync()
    started = json_line(only(info, "sync.started"))
    assert started["presets"] == len(DEFAULT_WIDTHS)
    per_preset = {r["preset"]: r for r in map(json_line, events(info, "sync.preset"))}
    assert set(per_preset) == set(DEFAULT_WIDTHS)
    assert (per_preset["small"]["objects"], per_preset["small"]["created"]) == (1, 1)
    assert per_preset["small"]["bytes"] == 10
    finished = json_line(only(info, "sync.finished"))
    assert (finished["presets"], finished["failed"], finished["marks_pruned"]) == (4, 0, 0)
    assert json_line(only(info, "job.finished"))["kind"] == "sync"
