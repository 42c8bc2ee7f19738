"""The Asset and Variant changelists at 1366x768 in Chromium: every column fits, none is cut off.

Rows are made with long names and keys (what a shop's camera and product names give) so the
columns are as wide as real ones get; the admin's navigation sidebar and the filter panel are
open, as Django shows them at that width. Screenshots go to /tmp for a look.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from imageadmin.models import Asset, Preset, Variant, VariantStatus

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

VIEWPORT = {"width": 1366, "height": 768}
LONG_NAME = "Summer collection 2026 - linen wrap dress, navy blue, front view (studio) final v3.jpg"
# What the page measures: the result table's box against its scrolling container, and the page.
MEASURE = """() => {
  const results = document.querySelector('#changelist .results');
  const table = document.querySelector('#result_list');
  const cells = [...table.querySelectorAll('thead th')];
  const right = results.getBoundingClientRect().right;
  return {
    scrollWidth: results.scrollWidth,
    clientWidth: results.clientWidth,
    pageScroll: document.documentElement.scrollWidth,
    pageClient: document.documentElement.clientWidth,
    columns: cells.map(c => (c.querySelector('.text') || c).textContent.trim()),
    cut: cells.filter(c => c.getBoundingClientRect().right > right + 0.5)
              .map(c => (c.querySelector('.text') || c).textContent.trim()),
  };
}"""


@pytest.fixture
def rows(transactional_db: None, admin_user: Any) -> list[Asset]:
    """Eight assets with long names, each with a variant per preset and format."""
    admin_user.username = "catalogue.photographer"
    admin_user.save()
    presets = list(Preset.objects.active())
    made = []
    for i in range(8):
        key = f"originals/2026/12/summer-collection-2026-linen-wrap-dress-navy-front-{i:06x}.jpg"
        asset = Asset.objects.create(
            original=key,
            original_name=LONG_NAME,
            width=6000,
            height=4000,
            format="jpeg",
            bytes=14_500_000 + i,
            sha256=f"{i:064x}",
            uploaded_by=admin_user,
        )
        made.append(asset)
        for preset in presets:
            for fmt in ("avif", "webp", None):
                Variant.objects.create(
                    asset=asset,
                    preset=preset,
                    format=fmt or "jpeg",
                    key=asset.variant_key(preset.name, fmt),
                    width=preset.width,
                    height=round(preset.width * 2 / 3),
                    bytes=123_456,
                    status=VariantStatus.READY,
                    generated_at=timezone.now(),
                )
    return made


def _log_in(page: Any, base: str) -> None:
    page.goto(f"{base}/admin/login/?next=/admin/")
    page.fill("#id_username", "catalogue.photographer")
    page.fill("#id_password", "password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "/admin/imageadmin/asset/",
            ["original name", "size", "format", "dimensions", "uploaded by", "created"],
        ),
        (
            "/admin/imageadmin/variant/",
            [
                "asset",
                "preset",
                "format",
                "key",
                "size",
                "bytes",
                "status",
                "generated / last seen",
            ],
        ),
    ],
    ids=["assets", "variants"],
)
def test_every_column_is_visible_at_1366x768(
    browser: Any, live_server: Any, rows: list[Asset], path: str, expected: list[str]
) -> None:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        _log_in(page, live_server.url)
        page.goto(f"{live_server.url}{path}")
        assert page.is_visible("#nav-sidebar")
        assert page.is_visible("#changelist-filter")
        name = path.rstrip("/").rsplit("/", 1)[-1]
        page.screenshot(path=f"/tmp/changelist-{name}-1366.png")
        found = page.evaluate(MEASURE)
    finally:
        context.close()
    headers = [c.lower() for c in found["columns"]]
    assert [h for h in headers if h] == expected
    assert found["cut"] == [], found
    assert found["scrollWidth"] <= found["clientWidth"], found
    assert found["pageScroll"] <= found["pageClient"], found
