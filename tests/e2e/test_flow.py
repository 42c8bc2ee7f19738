"""The whole flow in a browser and over plain HTTP: upload, warm, serve, cache, publish, delete.

An upload's variants are warmed (served straight from the bucket); a variant that is not there
goes CDN -> S3 website -> 307 -> API -> resizer -> S3 -> 301 -> CDN, with the routing rules that
Django's publish engine wrote. Each hop is asserted with http.client (no redirect following);
the browser's own requests are checked through Playwright's redirect chain.
"""

from __future__ import annotations

import http.client
import io
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, Response, expect

from imageadmin import publishing
from imageadmin.models import Asset, Job, Preset, Publication, PublicationStatus
from tests.e2e.conftest import LocalStack
from tests.imageadmin.versioned import head

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WAIT = 20_000  # ms: the machine may be busy
SCREENSHOT = "/tmp/e2e-demo.png"
X = " \N{MULTIPLICATION SIGN} "  # what the demo page writes between width and height


@dataclass
class Hop:
    url: str
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")


def fetch(url: str, method: str = "GET") -> Hop:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""))
        response = conn.getresponse()
        return Hop(url, response.status, response.headers, response.read())
    finally:
        conn.close()


def chain(url: str) -> list[Hop]:
    """Request `url` and every redirect after it, one hop at a time (at most five)."""
    hops = [fetch(url)]
    while hops[-1].status in (301, 302, 303, 307, 308) and len(hops) < 5:
        location = hops[-1].location
        assert location is not None
        hops.append(fetch(location))
    return hops


def width_of(body: bytes) -> int:
    with Image.open(io.BytesIO(body)) as image:
        return image.width


