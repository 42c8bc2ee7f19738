"""The chooser sets the chosen image's focal point: its JSON endpoint and the widget's HTML.

Against moto's S3 (the original's metadata is the oracle), tasks run eagerly on commit.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from imageadmin.models import Asset, Job, Preset
from imageadmin.widgets import AssetChooserWidget
from tests.imageadmin.originals import fetch_image, make_asset
from tests.photos import LADYBIRD
from tests.resizer.test_imaging_focal import red_pixels

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]

FOCAL_URL = "/admin/imageadmin/asset/chooser/focal/"


@pytest.fixture
def ladybird(s3_client: Any, s3_bucket: str, presets: dict[str, Preset]) -> Asset:
    Preset.objects.create(name="tall", width=100, height=300, fit="cover", format="png")
    return make_asset(
        s3_client, s3_bucket, "originals/ladybird.jpg", (640, 400), data=LADYBIRD.read_bytes()
    )


def metadata(s3_client: Any, bucket: str, asset: Asset) -> dict[str, str]:
    found: dict[str, str] = s3_client.head_object(Bucket=bucket, Key=asset.key)["Metadata"]
    return found


def test_setting_the_point_from_the_chooser(
    client: Client, editor: Any, s3_client: Any, s3_bucket: str, ladybird: Asset, run_on_commit: Any
) -> None:
    client.force_login(editor)

    with run_on_commit():
        response = client.post(FOCAL_URL, {"asset": str(ladybird.pk), "focal": "0.7,0.48"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["asset"]["focal"] == "0.7000,0.4800"
    assert "Focal point saved" in body["message"]
    assert body["job"] == Job.objects.get(kind="warm").pk
    assert metadata(s3_client, s3_bucket, ladybird) == {"focal": "0.7000,0.4800"}
    variant, _ = fetch_image(s3_client, s3_bucket, ladybird.variant_key("tall"))
    assert len(red_pixels(variant)) > 50

    with run_on_commit():
        reset = client.post(FOCAL_URL, {"asset": str(ladybird.pk), "focal": ""})

    assert reset.json()["asset"]["focal"] == ""
    assert metadata(s3_client, s3_bucket, ladybird) == {}
    ladybird.refresh_from_db()
    assert ladybird.focal is None


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        ({"asset": "1", "focal": "0.5,1.5"}, 400, "bad_focal"),
        ({"asset": "1", "focal": "left"}, 400, "bad_focal"),
        ({"asset": "999999", "focal": "0.5,0.5"}, 404, "not_found"),
        ({"asset": "x", "focal": "0.5,0.5"}, 404, "not_found"),
        ({"asset": "9" * 40, "focal": "0.5,0.5"}, 404, "not_found"),
        ({"focal": "0.5,0.5"}, 404, "not_found"),
    ],
)
def test_bad_requests_are_4xx_json_and_change_nothing(
    client: Client,
    editor: Any,
    s3_client: Any,
    s3_bucket: str,
    ladybird: Asset,
    data: dict[str, str],
    status: int,
    code: str,
) -> None:
    client.force_login(editor)
    if data.get("asset") == "1":
        data = {**data, "asset": str(ladybird.pk)}

    response = client.post(FOCAL_URL, data)

    assert response.status_code == status
    assert response.json()["code"] == code
    assert metadata(s3_client, s3_bucket, ladybird) == {}


def test_setting_the_point_needs_change_permission(
    client: Client, django_user_model: Any, s3_client: Any, s3_bucket: str, ladybird: Asset
) -> None:
    viewer = django_user_model.objects.create_user("viewer", "v@example.com", "pass")
    viewer.is_staff = True
    viewer.save()
    viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="imageadmin", codename="view_asset")
    )
    client.force_login(viewer)

    response = client.post(FOCAL_URL, {"asset": str(ladybird.pk), "focal": "0.1,0.1"})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert metadata(s3_client, s3_bucket, ladybird) == {}
    assert client.get(FOCAL_URL).status_code == 405


def test_a_missing_original_is_a_json_error(
    client: Client, editor: Any, s3_client: Any, s3_bucket: str, ladybird: Asset
) -> None:
    s3_client.delete_object(Bucket=s3_bucket, Key=ladybird.key)
    client.force_login(editor)

    response = client.post(FOCAL_URL, {"asset": str(ladybird.pk), "focal": "0.1,0.1"})

    assert response.status_code == 502
    assert response.json()["code"] == "storage_refused"
    assert "The focal point was not changed" in response.json()["message"]
    ladybird.refresh_from_db()
    assert ladybird.focal is None


def test_the_widget_has_the_focal_endpoint_and_the_point(ladybird: Asset) -> None:
    ladybird.focal_x, ladybird.focal_y = 0.25, 0.75
    ladybird.save()

    html = AssetChooserWidget().render("image", ladybird.pk, {"id": "id_image"})

    assert f'data-focal-url="{FOCAL_URL}"' in html
    assert 'data-focal="0.2500,0.7500"' in html
    assert "asset-chooser-marker" in html
