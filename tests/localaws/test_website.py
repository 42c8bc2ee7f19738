"""The S3 website endpoint's routing rules, against AWS's documented examples and this project's.

Examples from the S3 User Guide ("Configuring redirection rules"): renaming a key prefix
(`docs/` -> `documents/`), a deleted folder sent to one page (`ReplaceKeyWith`), an error sent
to another host, and the API reference's defaults (code 301, the request's protocol and host).
The "resizer" cases are the rules `publish` writes (imageadmin/publishing/desired.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from imageadmin.publishing import desired
from localaws import website

HOST = "bucket.s3-website-us-east-1.amazonaws.com"
OBJECTS = {
    "index.html": b"<h1>home</h1>",
    "docs/index.html": b"<h1>docs</h1>",
    "docs/a.html": b"<p>a</p>",
    "documents/a.html": b"<p>moved</p>",
    "error.html": b"<h1>oops</h1>",
    "small/originals/a.jpg": b"variant",
}


def lookup_in(objects: dict[str, bytes], missing: website.S3Error = website.ACCESS_DENIED) -> Any:
    def lookup(key: str) -> website.StoredObject | website.S3Error:
        if key.startswith(("originals/", "_config/")):
            return website.ACCESS_DENIED
        if key in objects:
            return website.StoredObject(objects[key], "text/html", "max-age=60", '"e"')
        return missing

    return lookup


def config(*rules: dict[str, Any], **extra: Any) -> website.WebsiteConfig:
    return website.WebsiteConfig.from_s3(
        {"IndexDocument": {"Suffix": "index.html"}, "RoutingRules": list(rules), **extra}
    )


def answer(
    cfg: website.WebsiteConfig | None,
    key: str,
    missing: website.S3Error = website.ACCESS_DENIED,
    method: str = "GET",
    protocol: str = "http",
) -> website.Answer:
    return website.serve(cfg, method, key, lookup_in(OBJECTS, missing), HOST, protocol)


RENAME = {
    "Condition": {"KeyPrefixEquals": "docs/"},
    "Redirect": {"ReplaceKeyPrefixWith": "documents/"},
}
DELETED_FOLDER = {
    "Condition": {"KeyPrefixEquals": "images/"},
    "Redirect": {"ReplaceKeyWith": "folderdeleted.html"},
}
ERROR_TO_HOST = {
    "Condition": {"HttpErrorCodeReturnedEquals": "404"},
    "Redirect": {
        "HostName": "ec2-11-22-333-44.compute-1.amazonaws.com",
        "ReplaceKeyPrefixWith": "report-404/",
    },
}
TO_HTTPS_302 = {
    "Condition": {"KeyPrefixEquals": "secure/"},
    "Redirect": {"Protocol": "https", "HttpRedirectCode": "302"},
}
RESIZER = desired.routing_rules(
    ["small", "medium"], desired.ApiTarget("api.example", "default/resize", "https")
)
API = "https://api.example/default/resize?key="
DENIED, MISSING = website.ACCESS_DENIED, website.NO_SUCH_KEY


@pytest.mark.parametrize(
    ("rules", "key", "missing", "status", "location"),
    [
        # KeyPrefixEquals alone redirects before the lookup, even where an object exists.
        ([RENAME], "docs/a.html", DENIED, 301, f"http://{HOST}/documents/a.html"),
        ([RENAME], "docs/", DENIED, 301, f"http://{HOST}/documents/"),
        ([RENAME], "documents/a.html", DENIED, 200, None),
        ([DELETED_FOLDER], "images/cat.png", DENIED, 301, f"http://{HOST}/folderdeleted.html"),
        # An error-code condition applies only after that error, to any key without a prefix.
        ([ERROR_TO_HOST], "ExamplePage.html", MISSING, 301,
         "http://ec2-11-22-333-44.compute-1.amazonaws.com/report-404/ExamplePage.html"),
        ([ERROR_TO_HOST], "ExamplePage.html", DENIED, 403, None),
        ([ERROR_TO_HOST], "docs/a.html", MISSING, 200, None),
        # Protocol and code given; host defaults to the request's, key kept.
        ([TO_HTTPS_302], "secure/x.html", DENIED, 302, f"https://{HOST}/secure/x.html"),
        # First match wins: the rename shadows the deleted-folder rule listed after it.
        ([RENAME, {**DELETED_FOLDER, "Condition": {"KeyPrefixEquals": "docs/"}}], "docs/z.html",
         DENIED, 301, f"http://{HOST}/documents/z.html"),
        ([{**DELETED_FOLDER, "Condition": {"KeyPrefixEquals": "docs/"}}, RENAME], "docs/z.html",
         DENIED, 301, f"http://{HOST}/folderdeleted.html"),
        # A rule without a Condition redirects every request.
        ([{"Redirect": {"HostName": "example.com"}}], "any/thing.jpg", DENIED, 301,
         "http://example.com/any/thing.jpg"),
        # The resizer's rules: the preset stays in the key, 403 (no ListBucket) and 404 both.
        (RESIZER, "small/originals/b.jpg", DENIED, 307, f"{API}small/originals/b.jpg"),
        (RESIZER, "small/originals/b.jpg", MISSING, 307, f"{API}small/originals/b.jpg"),
        (RESIZER, "small.webp/originals/b.jpg", DENIED, 307,
         f"{API}small.webp/originals/b.jpg"),
        (RESIZER, "medium/originals/b.jpg", DENIED, 307, f"{API}medium/originals/b.jpg"),
        (RESIZER, "smallish/originals/b.jpg", DENIED, 307,
         f"{API}smallish/originals/b.jpg"),
        (RESIZER, "small/originals/a.jpg", DENIED, 200, None),  # exists: served
        (RESIZER, "large/originals/b.jpg", DENIED, 403, None),  # no rule for it
        (RESIZER, "originals/a.jpg", DENIED, 403, None),  # denied, no rule
        # The rest of the key is percent-encoded once; the replacement is written as it is.
        (RESIZER, "small/originals/a b+c.jpg", DENIED, 307,
         f"{API}small/originals/a%20b%2Bc.jpg"),
    ],
)  # fmt: skip
def test_routing_rules(
    rules: list[dict[str, Any]],
    key: str,
    missing: website.S3Error,
    status: int,
    location: str | None,
) -> None:
    result = answer(config(*rules), key, missing)
    assert result.status == status
    assert result.header("Location") == location


def test_protocol_defaults_to_the_requests_and_code_to_301() -> None:
    result = answer(config(RENAME), "docs/a.html", protocol="https")
    assert (result.status, result.header("Location")) == (301, f"https://{HOST}/documents/a.html")


def test_a_rule_with_both_conditions_needs_both() -> None:
    rule = {
        "Condition": {"KeyPrefixEquals": "docs/", "HttpErrorCodeReturnedEquals": "404"},
        "Redirect": {"ReplaceKeyWith": "missing.html"},
    }
    assert answer(config(rule), "docs/gone.html", website.NO_SUCH_KEY).status == 301
    assert answer(config(rule), "other/gone.html", website.NO_SUCH_KEY).status == 404
    assert answer(config(rule), "docs/gone.html", website.ACCESS_DENIED).status == 403
    assert answer(config(rule), "docs/a.html", website.NO_SUCH_KEY).status == 200


@pytest.mark.parametrize(
    ("key", "body"),
    [("", b"<h1>home</h1>"), ("docs/", b"<h1>docs</h1>"), ("docs/a.html", b"<p>a</p>")],
)
def test_index_document(key: str, body: bytes) -> None:
    result = answer(config(), key)
    assert (result.status, result.body) == (200, body)


def test_objects_keep_their_headers() -> None:
    result = answer(config(), "docs/a.html")
    assert result.header("Content-Type") == "text/html"
    assert result.header("Cache-Control") == "max-age=60"
    assert result.header("ETag") == '"e"'
    assert result.header("Content-Length") == str(len(b"<p>a</p>"))


@pytest.mark.parametrize(
    ("missing", "status", "code"),
    [(website.ACCESS_DENIED, 403, "AccessDenied"), (website.NO_SUCH_KEY, 404, "NoSuchKey")],
)
def test_errors_without_a_rule_are_s3s_html_page(
    missing: website.S3Error, status: int, code: str
) -> None:
    result = answer(config(), "nothing/here.jpg", missing)
    assert result.status == status
    assert result.header("Content-Type") == "text/html; charset=utf-8"
    assert f"Code: {code}".encode() in result.body


def test_error_document_is_served_with_the_errors_status() -> None:
    result = answer(config(ErrorDocument={"Key": "error.html"}), "nothing.html")
    assert (result.status, result.body) == (403, b"<h1>oops</h1>")
    # A rule for the error still wins over the error document.
    rule = {"Condition": {"HttpErrorCodeReturnedEquals": "403"}, "Redirect": {"HostName": "x.test"}}
    assert answer(config(rule, ErrorDocument={"Key": "error.html"}), "nothing.html").status == 301


def test_redirect_all_requests() -> None:
    cfg = website.WebsiteConfig.from_s3(
        {"RedirectAllRequestsTo": {"HostName": "www.example.com", "Protocol": "https"}}
    )
    result = answer(cfg, "docs/a.html")
    assert (result.status, result.header("Location")) == (
        301,
        "https://www.example.com/docs/a.html",
    )


def test_no_website_configuration_and_other_methods() -> None:
    assert b"NoSuchWebsiteConfiguration" in answer(None, "docs/a.html").body
    assert answer(None, "docs/a.html").status == 404
    assert answer(config(), "docs/a.html", method="POST").status == 405


def test_rules_read_from_s3s_shape_keep_their_order_and_defaults() -> None:
    cfg = config(*RESIZER)
    assert [r.key_prefix for r in cfg.rules] == ["small", "small", "medium", "medium"]
    assert [r.error_code for r in cfg.rules] == [403, 404, 403, 404]
    assert website.WebsiteConfig.from_s3({"RoutingRules": [RENAME]}).rules[0].redirect == (
        website.Redirect(replace_key_prefix_with="documents/", http_redirect_code=301)
    )
