"""Reconcile Variant rows with the objects in S3 (what the Lambda made, what lifecycle expired).

S3's event notifications keep the rows current (`imageadmin.inventory`); this listing sync is the
reconciler for whatever an event missed (a consumer that was down longer than the queue keeps
messages, an emulator that sends none). Listing only: sizes come from the listing and pixel sizes
are computed from the asset's stored dimensions (`Asset.variant_size`), so a sync downloads
nothing. Rows are marked seen with the sync's start time; rows of a fully listed preset not seen
since are removed. A row written by `generate` while the sync runs is newer than the start, so it
is never removed by mistake.

A preset can have millions of variants, so nothing here grows with the bucket: the listing is
streamed page by page, handled BATCH objects at a time with one query per kind per batch, and the
unseen rows are deleted BATCH primary keys at a time, never loaded all at once.

A sync also prunes the inventory's old ObjectMark rows (`inventory.prune_marks`): the events
consumer only adds them, and the sync is the periodic run that can let them go.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from itertools import batched, chain

from django.utils import timezone

from imageadmin import aws, inventory, storage, versions
from imageadmin.logs import log_event, ms_since
from imageadmin.models import Asset, Job, JobStatus, Preset, Variant, VariantStatus
from imageadmin.variants import SYNC, job_progress, job_running
from resizer_lambda import imaging, keys
from resizer_lambda import presets as contract
from resizer_lambda.errors import ResizerError

logger = logging.getLogger(__name__)

BATCH = 500  # listed objects handled per round of queries


@dataclass
class PresetSync:
    """What one preset's sync found and changed."""

    objects: int = 0  # variant objects listed under the preset's prefixes
    bytes: int = 0  # their total size
    created: int = 0  # rows created for objects the Lambda made
    updated: int = 0  # rows whose size, dimensions or asset changed
    unchanged: int = 0  # rows confirmed as they were (last_seen_at refreshed)
    removed: int = 0  # rows whose object is gone
    orphans: int = 0  # objects with no Asset (left alone: not ours to delete here)
    error: str = ""

    def summary(self, name: str) -> str:
        if self.error:
            return f"{name}: failed: {self.error}"
        return (
            f"{name}: {self.objects} objects, {self.bytes} bytes; {self.created} created, "
            f"{self.updated} updated, {self.unchanged} unchanged, {self.removed} removed, "
            f"{self.orphans} without an asset"
        )


def _sync_batch(
    preset: Preset,
    spec: contract.Preset,
    objects: Sequence[storage.StoredObject],
    names: set[str],
    now: datetime,
    token: str | None = None,
) -> PresetSync:
    """Bring the rows of one listed batch in line; `token` is the preset's served token.

    A row not at the served token (an older one, or an unversioned legacy key) is stale: its
    URL redirects and lifecycle expires it.
    """
    token = token or contract.output_token(spec)
    stats = PresetSync()
    parsed: list[tuple[storage.StoredObject, keys.VariantRequest]] = []
    for obj in objects:
        try:
            request = keys.parse_variant_key(obj.key, names)
        except ResizerError:
            continue  # not a variant key (a stray upload): not counted as this preset's
        if request.preset != preset.name:
            continue
        stats.objects += 1
        stats.bytes += obj.size
        parsed.append((obj, request))
    if not parsed:
        return stats
    originals = {r.original_key for _, r in parsed}
    assets = {a.key: a for a in Asset.objects.filter(original__in=originals)}
    # A row's asset is the one its key names: keys without an asset can have no row.
    owned = [o.key for o, r in parsed if r.original_key in assets]
    rows = {v.key: v for v in Variant.objects.filter(key__in=owned)} if owned else {}
    new: list[Variant] = []
    changed: list[Variant] = []
    seen: list[int] = []
    for obj, request in parsed:
        asset = assets.get(request.original_key)
        if asset is None:
            stats.orphans += 1
            continue
        density = request.density if spec.fit in contract.DENSITY_FITS else 1
        width, height = asset.variant_size(spec, density)
        fmt = imaging.output_format(
            asset.format, spec, None if request.fmt == keys.AUTO else request.fmt
        )
        row_token = request.token or ""
        status = VariantStatus.READY if row_token == token else VariantStatus.STALE
        row = rows.get(obj.key)
        if row is None:
            new.append(
                Variant(
                    asset=asset,
                    preset=preset,
                    format=fmt,
                    key=obj.key,
                    token=row_token,
                    width=width,
                    height=height,
                    bytes=obj.size,
                    status=status,
                    generated_at=obj.last_modified,
                    last_seen_at=now,
                )
            )
            continue
        current = (
            row.bytes, row.width, row.height, row.format, row.asset_id, row.preset_id,
            row.token, row.status,
        )  # fmt: skip
        if current != (obj.size, width, height, fmt, asset.pk, preset.pk, row_token, status):
            row.bytes, row.width, row.height, row.format = obj.size, width, height, fmt
            row.asset, row.preset, row.last_seen_at = asset, preset, now
            row.token, row.status = row_token, status
            changed.append(row)
        else:
            seen.append(row.pk)
    if new:
        # A concurrent generate may insert the same key: keep its row, it is just as true.
        Variant.objects.bulk_create(new, ignore_conflicts=True)
        stats.created = len(new)
    if changed:
        fields = ["bytes", "width", "height", "format", "asset", "preset", "last_seen_at"]
        fields += ["token", "status"]
        Variant.objects.bulk_update(changed, fields)
        stats.updated = len(changed)
    if seen:
        stats.unchanged = Variant.objects.filter(pk__in=seen).update(last_seen_at=now)
    return stats


