"""Warming: an upload makes every active preset in AVIF, WebP and its own format, in a Job.

Through the upload service against moto's S3 server, with tasks run eagerly once the upload's
transaction commits (as a request's would); the admin's upload row links to the job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.checks import Error
from django.test import Client
from PIL import Image

from imageadmin import assets, checks, variants, warming
from imageadmin.models import Asset, Job, JobStatus, Preset, Variant, VariantStatus
from resizer_lambda import imaging
from tests.imageadmin import assets_files as files
from tests.imageadmin.originals import (
    DEFAULT_WIDTHS,
    S3Calls,
    fetch_image,
    image_bytes,
    keys_in,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]

WARM_KEYS = {"avif": "image/avif", "webp": "image/webp", None: "image/jpeg"}


def upload(name: str = "coat.jpg", size: tuple[int, int] = (1600, 1000), seed: int = 0) -> Asset:
    data = image_bytes(size, colour=f"#{seed:02x}6699")
    return assets.upload(files.upload_file(name, data), None)


def test_an_upload_warms_every_active_preset_in_each_format(
    s3_client: Any, s3_bucket: str, presets: dict[str, Preset], run_on_commit: Any
) -> None:
    Preset.objects.create(name="off", width=50, active=False)
    with run_on_commit():
        asset = upload()
    job = Job.objects.get()
    assert (job.kind, job.status, job.total, job.done, job.failed) == ("warm", "done", 1, 1, 0)

    for name, width in DEFAULT_WIDTHS.items():
        for fmt, content_type in WARM_KEYS.items():
            key = asset.variant_key(name, fmt)
            im, response = fetch_image(s3_client, s3_bucket, key)
            assert response["ContentType"] == content_type
            assert Image.MIME[im.format] == content_type
            assert (
                im.size == (width, round(width * 1000 / 1600)) == asset.variant_size(presets[name])
            )
            row = Variant.objects.get(key=key)
            assert (row.preset_id, row.format, row.status) == (
                presets[name].pk,
                content_type.removeprefix("image/"),
                VariantStatus.READY,
            )
            assert (row.width, row.height, row.bytes) == (*im.size, response["ContentLength"])
    assert Variant.objects.count() == len(DEFAULT_WIDTHS) * len(WARM_KEYS)
    assert not keys_in(s3_client, s3_bucket, "off")


def test_warming_reads_and_decodes_the_original_once(
    presets: dict[str, Preset],
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        upload()  # the upload's own check decodes it too: count only the warming
    opens = 0
    real_open = Image.open

    def counting_open(*args: Any, **kwargs: Any) -> Any:
        nonlocal opens
        opens += 1
        return real_open(*args, **kwargs)

    monkeypatch.setattr(Image, "open", counting_open)
    calls = S3Calls(monkeypatch)
    for callback in callbacks:
        callback()
    assert opens == 1
    assert calls.operations.count("GetObject") == 1
    assert calls.operations.count("PutObject") == len(DEFAULT_WIDTHS) * len(WARM_KEYS)


@pytest.mark.parametrize(
    ("setting", "formats"),
    [
        (["webp"], {"webp"}),
        (["preset", "png", "preset"], {None, "png"}),
        (("avif",), {"avif"}),
    ],
)
def test_the_setting_chooses_the_formats(
    settings: Any,
    s3_client: Any,
    s3_bucket: str,
    presets: dict[str, Preset],
    run_on_commit: Any,
    setting: Any,
    formats: set[str | None],
) -> None:
    settings.IMAGEADMIN_WARM_FORMATS = setting
    with run_on_commit():
        asset = upload()
    made = keys_in(s3_client, s3_bucket) - {asset.key}
    assert made == {asset.variant_key(n, f) for n in DEFAULT_WIDTHS for f in formats}


def test_an_empty_setting_warms_nothing_and_makes_no_job(
    settings: Any, s3_client: Any, s3_bucket: str, presets: dict[str, Preset], run_on_commit: Any
) -> None:
    settings.IMAGEADMIN_WARM_FORMATS = []
    with run_on_commit():
        asset = upload()
    assert keys_in(s3_client, s3_bucket) == {asset.key}
    assert not Job.objects.exists()
    assert not Variant.objects.exists()
    assert variants.start_warm([asset.pk]) is None


def test_no_active_preset_makes_no_job(presets: dict[str, Preset], run_on_commit: Any) -> None:
    Preset.objects.update(active=False)
    with run_on_commit():
        upload()
    assert not Job.objects.exists()


def test_the_job_is_queued_until_the_upload_commits(
    s3_client: Any,
    s3_bucket: str,
    presets: dict[str, Preset],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        asset = upload()
    assert len(callbacks) == 1
    assert Job.objects.get().status == JobStatus.QUEUED
    assert keys_in(s3_client, s3_bucket) == {asset.key}


def test_an_unreadable_original_fails_the_job_with_the_reason(
    stored_asset: Any,
    s3_client: Any,
    s3_bucket: str,
    presets: dict[str, Preset],
    run_on_commit: Any,
) -> None:
    good = stored_asset("originals/good.jpg", (600, 400))
    whole = image_bytes((600, 400))
    broken = stored_asset("originals/broken.jpg", (600, 400), data=whole[: len(whole) // 2])
    gone = stored_asset("originals/gone.jpg", (600, 400))
    s3_client.delete_object(Bucket=s3_bucket, Key=gone.key)
    with run_on_commit():
        job = variants.start_warm([good.pk, broken.pk, gone.pk])
    assert job is not None
    job.refresh_from_db()
    assert (job.kind, job.status, job.total, job.done, job.failed) == ("warm", "failed", 3, 1, 2)
    assert job.percent == 100
    assert f"asset {broken.pk} (originals/broken.jpg): " in job.message
    assert "truncated or corrupt" in job.message
    assert f"asset {gone.pk} (originals/gone.jpg): " in job.message
    assert "does not exist" in job.message
    made = keys_in(s3_client, s3_bucket) - {good.key, broken.key}
    assert made == {good.variant_key(n, f) for n in DEFAULT_WIDTHS for f in WARM_KEYS}
    assert not Variant.objects.exclude(asset=good).exists()


def test_progress_counts_one_unit_per_asset_as_each_finishes(
    stored_asset: Any,
    presets: dict[str, Preset],
    run_on_commit: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chosen = [stored_asset(f"originals/p{i}.jpg", (300, 200)) for i in range(3)]
    seen: list[tuple[str, int, int, int]] = []
    real: Callable[..., Any] = imaging.render_outputs

    def watching(*args: Any, **kwargs: Any) -> Any:
        job = Job.objects.get()
        seen.append((job.status, job.total, job.done, job.failed))
        return real(*args, **kwargs)

    monkeypatch.setattr(imaging, "render_outputs", watching)
    with run_on_commit():
        variants.start_warm([a.pk for a in chosen])
    assert seen == [("running", 3, 0, 0), ("running", 3, 1, 0), ("running", 3, 2, 0)]
    job = Job.objects.get()
    assert (job.status, job.done, job.failed) == (JobStatus.DONE, 3, 0)


def test_the_upload_page_links_each_row_to_its_warm_job(
    client: Client, editor: Any, presets: dict[str, Preset]
) -> None:
    client.force_login(editor)
    response = client.post(
        "/admin/imageadmin/asset/upload/",
        {"fragment": "1", "files": files.upload_file("hat.jpg", files.jpeg((320, 200)))},
    )
    assert response.status_code == 201
    job = Job.objects.get(kind="warm")
    html = response.content.decode()
    assert f'data-job="{job.pk}"' in html
    assert f'href="/admin/imageadmin/job/{job.pk}/change/"' in html
    assert "AVIF, WebP and the preset&#x27;s own format" in html
    assert client.get(f"/admin/imageadmin/job/{job.pk}/change/").status_code == 200


# --- the setting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        (["avif", "webp", "preset"], ["avif", "webp", None]),
        ([], []),
        (("jpeg", "png", "jpeg"), ["jpeg", "png"]),
    ],
)
def test_parse_accepts_key_formats_and_preset(value: Any, parsed: list[str | None]) -> None:
    assert warming.parse(value) == parsed
    assert warming.parse(warming.names(warming.parse(value))) == parsed


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("avif", "must be a list of format names, got 'avif'"),
        (None, "must be a list of format names, got None"),
        (["avif", "gif"], "'gif' is not one of webp, avif, jpeg, png, preset"),
        (["original", "heic"], "'original', 'heic' are not one of"),
    ],
)
def test_a_bad_setting_is_refused_by_the_system_check(
    settings: Any, value: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        warming.parse(value)
    settings.IMAGEADMIN_WARM_FORMATS = value
    (error,) = checks.check_warm_formats()
    assert isinstance(error, Error)
    assert error.id == "imageadmin.E013"
    assert message in error.msg


def test_the_default_setting_passes_the_check() -> None:
    assert checks.check_warm_formats() == []
