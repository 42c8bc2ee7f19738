"""The Publish page's change labels are readable: text contrast of at least 4.5:1 (WCAG AA)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.imageadmin.publish_data import configure
from tests.imageadmin.test_browser_presets import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# The WCAG contrast ratio of a cell's text against the first opaque background behind it.
CONTRAST = """cell => {
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  let el = cell, bg = null;
  while (el) {
    const c = rgb(getComputedStyle(el).backgroundColor);
    if (c.length < 4 || c[3] > 0) { bg = c; break; }
    el = el.parentElement;
  }
  bg = bg || [255, 255, 255];
  const [a, b] = [lum(rgb(getComputedStyle(cell).color)), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


@pytest.fixture(autouse=True)
def _setup(settings: Any, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(settings, s3_endpoint, monkeypatch)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_add_labels_are_readable_in_both_themes(
    page: Page, live_server: Any, preset_admin: Any, scheme: str
) -> None:
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    # Nothing published yet: the routing rules and lifecycle rules are all "add".
    log_in(page, live_server.url, "padmin", "padmin-pass", "/admin/imageadmin/publication/publish/")
    labels = page.locator("tr.publish-add td:first-child")
    expect(labels.first).to_have_text("add")
    ratios = [labels.nth(i).evaluate(CONTRAST) for i in range(min(labels.count(), 5))]
    assert ratios
    assert min(ratios) >= 4.5, ratios
