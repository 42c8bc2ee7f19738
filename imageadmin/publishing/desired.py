"""What AWS should look like for a set of presets: pure functions, no I/O.

Routing rules send a missing variant to the resizer's API, lifecycle rules expire variants, and
a comparison of presets contracts says whose variants are stale. Everything here is a plain
dict in the shapes boto3 takes and S3 returns, so the live state compares with `==`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any
from urllib.parse import quote

from resizer_lambda import keys
from resizer_lambda import presets as contract
from resizer_lambda.errors import BadKey, ConfigError

OWNED_RULE_PREFIX = "imageadmin-"  # lifecycle rule IDs publishing owns; others are left alone
REDIRECT_CODE = "307"  # keeps the method (a HEAD stays a HEAD) and is not cached by CloudFront
MISSING_CODES = ("403", "404")  # 403: S3's answer for a missing key to those who cannot list
MAX_INVALIDATION_PATHS = 1000
MAX_LIFECYCLE_RULES = 1000  # S3's limit per bucket lifecycle configuration
RETIRED_RULE_GRACE_DAYS = 2  # a retired token's rule outlives its expiry by this much
DEFAULT_INDEX_DOCUMENT = {"Suffix": "index.html"}  # what the template sets


class Refused(Exception):
    """Publishing would touch what it must never touch (originals, the config); nothing is done."""


@dataclass(frozen=True)
class ApiTarget:
    """Where the routing rules send a missing variant: <protocol>://<host>/<path>?key=<key>."""

    host: str
    path: str
    protocol: str = "https"


@dataclass(frozen=True)
class PresetChange:
    """A published preset whose variants are stale: its output changed, or it is gone."""

    name: str
    removed: bool
    differences: tuple[str, ...] = ()

    def reason(self) -> str:
        if self.removed:
            return "no longer published (deleted, renamed or deactivated)"
        return "changed: " + ", ".join(self.differences)


@dataclass(frozen=True)
class Retired:
    """An output token of a preset that a publication replaced: its objects are left to expire."""

    name: str
    token: str
    since: datetime

    @property
    def prefix(self) -> str:
        """Return the key prefix of every variant at this token (`@2x` and formats included)."""
        return f"{self.name}.{self.token}"


def snapshot_tokens(snapshot: Mapping[str, Any] | None) -> dict[str, str]:
    """Return {preset: output token} of a presets document ({} if it cannot be read)."""
    if not snapshot:
        return {}
    try:
        config = contract.parse(dict(snapshot))
    except ConfigError:
        return {}
    return {p.name: contract.output_token(p) for p in config.presets}


def retired_tokens(
    history: Sequence[tuple[datetime, Mapping[str, str]]], days: int
) -> list[Retired]:
    """Return the tokens retired within `days` + grace of the last entry of `history`, newest first.

    `history` is (when, {preset: token}) per publication in order, the last being what is (or
    is about to be) published. A token counts from the publication that replaced it; a token
    that is current again (an edit undone) or a preset no longer published (purged exactly) is
    left out, so no rule ever expires what the Lambda serves.
    """
    if not history:
        return []
    now, current = history[-1]
    window = timedelta(days=days + RETIRED_RULE_GRACE_DAYS)
    found: dict[tuple[str, str], datetime] = {}
    for (_, before), (when, after) in pairwise(history):
        for name, token in before.items():
            if name in after and after[name] != token:
                found[(name, token)] = when
    retired = [
        Retired(name, token, when)
        for (name, token), when in found.items()
        if name in current and current[name] != token and now - when <= window
    ]
    return sorted(retired, key=lambda r: (r.since, r.name, r.token), reverse=True)


