"""The asset chooser in the shop's own Product admin, in headless Chromium against the live server.

An admin has a damaged file refused and uploads a real JPEG from the widget, picks it for another
product through the search dialog, gives inline rows added with "Add another" an image (chosen,
and uploaded again as a duplicate), and the product page shows it from the CDN."""

from __future__ import annotations

from typing import Any

import pytest

from demosite.shop.models import Product, ProductImage
from imageadmin.models import Asset
from tests.imageadmin import assets_files as files
from tests.imageadmin.originals import warmed_keys
from tests.imageadmin.versioned import head

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# The browser's requests to the CDN are answered by the test (`cdn` below), never sent.
CDN = "http://127.0.0.1:9"
SCREENSHOT = "/tmp/shop-product-chooser.png"
MAIN_WIDGET = "document.querySelector('#id_image').parentElement"  # the product's own image


@pytest.fixture
def shop_admin(transactional_db: None, django_user_model: Any) -> Any:
    return django_user_model.objects.create_superuser("shopadmin", "s@example.com", "shop-pass")


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.IMAGEADMIN_CDN_URL = CDN
    settings.DEMOSITE_PAGES = True


@pytest.fixture
def cdn(page: Any) -> list[str]:
    """Answer every CDN request with a small JPEG, as the edge would; return the URLs asked."""
    requested: list[str] = []
    variant = files.jpeg((150, 113), seed=22)

    def answer(route: Any) -> None:
        requested.append(route.request.url)
        route.fulfill(status=200, body=variant, content_type="image/jpeg")

    page.route(f"{CDN}/**", answer)
    return requested


def loaded(image: Any) -> bool:
    return bool(image.evaluate("img => img.complete && img.naturalWidth > 0"))


def log_in(page: Any, base_url: str, next_path: str) -> None:
    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.fill("#id_username", "shopadmin")
    page.fill("#id_password", "shop-pass")
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}{next_path}")


def widget(page: Any, input_id: str) -> Any:
    """Return the chooser whose hidden input has `input_id`."""
    return page.locator(f"[data-asset-chooser]:has(#{input_id})")


def upload(page: Any, chooser: Any, name: str, data: bytes) -> None:
    """Click the widget's Upload and pick a file in the browser's file dialog."""
    with page.expect_file_chooser() as chosen:
        chooser.locator("[data-asset-chooser-action=upload]").click()
    chosen.value.set_files({"name": name, "mimeType": "image/jpeg", "buffer": data})


def choose(page: Any, chooser: Any, query: str, asset: Asset) -> None:
    """Open the widget's search dialog, search, and click `asset` in the results."""
    chooser.locator("[data-asset-chooser-action=choose]").click()
    dialog = page.locator("dialog.asset-chooser-dialog")
    dialog.locator("input[type=search]").fill(query)
    # The list says which search it shows: wait for this one, not the newest-first opening list.
    results = dialog.locator(f".asset-chooser-results[data-query='{query}']")
    result = results.locator(f".asset-chooser-result[data-asset-id='{asset.pk}']")
    result.wait_for()
    page.screenshot(path="/tmp/shop-chooser-dialog.png")
    result.click()
    assert not dialog.is_visible()


