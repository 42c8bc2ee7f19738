"""The pure side of publishing: routing and lifecycle rules, stale presets, invalidation paths."""

from __future__ import annotations

from typing import Any

import pytest

from imageadmin.publishing import desired, diff

TARGET = desired.ApiTarget("api.example.com", "/default/resize/", "https")


def test_two_routing_rules_per_preset_keep_the_preset_in_the_key() -> None:
    rules = desired.routing_rules(["small", "small-2x"], TARGET)

    assert [(r["Condition"]["KeyPrefixEquals"], r["Condition"]["HttpErrorCodeReturnedEquals"])
            for r in rules] == [("small", "403"), ("small", "404"),
                                ("small-2x", "403"), ("small-2x", "404")]  # fmt: skip
    assert rules[0]["Redirect"] == {
        "HostName": "api.example.com",
        "HttpRedirectCode": "307",
        "Protocol": "https",
        "ReplaceKeyPrefixWith": "default/resize?key=small",
    }


@pytest.mark.parametrize(
    ("key", "redirected_to"),
    [
        ("small/originals/a.jpg", "default/resize?key=small/originals/a.jpg"),
        ("small.webp/originals/a.jpg", "default/resize?key=small.webp/originals/a.jpg"),
        # `small` also matches `small-2x/...`: the whole key still reaches the Lambda.
        ("small-2x/originals/a.jpg", "default/resize?key=small-2x/originals/a.jpg"),
    ],
)
def test_s3_replacing_the_matched_prefix_keeps_the_whole_key(key: str, redirected_to: str) -> None:
    rules = desired.routing_rules(["small", "small-2x"], TARGET)
    rule = next(r for r in rules if key.startswith(r["Condition"]["KeyPrefixEquals"]))
    prefix = rule["Condition"]["KeyPrefixEquals"]

    result = rule["Redirect"]["ReplaceKeyPrefixWith"] + key[len(prefix) :]

    assert result == redirected_to


def test_website_keeps_the_stacks_documents_and_replaces_every_rule() -> None:
    live = {
        "IndexDocument": {"Suffix": "home.html"},
        "ErrorDocument": {"Key": "error.html"},
        "RoutingRules": [{"Condition": {"KeyPrefixEquals": "old"}, "Redirect": {}}],
    }

    config = desired.website(["small"], TARGET, live)

    assert config["IndexDocument"] == {"Suffix": "home.html"}
    assert config["ErrorDocument"] == {"Key": "error.html"}
    assert [r["Condition"]["KeyPrefixEquals"] for r in config["RoutingRules"]] == ["small"] * 2
    assert desired.website(["small"], TARGET, None)["IndexDocument"] == {"Suffix": "index.html"}


def test_lifecycle_keeps_foreign_rules_and_bucket_fields() -> None:
    foreign = {"ID": "logs", "Filter": {"Prefix": "logs/"}, "Status": "Enabled"}
    ours_old = {"ID": "imageadmin-gone", "Filter": {"Prefix": "gone/"}, "Status": "Enabled"}
    live = {
        "Rules": [ours_old, foreign],
        "TransitionDefaultMinimumObjectSize": "varies_by_storage_class",
    }

    config = desired.lifecycle([("small", 5)], live)

    assert [r["ID"] for r in config["Rules"]] == [
        "logs",
        "imageadmin-small",
        "imageadmin-small-fmt",
    ]
    assert config["Rules"][1]["Filter"] == {"Prefix": "small/"}
    assert config["Rules"][2]["Filter"] == {"Prefix": "small."}
    assert config["TransitionDefaultMinimumObjectSize"] == "varies_by_storage_class"


@pytest.mark.parametrize(
    ("rule", "unsafe"),
    [
        ({"ID": "imageadmin-small", "Filter": {"Prefix": "small/"}}, False),
        ({"ID": "imageadmin-x", "Filter": {"Prefix": "orig"}}, True),
        ({"ID": "imageadmin-x", "Filter": {"Prefix": "originals/2026/"}}, True),
        ({"ID": "imageadmin-x", "Filter": {"Prefix": "_"}}, True),
        ({"ID": "imageadmin-x", "Filter": {}}, True),  # the whole bucket
        ({"ID": "imageadmin-x", "Filter": {"And": {"Prefix": "originals/"}}}, True),
        ({"ID": "someone-else", "Filter": {"Prefix": ""}}, False),  # not ours to judge
    ],
)
def test_our_rules_never_expire_originals_or_the_config(rule: dict[str, Any], unsafe: bool) -> None:
    protected = desired.protected_prefixes("originals", "_config/presets.json")

    assert bool(desired.unsafe_rules([rule], protected)) is unsafe


@pytest.mark.parametrize(
    ("key", "preset"),
    [
        ("small/originals/a.jpg", "small"),
        ("small.webp/originals/a.jpg", "small"),
        ("small.avif/originals/a.jpg", "small"),
        ("small.gif/originals/a.jpg", None),  # not a key format
        ("small", None),
        ("smallish/originals/a.jpg", "smallish"),
    ],
)
def test_preset_of_key(key: str, preset: str | None) -> None:
    assert desired.preset_of_key(key) == preset


def test_changed_presets_compares_every_contract_field() -> None:
    small = {"name": "small", "width": 150, "height": None, "fit": "inside"}
    large = {"name": "large", "width": 600, "height": None, "fit": "inside"}
    baseline = {"presets": [small, large, {**small, "name": "gone"}]}
    wanted = {"presets": [{**small, "width": 160}, large, {**small, "name": "new"}]}

    changes = desired.changed_presets(baseline, wanted)

    assert [(c.name, c.removed) for c in changes] == [("small", False), ("gone", True)]
    assert changes[0].reason() == "changed: width 150 → 160"
    assert desired.changed_presets(None, wanted) == []


def test_invalidation_paths_are_exact_up_to_1000_then_wildcards() -> None:
    few = {"small": ["small/originals/a b.jpg", "small.webp/originals/a*b.jpg"]}
    assert desired.invalidation_paths(few) == (
        ["/small.webp/originals/a%2Ab.jpg", "/small/originals/a%20b.jpg"],
        False,
    )
    many = {"small": [f"small/originals/{i}.jpg" for i in range(1001)], "large": []}
    assert desired.invalidation_paths(many) == (["/small.*", "/small/*"], True)


def test_website_items_report_changes_per_rule() -> None:
    want = desired.website(["small", "large"], TARGET, None)
    live = desired.website(["small", "old"], TARGET, None)
    live["RoutingRules"][1]["Redirect"]["HttpRedirectCode"] = "301"

    items = diff.website_items(live, want)

    assert [(i.action, i.item) for i in items] == [
        ("change", "routing rule small on 404"),
        ("add", "routing rule large on 403"),
        ("add", "routing rule large on 404"),
        ("remove", "routing rule old on 403"),
        ("remove", "routing rule old on 404"),
    ]
    assert diff.summarize(items) == "2 added, 1 changed, 2 removed"
    assert diff.website_items(want, want) == []
