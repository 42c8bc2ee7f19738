"""The JSON API: shape, caching headers, conditional GET, 404 and 405."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from imageadmin.models import Asset, Preset
from tests.imageadmin.versioned import head, publish_snapshot

pytestmark = pytest.mark.django_db

CDN = "https://cdn.example.com"


@pytest.fixture(autouse=True)
def cdn(settings: Any) -> None:
    settings.IMAGEADMIN_CDN_URL = CDN


@pytest.fixture
def presets() -> None:
    Preset.objects.all().delete()
    Preset.objects.create(name="small", width=150, position=0)
    Preset.objects.create(name="thumb", width=80, height=80, fit="cover", format="webp", position=1)
    Preset.objects.create(name="hidden", width=999, active=False)


@pytest.fixture
def asset() -> Asset:
    return Asset.objects.create(
        original="originals/a b/shoe.jpg",
        original_name="shoe.jpg",
        width=1600,
        height=900,
        format="jpeg",
        bytes=12345,
        sha256="0" * 64,
        alt_text='A "red" shoe',
    )


def test_presets_lists_the_active_presets(client: Client, presets: None) -> None:
    response = client.get("/api/presets")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "presets": [
            {
                "name": "small",
                "width": 150,
                "height": None,
                "fit": "inside",
                "format": "original",
                "token": head("small").split(".")[1],
                "negotiate": False,
                "densities": [1],
            },
            {
                "name": "thumb",
                "width": 80,
                "height": 80,
                "fit": "cover",
                "format": "webp",
                "token": head("thumb").split(".")[1],
                "negotiate": False,
                "densities": [1, 2],
            },
        ]
    }
    assert set(response["Cache-Control"].split(", ")) == {"public", "max-age=60"}
    assert response["ETag"].startswith('"')


def test_asset_answers_its_focal_point_for_object_position(
    client: Client, presets: None, asset: Asset
) -> None:
    Asset.objects.filter(pk=asset.pk).update(focal_x=0.7, focal_y=0.48)
    response = client.get(f"/api/assets/{asset.pk}")
    assert response.status_code == 200
    assert response.json()["focal"] == {"x": 0.7, "y": 0.48}


def test_asset_answers_urls_and_computed_sizes(client: Client, presets: None, asset: Asset) -> None:
    response = client.get(f"/api/assets/{asset.pk}")
    assert response.status_code == 200
    base = "originals/a%20b/shoe.jpg"
    assert response.json() == {
        "id": asset.pk,
        "key": "originals/a b/shoe.jpg",
        "width": 1600,
        "height": 900,
        "format": "jpeg",
        "alt": 'A "red" shoe',
        "focal": None,
        "variants": {
            "small": {
                "url": f"{CDN}/{head('small')}/{base}",
                "width": 150,
                "height": 84,
                "avif": f"{CDN}/{head('small', '.avif')}/{base}",
                "webp": f"{CDN}/{head('small', '.webp')}/{base}",
            },
            "thumb": {
                "url": f"{CDN}/{head('thumb')}/{base}",
                "width": 80,
                "height": 80,
                "avif": f"{CDN}/{head('thumb', '.avif')}/{base}",
                "webp": f"{CDN}/{head('thumb', '.webp')}/{base}",
                "2x": {
                    "url": f"{CDN}/{head('thumb', '@2x')}/{base}",
                    "width": 160,
                    "height": 160,
                    "avif": f"{CDN}/{head('thumb', '@2x.avif')}/{base}",
                    "webp": f"{CDN}/{head('thumb', '@2x.webp')}/{base}",
                },
            },
        },
    }
    assert set(response["Cache-Control"].split(", ")) == {"public", "max-age=60"}


@pytest.mark.parametrize("path", ["/api/presets", "/api/assets/{id}"])
def test_conditional_get_answers_304_until_the_answer_changes(
    client: Client, presets: None, asset: Asset, path: str
) -> None:
    url = path.format(id=asset.pk)
    first = client.get(url)
    etag = first["ETag"]
    assert client.get(url)["ETag"] == etag  # stable while nothing changes

    again = client.get(url, headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert "max-age=60" in again["Cache-Control"]
    assert client.head(url, headers={"if-none-match": etag}).status_code == 304
    assert client.get(url, headers={"if-none-match": '"other"'}).status_code == 200

    Preset.objects.filter(name="small").update(width=200)
    # Saved, not published: the Lambda still serves the old preset, so the answer stands.
    assert client.get(url, headers={"if-none-match": etag}).status_code == 304
    publish_snapshot()
    changed = client.get(url, headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_head_is_allowed(client: Client, presets: None) -> None:
    response = client.head("/api/presets")
    assert response.status_code == 200
    assert response["ETag"] == client.get("/api/presets")["ETag"]


def test_missing_asset_is_a_json_404(client: Client, presets: None) -> None:
    response = client.get("/api/assets/424242")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "no asset with id 424242"}
    assert response["Cache-Control"] == "no-store"
    assert client.get("/api/assets/abc").status_code == 404  # not even a route


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["/api/presets", "/api/assets/{id}"])
def test_other_methods_are_405(client: Client, asset: Asset, method: str, path: str) -> None:
    response = getattr(client, method)(path.format(id=asset.pk))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response.json()["code"] == "method_not_allowed"


def test_queries_do_not_grow_with_presets(
    client: Client, asset: Asset, django_assert_max_num_queries: Any
) -> None:
    for i in range(15):
        Preset.objects.create(name=f"p{i}", width=100 + i)
    with django_assert_max_num_queries(3):  # the asset, the served tokens, the presets
        assert len(client.get(f"/api/assets/{asset.pk}").json()["variants"]) >= 15


def test_a_negotiating_preset_answers_its_auto_url_once_published(
    client: Client, presets: None, asset: Asset
) -> None:
    Preset.objects.filter(name="small").update(negotiate=True)
    publish_snapshot()
    small = client.get(f"/api/assets/{asset.pk}").json()["variants"]["small"]
    assert small["url"] == f"{CDN}/{head('small', '.auto')}/originals/a%20b/shoe.jpg"
    assert small["webp"] == f"{CDN}/{head('small', '.webp')}/originals/a%20b/shoe.jpg"
    assert client.get("/api/presets").json()["presets"][0]["negotiate"] is True
