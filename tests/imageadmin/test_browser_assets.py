"""The drag-and-drop upload page in headless Chromium, against the live server and moto's S3."""

from __future__ import annotations

from typing import Any

import pytest

from imageadmin.models import Asset
from tests.imageadmin import assets_files as files
from tests.imageadmin.originals import warmed_keys

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOT = "/tmp/assets-upload.png"


@pytest.fixture
def editor(transactional_db: None, editor: Any) -> Any:
    return editor


def log_in(page: Any, base_url: str, username: str, password: str, next_path: str) -> None:
    """Log in through the admin's own login form, landing on `next_path`."""
    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}{next_path}")


def test_editor_uploads_three_files_one_corrupt(
    page: Any, live_server: Any, editor: Any, s3_client: Any, s3_bucket: str
) -> None:
    log_in(page, live_server.url, "editor", "editor-pass", "/admin/imageadmin/asset/")
    page.click("text=Upload images")
    page.wait_for_url(f"{live_server.url}/admin/imageadmin/asset/upload/")
    assert page.is_visible("#assets-dropzone")
    assert page.is_hidden("#assets-submit")  # JavaScript uploads as soon as files are chosen

    # One upload at a time here: for in-memory SQLite the live server's threads share one
    # connection, so two concurrent uploads could interleave their transactions (a test
    # artefact; a real server has a connection per thread). Files still queue in the page.
    page.eval_on_selector("#assets-upload-form", "form => { form.dataset.concurrency = '1'; }")
    page.set_input_files(
        "#assets-files",
        [
            {
                "name": "summer dress.jpg",
                "mimeType": "image/jpeg",
                "buffer": files.jpeg((800, 600)),
            },
            {"name": "logo.png", "mimeType": "image/png", "buffer": files.png_alpha((300, 200))},
            {
                "name": "broken photo.jpg",
                "mimeType": "image/jpeg",
                "buffer": files.truncated_jpeg(),
            },
        ],
    )
    page.wait_for_function(
        "document.querySelectorAll('#assets-results li.assets-result:not(.assets-pending)')"
        ".length === 3",
        timeout=30_000,
    )

    assert page.inner_text("#assets-summary") == "2 uploaded, 1 refused."
    ok = page.locator("#assets-results li[data-status=ok]")
    assert ok.count() == 2
    error = page.locator("#assets-results li[data-status=error]")
    assert error.count() == 1
    assert "broken photo.jpg is a damaged or truncated JPEG file" in error.inner_text()

    good = list(Asset.objects.order_by("original_name"))
    assert [a.original_name for a in good] == ["logo.png", "summer dress.jpg"]
    shown = page.eval_on_selector_all(
        "#assets-results li[data-status=ok] input.assets-url", "els => els.map(e => e.value)"
    )
    expected = {a.variant_url(p) for a in good for p in ("small", "medium", "large", "xlarge")}
    assert set(shown) == expected

    listing = {obj["Key"] for obj in s3_client.list_objects_v2(Bucket=s3_bucket)["Contents"]}
    originals = {key for key in listing if key.startswith("originals/")}
    assert originals == {a.key for a in good}
    assert listing - originals == warmed_keys(good)  # each upload warmed its variants
    warm_links = page.locator("#assets-results li[data-status=ok] .assets-warm a")
    assert warm_links.count() == 2

    page.set_viewport_size({"width": 1280, "height": 1100})
    page.screenshot(path=SCREENSHOT, full_page=True)


def test_copy_button_puts_the_url_on_the_clipboard(
    page: Any, live_server: Any, editor: Any, context: Any
) -> None:
    from imageadmin import assets

    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    asset = assets.upload(files.upload_file("hat.jpg", files.jpeg((500, 500))), editor)
    path = f"/admin/imageadmin/asset/{asset.pk}/change/"
    log_in(page, live_server.url, "editor", "editor-pass", path)

    page.click("table.assets-urls tr:has(th:text-is('medium')) button.assets-copy")
    page.wait_for_selector("button.assets-copied")
    assert page.evaluate("navigator.clipboard.readText()") == asset.variant_url("medium")

    page.click("button[data-copy-from=assets-picture-snippet]")
    page.wait_for_function(
        "async () => (await navigator.clipboard.readText()).startsWith('<picture>')"
    )
    clipboard = page.evaluate("navigator.clipboard.readText()")
    assert clipboard.startswith("<picture>")
    assert asset.variant_url("small", "avif") in clipboard
    page.screenshot(path="/tmp/assets-change.png", full_page=True)


def test_files_dropped_on_the_zone_are_uploaded(
    page: Any, live_server: Any, editor: Any, s3_client: Any, s3_bucket: str
) -> None:
    log_in(page, live_server.url, "editor", "editor-pass", "/admin/imageadmin/asset/upload/")
    data = list(files.webp((64, 64)))
    # A real drag from the desktop cannot be scripted; a drop event with a DataTransfer can.
    page.evaluate(
        """bytes => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], "dropped.webp",
                                        {type: "image/webp"}));
            const zone = document.getElementById("assets-dropzone");
            zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true}));
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
        }""",
        data,
    )
    page.wait_for_selector("#assets-results li[data-status=ok]", timeout=30_000)

    asset = Asset.objects.get()
    assert (asset.original_name, asset.format, asset.width) == ("dropped.webp", "webp", 64)
    listing = {obj["Key"] for obj in s3_client.list_objects_v2(Bucket=s3_bucket)["Contents"]}
    assert listing == {asset.key} | warmed_keys([asset])
    page.goto(f"{live_server.url}/admin/imageadmin/asset/")
    page.screenshot(path="/tmp/assets-changelist.png", full_page=True)
