"""The local edge's cache, kept the way the project's CloudFront cache policy keeps objects.

The template's cache policy (resizer_lambda/template.yaml, `VariantsCachePolicy`) sets
MinTTL 0, DefaultTTL 0 and MaxTTL one year, and puts nothing but the path in the cache key (no
query string, headers or cookies). What CloudFront documents for such a policy ("Managing how
long content stays in the cache"), and what `ttl()` does:

- `Cache-Control: s-maxage=N` wins over `max-age=N`; either is clamped to [MinTTL, MaxTTL].
- `no-store`, `no-cache` or `private` with MinTTL 0: not cached (with MinTTL > 0: MinTTL).
- No `Cache-Control` age but an `Expires` date: cached until then (clamped likewise).
- Neither: DefaultTTL, 0 here, so S3's 307 to the API (which carries no Cache-Control) is never
  cached, and the request after the Lambda's 301 reaches S3 again.
- Error answers (400, 403, 404, 405, 414, 416, 500-504) without Cache-Control are kept for the
  error caching minimum TTL, 10 seconds by default; with one, it applies as above.
- Only GET and HEAD are cached, under one entry per path.

Invalidation paths are matched against the decoded request path: exactly, or, for a path ending
in `*` (CloudFront's only wildcard position), as a prefix; `/*` clears everything.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

CACHEABLE = frozenset({200, 203, 206, 300, 301, 302, 307, 308, 410})
ERRORS = frozenset({400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504})
ONE_YEAR = 31_536_000


@dataclass(frozen=True)
class Policy:
    """The TTLs of a CloudFront cache policy, plus the error caching minimum TTL."""

    min_ttl: float = 0
    default_ttl: float = 0
    max_ttl: float = ONE_YEAR
    error_ttl: float = 10


def _directives(value: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for part in value.split(","):
        name, _, arg = part.strip().partition("=")
        if name:
            result[name.lower()] = arg.strip().strip('"')
    return result


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(int(value))) if value is not None else None
    except ValueError:
        return None


def ttl(status: int, headers: Mapping[str, str], policy: Policy, now: float | None = None) -> float:
    """Return how many seconds CloudFront would keep this answer (0: not at all)."""
    if status not in CACHEABLE and status not in ERRORS:
        return 0
    lowered = {k.lower(): v for k, v in headers.items()}
    cache_control = lowered.get("cache-control")
    age: float | None = None
    if cache_control:
        directives = _directives(cache_control)
        if {"no-store", "no-cache", "private"} & directives.keys() and policy.min_ttl == 0:
            return 0
        age = _seconds(directives.get("s-maxage"))
        if age is None:
            age = _seconds(directives.get("max-age"))
    if age is None and "expires" in lowered:
        try:
            expires = email.utils.parsedate_to_datetime(lowered["expires"]).timestamp()
        except (TypeError, ValueError):
            expires = 0.0  # an invalid date means "already expired"
        age = max(0.0, expires - (time.time() if now is None else now))
    if age is None:
        if status in ERRORS:
            return policy.error_ttl
        age = policy.default_ttl
    return min(max(age, policy.min_ttl), policy.max_ttl)


@dataclass(frozen=True)
class Entry:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    stored_at: float
    expires_at: float


class Cache:
    """Cached answers by path: TTLs, invalidations and a byte budget (least recently used out)."""

    def __init__(
        self,
        policy: Policy | None = None,
        max_bytes: int = 256 * 1024 * 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy or Policy()
        self.max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, path: str) -> Entry | None:
        """Return the fresh entry for `path`, or None (an expired one is dropped)."""
        with self._lock:
            entry = self._entries.get(path)
            if entry is None:
                return None
            if self._clock() >= entry.expires_at:
                self._drop(path)
                return None
            self._entries.move_to_end(path)
            return entry

    def put(self, path: str, status: int, headers: Iterable[tuple[str, str]], body: bytes) -> float:
        """Keep the answer for as long as the policy says; return that TTL (0: not kept)."""
        headers = tuple(headers)
        seconds = ttl(status, dict(headers), self.policy)
        if seconds <= 0 or len(body) > self.max_bytes:
            return 0
        now = self._clock()
        with self._lock:
            self._drop(path)
            self._entries[path] = Entry(status, headers, body, now, now + seconds)
            self._bytes += len(body)
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))
        return seconds

    def invalidate(self, paths: Iterable[str]) -> int:
        """Forget the entries the CloudFront invalidation `paths` name; return how many."""
        exact: set[str] = set()
        prefixes: list[str] = []
        for path in paths:
            decoded = unquote(path)
            if decoded.endswith("*"):
                prefixes.append(decoded[:-1])
            else:
                exact.add(decoded)
        with self._lock:
            doomed = [p for p in self._entries if p in exact or p.startswith(tuple(prefixes))]
            for path in doomed:
                self._drop(path)
        return len(doomed)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, path: object) -> bool:
        return path in self._entries

    def _drop(self, path: str) -> None:
        entry = self._entries.pop(path, None)
        if entry is not None:
            self._bytes -= len(entry.body)
