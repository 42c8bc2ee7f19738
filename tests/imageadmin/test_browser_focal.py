"""The focal point picker on the asset page, in headless Chromium against moto's S3.

An editor clicks the ladybird of a real photo (right of centre), checks the cover preview
follows, nudges the point with the keyboard, resets it, sets it again and saves: the row and the
original's S3 metadata hold the point, and the re-made cover variant shows the ladybird.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from imageadmin import assets
from imageadmin.models import Asset, Preset
from tests.imageadmin import assets_files as files
from tests.imageadmin.originals import fetch_image
from tests.imageadmin.test_browser_assets import log_in
from tests.photos import LADYBIRD, LADYBIRD_FOCAL
from tests.resizer.test_imaging_focal import red_pixels

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOT = "/tmp/assets-focal.png"


@pytest.fixture
def editor(transactional_db: None, editor: Any) -> Any:
    return editor


def preview_focal(page: Any) -> str | None:
    """Return the focal value the tall preview on the page was last rendered with."""
    value: str | None = page.get_attribute("img[data-preset=tall]", "data-focal")
    return value


def test_editor_clicks_the_subject_and_saves(
    page: Any, live_server: Any, editor: Any, s3_client: Any, s3_bucket: str
) -> None:
    Preset.objects.create(name="tall", width=100, height=300, fit="cover", format="png")
    asset = assets.upload(files.upload_file("ladybird.jpg", LADYBIRD.read_bytes()), editor)
    # The CDN is not running here: the page's picture is served the photo by the browser.
    photo = LADYBIRD.read_bytes()
    page.route(
        "http://127.0.0.1:8080/**",
        lambda route: route.fulfill(status=200, content_type="image/jpeg", body=photo),
    )
    path = f"/admin/imageadmin/asset/{asset.pk}/change/"
    log_in(page, live_server.url, "editor", "editor-pass", path)
    page.wait_for_function("document.querySelector('img[data-preset=tall]').dataset.focal === ''")

    frame = page.locator(".focal-frame")
    box = frame.bounding_box()
    x, y = LADYBIRD_FOCAL
    frame.click(position={"x": box["width"] * x, "y": box["height"] * y})

    fx = float(page.input_value("#id_focal_x"))
    fy = float(page.input_value("#id_focal_y"))
    assert fx == pytest.approx(x, abs=0.01)
    assert fy == pytest.approx(y, abs=0.01)
    value = f"{fx:.4f},{fy:.4f}"
    page.wait_for_function(
        f"document.querySelector('img[data-preset=tall]').dataset.focal === '{value}'"
    )
    shown = page.evaluate(
        """async () => {
            const img = document.querySelector('img[data-preset=tall]');
            const blob = await (await fetch(img.src)).blob();
            return Array.from(new Uint8Array(await blob.arrayBuffer()));
        }"""
    )
    assert len(red_pixels(Image.open(io.BytesIO(bytes(shown))))) > 50  # the preview keeps it
    assert page.inner_text(".focal-status") == (
        f"Focal point: x {fx * 100:.1f}%, y {fy * 100:.1f}% from the top left"
    )

    # Keyboard: the arrow keys nudge by 1%, Shift by 10%.
    frame.focus()
    page.keyboard.press("ArrowRight")
    assert float(page.input_value("#id_focal_x")) == pytest.approx(fx + 0.01, abs=1e-4)
    page.keyboard.press("Shift+ArrowUp")
    assert float(page.input_value("#id_focal_y")) == pytest.approx(fy - 0.1, abs=1e-4)

    page.click("text=Reset to centre")
    assert page.input_value("#id_focal_x") == page.input_value("#id_focal_y") == ""
    assert "the centre" in page.inner_text(".focal-status")

    frame.click(position={"x": box["width"] * x, "y": box["height"] * y})
    fx = float(page.input_value("#id_focal_x"))
    fy = float(page.input_value("#id_focal_y"))
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.click("input[name=_continue]")
    page.wait_for_selector("ul.messagelist")

    assert "Focal point saved" in page.inner_text("ul.messagelist")
    saved = Asset.objects.get(pk=asset.pk)
    assert (saved.focal_x, saved.focal_y) == (fx, fy)
    stored = s3_client.head_object(Bucket=s3_bucket, Key=asset.key)
    assert stored["Metadata"] == {"focal": f"{fx:.4f},{fy:.4f}"}
    assert stored["ContentType"] == "image/jpeg"
    variant, _ = fetch_image(s3_client, s3_bucket, asset.variant_key("tall"))
    assert len(red_pixels(variant)) > 50
    # The page shows the saved point again.
    assert page.input_value("#id_focal_x") == str(fx)
