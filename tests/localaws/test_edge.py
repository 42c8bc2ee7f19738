"""The local edge over real HTTP: moto's S3 and CloudFront, the routing rules, the real Lambda.

Each test serves an `Edge` on a free port in front of a fresh bucket on moto's server holding
the rules `publish` writes, the default presets JSON and one original.
"""

from __future__ import annotations

import http.client
import io
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import boto3
import pytest
from PIL import Image

from imageadmin.publishing import desired
from localaws import edge as edge_module
from localaws.config import create_distribution
from localaws.edge import Edge, EdgeConfig, serve_in_thread
from resizer_lambda.presets import DEFAULT_CONFIG, output_token

ORIGINAL = "originals/2026/11/pier-ab12cd.jpg"
# The heads the Lambda renders: the default presets at their output tokens.
TOKENS = {p.name: output_token(p) for p in DEFAULT_CONFIG.presets}
SMALL, MEDIUM = f"small.{TOKENS['small']}", f"medium.{TOKENS['medium']}"
YEAR = "public, max-age=31536000, immutable"


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")


@dataclass
class Running:
    edge: Edge
    url: str
    port: int
    bucket: str
    s3: Any
    cloudfront: Any

    def request(
        self, path: str, method: str = "GET", headers: dict[str, str] | None = None
    ) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, headers=headers or {})
            response = conn.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            conn.close()


def jpeg(width: int = 400, height: int = 300) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), "#3366cc").save(buf, "JPEG")
    return buf.getvalue()


def width_of(body: bytes) -> int:
    with Image.open(io.BytesIO(body)) as image:
        return image.width


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(config: EdgeConfig, port: int, cloudfront: Any = None, **kw: Any) -> tuple[Edge, Any]:
    edge = Edge(config, boto3.client("s3"), cloudfront, **kw)
    return edge, serve_in_thread(edge, port=port)


