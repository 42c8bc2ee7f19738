"""The S3 *website endpoint*, as pure functions: routing rules, index and error documents.

moto's server stores a bucket's website configuration (what `publish` writes) but serves no
website endpoint, so the local edge answers with this module. It reads the configuration in
the shape `get_bucket_website` returns and decides each request's answer from the key and a
`lookup` of the object; it does no I/O itself, so it is tested against AWS's documented
examples alone (tests/localaws/test_website.py).

What AWS documents (S3 User Guide, "Configuring redirection rules"; S3 API reference:
RoutingRule, Condition, Redirect) and how it is read here:

Conditions
- `KeyPrefixEquals`: the object key starts with this string. The key is the request path without
  its leading "/", percent-decoded once (`+` is a plus, not a space). A plain, case-sensitive
  string prefix: `docs/` matches `docs/a.html`, and `small` matches `small/...`, `small.webp/...`
  and `smallish/...` alike.
- `HttpErrorCodeReturnedEquals`: looking the key up failed with this HTTP status.
- Both given: both must hold. A rule without a `Condition` applies to every request.

Evaluation
- Rules are tried in document order; the first that matches is applied, no other.
- A rule without `HttpErrorCodeReturnedEquals` is applied *before* the key is looked up, so it
  redirects even when the object exists.
- A rule with `HttpErrorCodeReturnedEquals` is applied *after* the lookup failed with exactly
  that status; a lookup that succeeds is never redirected by it.

Redirect
- `Protocol` (http | https): default, the protocol of the request (CloudFront talks to the
  website endpoint over http only, so behind it the default is http).
- `HostName`: default, the host the request was addressed to (the website endpoint).
- `ReplaceKeyPrefixWith` replaces the part of the key that `KeyPrefixEquals` matched (without
  `KeyPrefixEquals`, an empty prefix: the value is put in front of the key); `ReplaceKeyWith`
  replaces the whole key; at most one of them; with neither the key is kept.
- `HttpRedirectCode`: default 301.
- `Location` is `<protocol>://<host>/<new key>`. The replacement is written as configured, so a
  `?` in it starts a query string: that is how `ReplaceKeyPrefixWith: default/resize?key=small`
  hands the key to the resizer's API. AWS does not document how the rest of the key is escaped;
  here it is percent-encoded once with `/` kept (`quote(rest, safe="/")`), so `a+b.jpg` travels as
  `a%2Bb.jpg`. Keys Django makes (`[a-z0-9-./]`) read the same either way.
- `RedirectAllRequestsTo` (`HostName`, optional `Protocol`) answers every request 301 to
  `<protocol>://<host>/<key>`.

Errors and documents
- A missing key answers 404 NoSuchKey to whoever may `s3:ListBucket`, otherwise 403
  AccessDenied. Website endpoints serve anonymous requests, and the project's bucket policy grants
  the public `s3:GetObject` only, so the real answer is 403 (the edge's default); 404 models a
  publicly listable bucket. That is why publishing writes each rule for 403 *and* 404.
- A key under a prefix the bucket policy denies (`originals/`, `_config/`) answers 403 whether it
  exists or not; routing rules for 403 apply to it like to any 403.
- A key that is empty or ends in `/` gets `IndexDocument.Suffix` appended before the lookup.
- An error that no rule redirects is answered with the `ErrorDocument` object (with the error's
  status) when one is configured and readable, else with S3's own small HTML error page.
- Only GET and HEAD are served (405 otherwise); a bucket without a website configuration answers
  404 NoSuchWebsiteConfiguration.

Not emulated: per-object redirects (`x-amz-website-redirect-location`), the 302 from `folder` to
`folder/` when only `folder/index.html` exists, conditional and range requests.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

DEFAULT_REDIRECT_CODE = 301
REASONS = {
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
}


@dataclass(frozen=True)
class StoredObject:
    """An object as S3 returns it to the website endpoint."""

    body: bytes
    content_type: str = "binary/octet-stream"
    cache_control: str | None = None
    etag: str = ""
    last_modified: str = ""  # an HTTP date


@dataclass(frozen=True)
class S3Error:
    """A failed lookup: the HTTP status and S3's error code (AccessDenied, NoSuchKey, ...)."""

    status: int
    code: str
    message: str


ACCESS_DENIED = S3Error(403, "AccessDenied", "Access Denied")
NO_SUCH_KEY = S3Error(404, "NoSuchKey", "The specified key does not exist.")

Lookup = Callable[[str], StoredObject | S3Error]


@dataclass(frozen=True)
class Redirect:
    host_name: str | None = None
    protocol: str | None = None
    replace_key_prefix_with: str | None = None
    replace_key_with: str | None = None
    http_redirect_code: int = DEFAULT_REDIRECT_CODE


@dataclass(frozen=True)
class RoutingRule:
    redirect: Redirect
    key_prefix: str | None = None
    error_code: int | None = None

    def matches_before(self, key: str) -> bool:
        """Return whether this rule redirects `key` before any lookup."""
        return self.error_code is None and key.startswith(self.key_prefix or "")

    def matches_after(self, key: str, status: int) -> bool:
        """Return whether this rule redirects `key` whose lookup failed with `status`."""
        return self.error_code == status and key.startswith(self.key_prefix or "")


