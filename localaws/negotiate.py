"""The local edge's CloudFront Function: format negotiation for `.auto` variant URLs.

A line-for-line port of resizer_lambda/edge/negotiate.js, the function the template deploys on
viewer-request (read its header for the rule). The edge applies it before its cache lookup, as
CloudFront does, so the local cache key is the rewritten URI. A port rather than the JavaScript
itself: `make run` needs nothing but Python, and a node child per edge would be one more process
to supervise for ten lines of string handling. tests/localaws/test_negotiate.py holds the port
to the JavaScript: both answer tests/resizer/edge_accept_cases.json, and node's answers on
generated headers and URIs must equal the port's.
"""

from __future__ import annotations

import re

WANTED = ("avif", "webp")
MAX_ACCEPT = 1024
_QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")
_NONZERO = re.compile(r"[1-9]")
_OWS = " \t"


def _weight_allows(q: str) -> bool:
    return _QVALUE.fullmatch(q) is not None and _NONZERO.search(q) is not None


def _listed(accept: str) -> dict[str, bool]:
    """Return whether avif and webp are allowed, for those the Accept value names."""
    verdict: dict[str, bool] = {}
    for media_range in accept.lower().split(","):
        if "avif" not in media_range and "webp" not in media_range:
            continue
        params = media_range.split(";")
        media_type = params[0].strip(_OWS)
        if not media_type.startswith("image/"):
            continue
        fmt = media_type[6:]
        if fmt not in WANTED:
            continue
        q = "1"
        for param in params[1:]:
            name, eq, value = param.partition("=")
            if name.strip(_OWS) == "q":
                q = value.strip(_OWS) if eq else ""
                break
        verdict[fmt] = verdict.get(fmt) is not False and _weight_allows(q)
    return verdict


def _js_length(text: str) -> int:
    """Return `text.length` as JavaScript counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def choose(accept: str | None) -> str:
    """Return "avif", "webp" or "" (the preset's own format) for an Accept value (None: none)."""
    if not accept or _js_length(accept) > MAX_ACCEPT:
        return ""
    verdict = _listed(accept)
    return next((fmt for fmt in WANTED if verdict.get(fmt) is True), "")


def rewrite(uri: str, accept: str | None) -> str:
    """Return the URI the function makes of a viewer request for `uri` with this Accept."""
    end = uri.find("/", 1)
    if not uri.startswith("/") or end < 0:
        return uri
    head = uri[1:end]
    if len(head) <= 5 or not head.endswith(".auto"):
        return uri
    fmt = choose(accept)
    return "/" + head[:-5] + ("." + fmt if fmt else "") + uri[end:]
