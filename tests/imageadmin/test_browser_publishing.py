"""Publishing in headless Chromium: change a preset, review the pending change, publish."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from demosite.celery import app as celery_app
from imageadmin import aws, publishing
from imageadmin.models import Preset, Publication, PublicationStatus
from tests.imageadmin.originals import keys_in
from tests.imageadmin.publish_data import configure, put_variants
from tests.imageadmin.test_browser_presets import log_in

SCREENSHOT = "/tmp/publish.png"
DIFF_SCREENSHOT = "/tmp/publish-diff.png"
WAIT = 15_000  # ms: the machine may be busy with other suites

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _setup(settings: Any, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    configure(settings, s3_endpoint, monkeypatch)
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    expect.set_options(timeout=WAIT)
    yield
    expect.set_options(timeout=5_000)
    celery_app.conf.task_always_eager = previous
    aws.cloudfront.cache_clear()


def test_admin_changes_a_width_reviews_and_publishes(
    page: Page, live_server: Any, preset_admin: Any, s3_client: Any, s3_bucket: str
) -> None:
    publishing.publish()  # what AWS serves now
    keys = put_variants(s3_client, s3_bucket, "medium", ["originals/2026/11/pier.jpg"])
    medium = Preset.objects.get(name="medium")
    log_in(
        page,
        live_server.url,
        "padmin",
        "padmin-pass",
        f"/admin/imageadmin/preset/{medium.pk}/change/",
    )

    page.fill("#id_width", "240")
    with page.expect_navigation():
        page.click("input[name=_save]")
    with page.expect_navigation():
        page.click("#publish-link")

    expect(page.locator("#publish-summary")).to_contain_text("Publishing will change")
    expect(page.locator("#publish-presets_json")).to_contain_text("preset medium")
    expect(page.locator("#publish-presets_json")).to_contain_text("width 300")
    # A changed preset gets new URLs: listed as such, nothing to purge.
    row = page.locator(".publish-new-urls-row[data-preset=medium]")
    expect(row).to_contain_text("width 300 → 240")
    expect(page.locator("#publish-new-urls")).to_contain_text("old URLs redirect")
    expect(page.locator(".publish-purge-row")).to_have_count(0)
    assert set(keys) <= keys_in(s3_client, s3_bucket)
    page.screenshot(path=DIFF_SCREENSHOT, full_page=True)

    with page.expect_navigation():
        page.click("#publish-submit")

    expect(page.locator("#publication-status")).to_contain_text("succeeded")
    steps = page.locator("#publish-steps")
    expect(steps.locator("tr[data-step=purge] .publish-outcome")).to_have_text("skipped")
    expect(steps.locator("tr[data-step=presets_json] .publish-outcome")).to_have_text("ok")
    expect(steps.locator("tr[data-step=website] .publish-outcome")).to_have_text("unchanged")
    expect(page).to_have_url(re.compile(r"/admin/imageadmin/publication/\d+/change/$"))
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert set(keys) <= keys_in(s3_client, s3_bucket)  # left to expire, not purged
    last = Publication.objects.first()
    assert last is not None
    assert last.status == PublicationStatus.SUCCEEDED