@pytest.fixture
def running(s3_endpoint: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", s3_endpoint)
    s3 = boto3.client("s3")
    cloudfront = boto3.client("cloudfront")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    target = desired.ApiTarget(f"127.0.0.1:{port}", "default/resize", "http")
    s3.put_bucket_website(
        Bucket=s3_bucket,
        WebsiteConfiguration=desired.website(
            [p.name for p in DEFAULT_CONFIG.presets], target, None
        ),
    )
    s3.put_object(Bucket=s3_bucket, Key="_config/presets.json", Body=DEFAULT_CONFIG.to_json())
    s3.put_object(Bucket=s3_bucket, Key=ORIGINAL, Body=jpeg(), ContentType="image/jpeg")
    config = EdgeConfig(
        bucket=s3_bucket,
        lambda_env={
            "BUCKET": s3_bucket,
            "URL": url,
            "PRESETS_S3_KEY": "_config/presets.json",
            "ORIGINALS_PREFIX": "originals",
            "PRESETS_TTL": "0",
            "AWS_ENDPOINT_URL_S3": s3_endpoint,
        },
        distribution_id=create_distribution(cloudfront, s3_bucket),
        website_ttl=0,
        invalidation_ttl=0,
    )
    edge, server = start(config, port, cloudfront)
    yield Running(edge, url, port, s3_bucket, s3, cloudfront)
    server.shutdown()


def test_a_missing_variant_is_made_through_307_and_301_then_cached(running: Running) -> None:
    first = running.request(f"/{SMALL}/{ORIGINAL}")
    assert first.status == 307
    assert first.location == f"{running.url}/default/resize?key={SMALL}/{ORIGINAL}"
    assert first.headers["X-Cache"] == "Miss from edge"
    assert "Cache-Control" not in first.headers

    made = running.request(first.location.removeprefix(running.url))
    assert made.status == 301
    assert made.location == f"{running.url}/{SMALL}/{ORIGINAL}"
    assert made.headers["Cache-Control"] == "no-store"
    assert "X-Cache" not in made.headers  # API Gateway, not CloudFront

    served = running.request(f"/{SMALL}/{ORIGINAL}")
    assert (served.status, served.headers["Content-Type"]) == (200, "image/jpeg")
    assert served.headers["Cache-Control"] == YEAR
    assert served.headers["X-Cache"] == "Miss from edge"
    assert served.headers["Last-Modified"].endswith("GMT")
    assert width_of(served.body) == 150

    again = running.request(f"/{SMALL}/{ORIGINAL}")
    assert (again.status, again.headers["X-Cache"]) == (200, "Hit from edge")
    assert again.body == served.body
    assert int(again.headers["Age"]) >= 0
    assert running.edge.stats["lambda_invocations"] == 1
    assert running.edge.stats["hits"] == 1


def test_head_requests(running: Running) -> None:
    made = running.request(f"/default/resize?key={MEDIUM}/{ORIGINAL}", "HEAD")
    assert (made.status, made.body) == (301, b"")
    head = running.request(f"/{MEDIUM}/{ORIGINAL}", "HEAD")
    assert (head.status, head.body) == (200, b"")
    assert int(head.headers["Content-Length"]) > 0
    assert running.request(f"/{MEDIUM}/{ORIGINAL}").headers["X-Cache"] == "Hit from edge"


@pytest.mark.parametrize("path", [f"/{ORIGINAL}", "/_config/presets.json", "/_config/nothing"])
def test_the_bucket_policy_keeps_originals_and_config_private(running: Running, path: str) -> None:
    reply = running.request(path)
    assert reply.status == 403
    assert reply.headers["X-Cache"] == "Error from edge"
    assert b"AccessDenied" in reply.body


def test_a_key_no_rule_covers_answers_403_or_404_when_listable(running: Running) -> None:
    assert running.request("/unknown/originals/a.jpg").status == 403
    listable = replace(running.edge.config, missing_status=404)
    edge, server = start(listable, free_port())
    try:
        reply = Running(edge, "", server.server_port, "", None, None).request("/unknown/x.jpg")
        assert (reply.status, b"NoSuchKey" in reply.body) == (404, True)
        # With 404 for missing keys, the rules for 404 still send variants to the API.
        reply = Running(edge, "", server.server_port, "", None, None).request(
            f"/{SMALL}/{ORIGINAL}"
        )
        assert reply.status == 307
    finally:
        server.shutdown()


@pytest.mark.parametrize(
    ("cache_control", "second"),
    [(None, "Miss from edge"), ("no-store", "Miss from edge"), ("max-age=60", "Hit from edge")],
)
def test_objects_are_cached_by_their_cache_control(
    running: Running, cache_control: str | None, second: str
) -> None:
    extra = {"CacheControl": cache_control} if cache_control else {}
    running.s3.put_object(
        Bucket=running.bucket,
        Key="pages/a.html",
        Body=b"<p>a</p>",
        ContentType="text/html",
        **extra,
    )
    first = running.request("/pages/a.html")
    assert (first.status, first.headers["Content-Type"], first.body) == (
        200,
        "text/html",
        b"<p>a</p>",
    )
    assert first.headers.get("Cache-Control") == cache_control
    assert running.request("/pages/a.html").headers["X-Cache"] == second


def test_invalidations_make_the_edge_forget(running: Running) -> None:
    running.s3.put_object(Bucket=running.bucket, Key=f"{SMALL}/{ORIGINAL}", Body=jpeg(150, 112),
                          ContentType="image/jpeg", CacheControl=YEAR)  # fmt: skip
    assert running.request(f"/{SMALL}/{ORIGINAL}").headers["X-Cache"] == "Miss from edge"
    assert running.request(f"/{SMALL}/{ORIGINAL}").headers["X-Cache"] == "Hit from edge"
    running.cloudfront.create_invalidation(
        DistributionId=running.edge.config.distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": [f"/{SMALL}/*"]},
            "CallerReference": "1",
        },
    )
    assert running.request(f"/{SMALL}/{ORIGINAL}").headers["X-Cache"] == "Miss from edge"
    assert running.edge.stats["invalidations"] == 1
    assert running.request(f"/{SMALL}/{ORIGINAL}").headers["X-Cache"] == "Hit from edge"


def test_the_website_configuration_is_reread_after_its_ttl(running: Running) -> None:
    class Clock:
        now = 1000.0

        def __call__(self) -> float:
            return self.now

    clock = Clock()
    config = replace(running.edge.config, website_ttl=5)
    running.s3.delete_bucket_website(Bucket=running.bucket)
    edge, server = start(config, free_port(), clock=clock)
    client = Running(edge, "", server.server_port, "", None, None)
    try:
        assert b"NoSuchWebsiteConfiguration" in client.request(f"/{SMALL}/{ORIGINAL}").body
        target = desired.ApiTarget("api.test", "default/resize", "https")
        running.s3.put_bucket_website(
            Bucket=running.bucket, WebsiteConfiguration=desired.website(["small"], target, None)
        )
        clock.now += 11  # past the website TTL and the 10 s the error was cached
        reply = client.request(f"/{SMALL}/{ORIGINAL}")
        assert (reply.status, reply.location) == (
            307,
            f"https://api.test/default/resize?key={SMALL}/{ORIGINAL}",
        )
        assert edge.stats["website_reads"] == 2
    finally:
        server.shutdown()


def test_only_get_and_head(running: Running) -> None:
    refused = running.request(f"/{SMALL}/{ORIGINAL}", "POST")
    assert (refused.status, refused.headers["X-Cache"]) == (403, "Error from edge")
    api = running.request(f"/default/resize?key={SMALL}/{ORIGINAL}", "DELETE")
    assert (api.status, json.loads(api.body)) == (403, {"message": "Missing Authentication Token"})


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("", 400, "bad_key"),
        ("key=huge/originals/x.jpg", 404, "unknown_preset"),
        (f"key={SMALL}/originals/nothing.jpg", 404, "original_not_found"),
        (f"key={SMALL}/_config/presets.json", 400, "bad_key"),
        # API Gateway turns + into a space: the key names another original.
        (f"key={SMALL}/originals/2026/11/pier+ab12cd.jpg", 404, "original_not_found"),
    ],
)
def test_the_lambdas_errors_reach_the_viewer(
    running: Running, query: str, status: int, code: str
) -> None:
    reply = running.request(f"/default/resize?{query}")
    assert reply.status == status
    assert json.loads(reply.body)["code"] == code
    assert reply.headers["Cache-Control"] == "no-store"


def test_a_plus_in_a_key_survives_the_redirects(running: Running) -> None:
    key = "originals/2026/11/a+b.jpg"
    running.s3.put_object(Bucket=running.bucket, Key=key, Body=jpeg(), ContentType="image/jpeg")
    first = running.request(f"/{SMALL}/originals/2026/11/a+b.jpg")
    assert first.location == f"{running.url}/default/resize?key={SMALL}/originals/2026/11/a%2Bb.jpg"
    made = running.request(first.location.removeprefix(running.url))
    assert made.location == f"{running.url}/{SMALL}/originals/2026/11/a%2Bb.jpg"
    assert running.request(made.location.removeprefix(running.url)).status == 200


def test_a_key_ending_in_a_space_survives_the_redirects(running: Running) -> None:
    key = "originals/2026/11/pier.jpg "  # legal in S3; a different object from "pier.jpg"
    running.s3.put_object(Bucket=running.bucket, Key=key, Body=jpeg(), ContentType="image/jpeg")
    first = running.request(f"/{SMALL}/originals/2026/11/pier.jpg%20")
    assert (
        first.location == f"{running.url}/default/resize?key={SMALL}/originals/2026/11/pier.jpg%20"
    )
    made = running.request(first.location.removeprefix(running.url))
    assert made.location == f"{running.url}/{SMALL}/originals/2026/11/pier.jpg%20"
    served = running.request(made.location.removeprefix(running.url))
    assert (served.status, width_of(served.body)) == (200, 150)
    stored = running.s3.head_object(Bucket=running.bucket, Key=f"{SMALL}/{key}")
    assert stored["ContentType"] == "image/jpeg"


def test_an_mpo_original_is_served_as_a_jpeg(running: Running) -> None:
    buf = io.BytesIO()
    first, second = Image.new("RGB", (400, 300), "#3366cc"), Image.new("RGB", (400, 300), "red")
    first.save(buf, "MPO", save_all=True, append_images=[second])
    key = "originals/2026/11/IMG_0001.MPO"
    running.s3.put_object(Bucket=running.bucket, Key=key, Body=buf.getvalue())
    first_hop = running.request(f"/{SMALL}/{key}")
    made = running.request(str(first_hop.location).removeprefix(running.url))
    assert made.status == 301
    served = running.request(f"/{SMALL}/{key}")
    assert (served.status, served.headers["Content-Type"]) == (200, "image/jpeg")
    with Image.open(io.BytesIO(served.body)) as image:
        assert (image.format, image.width, getattr(image, "n_frames", 1)) == ("JPEG", 150, 1)


def test_a_bad_lambda_environment_is_a_config_error(running: Running) -> None:
    broken = replace(running.edge.config, lambda_env={"BUCKET": running.bucket})
    edge, server = start(broken, free_port())
    try:
        reply = Running(edge, "", server.server_port, "", None, None).request(
            f"/default/resize?key={SMALL}/{ORIGINAL}"
        )
        assert (reply.status, json.loads(reply.body)["code"]) == (500, "config_error")
    finally:
        server.shutdown()


def test_a_crashing_function_is_a_502(running: Running, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(edge_module.handler, "handle_event", crash)
    reply = running.request(f"/default/resize?key={SMALL}/{ORIGINAL}")
    assert (reply.status, json.loads(reply.body)) == (502, {"message": "Internal server error"})


def test_containers_are_reused(running: Running) -> None:
    for name in ("small", "medium", "large"):
        assert running.request(f"/default/resize?key={name}/{ORIGINAL}").status == 301
    assert len(running.edge._containers) == 1
    assert running.edge.stats["lambda_invocations"] == 3


def test_config_from_the_environment() -> None:
    config = EdgeConfig.from_env(
        {
            "IMAGEADMIN_BUCKET": "shop",
            "IMAGEADMIN_CDN_URL": "http://127.0.0.1:9999",
            "IMAGEADMIN_ORIGINALS_PREFIX": "/masters/",
            "IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID": "E1",
            "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000",
            "IMAGEADMIN_EDGE_MISSING_STATUS": "404",
        }
    )
    assert config.bucket == "shop"
    assert config.denied_prefixes == ("masters/", "_config/")
    assert config.missing_status == 404
    assert config.distribution_id == "E1"
    assert config.lambda_env == {
        "BUCKET": "shop",
        "URL": "http://127.0.0.1:9999",
        "PRESETS_S3_KEY": "_config/presets.json",
        "ORIGINALS_PREFIX": "masters",
        "PRESETS_TTL": "0",
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000",
    }
    with pytest.raises(ValueError, match="403 or 404"):
        EdgeConfig.from_env({"IMAGEADMIN_EDGE_MISSING_STATUS": "500"})


# --- format negotiation: the viewer-request function before the cache -------------------------

CHROME = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
SAFARI_15 = "image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5"


def made(running: Running, path: str, accept: str | None = None) -> Reply:
    """Follow a variant request through the 307 and the Lambda's 301; return the final answer."""
    headers = {"Accept": accept} if accept else {}
    first = running.request(path, headers=headers)
    assert first.status == 307, first.body
    assert first.location is not None
    made = running.request(first.location.removeprefix(running.url), headers=headers)
    assert made.status == 301, made.body
    assert made.location is not None
    return running.request(made.location.removeprefix(running.url), headers=headers)


@pytest.mark.parametrize(
    ("accept", "head", "content_type"),
    [
        (CHROME, f"{SMALL}.avif", "image/avif"),
        (SAFARI_15, f"{SMALL}.webp", "image/webp"),
        ("image/avif;q=0,image/webp,*/*", f"{SMALL}.webp", "image/webp"),
        ("*/*", SMALL, "image/jpeg"),
        (None, SMALL, "image/jpeg"),
    ],
)
def test_an_auto_url_asks_the_website_for_the_format_the_viewer_accepts(
    running: Running, accept: str | None, head: str, content_type: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    first = running.request(f"/{SMALL}.auto/{ORIGINAL}", headers=headers)
    assert first.status == 307
    assert first.location == f"{running.url}/default/resize?key={head}/{ORIGINAL}"
    served = made(running, f"/{SMALL}.auto/{ORIGINAL}", accept)
    assert (served.status, served.headers["Content-Type"]) == (200, content_type)
    assert width_of(served.body) == 150
    assert "Vary" not in served.headers
    again = running.request(f"/{SMALL}.auto/{ORIGINAL}", headers=headers)
    assert (again.status, again.headers["X-Cache"], again.body) == (
        200,
        "Hit from edge",
        served.body,
    )
    # The cache key is the rewritten path: the explicit URL is the same entry.
    assert f"/{head}/{ORIGINAL}" in running.edge.cache
    assert f"/{SMALL}.auto/{ORIGINAL}" not in running.edge.cache
    assert running.request(f"/{head}/{ORIGINAL}").headers["X-Cache"] == "Hit from edge"


def test_each_format_is_its_own_cache_entry(running: Running) -> None:
    path = f"/{SMALL}.auto/{ORIGINAL}"
    bodies = {}
    for accept in (CHROME, SAFARI_15, "*/*"):
        made(running, path, accept)
        reply = running.request(path, headers={"Accept": accept})
        assert reply.headers["X-Cache"] == "Hit from edge"
        bodies[reply.headers["Content-Type"]] = reply.body
    assert set(bodies) == {"image/avif", "image/webp", "image/jpeg"}
    assert len(set(bodies.values())) == 3
    for head in (f"{SMALL}.avif", f"{SMALL}.webp", SMALL):
        assert f"/{head}/{ORIGINAL}" in running.edge.cache
    assert running.edge.stats["lambda_invocations"] == 3
    assert running.edge.stats["negotiated"] == 6  # the .auto requests; the 301s name the format
    # An invalidation of the preset's paths reaches every format.
    running.cloudfront.create_invalidation(
        DistributionId=running.edge.config.distribution_id,
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/small*"]}, "CallerReference": "n"},
    )
    assert running.request(path, headers={"Accept": CHROME}).headers["X-Cache"] == "Miss from edge"


@pytest.mark.parametrize(
    "path",
    [
        f"/small/{ORIGINAL}",
        f"/small.webp/{ORIGINAL}",
        "/small/originals/2026/11/x.auto/a.jpg",
        f"/small%2Eauto/{ORIGINAL}",
    ],
)
def test_other_paths_pass_untouched(running: Running, path: str) -> None:
    reply = running.request(path, headers={"Accept": CHROME})
    assert reply.status == 307
    assert reply.location is not None
    key = reply.location.partition("?key=")[2]
    assert "/" + key == path.replace("%2E", ".")  # the website decodes the path once
    assert running.edge.stats["negotiated"] == 0


def test_the_function_sees_every_accept_header(running: Running) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=30)
    try:
        conn.putrequest("GET", f"/{SMALL}.auto/{ORIGINAL}")
        conn.putheader("Accept", "image/png,*/*")
        conn.putheader("Accept", "image/webp")
        conn.endheaders()
        reply = conn.getresponse()
        reply.read()
    finally:
        conn.close()
    assert reply.headers["Location"] == f"{running.url}/default/resize?key={SMALL}.webp/{ORIGINAL}"
