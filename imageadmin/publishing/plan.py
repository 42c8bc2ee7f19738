"""Read the live AWS state and compute what publishing the presets would change (reads only).

The plan is what the admin page and `publish --dry-run` show, and what `apply` executes: the
presets JSON, the website and lifecycle configurations (live vs desired), the presets whose
variants are stale since the last successful publication, and invalidations still owed by
publications that failed after purging.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from imageadmin import storage
from imageadmin.conf import conf
from imageadmin.models import Preset, Publication, PublicationStatus, Variant
from imageadmin.presets import build_config
from imageadmin.publishing import bucket, desired, diff
from resizer_lambda import presets as contract
from resizer_lambda.errors import ConfigError

PRESETS_JSON, WEBSITE, LIFECYCLE = "presets_json", "website", "lifecycle"
SETTLE, PURGE, INVALIDATE = "settle", "purge", "invalidate"
TITLES = {
    PRESETS_JSON: "Presets JSON",
    WEBSITE: "Website routing rules",
    LIFECYCLE: "Lifecycle rules",
    SETTLE: "Wait for the Lambda to re-read the presets",
    PURGE: "Purge stale variants",
    INVALIDATE: "CloudFront invalidation",
}
CONFIG_CACHE_CONTROL = "no-store"


@dataclass(frozen=True)
class ConfigStep:
    """One configuration document: what S3 holds, what it should hold, and how they differ."""

    name: str
    live: Any  # None: absent
    desired: Any
    items: tuple[diff.Item, ...]
    diff: str
    request_id: str  # of the read

    @property
    def changed(self) -> bool:
        return bool(self.items)

    @property
    def title(self) -> str:
        return TITLES[self.name]

    def summary(self) -> str:
        absent = " (absent from AWS)" if self.live is None else ""
        return diff.summarize(self.items) + absent


@dataclass(frozen=True)
class PurgeItem:
    """A preset whose published variants are stale, with what is there now."""

    change: desired.PresetChange
    objects: int
    rows: int


@dataclass(frozen=True)
class NewUrls:
    """A published preset whose output changed: new token, new URLs; nothing is purged.

    Its old URLs redirect to the new ones (the Lambda answers 301) and the objects at the old
    token expire through a lifecycle rule (`desired.retired_rules`).
    """

    change: desired.PresetChange
    old_token: str
    new_token: str
    rows: int  # Variant rows of the preset not at the new token (retired from now on)


@dataclass
class Plan:
    """Everything a publication would do, computed from the database and a read of AWS."""

    config: contract.Config
    text: str  # the presets JSON to write
    steps: list[ConfigStep]
    purges: list[PurgeItem]
    baseline: str  # where the comparison for stale presets comes from
    new_urls: list[NewUrls] = field(default_factory=list)
    retired: list[desired.Retired] = field(default_factory=list)
    pending_paths: list[str] = field(default_factory=list)
    pending_names: list[str] = field(default_factory=list)
    config_last_modified: datetime | None = None
    distribution_id: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def snapshot(self) -> dict[str, Any]:
        return self.config.to_dict()

    @property
    def changes_anything(self) -> bool:
        return any(s.changed for s in self.steps) or bool(self.purges or self.pending_paths)

    def served_tokens(self) -> dict[str, str]:
        """Return {preset: token} of the presets this plan publishes."""
        return {p.name: contract.output_token(p) for p in self.config.presets}

    def step(self, name: str) -> ConfigStep:
        return next(s for s in self.steps if s.name == name)

    def as_dict(self) -> dict[str, Any]:
        """Return the plan as JSON for Publication.changes."""
        return {
            "baseline": self.baseline,
            # A list, not a dict: PostgreSQL's jsonb does not keep the order of object keys.
            "config": [
                {
                    "name": s.name,
                    "summary": s.summary(),
                    "items": [i.line() for i in s.items],
                    "diff": s.diff,
                }
                for s in self.steps
            ],
            "purge": [
                {
                    "preset": p.change.name,
                    "reason": p.change.reason(),
                    "objects": p.objects,
                    "rows": p.rows,
                }
                for p in self.purges
            ],
            "new_urls": [
                {
                    "preset": n.change.name,
                    "reason": n.change.reason(),
                    "old_token": n.old_token,
                    "new_token": n.new_token,
                    "rows": n.rows,
                }
                for n in self.new_urls
            ],
            "retired_tokens": [f"{r.prefix} (since {r.since:%Y-%m-%d})" for r in self.retired],
            "pending_invalidation": {"presets": self.pending_names, "paths": self.pending_paths},
            "notes": self.notes,
        }


def api_target() -> desired.ApiTarget:
    return desired.ApiTarget(
        host=conf.IMAGEADMIN_API_HOST,
        path=conf.IMAGEADMIN_API_PATH,
        protocol=conf.IMAGEADMIN_API_PROTOCOL,
    )


def expiry(config: contract.Config) -> list[tuple[str, int]]:
    """Return (preset, days) for each published preset: its expire_days, else the default."""
    default = int(conf.IMAGEADMIN_VARIANT_EXPIRE_DAYS)
    days = dict(Preset.objects.filter(name__in=config.names).values_list("name", "expire_days"))
    return [(p.name, days.get(p.name) or default) for p in config.presets]


def retired(config: contract.Config) -> list[desired.Retired]:
    """Return the tokens retired recently enough to still need a lifecycle rule.

    Read from the succeeded publications of the last IMAGEADMIN_RETIRED_VARIANT_DAYS + 2 days
    (and the one before them), followed by what this publication publishes.
    """
    days = int(conf.IMAGEADMIN_RETIRED_VARIANT_DAYS)
    now = timezone.now()
    since = now - timedelta(days=days + desired.RETIRED_RULE_GRACE_DAYS)
    done = Publication.objects.filter(status=PublicationStatus.SUCCEEDED, dry_run=False)
    recent = list(done.filter(created_at__gte=since).order_by("created_at", "id"))
    before = done.filter(created_at__lt=since).order_by("-created_at", "-id").first()
    pubs = ([before] if before is not None else []) + recent
    history = [(p.created_at, desired.snapshot_tokens(p.snapshot)) for p in pubs]
    history.append((now, desired.snapshot_tokens(config.to_dict())))
    return desired.retired_tokens(history, days)


def protected() -> tuple[str, ...]:
    return desired.protected_prefixes(conf.IMAGEADMIN_ORIGINALS_PREFIX, conf.IMAGEADMIN_PRESETS_KEY)


def last_success() -> Publication | None:
    return (
        Publication.objects.filter(status=PublicationStatus.SUCCEEDED, dry_run=False)
        .order_by("-created_at", "-id")
        .first()
    )


def variant_rows(name: str) -> QuerySet[Variant]:
    a, b = desired.variant_prefixes(name)
    return Variant.objects.filter(Q(key__startswith=a) | Q(key__startswith=b))


def variant_keys(name: str) -> list[str]:
    """Return the keys of a preset's variant objects in S3 (both prefixes, listed)."""
    for prefix in desired.variant_prefixes(name):
        if any(desired.covers(prefix, p) for p in protected()):
            raise desired.Refused(f"refusing to purge {prefix!r}: originals or config live there")
    return [
        obj.key
        for prefix in desired.variant_prefixes(name)
        for obj in storage.list_prefix(prefix)
        if desired.preset_of_key(obj.key) == name
    ]


