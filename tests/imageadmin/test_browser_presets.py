"""The preset page in headless Chromium: the live preview follows the fields, saving warns."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from imageadmin.models import Preset, VariantStatus
from tests.imageadmin.preset_data import make_asset, make_variants

SCREENSHOT = "/tmp/preset-preview.png"
WAIT = 15_000  # ms: generous, the machine may be busy with other suites
X = "\N{MULTIPLICATION SIGN}"

pytestmark = [
    pytest.mark.browser,
    # live_server needs committed data; serialized_rollback restores the migrations' roles
    # and default presets for the tests that run after this one.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _patient_expect() -> Iterator[None]:
    expect.set_options(timeout=WAIT)
    yield
    expect.set_options(timeout=5_000)  # Playwright's default


def log_in(page: Page, base_url: str, username: str, password: str, next_path: str) -> Any:
    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation() as navigation:
        page.click("input[type=submit]")
    return navigation.value


def test_admin_edits_a_preset_with_a_live_preview_and_saves(
    page: Page, live_server: Any, preset_admin: Any
) -> None:
    medium = Preset.objects.get(name="medium")
    pier = make_asset("pier.jpg", store=False)
    harbour = make_asset("harbour.jpg", size=(1200, 800))  # the newest: chosen first
    make_variants(medium, [harbour, pier], size=40_000)
    path = f"/admin/imageadmin/preset/{medium.pk}/change/"

    log_in(page, live_server.url, "padmin", "padmin-pass", path)

    image = page.locator("#preset-preview-img")
    info = page.locator("#preset-preview-info")
    expect(info).to_have_text(re.compile(rf"^300 {X} 200 JPEG, [\d.]+ KB"))
    assert image.evaluate("img => img.naturalWidth") == 300
    expect(page.locator("#preset-impact")).to_have_text(re.compile("Saving changes no output"))

    page.fill("#id_width", "240")

    expect(info).to_have_text(re.compile(rf"^240 {X} 160 JPEG"))
    page.wait_for_function("document.getElementById('preset-preview-img').naturalWidth === 240")
    impact = page.locator("#preset-impact")
    expect(impact).to_have_text(re.compile(r"^Saving makes 2 variants \(78\.1\sKB\) stale"))
    expect(impact).to_have_class(re.compile("is-warning"))
    page.screenshot(path=SCREENSHOT, full_page=True)

    page.select_option("#id_fit", "cover")  # no height yet: the resizer's own message
    expect(page.locator("#preset-preview-error")).to_have_text(
        "height: is required when fit is 'cover'"
    )
    expect(image).to_be_hidden()  # no broken image beside the message
    page.fill("#id_height", "240")
    expect(info).to_have_text(re.compile(rf"^240 {X} 240 JPEG"))

    with page.expect_navigation():
        page.click("input[name=_save]")

    expect(page.locator(".messagelist")).to_contain_text(
        re.compile(r"2 variants \(78\.1\sKB\) of “medium” are now stale")
    )
    assert set(medium.variants.values_list("status", flat=True)) == {VariantStatus.STALE}
    medium.refresh_from_db()
    assert (medium.width, medium.height, medium.fit) == (240, 240, "cover")


def test_a_new_preset_previews_before_it_is_saved(
    page: Page, live_server: Any, preset_admin: Any
) -> None:
    make_asset("harbour.jpg", size=(1200, 800))

    log_in(page, live_server.url, "padmin", "padmin-pass", "/admin/imageadmin/preset/add/")
    page.fill("#id_name", "thumb")
    page.fill("#id_width", "64")

    expect(page.locator("#preset-preview-info")).to_have_text(re.compile(rf"^64 {X} 43 JPEG"))
    expect(page.locator("#preset-impact")).to_have_text(re.compile("A new preset has no variants"))


def test_editors_are_refused_the_preset_page(
    browser: Browser, live_server: Any, editor: Any
) -> None:
    medium = Preset.objects.get(name="medium")
    context = browser.new_context()
    page = context.new_page()

    response = log_in(
        page,
        live_server.url,
        "editor",
        "editor-pass",
        f"/admin/imageadmin/preset/{medium.pk}/change/",
    )

    assert response.status == 403
    context.close()
