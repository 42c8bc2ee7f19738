"""The front-end demo pages: every preset through the template tags, images from the CDN."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.imageadmin.originals import make_asset
from tests.imageadmin.versioned import head

pytestmark = pytest.mark.django_db

CDN = "https://img.example.com"
X = "\N{MULTIPLICATION SIGN}"


@pytest.fixture(autouse=True)
def _demo(settings: Any) -> None:
    settings.DEMOSITE_PAGES = True
    settings.IMAGEADMIN_CDN_URL = CDN


def test_the_asset_page_shows_every_active_preset_and_a_picture(
    client: Client, s3_client: Any, s3_bucket: str
) -> None:
    asset = make_asset(s3_client, s3_bucket, "originals/2026/11/a-1.jpg", (1600, 1000))
    page = client.get(f"/demo/{asset.pk}/").content.decode()
    for name, width, height in (("small", 150, 94), ("medium", 300, 188), ("xlarge", 1200, 750)):
        assert f'<figure class="preset" data-preset="{name}">' in page
        assert f'src="{CDN}/{head(name)}/{asset.key}"' in page
        assert f"expected {width} {X} {height}" in page
    assert '<source type="image/avif"' in page
    assert f"{CDN}/{head('small', '.webp')}/{asset.key} 150w" in page
    assert 'loading="eager"' in page
    assert "&lt;picture&gt;" in page  # the tag's HTML, shown escaped


def test_the_index_links_every_asset(client: Client, s3_client: Any, s3_bucket: str) -> None:
    first = make_asset(s3_client, s3_bucket, "originals/2026/11/a-1.jpg", (800, 600))
    second = make_asset(s3_client, s3_bucket, "originals/2026/11/b-2.jpg", (640, 480))
    page = client.get("/demo/").content.decode()
    for asset in (first, second):
        assert f'href="/demo/{asset.pk}/"' in page
        assert f"{CDN}/{head('small')}/{asset.key}" in page


def test_an_unknown_asset_is_404(client: Client) -> None:
    assert client.get("/demo/999999/").status_code == 404


def test_the_pages_are_off_unless_enabled(
    client: Client, settings: Any, s3_client: Any, s3_bucket: str
) -> None:
    settings.DEMOSITE_PAGES = False
    asset = make_asset(s3_client, s3_bucket, "originals/2026/11/a-1.jpg", (800, 600))
    assert client.get("/demo/").status_code == 404
    assert client.get(f"/demo/{asset.pk}/").status_code == 404