def retired_rules(retired: Sequence[Retired], days: int, room: int) -> list[dict[str, Any]]:
    """Return a lifecycle rule expiring each retired token's objects after `days` (at most `room`).

    The newest retirements come first, so when S3's rule limit leaves too little room the oldest
    ones (closest to having expired anyway, and still covered by the preset's own rule) go.
    """
    return [
        {
            "Expiration": {"Days": days},
            "ID": f"{OWNED_RULE_PREFIX}retired-{r.name}-{r.token}",
            "Filter": {"Prefix": r.prefix},
            "Status": "Enabled",
        }
        for r in list(retired)[: max(0, room)]
    ]


def routing_rules(names: Iterable[str], target: ApiTarget) -> list[dict[str, Any]]:
    """Return two routing rules per preset (403 and 404) redirecting to the resizer's API.

    S3 replaces the part of the key that KeyPrefixEquals matched with ReplaceKeyPrefixWith, so
    the replacement repeats the preset's name: `small/originals/a.jpg` becomes
    `default/resize?key=small/originals/a.jpg`. The prefix is the bare name, without `/`, so one
    rule also covers the explicit-format keys `small.webp/...`. It also matches another preset
    whose name starts with it (`small` matches `smallish/...`); that is harmless because the
    replacement keeps the rest of the key, so the Lambda still receives `smallish/...` whole.
    """
    path = target.path.strip("/")
    return [
        {
            "Condition": {"HttpErrorCodeReturnedEquals": code, "KeyPrefixEquals": name},
            "Redirect": {
                "HostName": target.host,
                "HttpRedirectCode": REDIRECT_CODE,
                "Protocol": target.protocol,
                "ReplaceKeyPrefixWith": f"{path}?key={name}",
            },
        }
        for name in names
        for code in MISSING_CODES
    ]