def test_upload_choose_and_inline_rows_in_the_product_admin(
    page: Any, live_server: Any, shop_admin: Any, cdn: list[str], s3_client: Any, s3_bucket: str
) -> None:
    photo = files.jpeg((800, 600), seed=21)
    log_in(page, live_server.url, "/admin/shop/product/add/")

    # 1. A new product: a damaged file is refused with the reason, then a real JPEG uploaded.
    page.fill("#id_name", "Red shoe")
    main = widget(page, "id_image")
    upload(page, main, "broken.jpg", files.truncated_jpeg())
    main.locator(".asset-chooser-status.asset-chooser-error").wait_for(timeout=30_000)
    assert (
        main.locator(".asset-chooser-status")
        .inner_text()
        .startswith("broken.jpg is a damaged or truncated JPEG file")
    )
    assert page.input_value("#id_image") == ""
    assert not Asset.objects.exists()
    upload(page, main, "red shoe.jpg", photo)
    main.locator(".asset-chooser-status.asset-chooser-ok").wait_for(timeout=30_000)
    asset = Asset.objects.get()
    assert main.locator(".asset-chooser-status").inner_text() == "Uploaded red shoe.jpg."
    assert page.input_value("#id_image") == str(asset.pk)
    thumb = main.locator("img.asset-chooser-thumb")
    assert thumb.is_visible()
    expected = f"{CDN}/{head('small')}/{asset.key}"
    assert thumb.get_attribute("src") == asset.variant_url("small") == expected
    page.wait_for_function("img => img.complete", arg=thumb.element_handle())
    assert loaded(thumb)
    assert asset.variant_url("small") in cdn
    assert main.locator(".asset-chooser-name").inner_text() == "red shoe.jpg"
    assert main.locator(".asset-chooser-size").inner_text() == "800 \N{MULTIPLICATION SIGN} 600"
    page.click("input[name=_save]")
    page.wait_for_url(f"{live_server.url}/admin/shop/product/")
    red = Product.objects.get(name="Red shoe")
    assert red.image == asset

    # 2. Another product: Choose -> search -> pick that asset.
    page.goto(f"{live_server.url}/admin/shop/product/add/")
    page.fill("#id_name", "Blue shoe")
    choose(page, widget(page, "id_image"), "red sho", asset)
    assert page.input_value("#id_image") == str(asset.pk)

    # 3. Inline rows added with "Add another": one chosen, one uploaded again (a duplicate).
    add_row = page.locator("#images-group .add-row a")
    add_row.click()
    add_row.click()
    fresh = widget(page, "id_images-0-image")
    assert fresh.locator(".asset-chooser-empty").inner_text() == "No image chosen."
    assert not fresh.locator("img.asset-chooser-thumb").is_visible()
    assert not fresh.locator("[data-asset-chooser-action=clear]").is_visible()
    choose(page, widget(page, "id_images-0-image"), "shoe", asset)
    page.fill("#id_images-0-position", "1")
    second = widget(page, "id_images-1-image")
    upload(page, second, "shoe copy.jpg", photo)
    second.locator(".asset-chooser-status.asset-chooser-notice").wait_for(timeout=30_000)
    notice = second.locator(".asset-chooser-status").inner_text()
    assert notice.startswith(
        f"shoe copy.jpg is already uploaded as red shoe.jpg (asset #{asset.pk}"
    )
    assert page.input_value("#id_images-1-image") == str(asset.pk)
    page.fill("#id_images-1-position", "2")
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.click("input[name=_save]")
    page.wait_for_url(f"{live_server.url}/admin/shop/product/")

    blue = Product.objects.get(name="Blue shoe")
    assert blue.image == asset
    rows = ProductImage.objects.filter(product=blue).order_by("position")
    assert [(r.image, r.position) for r in rows] == [(asset, 1), (asset, 2)]
    assert Asset.objects.count() == 1  # the duplicate stored nothing
    listing = {obj["Key"] for obj in s3_client.list_objects_v2(Bucket=s3_bucket)["Contents"]}
    assert listing == {asset.key} | warmed_keys([asset])  # the upload warmed its variants

    # 4. The product page renders the image from the CDN.
    page.goto(f"{live_server.url}/demo/products/{blue.pk}/")
    img = page.locator("#product-thumbnail img")
    assert img.get_attribute("src") == f"{CDN}/{head('small')}/{asset.key}"
    page.wait_for_function("img => img.complete", arg=img.element_handle())
    assert loaded(img)
    assert page.locator("#product-picture picture img").get_attribute("src") == (
        asset.variant_url("xlarge")
    )
    assert page.locator("#product-gallery img").count() == 2


def test_clicking_the_chosen_thumbnail_sets_the_focal_point(
    page: Any, live_server: Any, shop_admin: Any, cdn: list[str], s3_client: Any, s3_bucket: str
) -> None:
    from imageadmin import assets
    from imageadmin.models import Preset
    from tests.photos import LADYBIRD

    Preset.objects.create(name="tall", width=100, height=300, fit="cover", format="png")
    asset = assets.upload(files.upload_file("ladybird.jpg", LADYBIRD.read_bytes()), shop_admin)
    product = Product.objects.create(name="Ladybird print", image=asset)
    log_in(page, live_server.url, f"/admin/shop/product/{product.pk}/change/")
    widget = page.locator("#id_image").locator("xpath=..")  # the main image, not the inlines
    thumb = widget.locator(".asset-chooser-thumb")
    thumb.wait_for()
    assert widget.locator(".asset-chooser-marker").is_visible()  # at the centre, faded

    box = thumb.bounding_box()
    thumb.click(position={"x": box["width"] * 0.7, "y": box["height"] * 0.48})
    status = widget.locator(".asset-chooser-status")
    status.wait_for()
    page.wait_for_function(
        MAIN_WIDGET + ".querySelector('.asset-chooser-status').textContent"
        ".startsWith('Focal point saved')"
    )

    saved = Asset.objects.get(pk=asset.pk)
    assert saved.focal_x == pytest.approx(0.7, abs=0.02)
    assert saved.focal_y == pytest.approx(0.48, abs=0.02)
    stored = s3_client.head_object(Bucket=s3_bucket, Key=asset.key)["Metadata"]
    assert stored == {"focal": f"{saved.focal_x:.4f},{saved.focal_y:.4f}"}
    marker = widget.locator(".asset-chooser-marker")
    assert marker.evaluate("m => m.style.left") == f"{saved.focal_x * 100:.2f}%"
    assert widget.locator(".asset-chooser-centre").is_visible()

    widget.locator(".asset-chooser-centre").click()
    page.wait_for_function(
        MAIN_WIDGET + ".querySelector('.asset-chooser-frame').dataset.focal === ''"
    )
    assert Asset.objects.get(pk=asset.pk).focal is None
    assert s3_client.head_object(Bucket=s3_bucket, Key=asset.key)["Metadata"] == {}
