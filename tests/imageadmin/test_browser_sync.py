"""Sync now in headless Chromium: from the presets list to the sync's job page, and back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from demosite.celery import app as celery_app
from imageadmin.models import Job
from tests.imageadmin.test_browser_presets import WAIT, log_in

SCREENSHOT = "/tmp/sync-now.png"
LIST_SCREENSHOT = "/tmp/sync-presets.png"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _eager_and_patient() -> Iterator[None]:
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # the sync runs in the live server's request
    expect.set_options(timeout=WAIT)
    yield
    expect.set_options(timeout=5_000)
    celery_app.conf.task_always_eager = previous


def test_sync_now_leads_to_the_job_and_the_lists_say_when(
    page: Page, live_server: Any, preset_admin: Any
) -> None:
    log_in(page, live_server.url, "padmin", "padmin-pass", "/admin/imageadmin/preset/")
    freshness = page.locator(".variant-freshness-text")
    expect(freshness).to_have_text(re.compile("Never synced with S3"))

    with page.expect_navigation():
        page.get_by_role("button", name="Sync now").click()

    job = Job.objects.get(kind="sync")
    assert page.url.endswith(f"/admin/imageadmin/job/{job.pk}/change/")
    expect(page.locator(".messagelist")).to_contain_text(f"Sync job #{job.pk}")
    expect(page.locator("#job-status")).to_have_text("done")
    expect(page.locator("#job-counts")).to_have_text(re.compile(r"^4 done, 0 failed, of 4"))
    page.screenshot(path=SCREENSHOT, full_page=True)

    page.goto(f"{live_server.url}/admin/imageadmin/preset/")
    expect(freshness).to_have_text(re.compile(r"last synced \S+ \S+ \(just now\)"))
    page.screenshot(path=LIST_SCREENSHOT, full_page=True)