def _pending(since: Publication | None) -> tuple[list[str], list[str]]:
    """Return invalidation paths (and presets) that failed publications purged but never sent."""
    failed = Publication.objects.filter(status=PublicationStatus.FAILED, dry_run=False)
    if since is not None:
        failed = failed.filter(created_at__gte=since.created_at).exclude(pk=since.pk)
    paths: set[str] = set()
    names: set[str] = set()
    for pub in failed:
        outcomes = {s.get("name"): s for s in pub.steps or []}
        purge, invalidate = outcomes.get(PURGE) or {}, outcomes.get(INVALIDATE) or {}
        if invalidate.get("outcome") == "ok":
            continue
        owed = (purge.get("data") or {}).get("invalidation_paths") or []
        if owed:
            paths.update(owed)
            names.update((purge.get("data") or {}).get("deleted", {}).keys())
    return sorted(paths), sorted(names)


def _baseline(live_text: str | None) -> tuple[dict[str, Any] | None, str, Publication | None]:
    success = last_success()
    if success is not None:
        when = success.created_at.strftime("%Y-%m-%d %H:%M UTC")
        return success.snapshot, f"publication #{success.pk} ({when})", success
    if live_text is not None:
        try:
            return (
                contract.loads(live_text, "live").to_dict(),
                "the presets JSON in S3 (no successful publication recorded)",
                None,
            )
        except ConfigError:
            pass
    return None, "none: nothing was published before, so no variant is known to be stale", None


