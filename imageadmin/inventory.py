"""Keep Variant rows in step with the bucket, from S3's own event notifications.

The Lambda writes variants, lifecycle rules expire them and publishing deletes them; none of
that goes through Django. S3 reports each as an event (ObjectCreated, ObjectRemoved,
LifecycleExpiration) to an SQS queue (the stack's EventsQueue; `make run` wires moto's S3 to
moto's SQS the same way), and `manage.py consume_variant_events` feeds them here, so the admin's
figures are true within seconds instead of after the hourly listing sync (`reconcile`), which
stays as the reconciler of anything an event missed.

S3 delivers at least once and in any order. Every event carries a `sequencer` that orders the
events of one key; the newest applied per key is kept in an ObjectMark (also after a delete), so
a redelivered or late event changes nothing. Applying a batch is one transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import unquote_plus

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from imageadmin import versions
from imageadmin.models import Asset, ObjectMark, Preset, Variant, VariantStatus
from resizer_lambda import imaging, keys
from resizer_lambda import presets as contract
from resizer_lambda.errors import ResizerError

logger = logging.getLogger(__name__)

CREATED = ("ObjectCreated:",)
REMOVED = ("ObjectRemoved:", "LifecycleExpiration:")
MARKS_KEPT = timedelta(days=7)  # far longer than SQS keeps a message (4 days by default)


class BadMessage(ValueError):
    """A queue message that is not an S3 event notification (left for the dead-letter queue)."""


@dataclass(frozen=True)
class ObjectEvent:
    """One object created or removed, as S3 reported it."""

    key: str
    created: bool
    size: int
    sequencer: str
    time: datetime


@dataclass
class Applied:
    """What a batch of events changed."""

    created: int = 0  # rows made for new variant objects
    updated: int = 0  # rows whose object was written again
    removed: int = 0  # rows whose object is gone
    skipped: int = 0  # redelivered, or older than an event already applied
    not_variants: int = 0  # originals, the presets JSON, stray keys
    orphans: int = 0  # variants of an original that has no Asset
    keys: list[str] = field(default_factory=list)


def _event(record: object) -> ObjectEvent | None:
    if not isinstance(record, dict):
        raise BadMessage("a record is not an object")
    name = str(record.get("eventName", ""))
    created = name.startswith(CREATED)
    if not created and not name.startswith(REMOVED):
        return None  # restores, tagging, ACLs: nothing to count
    try:
        obj = record["s3"]["object"]
        key = unquote_plus(str(obj["key"]))  # S3 form-encodes keys in events
        sequencer = str(obj.get("sequencer", ""))
        size = int(obj.get("size") or 0)
    except (KeyError, TypeError, ValueError) as err:
        raise BadMessage(f"an {name} record without s3.object key/size: {err}") from err
    when = parse_datetime(str(record.get("eventTime", ""))) or timezone.now()
    return ObjectEvent(key, created, size, sequencer, when)


def parse_message(body: str) -> list[ObjectEvent]:
    """Return the object events in one SQS message body ([] for S3's s3:TestEvent).

    Raise BadMessage for anything that is not an S3 notification.
    """
    try:
        doc = json.loads(body)
    except ValueError as err:
        raise BadMessage(f"not JSON: {err}") from err
    if not isinstance(doc, dict):
        raise BadMessage("not a JSON object")
    if doc.get("Event") == "s3:TestEvent":
        return []
    records = doc.get("Records")
    if not isinstance(records, list):
        raise BadMessage("no Records list: not an S3 event notification")
    return [e for e in (_event(r) for r in records) if e is not None]


def sequence_key(sequencer: str) -> str:
    """Return `sequencer` in a form that compares in event order (S3: right-pad, then compare)."""
    return sequencer.upper().ljust(32, "0")


def order_key(event: ObjectEvent) -> str:
    """Return what orders `event` among the events of its key.

    S3 always sends a sequencer for puts and deletes; an emulator may not (moto), and then the
    event time orders them, an equal time counting as newer (the later arrival wins).
    """
    if event.sequencer:
        return sequence_key(event.sequencer)
    return "~" + event.time.isoformat()


def _is_older(event: ObjectEvent, applied: str) -> bool:
    mine = order_key(event)
    return mine < applied or (mine == applied and bool(event.sequencer))


def _newest_per_key(events: Iterable[ObjectEvent]) -> dict[str, ObjectEvent]:
    newest: dict[str, ObjectEvent] = {}
    for event in events:
        seen = newest.get(event.key)
        if seen is None or order_key(event) >= order_key(seen):
            newest[event.key] = event
    return newest


def _write_rows(
    created: list[tuple[ObjectEvent, keys.VariantRequest]],
    presets: dict[str, Preset],
    result: Applied,
    now: datetime,
    served: versions.Published,
) -> None:
    assets = {
        a.key: a for a in Asset.objects.filter(original__in={r.original_key for _, r in created})
    }
    rows = {v.key: v for v in Variant.objects.filter(key__in=[e.key for e, _ in created])}
    for event, request in created:
        asset = assets.get(request.original_key)
        if asset is None:
            result.orphans += 1
            continue
        preset = presets[request.preset]
        spec = served.spec(preset.name, preset.to_contract())
        current = served.is_current(preset.name, request.token, spec)
        density = request.density if spec.fit in contract.DENSITY_FITS else 1
        width, height = asset.variant_size(spec, density)
        fmt = None if request.fmt == keys.AUTO else request.fmt
        values = {
            "asset": asset,
            "preset": preset,
            "token": request.token or "",
            "format": imaging.output_format(asset.format, spec, fmt),
            "width": width,
            "height": height,
            "bytes": event.size,
            # Not at the served token: retired (its URL redirects), counted as stale.
            "status": VariantStatus.READY if current else VariantStatus.STALE,
            "generated_at": event.time,
            "last_seen_at": now,
        }
        row = rows.get(event.key)
        if row is None:
            Variant.objects.create(key=event.key, **values)
            result.created += 1
        else:
            Variant.objects.filter(pk=row.pk).update(**values)
            result.updated += 1
        result.keys.append(event.key)


def apply(events: Sequence[ObjectEvent]) -> Applied:
    """Apply a batch of object events to the Variant rows; return what changed (idempotent)."""
    result = Applied()
    newest = _newest_per_key(events)
    result.skipped = len(events) - len(newest)
    if not newest:
        return result
    now = timezone.now()
    presets = {p.name: p for p in Preset.objects.all()}
    with transaction.atomic():
        marks = {
            m.key: m for m in ObjectMark.objects.select_for_update().filter(key__in=list(newest))
        }
        created: list[tuple[ObjectEvent, keys.VariantRequest]] = []
        removed: list[str] = []
        new_marks: list[ObjectMark] = []
        for key, event in newest.items():
            mark = marks.get(key)
            if mark is not None and _is_older(event, mark.sequencer):
                result.skipped += 1
                continue
            try:
                request = keys.parse_variant_key(key, presets)
            except ResizerError:
                result.not_variants += 1
                continue
            new_marks.append(
                ObjectMark(
                    key=key, sequencer=order_key(event), present=event.created, updated_at=now
                )
            )
            if event.created:
                created.append((event, request))
            else:
                removed.append(key)
        _write_rows(created, presets, result, now, versions.published())
        if removed:
            result.removed, _ = Variant.objects.filter(key__in=removed).delete()
            result.keys += removed
        ObjectMark.objects.bulk_create(
            new_marks,
            update_conflicts=True,
            unique_fields=["key"],
            update_fields=["sequencer", "present", "updated_at"],
        )
    return result


def prune_marks(now: datetime | None = None) -> int:
    """Delete marks older than MARKS_KEPT (no event that old can still arrive); return how many."""
    cutoff = (now or timezone.now()) - MARKS_KEPT
    deleted, _ = ObjectMark.objects.filter(updated_at__lt=cutoff).delete()
    return deleted