def photo() -> bytes:
    """An 800 x 500 JPEG with some structure (a gradient), as a camera would not make it."""
    image = Image.linear_gradient("L").resize((800, 500)).convert("RGB")
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def log_in(page: Page, base: str, username: str, password: str, next_path: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("input[type=submit]")


def redirects_of(response: Response) -> list[tuple[int, str | None]]:
    """Return (status, Location) of each hop the browser took to get `response`, first first."""
    hops: list[tuple[int, str | None]] = [(response.status, None)]
    request = response.request.redirected_from
    while request is not None:
        earlier = request.response()
        assert earlier is not None
        hops.insert(0, (earlier.status, earlier.headers.get("location")))
        request = request.redirected_from
    return hops


def assert_made(hops: list[Hop], stack: LocalStack, key: str, width: int) -> None:
    """Assert the 307 -> 301 -> 200 chain of a variant the resizer makes on this request."""
    assert [h.status for h in hops] == [307, 301, 200], [(h.url, h.status) for h in hops]
    missing, made, served = hops
    assert missing.headers["X-Cache"] == "Miss from edge"
    assert missing.location == f"{stack.url}/default/resize?key={key}"
    assert made.location == f"{stack.url}/{key}"
    assert made.headers["Cache-Control"] == "no-store"
    assert served.headers["Content-Type"] == "image/jpeg"
    assert served.headers["X-Cache"] == "Miss from edge"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert width_of(served.body) == width


def test_upload_serve_cache_publish_delete(
    browser: Browser,
    page: Page,
    live_server: Any,
    local_stack: LocalStack,
    editor: Any,
    preset_admin: Any,
) -> None:
    expect.set_options(timeout=WAIT)
    stack, base = local_stack, live_server.url
    publishing.publish()  # what `make run` does at start: presets JSON and routing rules

    # 1. An editor uploads an original through the admin's upload page.
    log_in(page, base, "editor", "editor-pass", "/admin/imageadmin/asset/upload/")
    page.set_input_files(
        "#assets-files", [{"name": "Harbour.jpg", "mimeType": "image/jpeg", "buffer": photo()}]
    )
    expect(page.locator("#assets-results li[data-status=ok]")).to_have_count(1)
    asset = Asset.objects.get()
    small = f"{head('small')}/{asset.key}"  # at the published token

    # 2. The upload warmed every preset as AVIF, WebP and JPEG (a job, linked from the row):
    # the first request is served from the bucket, no redirect, no Lambda.
    row = page.locator("#assets-results li[data-status=ok] .assets-warm a")
    expect(row).to_contain_text("done")
    job = Job.objects.get(kind="warm")
    assert (job.status, job.done, job.failed) == ("done", 1, 0)
    for key, content_type in (
        (small, "image/jpeg"),
        (f"{head('small', '.avif')}/{asset.key}", "image/avif"),
    ):
        (served,) = chain(f"{stack.url}/{key}")
        assert (served.status, served.headers["Content-Type"]) == (200, content_type)
        assert served.headers["X-Cache"] == "Miss from edge"
        assert width_of(served.body) == 150
    assert stack.edge.stats["lambda_invocations"] == 0

    # 3. The second request is a cache hit: no S3 lookup.
    hit = fetch(f"{stack.url}/{small}")
    assert (hit.status, hit.headers["X-Cache"], width_of(hit.body)) == (200, "Hit from edge", 150)

    # 4. The demo page loads every preset and the <picture>'s AVIF through the edge, all warmed:
    # no redirect, no Lambda.
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))
    page.goto(f"{base}/demo/{asset.pk}/")
    sizes = {
        "small": f"150{X}94",
        "medium": f"300{X}188",
        "large": f"600{X}375",
        "xlarge": f"800{X}500",
    }
    for name, text in sizes.items():
        expect(page.locator(f"figure[data-preset={name}] [data-size]")).to_have_text(text)
    expect(page.locator("#demo-picture [data-size]")).to_contain_text(X)
    medium_url = f"{stack.url}/{head('medium')}/{asset.key}"
    medium = next(r for r in responses if r.url == medium_url and r.status == 200)
    assert redirects_of(medium) == [(200, None)]
    assert medium.headers["x-cache"] == "Miss from edge"
    small_seen = next(r for r in responses if r.url == f"{stack.url}/{small}")
    assert (small_seen.status, small_seen.headers["x-cache"]) == (200, "Hit from edge")
    picture = page.locator("#demo-picture img").evaluate("i => i.currentSrc")
    assert picture.startswith(f"{stack.url}/")
    assert ".avif/" in picture  # Chromium takes the first source it supports
    assert stack.edge.stats["lambda_invocations"] == 0
    page.screenshot(path=SCREENSHOT, full_page=True)

    # 5. A preset admin makes small 200 px wide and publishes in the admin.
    preset = Preset.objects.get(name="small")
    log_in(page, base, "padmin", "padmin-pass", f"/admin/imageadmin/preset/{preset.pk}/change/")
    page.fill("#id_width", "200")
    with page.expect_navigation():
        page.click("input[name=_save]")
    with page.expect_navigation():
        page.click("#publish-link")
    with page.expect_navigation():
        page.click("#publish-submit")
    expect(page.locator("#publication-status")).to_contain_text("succeeded")
    publication = Publication.objects.exclude(dry_run=True).first()
    assert publication is not None
    assert publication.status == PublicationStatus.SUCCEEDED
    # A changed preset gets a new token, so new URLs: nothing is purged or invalidated.
    assert [n["preset"] for n in publication.changes["new_urls"]] == ["small"]
    purge = next(s for s in publication.steps if s["name"] == "purge")
    invalidate = next(s for s in publication.steps if s["name"] == "invalidate")
    assert (purge["outcome"], invalidate["outcome"]) == ("skipped", "skipped")
    new_small = f"{head('small')}/{asset.key}"
    assert new_small != small

    # 6. The new URL is new to the edge: the Lambda makes it on this first request
    # (307 -> 301 -> 200), 200 px. The old URL still answers with the old variant (pages cached
    # elsewhere keep working) until lifecycle expires it; an unversioned URL is redirected.
    assert_made(chain(f"{stack.url}/{new_small}"), stack, new_small, 200)
    (old,) = chain(f"{stack.url}/{small}")
    assert (old.status, width_of(old.body)) == (200, 150)
    legacy = chain(f"{stack.url}/small/{asset.key}")
    assert [h.status for h in legacy] == [307, 301, 200], [(h.url, h.status) for h in legacy]
    assert legacy[1].location == f"{stack.url}/{new_small}"
    assert legacy[1].headers["Cache-Control"] == "public, max-age=60"
    assert width_of(legacy[-1].body) == 200
    # This browser and a new visitor both see it: the page hands out the new URL.
    page.goto(f"{base}/demo/{asset.pk}/")
    expect(page.locator("figure[data-preset=small] [data-size]")).to_have_text(f"200{X}125")
    visitor = browser.new_context()
    visit = visitor.new_page()
    visit.goto(f"{base}/demo/{asset.pk}/")
    expect(visit.locator("figure[data-preset=small] [data-size]")).to_have_text(f"200{X}125")
    visitor.close()
    small = new_small

    # 7. Deleting the asset: its variants and original are gone and CloudFront forgets them.
    # The routing rule sends the request to the Lambda, which finds no original: 404.
    with page.expect_navigation():
        page.goto(f"{base}/admin/imageadmin/asset/{asset.pk}/delete/")
    with page.expect_navigation():
        page.click("input[type=submit]")
    assert not Asset.objects.exists()
    for url in (f"{stack.url}/{small}", medium_url):
        hops = chain(url)
        assert [h.status for h in hops] == [307, 404], [(h.url, h.status) for h in hops]
        assert json.loads(hops[-1].body)["code"] == "original_not_found"
    assert fetch(f"{stack.url}/{asset.key}").status == 403  # originals are never public