@dataclass(frozen=True)
class WebsiteConfig:
    index_suffix: str | None = "index.html"
    error_key: str | None = None
    rules: tuple[RoutingRule, ...] = ()
    redirect_all: Redirect | None = None

    @classmethod
    def from_s3(cls, data: Mapping[str, Any]) -> WebsiteConfig:
        """Return the configuration from `get_bucket_website`'s answer (boto3's shapes)."""
        everything = data.get("RedirectAllRequestsTo")
        redirect_all = None
        if everything:
            redirect_all = Redirect(everything.get("HostName"), everything.get("Protocol"))
        rules = tuple(_rule(r) for r in data.get("RoutingRules") or ())
        return cls(
            index_suffix=(data.get("IndexDocument") or {}).get("Suffix"),
            error_key=(data.get("ErrorDocument") or {}).get("Key"),
            rules=rules,
            redirect_all=redirect_all,
        )


def _rule(data: Mapping[str, Any]) -> RoutingRule:
    condition = data.get("Condition") or {}
    redirect = data.get("Redirect") or {}
    code = condition.get("HttpErrorCodeReturnedEquals")
    return RoutingRule(
        redirect=Redirect(
            host_name=redirect.get("HostName") or None,
            protocol=redirect.get("Protocol") or None,
            replace_key_prefix_with=redirect.get("ReplaceKeyPrefixWith"),
            replace_key_with=redirect.get("ReplaceKeyWith"),
            http_redirect_code=int(redirect.get("HttpRedirectCode") or DEFAULT_REDIRECT_CODE),
        ),
        key_prefix=condition.get("KeyPrefixEquals"),
        error_code=int(code) if code else None,
    )


@dataclass(frozen=True)
class Answer:
    """What the website endpoint answers: status, headers and body."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    rule: RoutingRule | None = field(default=None, compare=False)

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


def route_before(config: WebsiteConfig, key: str) -> RoutingRule | None:
    """Return the first rule that redirects `key` before the lookup, if any."""
    return next((r for r in config.rules if r.matches_before(key)), None)


def route_after(config: WebsiteConfig, key: str, status: int) -> RoutingRule | None:
    """Return the first rule that redirects `key` after a lookup failed with `status`."""
    return next((r for r in config.rules if r.matches_after(key, status)), None)


def redirect_location(
    redirect: Redirect, key: str, matched_prefix: str, host: str, protocol: str
) -> str:
    """Return the Location of a redirect of `key` (see the module docstring for the rules)."""
    if redirect.replace_key_with is not None:
        new_key = redirect.replace_key_with
    elif redirect.replace_key_prefix_with is not None:
        new_key = redirect.replace_key_prefix_with + quote(key[len(matched_prefix) :], safe="/")
    else:
        new_key = quote(key, safe="/")
    return f"{redirect.protocol or protocol}://{redirect.host_name or host}/{new_key}"


def _redirect(rule: RoutingRule, key: str, host: str, protocol: str) -> Answer:
    location = redirect_location(rule.redirect, key, rule.key_prefix or "", host, protocol)
    return Answer(
        rule.redirect.http_redirect_code,
        (("Location", location), ("Content-Length", "0")),
        rule=rule,
    )


def error_page(error: S3Error, request_id: str = "") -> Answer:
    """Return S3's own HTML error page for `error` (what a website endpoint shows)."""
    reason = REASONS.get(error.status, "Error")
    items = [f"<li>Code: {html.escape(error.code)}</li>"]
    items.append(f"<li>Message: {html.escape(error.message)}</li>")
    if request_id:
        items.append(f"<li>RequestId: {html.escape(request_id)}</li>")
    body = (
        f"<html>\n<head><title>{error.status} {reason}</title></head>\n<body>\n"
        f"<h1>{error.status} {reason}</h1>\n<ul>\n" + "\n".join(items) + "\n</ul>\n<hr/>\n"
        "</body>\n</html>\n"
    ).encode()
    headers = (("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))))
    return Answer(error.status, headers, body)


def object_answer(obj: StoredObject, status: int = 200) -> Answer:
    headers = [("Content-Type", obj.content_type), ("Content-Length", str(len(obj.body)))]
    if obj.cache_control:
        headers.append(("Cache-Control", obj.cache_control))
    if obj.etag:
        headers.append(("ETag", obj.etag))
    if obj.last_modified:
        headers.append(("Last-Modified", obj.last_modified))
    return Answer(status, tuple(headers), obj.body)


def serve(
    config: WebsiteConfig | None,
    method: str,
    key: str,
    lookup: Lookup,
    host: str,
    protocol: str = "http",
    request_id: str = "",
) -> Answer:
    """Answer one request for `key` the way the S3 website endpoint would."""
    if method not in ("GET", "HEAD"):
        error = S3Error(405, "MethodNotAllowed", f"The specified method is not allowed: {method}")
        return error_page(error, request_id)
    if config is None:
        error = S3Error(404, "NoSuchWebsiteConfiguration", "The bucket has no website config.")
        return error_page(error, request_id)
    if config.redirect_all is not None:
        return _redirect(RoutingRule(config.redirect_all), key, host, protocol)
    rule = route_before(config, key)
    if rule is not None:
        return _redirect(rule, key, host, protocol)
    lookup_key = key
    if config.index_suffix and (not key or key.endswith("/")):
        lookup_key = key + config.index_suffix
    found = lookup(lookup_key)
    if isinstance(found, StoredObject):
        return object_answer(found)
    rule = route_after(config, key, found.status)
    if rule is not None:
        return _redirect(rule, key, host, protocol)
    if config.error_key:
        document = lookup(config.error_key)
        if isinstance(document, StoredObject):
            return object_answer(document, found.status)
    return error_page(found, request_id)