def build_plan(*, count_objects: bool = True) -> Plan:
    """Read AWS and the database and return what publishing would do. Writes nothing.

    Raises ConfigError when the presets are not valid for the Lambda, an `imageadmin.aws` error
    when AWS cannot be read, and desired.Refused when a rule or purge would touch originals or
    config.
    """
    config = build_config()
    text = config.to_json()
    contract.loads(text, "publish")  # re-read exactly as the Lambda will
    key = conf.IMAGEADMIN_PRESETS_KEY

    stored = bucket.read_config(key)
    live_obj: bucket.StoredConfig | None = stored.value
    live_text = live_obj.body.decode("utf-8", "replace") if live_obj else None
    live_cc = live_obj.cache_control if live_obj else ""
    items = diff.presets_items(live_text, live_cc, text, CONFIG_CACHE_CONTROL)
    json_step = ConfigStep(
        PRESETS_JSON,
        live_text,
        text,
        tuple(items),
        diff.unified(live_text or "", text, key),
        stored.request_id,
    )

    names = [p.name for p in config.presets]
    site = bucket.read_website()
    want_site = desired.website(names, api_target(), site.value)
    site_step = ConfigStep(
        WEBSITE,
        site.value,
        want_site,
        tuple(diff.website_items(site.value, want_site)),
        diff.unified(diff.canonical(site.value), diff.canonical(want_site), "website.json"),
        site.request_id,
    )

    life = bucket.read_lifecycle()
    retiring = retired(config)
    retired_days = int(conf.IMAGEADMIN_RETIRED_VARIANT_DAYS)
    want_life = desired.lifecycle(expiry(config), life.value, retiring, retired_days)
    unsafe = desired.unsafe_rules(want_life["Rules"], protected())
    if unsafe:
        raise desired.Refused(f"lifecycle rules {unsafe} would expire originals or the config")
    life_step = ConfigStep(
        LIFECYCLE,
        life.value,
        want_life,
        tuple(diff.lifecycle_items(life.value, want_life)),
        diff.unified(diff.canonical(life.value), diff.canonical(want_life), "lifecycle.json"),
        life.request_id,
    )

    snapshot, baseline, success = _baseline(live_text)
    purges = []
    new_urls = []
    old_tokens = desired.snapshot_tokens(snapshot)
    new_tokens = desired.snapshot_tokens(config.to_dict())
    for change in desired.changed_presets(snapshot, config.to_dict()):
        if change.removed:  # deleted or renamed: its URLs stop working, purged exactly
            objects = len(variant_keys(change.name)) if count_objects else 0
            purges.append(PurgeItem(change, objects, variant_rows(change.name).count()))
            continue
        old, new = old_tokens.get(change.name, ""), new_tokens[change.name]
        if old != new:  # new pixels, new URLs; a change that keeps the token needs nothing
            retiring_rows = variant_rows(change.name).exclude(token=new).count()
            new_urls.append(NewUrls(change, old, new, retiring_rows))
    pending_paths, pending_names = _pending(success)
    plan = Plan(
        config=config,
        text=text,
        steps=[json_step, site_step, life_step],
        purges=purges,
        baseline=baseline,
        new_urls=new_urls,
        retired=retiring,
        pending_paths=pending_paths,
        pending_names=pending_names,
        config_last_modified=live_obj.last_modified if live_obj else None,
        distribution_id=str(conf.IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID or ""),
    )
    if not plan.distribution_id:
        plan.notes.append(
            "IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID is empty: no CloudFront invalidation is made."
        )
    if pending_paths:
        plan.notes.append(
            f"{len(pending_paths)} path(s) purged by a failed publication were never "
            "invalidated; this publication invalidates them."
        )
    return plan
