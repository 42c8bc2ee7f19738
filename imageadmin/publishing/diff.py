"""Compare live AWS state with the desired one, item by item and as a unified diff.

Pure functions over the dicts of `desired` and what `aws` read: the admin page and the
command show these rows and diffs before anything is written.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from resizer_lambda import presets as contract
from resizer_lambda.errors import ConfigError

ADD, REMOVE, CHANGE = "add", "remove", "change"


@dataclass(frozen=True)
class Item:
    """One added, removed or changed element (a rule, a preset, a document)."""

    action: str
    item: str
    before: str = ""
    after: str = ""

    def line(self) -> str:
        sign = {ADD: "+", REMOVE: "-", CHANGE: "~"}.get(self.action, "?")
        if self.action == CHANGE:
            return f"{sign} {self.item}: {self.before} -> {self.after}"
        return f"{sign} {self.item}: {self.after or self.before}"


def canonical(value: Any) -> str:
    """Return `value` as stable, readable JSON (None: absent)."""
    if value is None:
        return ""
    return json.dumps(value, indent=2, sort_keys=True, default=str) + "\n"


def compact(value: Any) -> str:
    """Return `value` as one line of JSON ("" for None)."""
    return "" if value is None else json.dumps(value, sort_keys=True, default=str)


def unified(before: str, after: str, name: str) -> str:
    """Return a unified diff of two texts ("" when equal)."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"live/{name}",
        tofile=f"desired/{name}",
    )
    return "".join(lines)


# --- routing rules ------------------------------------------------------------------------------


def _rule_id(rule: Mapping[str, Any]) -> str:
    cond = rule.get("Condition") or {}
    prefix = cond.get("KeyPrefixEquals", "*")
    code = cond.get("HttpErrorCodeReturnedEquals", "any")
    return f"routing rule {prefix!s} on {code!s}"


def _redirect(rule: Mapping[str, Any]) -> str:
    red = rule.get("Redirect") or {}
    where = f"{red.get('Protocol', '')}://{red.get('HostName', '')}/"
    if "ReplaceKeyPrefixWith" in red:
        where += f"{red['ReplaceKeyPrefixWith']}…"
    elif "ReplaceKeyWith" in red:
        where += str(red["ReplaceKeyWith"])
    return f"{red.get('HttpRedirectCode', '301')} {where}"


