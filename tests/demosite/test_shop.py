"""The demo shop: AssetField on a host's models, its admin with the chooser, its product page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from demosite.shop.models import Product, ProductImage
from imageadmin import assets
from imageadmin.models import Asset
from tests.imageadmin.originals import make_asset
from tests.imageadmin.versioned import head

pytestmark = pytest.mark.django_db

CDN = "https://img.example.com"
ADD_URL = "/admin/shop/product/add/"


class Images(HTMLParser):
    """Collect the attributes of every <img> and <source>."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.imgs: list[dict[str, str | None]] = []
        self.sources: list[dict[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.imgs.append(dict(attrs))
        elif tag == "source":
            self.sources.append(dict(attrs))


@pytest.fixture(autouse=True)
def _demo(settings: Any) -> None:
    settings.DEMOSITE_PAGES = True
    settings.IMAGEADMIN_CDN_URL = CDN


@pytest.fixture
def photo(s3_client: Any, s3_bucket: str) -> Asset:
    return make_asset(s3_client, s3_bucket, "originals/2026/12/red-shoe-1.jpg", (1600, 1000))


def test_the_migrations_match_the_models() -> None:
    out = StringIO()
    call_command("makemigrations", "shop", "imageadmin", check=True, dry_run=True, stdout=out)
    assert "No changes detected" in out.getvalue()


def test_deleting_the_asset_leaves_the_product_without_an_image(
    photo: Asset, run_on_commit: Any
) -> None:
    product = Product.objects.create(name="Red shoe", image=photo)
    extra = ProductImage.objects.create(product=product, image=photo, position=1)
    with run_on_commit():
        assert assets.delete_assets([photo.pk]) == 1
    product.refresh_from_db()
    extra.refresh_from_db()
    assert (product.name, product.image, product.image_id) == ("Red shoe", None, None)
    assert (extra.product, extra.image) == (product, None)


def test_the_product_page_renders_the_image_with_the_three_tags(
    client: Client, photo: Asset
) -> None:
    product = Product.objects.create(name="Red shoe", price="59.90", image=photo)
    ProductImage.objects.create(product=product, image=photo, position=1)
    ProductImage.objects.create(product=product, image=None, position=2)
    response = client.get(f"/demo/products/{product.pk}/")
    assert response.status_code == 200
    parsed = Images(response.content.decode())
    picture, thumbnail, gallery = parsed.imgs
    key = photo.key
    assert picture["src"] == f"{CDN}/{head('xlarge')}/{key}"  # {% picture product.image %}
    assert f"{CDN}/{head('small', '.avif')}/{key} 150w" in str(parsed.sources[0]["srcset"])
    assert (
        thumbnail["src"] == f"{CDN}/{head('small')}/{key}"
    )  # {% image_url product.image "small" %}
    assert thumbnail["srcset"] == (  # {% image_srcset product.image %}
        f"{CDN}/{head('small')}/{key} 150w, {CDN}/{head('medium')}/{key} 300w, "
        f"{CDN}/{head('large')}/{key} 600w, {CDN}/{head('xlarge')}/{key} 1200w"
    )
    assert gallery["src"] == f"{CDN}/{head('medium')}/{key}"
    assert "No image." in response.content.decode()  # the gallery row without one


def test_a_product_without_an_image_renders_without_one(client: Client) -> None:
    product = Product.objects.create(name="Mystery box")
    response = client.get(f"/demo/products/{product.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert Images(html).imgs == []
    assert "<picture>" not in html
    assert "No image yet." in html


def test_the_product_list_links_each_product(client: Client, photo: Asset) -> None:
    shoe = Product.objects.create(name="Red shoe", image=photo)
    box = Product.objects.create(name="Mystery box")
    html = client.get("/demo/products/").content.decode()
    for product in (shoe, box):
        assert f'href="/demo/products/{product.pk}/"' in html
    assert [img["src"] for img in Images(html).imgs] == [f"{CDN}/{head('small')}/{photo.key}"]
    assert client.get("/demo/products/999999/").status_code == 404


def test_the_shop_pages_are_off_unless_enabled(client: Client, settings: Any) -> None:
    settings.DEMOSITE_PAGES = False
    product = Product.objects.create(name="Red shoe")
    assert client.get("/demo/products/").status_code == 404
    assert client.get(f"/demo/products/{product.pk}/").status_code == 404


# --- the shop's own admin -----------------------------------------------------------------------


def test_the_add_form_has_a_chooser_for_the_product_and_each_inline_row(
    admin_client: Client, photo: Asset
) -> None:
    html = admin_client.get(ADD_URL).content.decode()
    assert html.count("data-asset-chooser ") + html.count("data-asset-chooser\n") == 2
    assert re.search(r'<input type="hidden" name="image" [^>]*id="id_image">', html)
    # The inline's template row, which "Add another" clones.
    assert 'name="images-__prefix__-image" id="id_images-__prefix__-image"' in html
    assert "imageadmin/asset_chooser.js" in html
    # No admin "+" popup link for assets next to the chooser (it has its own upload).
    assert "add_id_image" not in html
    assert "related-widget-wrapper" not in html.split('id="id_image"')[1].split("</fieldset>")[0]


def test_saving_the_admin_form_stores_the_chosen_assets(
    admin_client: Client, photo: Asset, s3_client: Any, s3_bucket: str
) -> None:
    other = make_asset(s3_client, s3_bucket, "originals/2026/12/box-2.jpg", (800, 800))
    response = admin_client.post(
        ADD_URL,
        {
            "name": "Red shoe",
            "price": "59.90",
            "image": str(photo.pk),
            "images-TOTAL_FORMS": "2",
            "images-INITIAL_FORMS": "0",
            "images-0-image": str(other.pk),
            "images-0-position": "1",
            "images-1-image": "",
            "images-1-position": "2",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    product = Product.objects.get()
    assert product.image == photo
    assert [(i.image, i.position) for i in product.images.all()] == [(other, 1), (None, 2)]

    change = admin_client.get(f"/admin/shop/product/{product.pk}/change/").content.decode()
    assert f'value="{photo.pk}"' in change
    assert f'src="{CDN}/{head("small")}/{photo.key}"' in change


def test_an_unknown_asset_id_is_a_form_error(admin_client: Client) -> None:
    response = admin_client.post(
        ADD_URL,
        {
            "name": "Red shoe",
            "image": "987654",
            "images-TOTAL_FORMS": "0",
            "images-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "#987654 no longer exists" in response.content.decode()
    assert not Product.objects.exists()