def sync_preset(preset: Preset, names: set[str], started: datetime) -> PresetSync:
    """List `<preset>/` and `<preset>.` and bring this preset's rows in line with them."""
    total = PresetSync()
    spec = versions.published().spec(preset.name, preset.to_contract())
    token = contract.output_token(spec)
    listing = chain(storage.list_prefix(f"{preset.name}/"), storage.list_prefix(f"{preset.name}."))
    for batch in batched(listing, BATCH):
        stats = _sync_batch(preset, spec, batch, names, timezone.now(), token)
        for field in ("objects", "bytes", "created", "updated", "unchanged", "orphans"):
            setattr(total, field, getattr(total, field) + getattr(stats, field))
    # Only after the whole listing succeeded: a failed listing must not remove rows.
    total.removed = remove_unseen(preset, started)
    return total


def remove_unseen(preset: Preset, started: datetime) -> int:
    """Delete the preset's rows not seen since `started`, BATCH at a time; return how many.

    A plain `QuerySet.delete()` collects every row in memory first whenever a delete signal has
    a receiver (a host project's audit log may connect one for all models); batches of primary
    keys, in key order, keep memory bounded whatever the receivers.
    """
    unseen = Variant.objects.filter(preset=preset, last_seen_at__lt=started).order_by("pk")
    removed = 0
    after = 0
    while True:
        ids = list(unseen.filter(pk__gt=after).values_list("pk", flat=True)[:BATCH])
        if not ids:
            return removed
        deleted, _ = Variant.objects.filter(pk__in=ids).delete()
        removed += deleted
        after = ids[-1]


def sync(job_id: int | None = None) -> dict[str, dict[str, int | str]]:
    """Reconcile every active preset's rows with S3; return the counts per preset.

    Without a job (the beat schedule) a Job row is created, so every run shows in the admin.
    Then marks older than `inventory.MARKS_KEPT` are pruned.
    """
    began = time.monotonic()
    if job_id is None:
        job_id = Job.objects.create(kind=SYNC, total=Preset.objects.active().count()).pk
    job_running(job_id)
    presets = list(Preset.objects.active())
    names = {p.name for p in presets}
    Job.objects.filter(pk=job_id).update(total=len(presets), updated_at=timezone.now())
    log_event(logger, "sync.started", job=job_id, presets=len(presets))
    results: dict[str, PresetSync] = {}
    for preset in presets:
        started = timezone.now()
        preset_began = time.monotonic()
        try:
            results[preset.name] = stats = sync_preset(preset, names, started)
        except aws.AwsError as err:
            log_event(
                logger,
                "sync.preset_failed",
                level=logging.WARNING,
                job=job_id,
                preset=preset.name,
                error=str(err),
            )
            results[preset.name] = stats = PresetSync(error=str(err))
        else:
            fields = asdict(stats)
            del fields["error"]
            log_event(
                logger,
                "sync.preset",
                job=job_id,
                preset=preset.name,
                **fields,
                ms=ms_since(preset_began),
            )
        job_progress(
            job_id,
            done=0 if stats.error else 1,
            failed=1 if stats.error else 0,
            note=stats.summary(preset.name),
        )
    if not presets:
        Job.objects.filter(pk=job_id).update(status=JobStatus.DONE, message="No active presets.")
    pruned = inventory.prune_marks()
    log_event(
        logger,
        "sync.finished",
        level=logging.WARNING if any(s.error for s in results.values()) else logging.INFO,
        job=job_id,
        presets=len(presets),
        failed=sum(1 for s in results.values() if s.error),
        marks_pruned=pruned,
        ms=ms_since(began),
    )
    return {name: asdict(stats) for name, stats in results.items()}
