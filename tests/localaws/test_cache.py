"""The local edge's cache against CloudFront's documented rules for the template's policy."""

from __future__ import annotations

import email.utils

import pytest

from localaws.cache import ONE_YEAR, Cache, Policy, ttl

POLICY = Policy()  # the template's: MinTTL 0, DefaultTTL 0, MaxTTL a year; errors 10 s
NOW = 1_800_000_000.0


def http_date(offset: float) -> str:
    return email.utils.formatdate(NOW + offset, usegmt=True)


@pytest.mark.parametrize(
    ("status", "headers", "seconds"),
    [
        (200, {"Cache-Control": "public, max-age=31536000, immutable"}, ONE_YEAR),
        (200, {"Cache-Control": "max-age=60"}, 60),
        (200, {"Cache-Control": "max-age=60, s-maxage=5"}, 5),  # s-maxage wins for CloudFront
        (200, {"Cache-Control": "max-age=99999999999"}, ONE_YEAR),  # clamped to MaxTTL
        (200, {}, 0),  # DefaultTTL 0: no Cache-Control, not cached
        (307, {"Location": "https://api/x"}, 0),  # S3's redirect to the API: never cached
        (301, {"Location": "x", "Cache-Control": "no-store"}, 0),  # the Lambda's 301
        (200, {"Cache-Control": "no-store"}, 0),
        (200, {"Cache-Control": "no-cache"}, 0),
        (200, {"Cache-Control": "private, max-age=60"}, 0),
        (200, {"Cache-Control": "max-age=nonsense"}, 0),
        (200, {"Expires": http_date(120)}, 120),
        (200, {"Expires": http_date(-5)}, 0),
        (200, {"Cache-Control": "max-age=30", "Expires": http_date(120)}, 30),
        (403, {}, 10),  # errors: the error caching minimum TTL
        (404, {}, 10),
        (404, {"Cache-Control": "no-store"}, 0),
        (503, {"Cache-Control": "max-age=2"}, 2),
        (201, {"Cache-Control": "max-age=60"}, 0),  # not a cacheable status
    ],
)
def test_ttl(status: int, headers: dict[str, str], seconds: float) -> None:
    assert ttl(status, headers, POLICY, now=NOW) == seconds


def test_min_ttl_overrides_no_store_and_short_ages() -> None:
    policy = Policy(min_ttl=30)
    assert ttl(200, {"Cache-Control": "no-store"}, policy) == 30
    assert ttl(200, {"Cache-Control": "max-age=5"}, policy) == 30


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


YEAR = (("Cache-Control", "max-age=31536000"),)


def test_entries_live_for_their_ttl() -> None:
    clock = Clock()
    cache = Cache(clock=clock)
    assert cache.put("/small/a.jpg", 200, [("Cache-Control", "max-age=60")], b"x") == 60
    clock.now += 59
    entry = cache.get("/small/a.jpg")
    assert entry is not None
    assert (entry.status, entry.body, entry.stored_at) == (200, b"x", 100.0)
    clock.now += 1
    assert cache.get("/small/a.jpg") is None
    assert "/small/a.jpg" not in cache


def test_uncacheable_answers_are_not_kept() -> None:
    cache = Cache(clock=Clock())
    assert cache.put("/small/a.jpg", 307, [("Location", "x")], b"") == 0
    assert cache.put("/b.jpg", 200, [], b"x") == 0
    assert len(cache) == 0


def test_invalidation_exact_and_wildcard_paths() -> None:
    cache = Cache(clock=Clock())
    for path in ("/small/a.jpg", "/small/b.jpg", "/small.webp/a.jpg", "/medium/a.jpg", "/a b.jpg"):
        cache.put(path, 200, YEAR, b"x")
    assert cache.invalidate(["/small/a.jpg"]) == 1
    assert cache.invalidate(["/small/*"]) == 1  # b.jpg; small.webp is another prefix
    assert "/small.webp/a.jpg" in cache
    assert cache.invalidate(["/small.*"]) == 1
    assert cache.invalidate(["/a%20b.jpg"]) == 1  # paths are compared decoded
    assert cache.invalidate(["/nothing"]) == 0
    assert cache.invalidate(["/*"]) == 1
    assert len(cache) == 0


def test_byte_budget_drops_the_least_recently_used() -> None:
    cache = Cache(max_bytes=10, clock=Clock())
    cache.put("/a", 200, YEAR, b"1234")
    cache.put("/b", 200, YEAR, b"1234")
    assert cache.get("/a") is not None  # /a is now the most recently used
    cache.put("/c", 200, YEAR, b"1234")
    assert "/b" not in cache
    assert "/a" in cache
    assert "/c" in cache
    assert cache.put("/huge", 200, YEAR, b"x" * 11) == 0
