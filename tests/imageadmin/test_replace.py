"""Replacing an asset's original: the service against moto's S3, and the admin form by POST.

What an editor checks: the old original and its variants are gone from the bucket, the new
original is there, the asset's template URL changed and its pixels are the new image's.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client
from PIL import Image

from imageadmin import assets, aws, storage
from imageadmin.models import Asset, Job, Preset, Variant
from tests.imageadmin import assets_files as files

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks", "presets")]

RED, BLUE = (220, 30, 30), (30, 60, 220)


def solid(colour: tuple[int, int, int], size: tuple[int, int] = (640, 480)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "JPEG", quality=95)
    return buf.getvalue()


def bucket_keys(s3_client: Any, bucket: str) -> set[str]:
    pages = s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {obj["Key"] for page in pages for obj in page.get("Contents", [])}


def pixel(s3_client: Any, bucket: str, key: str) -> tuple[int, int, int]:
    body = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
    im = Image.open(io.BytesIO(body)).convert("RGB")
    return im.getpixel((im.width // 2, im.height // 2))  # type: ignore[return-value]


def close(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return all(abs(x - y) <= 12 for x, y in zip(a, b, strict=True))


def rendered_url(asset: Asset) -> str:
    return Template('{% load images %}{% image_url a "small" %}').render(Context({"a": asset}))


@pytest.fixture
def red_asset(editor: Any, run_on_commit: Any) -> Asset:
    with run_on_commit():
        asset = assets.upload(files.upload_file("red.jpg", solid(RED)), editor)
    asset.alt_text = "A red square"
    asset.save()
    return asset


def test_replace_swaps_the_original_purges_the_old_and_warms_the_new(
    red_asset: Asset, editor: Any, s3_client: Any, s3_bucket: str, run_on_commit: Any
) -> None:
    old_key, old_url = red_asset.key, rendered_url(red_asset)
    old_variants = set(Variant.objects.filter(asset=red_asset).values_list("key", flat=True))
    assert old_variants  # warmed on upload
    assert old_variants <= bucket_keys(s3_client, s3_bucket)
    stray = red_asset.variant_key("small", "png")  # made by the Lambda, no row yet
    s3_client.put_object(Bucket=s3_bucket, Key=stray, Body=solid(RED))

    with run_on_commit():
        job = assets.replace(red_asset, files.upload_file("blue.jpg", solid(BLUE)), editor)

    red_asset.refresh_from_db()
    assert red_asset.key != old_key
    assert (red_asset.original_name, red_asset.alt_text) == ("blue.jpg", "A red square")
    left = bucket_keys(s3_client, s3_bucket)
    assert old_key not in left
    assert not (old_variants | {stray}) & left  # nothing orphaned
    assert red_asset.key in left
    assert close(pixel(s3_client, s3_bucket, red_asset.key), BLUE)
    # Every URL changed; the new one's object is the new image (warmed by the job).
    new_url = rendered_url(red_asset)
    assert new_url != old_url
    new_key = red_asset.variant_key("small")
    assert new_url.endswith(new_key.replace(" ", "%20"))
    assert close(pixel(s3_client, s3_bucket, new_key), BLUE)
    assert job is not None
    job.refresh_from_db()
    assert (job.kind, job.status) == ("warm", "done")
    assert all(k.endswith(red_asset.key) for k in Variant.objects.values_list("key", flat=True))


def test_a_failed_put_leaves_the_asset_as_it_was(
    red_asset: Asset, editor: Any, s3_client: Any, s3_bucket: str, monkeypatch: Any
) -> None:
    before = Asset.objects.get(pk=red_asset.pk)
    keys_before = bucket_keys(s3_client, s3_bucket)
    rows_before = Variant.objects.filter(asset=red_asset).count()

    def fail(*args: Any, **kwargs: Any) -> str:
        raise aws.AwsUnavailable("PutObject", "SlowDown")

    monkeypatch.setattr(storage, "save_original", fail)
    with pytest.raises(aws.AwsUnavailable):
        assets.replace(red_asset, files.upload_file("blue.jpg", solid(BLUE)), editor)

    after = Asset.objects.get(pk=red_asset.pk)
    assert (after.key, after.sha256, after.width) == (before.key, before.sha256, before.width)
    assert bucket_keys(s3_client, s3_bucket) == keys_before
    assert Variant.objects.filter(asset=red_asset).count() == rows_before


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("doc.pdf", b"%PDF-1.4 not an image", "is a PDF document"),
        ("broken.jpg", files.truncated_jpeg(), "damaged or truncated"),
        ("bomb.png", files.png_bomb(), "too many pixels"),
        ("empty.jpg", b"", "is empty"),
    ],
)
def test_replace_applies_the_upload_checks(
    red_asset: Asset, editor: Any, name: str, data: bytes, fragment: str
) -> None:
    before = red_asset.key
    with pytest.raises(assets.UploadRefused, match=fragment):
        assets.replace(red_asset, files.upload_file(name, data), editor)
    red_asset.refresh_from_db()
    assert red_asset.key == before


def test_the_bytes_of_another_asset_are_refused_naming_it(
    red_asset: Asset, editor: Any, run_on_commit: Any
) -> None:
    with run_on_commit():
        other = assets.upload(files.upload_file("other.jpg", solid(BLUE)), editor)
    with pytest.raises(assets.DuplicateUpload) as caught:
        assets.replace(red_asset, files.upload_file("again.jpg", solid(BLUE)), editor)
    assert caught.value.existing == other
    assert f"asset #{other.pk}" in caught.value.message
    with pytest.raises(assets.UploadRefused, match="the file this asset already has"):
        assets.replace(red_asset, files.upload_file("same.jpg", solid(RED)), editor)


# --- the admin form -------------------------------------------------------------------------


def replace_url(asset: Asset) -> str:
    return f"/admin/imageadmin/asset/{asset.pk}/replace/"


def test_change_page_links_to_the_replace_form(
    client: Client, editor: Any, red_asset: Asset
) -> None:
    client.force_login(editor)
    page = client.get(f"/admin/imageadmin/asset/{red_asset.pk}/change/").content.decode()
    assert f'href="{replace_url(red_asset)}"' in page
    form = client.get(replace_url(red_asset))
    assert form.status_code == 200
    assert 'type="file" name="file"' in form.content.decode()


def test_admin_post_replaces_and_shows_the_warming_job(
    client: Client, editor: Any, red_asset: Asset, s3_client: Any, s3_bucket: str,
    run_on_commit: Any,
) -> None:  # fmt: skip
    client.force_login(editor)
    old_key = red_asset.key
    with run_on_commit():
        response = client.post(
            replace_url(red_asset), {"file": files.upload_file("blue.jpg", solid(BLUE))}
        )
    assert response.status_code == 302
    job = Job.objects.filter(kind="warm").first()
    assert job is not None
    assert response["Location"] == f"/admin/imageadmin/job/{job.pk}/change/"
    red_asset.refresh_from_db()
    left = bucket_keys(s3_client, s3_bucket)
    assert old_key not in left
    assert red_asset.key in left
    assert close(pixel(s3_client, s3_bucket, red_asset.variant_key("small")), BLUE)
    page = client.get(response["Location"]).content.decode()
    assert "was replaced by" in page


@pytest.mark.parametrize(
    ("data", "fragment", "status"),
    [
        ({"file": files.upload_file("doc.pdf", b"%PDF-1.4 x")}, "is a PDF document", 400),
        ({}, "This field is required", 400),
    ],
)
def test_admin_refusals_are_shown_on_the_field(
    client: Client, editor: Any, red_asset: Asset, data: dict[str, Any], fragment: str, status: int
) -> None:
    client.force_login(editor)
    response = client.post(replace_url(red_asset), data)
    assert response.status_code == status
    errors = response.context["form"].errors
    assert fragment in " ".join(errors["file"])
    assert Asset.objects.get(pk=red_asset.pk).key == red_asset.key


def test_admin_duplicate_links_to_the_asset_that_has_the_bytes(
    client: Client, editor: Any, red_asset: Asset, run_on_commit: Any
) -> None:
    with run_on_commit():
        other = assets.upload(files.upload_file("other.jpg", solid(BLUE)), editor)
    client.force_login(editor)
    response = client.post(
        replace_url(red_asset), {"file": files.upload_file("b.jpg", solid(BLUE))}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f"asset #{other.pk}" in page
    assert f'href="/admin/imageadmin/asset/{other.pk}/change/"' in page


def test_without_change_permission_replace_is_forbidden(
    client: Client, django_user_model: Any, red_asset: Asset
) -> None:
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    client.force_login(viewer)
    assert client.get(replace_url(red_asset)).status_code == 403
    assert client.get("/admin/imageadmin/asset/999999/replace/").status_code in (302, 404)
    assert Preset.objects.exists()
