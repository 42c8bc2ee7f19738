"""Replace an asset's image in headless Chromium: the change page's "Replace image" form."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template

from imageadmin import assets
from imageadmin.models import Asset
from tests.imageadmin import assets_files as files
from tests.imageadmin.test_browser_assets import log_in
from tests.imageadmin.test_replace import BLUE, RED, bucket_keys, close, pixel, solid

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SCREENSHOT = "/tmp/assets-replace.png"


@pytest.fixture
def editor(transactional_db: None, editor: Any) -> Any:
    return editor


def rendered_url(asset: Asset) -> str:
    return Template('{% load images %}{% image_url a "small" %}').render(Context({"a": asset}))


@pytest.mark.usefixtures("eager_tasks")
def test_editor_replaces_the_image_of_an_asset(
    page: Any, live_server: Any, editor: Any, s3_client: Any, s3_bucket: str
) -> None:
    asset = assets.upload(files.upload_file("red.jpg", solid(RED)), editor)
    old_key, old_url = asset.key, rendered_url(asset)
    old_variant = asset.variant_key("small")
    assert old_variant in bucket_keys(s3_client, s3_bucket)  # warmed on upload

    change = f"/admin/imageadmin/asset/{asset.pk}/change/"
    log_in(page, live_server.url, "editor", "editor-pass", change)
    page.click("#assets-replace-link")
    page.wait_for_url(f"{live_server.url}/admin/imageadmin/asset/{asset.pk}/replace/")
    page.set_input_files(
        "#id_file", {"name": "blue.jpg", "mimeType": "image/jpeg", "buffer": solid(BLUE)}
    )
    with page.expect_navigation():
        page.click("#assets-replace-submit")
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert "/admin/imageadmin/job/" in page.url  # the warming job's progress
    assert "was replaced by" in page.inner_text(".messagelist")

    asset.refresh_from_db()
    left = bucket_keys(s3_client, s3_bucket)
    assert old_key not in left
    assert old_variant not in left
    assert not {k for k in left if k.endswith(old_key)}
    assert asset.key in left
    assert close(pixel(s3_client, s3_bucket, asset.key), BLUE)
    new_url = rendered_url(asset)
    assert new_url != old_url
    assert close(pixel(s3_client, s3_bucket, asset.variant_key("small")), BLUE)

    # A refused file is shown on the field and changes nothing.
    page.goto(f"{live_server.url}/admin/imageadmin/asset/{asset.pk}/replace/")
    page.set_input_files(
        "#id_file", {"name": "notes.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4"}
    )
    with page.expect_navigation():
        page.click("#assets-replace-submit")
    assert "is a PDF document" in page.inner_text(".field-file .errorlist")
    assert Asset.objects.get(pk=asset.pk).key == asset.key