def website_items(live: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[Item]:
    """Return the differences in documents and routing rules (keyed by prefix and code)."""
    live = live or {}
    items: list[Item] = []
    for doc in ("IndexDocument", "ErrorDocument", "RedirectAllRequestsTo"):
        before, after = live.get(doc), desired.get(doc)
        if before != after:
            action = ADD if before is None else REMOVE if after is None else CHANGE
            items.append(Item(action, doc, compact(before), compact(after)))
    old = {_rule_id(r): r for r in live.get("RoutingRules") or []}
    new = {_rule_id(r): r for r in desired.get("RoutingRules") or []}
    for rule_id, rule in new.items():
        if rule_id not in old:
            items.append(Item(ADD, rule_id, after=_redirect(rule)))
        elif old[rule_id] != rule:
            items.append(Item(CHANGE, rule_id, _redirect(old[rule_id]), _redirect(rule)))
    items.extend(Item(REMOVE, i, before=_redirect(r)) for i, r in old.items() if i not in new)
    if not items and list(old) != list(new):
        items.append(Item(CHANGE, "routing rule order", ", ".join(old), ", ".join(new)))
    if not items and dict(live) != dict(desired):
        items.append(Item(CHANGE, "website configuration", "as in the diff", "rewritten"))
    return items


# --- lifecycle ----------------------------------------------------------------------------------


def _lifecycle_summary(rule: Mapping[str, Any]) -> str:
    flt = rule.get("Filter") or {}
    prefix = flt.get("Prefix", rule.get("Prefix", ""))
    days = (rule.get("Expiration") or {}).get("Days")
    expiry = f"expire after {days} days" if days is not None else "no expiry"
    return f"{prefix or '(whole bucket)'}: {expiry}, {rule.get('Status', '?')}"


def lifecycle_items(live: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[Item]:
    """Return the differences in lifecycle rules, keyed by rule ID."""
    old = {str(r.get("ID", "")): r for r in (live or {}).get("Rules") or []}
    new = {str(r.get("ID", "")): r for r in desired.get("Rules") or []}
    items: list[Item] = []
    for rule_id, rule in new.items():
        name = f"lifecycle rule {rule_id}"
        if rule_id not in old:
            items.append(Item(ADD, name, after=_lifecycle_summary(rule)))
        elif old[rule_id] != rule:
            before, after = _lifecycle_summary(old[rule_id]), _lifecycle_summary(rule)
            if before == after:
                before, after = compact(old[rule_id]), compact(rule)
            items.append(Item(CHANGE, name, before, after))
    items.extend(
        Item(REMOVE, f"lifecycle rule {i}", before=_lifecycle_summary(r))
        for i, r in old.items()
        if i not in new
    )
    if not items and live != desired:
        items.append(Item(CHANGE, "lifecycle configuration", "as in the diff", "rewritten"))
    return items


# --- the presets JSON ---------------------------------------------------------------------------


def _describe_preset(p: Mapping[str, Any]) -> str:
    size = f"{p.get('width')}x{p.get('height') or 'auto'}"
    return f"{size} {p.get('fit')} {p.get('format')} q{p.get('quality')}"


def presets_items(
    live_text: str | None, live_cache_control: str, desired_text: str, cache_control: str
) -> list[Item]:
    """Return the differences between the live and the desired presets documents."""
    if live_text is None:
        return [Item(ADD, "presets JSON", after="written (absent from S3)")]
    items: list[Item] = []
    try:
        live = contract.loads(live_text, "live").to_dict()
    except ConfigError as err:
        items.append(Item(CHANGE, "presets JSON", f"invalid ({err.message})", "replaced"))
        live = None
    desired = json.loads(desired_text)
    if live is not None:
        old = {p["name"]: p for p in live["presets"]}
        new = {p["name"]: p for p in desired["presets"]}
        for name, preset in new.items():
            if name not in old:
                items.append(Item(ADD, f"preset {name}", after=_describe_preset(preset)))
            elif old[name] != preset:
                changed = [f for f in preset if preset[f] != old[name].get(f)]
                before = ", ".join(f"{f} {old[name].get(f)!r}" for f in changed)
                after = ", ".join(f"{f} {preset[f]!r}" for f in changed)
                items.append(Item(CHANGE, f"preset {name}", before, after))
        items.extend(
            Item(REMOVE, f"preset {n}", before=_describe_preset(p))
            for n, p in old.items()
            if n not in new
        )
        for field in ("schema_version", "cache_control", "limits"):
            if live.get(field) != desired.get(field):
                items.append(Item(CHANGE, field, str(live.get(field)), str(desired.get(field))))
        if list(old) != list(new) and set(old) == set(new):
            items.append(Item(CHANGE, "preset order", ", ".join(old), ", ".join(new)))
    if live_cache_control != cache_control:
        items.append(Item(CHANGE, "Cache-Control header", live_cache_control, cache_control))
    if not items and live_text != desired_text:
        items.append(Item(CHANGE, "presets JSON", "formatted differently", "rewritten"))
    return items


def summarize(items: Sequence[Item]) -> str:
    """Return "2 added, 1 changed" for a list of items ("no change" when empty)."""
    counts = {a: sum(1 for i in items if i.action == a) for a in (ADD, CHANGE, REMOVE)}
    words = {ADD: "added", CHANGE: "changed", REMOVE: "removed"}
    parts = [f"{n} {words[a]}" for a, n in counts.items() if n]
    return ", ".join(parts) or "no change"