def website(
    names: Iterable[str], target: ApiTarget, live: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Return the website configuration: the live index/error documents, our routing rules.

    The stack owns the documents (the template sets IndexDocument) and publishing owns the
    routing rules, all of them: S3 rules carry no ids, so there is no telling whose a rule is.
    """
    live = live or {}
    config: dict[str, Any] = {"IndexDocument": live.get("IndexDocument") or DEFAULT_INDEX_DOCUMENT}
    if live.get("ErrorDocument"):
        config["ErrorDocument"] = live["ErrorDocument"]
    config["RoutingRules"] = routing_rules(names, target)
    return config


def variant_prefixes(name: str) -> tuple[str, str]:
    """Return the key prefixes of a preset's variants: `<name>/` and `<name>.` (formats).

    Never the bare name, which would also match `<name>ish/...`, another preset's variants.
    """
    return f"{name}/", f"{name}."


def owned_lifecycle_rules(expiry: Sequence[tuple[str, int]]) -> list[dict[str, Any]]:
    """Return the lifecycle rules expiring each (preset, days) variant prefix."""
    rules = []
    for name, days in expiry:
        plain, formats = variant_prefixes(name)
        for rule_id, prefix in ((name, plain), (f"{name}-fmt", formats)):
            rules.append(
                {
                    "Expiration": {"Days": days},
                    "ID": f"{OWNED_RULE_PREFIX}{rule_id}",
                    "Filter": {"Prefix": prefix},
                    "Status": "Enabled",
                }
            )
    return rules


def is_owned(rule: Mapping[str, Any]) -> bool:
    return str(rule.get("ID", "")).startswith(OWNED_RULE_PREFIX)


def lifecycle(
    expiry: Sequence[tuple[str, int]],
    live: Mapping[str, Any] | None,
    retired: Sequence[Retired] = (),
    retired_days: int = 30,
) -> dict[str, Any]:
    """Return the lifecycle configuration: others' rules as they are, then ours.

    Rules whose ID does not start with `imageadmin-` belong to someone else (a stack, an
    operator) and are kept untouched and in place; ours are replaced as a whole: two per preset,
    then one per retired token while S3's limit of 1,000 rules leaves room.
    """
    live = live or {}
    foreign = [rule for rule in live.get("Rules", []) if not is_owned(rule)]
    owned = owned_lifecycle_rules(expiry)
    room = MAX_LIFECYCLE_RULES - len(foreign) - len(owned)
    owned += retired_rules(retired, retired_days, room)
    config: dict[str, Any] = {"Rules": foreign + owned}
    if "TransitionDefaultMinimumObjectSize" in live:
        config["TransitionDefaultMinimumObjectSize"] = live["TransitionDefaultMinimumObjectSize"]
    return config


def rule_prefix(rule: Mapping[str, Any]) -> str:
    """Return the key prefix a lifecycle rule applies to ("" is the whole bucket)."""
    flt = rule.get("Filter") or {}
    if "Prefix" in flt:
        return str(flt["Prefix"])
    if "And" in flt:
        return str(flt["And"].get("Prefix", ""))
    if flt:  # a tag or size filter alone still covers every prefix
        return ""
    return str(rule.get("Prefix", ""))


def protected_prefixes(originals_prefix: str, presets_key: str) -> tuple[str, ...]:
    """Return the folders no rule of ours may expire and no purge may touch."""
    config_folder = presets_key.rsplit("/", 1)[0] + "/" if "/" in presets_key else presets_key
    return (originals_prefix.strip("/") + "/", config_folder, "_config/")


def covers(prefix: str, protected: str) -> bool:
    """Return whether keys under `prefix` can lie in `protected` (one contains the other)."""
    return protected.startswith(prefix) or prefix.startswith(protected)


def unsafe_rules(rules: Iterable[Mapping[str, Any]], protected: Sequence[str]) -> list[str]:
    """Return the IDs of our rules that would expire originals or the config."""
    return [
        str(rule["ID"])
        for rule in rules
        if is_owned(rule) and any(covers(rule_prefix(rule), p) for p in protected)
    ]


def preset_of_key(key: str) -> str | None:
    """Return the preset a variant key belongs to (`<name>[.<token>][@2x][.<fmt>]/...`), or None."""
    try:
        return keys.split_head(key)[0].preset
    except BadKey:
        return None


def _by_name(snapshot: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    presets = (snapshot or {}).get("presets") or []
    return {str(p["name"]): dict(p) for p in presets if isinstance(p, dict) and "name" in p}


def changed_presets(
    baseline: Mapping[str, Any] | None, desired: Mapping[str, Any]
) -> list[PresetChange]:
    """Return the presets of `baseline` (the last published contract) whose variants are stale.

    A preset is stale when its contract dict differs (any field: they all shape the output) or
    when its name is gone from `desired`; a rename is the old name gone. A new name has no
    variants yet. Without a baseline nothing is known to be stale.
    """
    old, new = _by_name(baseline), _by_name(desired)
    result = []
    for name, before in old.items():
        after = new.get(name)
        if after is None:
            result.append(PresetChange(name, removed=True))
        elif after != before:
            fields = sorted(set(before) | set(after))
            differences = tuple(
                f"{f} {before.get(f)!r} → {after.get(f)!r}"
                for f in fields
                if before.get(f) != after.get(f)
            )
            result.append(PresetChange(name, removed=False, differences=differences))
    return result


def invalidation_paths(deleted: Mapping[str, Sequence[str]]) -> tuple[list[str], bool]:
    """Return the CloudFront paths for the deleted keys per preset, and whether they are wildcards.

    Each key becomes `/` + the key percent-encoded once (as the CDN URL has it, `@` kept). Beyond
    1,000 paths the preset's two wildcards replace its keys (CloudFront bills wildcards as one
    path each and limits how many paths can be in progress).
    """
    exact = sorted({"/" + quote(key, safe="/@") for keys_ in deleted.values() for key in keys_})
    if len(exact) <= MAX_INVALIDATION_PATHS:
        return exact, False
    return wildcard_paths(name for name, keys_ in deleted.items() if keys_), True


def wildcard_paths(names: Iterable[str]) -> list[str]:
    return sorted(path for name in set(names) for path in (f"/{name}/*", f"/{name}.*"))
