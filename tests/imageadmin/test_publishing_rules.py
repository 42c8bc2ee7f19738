"""The pure side of publishing: routing and lifecycle rules, stale presets, invalidation paths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
        # Versioned heads start with `small.` too: the same two rules route them.
        ("small.0a1b2c3d/originals/a.jpg", "default/resize?key=small.0a1b2c3d/originals/a.jpg"),
        (
            "small.0a1b2c3d@2x.avif/originals/a.jpg",
            "default/resize?key=small.0a1b2c3d@2x.avif/originals/a.jpg",
        ),
        ("small.0a1b2c3d.auto/o/a.jpg", "default/resize?key=small.0a1b2c3d.auto/o/a.jpg"),
        ("small@2x/originals/a.jpg", "default/resize?key=small@2x/originals/a.jpg"),
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
        ("small.0a1b2c3d/originals/a.jpg", "small"),
        ("small.0a1b2c3d@2x.webp/originals/a.jpg", "small"),
        ("small.0A1B2C3D/originals/a.jpg", None),  # uppercase: not a token
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


DAY = timedelta(days=1)
T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("history", "retired"),
    [
        # Nothing changed: nothing retired.
        ([(T0, {"small": "aaaaaaaa"}), (T0 + DAY, {"small": "aaaaaaaa"})], []),
        # A change retires the old token from the publication that replaced it.
        (
            [(T0, {"small": "aaaaaaaa"}), (T0 + DAY, {"small": "bbbbbbbb"})],
            [("small", "aaaaaaaa", T0 + DAY)],
        ),
        # Two changes: both old tokens, newest first.
        (
            [
                (T0, {"small": "aaaaaaaa"}),
                (T0 + DAY, {"small": "bbbbbbbb"}),
                (T0 + 2 * DAY, {"small": "cccccccc"}),
            ],
            [("small", "bbbbbbbb", T0 + 2 * DAY), ("small", "aaaaaaaa", T0 + DAY)],
        ),
        # An edit undone: the token is current again, so no rule may expire it.
        (
            [
                (T0, {"small": "aaaaaaaa"}),
                (T0 + DAY, {"small": "bbbbbbbb"}),
                (T0 + 2 * DAY, {"small": "aaaaaaaa"}),
            ],
            [("small", "bbbbbbbb", T0 + 2 * DAY)],
        ),
        # A deleted preset is purged exactly: no rule.
        ([(T0, {"small": "aaaaaaaa"}), (T0 + DAY, {"small": "bbbbbbbb"}), (T0 + 2 * DAY, {})], []),
        # Older than days + 2: the objects have expired, the rule goes.
        (
            [(T0, {"small": "aaaaaaaa"}), (T0 + DAY, {"small": "bbbbbbbb"}),
             (T0 + 34 * DAY, {"small": "bbbbbbbb"})],
            [],
        ),
        (
            [(T0, {"small": "aaaaaaaa"}), (T0 + DAY, {"small": "bbbbbbbb"}),
             (T0 + 33 * DAY, {"small": "bbbbbbbb"})],
            [("small", "aaaaaaaa", T0 + DAY)],
        ),
    ],
)  # fmt: skip
def test_retired_tokens(
    history: list[tuple[datetime, dict[str, str]]], retired: list[tuple[str, str, datetime]]
) -> None:
    found = desired.retired_tokens(history, days=30)
    assert [(r.name, r.token, r.since) for r in found] == retired


def test_lifecycle_adds_a_rule_per_retired_token_within_s3s_limit() -> None:
    foreign = [{"ID": f"other-{i}", "Filter": {"Prefix": f"x{i}/"}} for i in range(990)]
    retired = [
        desired.Retired("small", f"{i:08x}", T0 - i * DAY) for i in range(20)
    ]  # newest first, as retired_tokens returns them

    config = desired.lifecycle([("small", 30), ("medium", 30)], {"Rules": foreign}, retired, 7)

    rules = config["Rules"]
    assert len(rules) == desired.MAX_LIFECYCLE_RULES
    ours = [r for r in rules if r["ID"].startswith("imageadmin-retired-")]
    assert len(ours) == 1000 - 990 - 4  # the newest six retirements
    assert ours[0] == {
        "Expiration": {"Days": 7},
        "ID": "imageadmin-retired-small-00000000",
        "Filter": {"Prefix": "small.00000000"},
        "Status": "Enabled",
    }
    protected = desired.protected_prefixes("originals", "_config/presets.json")
    assert desired.unsafe_rules(rules, protected) == []


def test_snapshot_tokens_read_v1_and_v2_documents_alike() -> None:
    v1 = {"schema_version": 1, "presets": [{"name": "small", "width": 150}]}
    v2 = {"schema_version": 2, "presets": [{"name": "small", "width": 150, "negotiate": True}]}
    assert desired.snapshot_tokens(v1) == desired.snapshot_tokens(v2)
    assert desired.snapshot_tokens({"schema_version": 9}) == {}
    assert desired.snapshot_tokens(None) == {}
