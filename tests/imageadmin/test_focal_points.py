"""Focal points on the Django side: the model, S3 metadata on the original, and re-made covers.

Against moto's server (S3 and CloudFront) with tasks run eagerly once the transaction commits;
the original is the real photo `tests/photos/ladybird.jpg`, whose ladybird is right of centre,
and the oracle for a crop is its red pixels in the stored variant.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from PIL import Image

from imageadmin import assets, focal_points, storage
from imageadmin.models import CURRENT, Asset, Job, JobStatus, Preset, Variant
from resizer_lambda.focal import Focal
from tests.imageadmin import assets_files as files
from tests.imageadmin.originals import fetch_image, keys_in, make_asset
from tests.imageadmin.publish_data import configure, create_distribution, invalidated_paths
from tests.photos import LADYBIRD, LADYBIRD_FOCAL
from tests.resizer.test_imaging_focal import red_pixels

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]

POINT = Focal(*LADYBIRD_FOCAL)
CACHE_CONTROL = "public, max-age=86400"


@pytest.fixture
def covers(presets: dict[str, Preset]) -> dict[str, Preset]:
    """The default (inside) presets, a cover preset, and an inactive cover preset."""
    tall = Preset.objects.create(name="tall", width=100, height=300, fit="cover", format="png")
    off = Preset.objects.create(name="square", width=80, height=80, fit="cover", active=False)
    return {**presets, "tall": tall, "square": off}


@pytest.fixture
def distribution(
    settings: Any, s3_endpoint: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> str:
    configure(settings, s3_endpoint, monkeypatch)
    settings.IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID = create_distribution(s3_endpoint, s3_bucket)
    return str(settings.IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID)


def upload_ladybird(point: Focal | None = None) -> Asset:
    upload = files.upload_file("ladybird.jpg", LADYBIRD.read_bytes())
    return assets.upload(upload, None, point=point)


def open_png(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def head(s3_client: Any, bucket: str, key: str) -> dict[str, Any]:
    response: dict[str, Any] = s3_client.head_object(Bucket=bucket, Key=key)
    return response


# --- the model ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "y", "field"),
    [(1.5, 0.5, "focal_x"), (0.5, -0.1, "focal_y"), (0.5, None, "focal_y"), (None, 0.2, "focal_x")],
)
def test_model_validation_refuses_points_outside_or_half_set(
    s3_client: Any, s3_bucket: str, x: float | None, y: float | None, field: str
) -> None:
    asset = make_asset(s3_client, s3_bucket, "originals/a.jpg", (64, 48))
    asset.focal_x, asset.focal_y = x, y

    with pytest.raises(ValidationError) as refused:
        asset.full_clean()

    assert field in refused.value.message_dict


@pytest.mark.parametrize(("x", "y"), [(None, None), (0.0, 1.0), (0.312, 0.441)])
def test_model_accepts_a_point_or_none(
    s3_client: Any, s3_bucket: str, x: float | None, y: float | None
) -> None:
    asset = make_asset(s3_client, s3_bucket, "originals/a.jpg", (64, 48))
    asset.focal_x, asset.focal_y = x, y

    asset.full_clean()

    assert asset.focal == (None if x is None or y is None else Focal(x, y))


# --- S3 metadata --------------------------------------------------------------------------------


def test_upload_writes_the_focal_point_as_metadata(
    s3_client: Any, s3_bucket: str, presets: dict[str, Preset]
) -> None:
    asset = upload_ladybird(POINT)

    stored = head(s3_client, s3_bucket, asset.key)
    assert stored["Metadata"] == {"focal": "0.7000,0.4800"}
    assert stored["ContentType"] == "image/jpeg"
    asset.refresh_from_db()
    assert (asset.focal_x, asset.focal_y) == LADYBIRD_FOCAL


def test_upload_without_a_point_writes_no_metadata(
    s3_client: Any, s3_bucket: str, presets: dict[str, Preset]
) -> None:
    asset = upload_ladybird()

    assert head(s3_client, s3_bucket, asset.key)["Metadata"] == {}
    assert asset.focal is None


def test_changing_the_point_rewrites_the_metadata_and_keeps_the_headers(
    s3_client: Any, s3_bucket: str, presets: dict[str, Preset]
) -> None:
    asset = make_asset(s3_client, s3_bucket, "originals/a.jpg", (64, 48))
    s3_client.copy_object(  # the original as a host's storage may have stored it
        Bucket=s3_bucket,
        Key=asset.key,
        CopySource={"Bucket": s3_bucket, "Key": asset.key},
        MetadataDirective="REPLACE",
        ContentType="image/jpeg",
        CacheControl=CACHE_CONTROL,
        Metadata={"owner": "shop"},
    )
    body = s3_client.get_object(Bucket=s3_bucket, Key=asset.key)["Body"].read()

    focal_points.change(asset, Focal(0.312, 0.441))

    stored = head(s3_client, s3_bucket, asset.key)
    assert stored["Metadata"] == {"focal": "0.3120,0.4410", "owner": "shop"}
    assert stored["ContentType"] == "image/jpeg"
    assert stored["CacheControl"] == CACHE_CONTROL
    assert s3_client.get_object(Bucket=s3_bucket, Key=asset.key)["Body"].read() == body
    asset.refresh_from_db()
    assert (asset.focal_x, asset.focal_y) == (0.312, 0.441)

    focal_points.change(asset, None)  # back to the centre: the key goes

    assert head(s3_client, s3_bucket, asset.key)["Metadata"] == {"owner": "shop"}
    asset.refresh_from_db()
    assert asset.focal is None


def test_a_missing_original_refuses_the_change(
    s3_client: Any, s3_bucket: str, presets: dict[str, Preset]
) -> None:
    asset = make_asset(s3_client, s3_bucket, "originals/a.jpg", (64, 48))
    s3_client.delete_object(Bucket=s3_bucket, Key=asset.key)

    with pytest.raises(storage.aws.ObjectMissing):
        focal_points.change(asset, POINT)

    asset.refresh_from_db()
    assert asset.focal is None


# --- re-making the cover variants ---------------------------------------------------------------


def test_a_new_point_purges_and_rewarms_only_the_cover_variants(
    s3_client: Any,
    s3_bucket: str,
    s3_endpoint: str,
    distribution: str,
    covers: dict[str, Preset],
    run_on_commit: Any,
) -> None:
    with run_on_commit():
        asset = upload_ladybird()
    tall_key = asset.variant_key("tall")
    before, _ = fetch_image(s3_client, s3_bucket, tall_key)
    assert red_pixels(before) == []  # centred: the ladybird is cut off
    inside = {
        k: head(s3_client, s3_bucket, k)["ETag"]
        for k in keys_in(s3_client, s3_bucket)
        if not k.startswith(("tall", "originals/"))
    }
    assert len(inside) == 4 * 3  # the four default presets, warmed in three formats
    s3_client.put_object(Bucket=s3_bucket, Key=f"square/{asset.key}", Body=b"an old crop")

    with run_on_commit():
        remade = focal_points.change(asset, POINT)

    # Exactly the cover presets' keys of this asset were deleted and invalidated: every format,
    # at the current token in 1x and 2x, and the unversioned keys of pages from before tokens.
    [paths] = invalidated_paths(s3_endpoint, distribution)
    formats: tuple[Any, ...] = (None, "jpeg", "png", "webp", "avif")
    expected = {
        "/" + asset.variant_key(name, fmt, token=token, density=density)
        for name in ("tall", "square")
        for fmt in formats
        for token, density in ((CURRENT, 1), (CURRENT, 2), (None, 1))
    }
    assert set(paths) == expected
    assert sorted(remade.presets) == ["square", "tall"]
    assert not keys_in(s3_client, s3_bucket, "square")  # inactive: deleted, not re-made
    # The active cover preset was warmed again, around the point.
    assert remade.job is not None
    job = Job.objects.get(pk=remade.job.pk)
    assert (job.kind, job.status, job.total, job.done) == ("warm", JobStatus.DONE, 1, 1)
    after, response = fetch_image(s3_client, s3_bucket, tall_key)
    assert after.size == (100, 300)
    assert len(red_pixels(after)) > 50
    assert response["ContentType"] == "image/png"
    assert keys_in(s3_client, s3_bucket, "tall") == {
        tall_key,
        asset.variant_key("tall", "webp"),
        asset.variant_key("tall", "avif"),
    }
    assert set(Variant.objects.filter(preset__name="tall").values_list("key", flat=True)) == (
        keys_in(s3_client, s3_bucket, "tall")
    )
    # Nothing else was touched.
    for key, etag in inside.items():
        assert head(s3_client, s3_bucket, key)["ETag"] == etag


def test_without_cover_presets_nothing_is_purged(
    s3_client: Any, s3_bucket: str, presets: dict[str, Preset], run_on_commit: Any
) -> None:
    with run_on_commit():
        asset = upload_ladybird()
    before = keys_in(s3_client, s3_bucket)
    jobs = Job.objects.count()

    with run_on_commit():
        remade = focal_points.change(asset, POINT)

    assert remade.presets == []
    assert remade.job is None
    assert keys_in(s3_client, s3_bucket) == before
    assert Job.objects.count() == jobs


# --- the admin ----------------------------------------------------------------------------------


def change_url(asset: Asset) -> str:
    return f"/admin/imageadmin/asset/{asset.pk}/change/"


def post_change(client: Client, asset: Asset, **fields: str) -> Any:
    data = {"alt_text": asset.alt_text, "focal_x": "", "focal_y": "", **fields}
    return client.post(change_url(asset), data)


def test_admin_save_stores_the_point_and_links_the_job(
    client: Client,
    editor: Any,
    s3_client: Any,
    s3_bucket: str,
    covers: dict[str, Preset],
    run_on_commit: Any,
) -> None:
    with run_on_commit():
        asset = upload_ladybird()
    client.force_login(editor)

    page = client.get(change_url(asset))
    assert page.status_code == 200
    assert b"data-focal-picker" in page.content
    assert b'data-preset="tall"' in page.content

    with run_on_commit():
        response = post_change(client, asset, focal_x="0.7000", focal_y="0.4800")

    assert response.status_code == 302
    assert head(s3_client, s3_bucket, asset.key)["Metadata"] == {"focal": "0.7000,0.4800"}
    asset.refresh_from_db()
    assert (asset.focal_x, asset.focal_y) == (0.7, 0.48)
    shown = client.get(response["Location"]).content.decode()
    job = Job.objects.filter(kind="warm").latest("pk")
    assert f"/admin/imageadmin/job/{job.pk}/change/" in shown
    assert "Focal point saved" in shown
    after, _ = fetch_image(s3_client, s3_bucket, asset.variant_key("tall"))
    assert len(red_pixels(after)) > 50


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"focal_x": "0.7", "focal_y": ""}, "Set both coordinates"),
        ({"focal_x": "1.5", "focal_y": "0.5"}, "less than or equal to 1"),
        ({"focal_x": "left", "focal_y": "0.5"}, "Enter a number"),
    ],
)
def test_admin_refuses_a_bad_point_with_a_message(
    client: Client,
    editor: Any,
    s3_client: Any,
    s3_bucket: str,
    covers: dict[str, Preset],
    fields: dict[str, str],
    message: str,
) -> None:
    asset = make_asset(s3_client, s3_bucket, "originals/a.jpg", (64, 48))
    client.force_login(editor)

    response = post_change(client, asset, **fields)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert head(s3_client, s3_bucket, asset.key)["Metadata"] == {}
    asset.refresh_from_db()
    assert asset.focal is None


def test_admin_says_so_when_s3_refuses_the_point(
    client: Client, editor: Any, s3_client: Any, s3_bucket: str, covers: dict[str, Preset]
) -> None:
    asset = make_asset(s3_client, s3_bucket, "originals/a.jpg", (64, 48))
    s3_client.delete_object(Bucket=s3_bucket, Key=asset.key)
    client.force_login(editor)

    response = post_change(client, asset, focal_x="0.1", focal_y="0.2", alt_text="kept")

    assert response.status_code == 302
    shown = client.get(response["Location"]).content.decode()
    assert "The focal point was not changed" in shown
    asset.refresh_from_db()
    assert asset.focal is None
    assert asset.alt_text == "kept"


def test_focal_preview_renders_the_cover_crop_around_a_point(
    client: Client, editor: Any, covers: dict[str, Preset]
) -> None:
    asset = upload_ladybird()
    client.force_login(editor)
    url = f"/admin/imageadmin/asset/{asset.pk}/focal-preview/"

    pointed = client.get(url, {"preset": "tall", "focal": "0.7000,0.4800"})
    centred = client.get(url, {"preset": "tall", "focal": ""})

    assert pointed.status_code == centred.status_code == 200
    assert pointed["Content-Type"] == "image/png"
    assert (pointed["X-Preview-Width"], pointed["X-Preview-Height"]) == ("100", "300")
    assert len(red_pixels(open_png(pointed.content))) > 50
    assert red_pixels(open_png(centred.content)) == []

    bad = client.get(url, {"preset": "tall", "focal": "2,2"})
    assert bad.status_code == 400
    assert bad.json()["field"] == "focal"
    not_cover = client.get(url, {"preset": "small", "focal": ""})
    assert not_cover.status_code == 404
    assert "not an active cover preset" in not_cover.json()["error"]
    assert (
        client.get("/admin/imageadmin/asset/999999/focal-preview/?preset=tall").status_code == 404
    )


def test_warming_an_upload_with_a_point_crops_around_it(
    s3_client: Any, s3_bucket: str, covers: dict[str, Preset], run_on_commit: Any
) -> None:
    with run_on_commit():
        asset = upload_ladybird(POINT)

    for fmt in (None, "webp"):
        variant, _ = fetch_image(s3_client, s3_bucket, asset.variant_key("tall", fmt))
        assert variant.size == (100, 300)
        assert len(red_pixels(variant)) > 30, fmt


def test_the_preset_preview_crops_around_the_assets_point(
    client: Client, preset_admin: Any, covers: dict[str, Preset]
) -> None:
    pointed = upload_ladybird(POINT)
    client.force_login(preset_admin)
    query = {"width": "100", "height": "300", "fit": "cover", "format": "png"}

    shown = client.get("/admin/imageadmin/preset/preview/", {**query, "asset": pointed.pk})

    assert shown.status_code == 200
    assert len(red_pixels(open_png(shown.content))) > 50
    focal_points.change(pointed, None)
    centred = client.get("/admin/imageadmin/preset/preview/", {**query, "asset": pointed.pk})
    assert red_pixels(open_png(centred.content)) == []
