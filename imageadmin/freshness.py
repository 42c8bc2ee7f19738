"""Say how current the admin's variant figures are: live from S3 events, and when last synced.

Counts, storage bars, the impact of a preset change and the rows a publication purges are all
read from Variant rows, which follow the bucket in two ways: S3's event notifications
(`imageadmin.inventory`, within seconds) where IMAGEADMIN_EVENTS_QUEUE_URL is set, and the
listing sync (`imageadmin.reconcile`) whenever it last ran. A figure whose age nobody can see is
trusted or doubted blindly, so every such figure carries this sentence, and "Sync now" beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timesince import timesince

from imageadmin.conf import conf
from imageadmin.models import Job, JobStatus, ObjectMark
from imageadmin.variants import SYNC

ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
# A sync job silent for this long died with its worker: it no longer stops "Sync now".
ABANDONED_AFTER = timedelta(minutes=30)


def ago(moment: datetime, now: datetime | None = None) -> str:
    """Return "2026-12-02 10:04 (5 minutes ago)" in the current time zone."""
    now = now or timezone.now()
    stamp = date_format(timezone.localtime(moment), "Y-m-d H:i")
    if now - moment < timedelta(minutes=1):
        return f"{stamp} (just now)"
    return f"{stamp} ({timesince(moment, now, depth=1)} ago)"


@dataclass(frozen=True)
class Freshness:
    """Where the Variant rows' figures come from, and how old each source is."""

    synced_at: datetime | None = None  # when the last sync that completed finished
    sync_job: int | None = None  # that sync's job
    running_job: int | None = None  # a sync queued or running now
    events: bool = False  # S3 events keep the rows current (a queue is configured)
    last_event_at: datetime | None = None  # when the consumer last applied an event

    def text(self, now: datetime | None = None) -> str:
        """Return the sentence shown beside the figures."""
        now = now or timezone.now()
        synced = f"last synced {ago(self.synced_at, now)}" if self.synced_at else "never synced"
        if self.events:
            last = f"last event {ago(self.last_event_at, now)}" if self.last_event_at else ""
            source = "live from S3 events" + (f" ({last})" if last else "")
            parts = [source, synced]
        elif self.synced_at:
            parts = [f"from the listing sync: {synced}"]
        else:
            parts = ["never synced with S3: only what imageadmin made itself is counted"]
        if self.running_job is not None:
            parts.append(f"a sync is running (job #{self.running_job})")
        text = "; ".join(parts)
        return text[0].upper() + text[1:] + "."


def current() -> Freshness:
    """Return the Freshness of the Variant rows now (three small queries)."""
    last = (
        Job.objects.filter(kind=SYNC, status=JobStatus.DONE).order_by("-updated_at", "-id").first()
    )
    running = running_sync()
    events = bool(conf.IMAGEADMIN_EVENTS_QUEUE_URL)
    last_event = ObjectMark.objects.aggregate(at=Max("updated_at"))["at"] if events else None
    return Freshness(
        synced_at=last.updated_at if last else None,
        sync_job=last.pk if last else None,
        running_job=running.pk if running else None,
        events=events,
        last_event_at=last_event,
    )


def running_sync() -> Job | None:
    """Return the sync job queued or running now, if any (one at a time is enough)."""
    alive = timezone.now() - ABANDONED_AFTER
    active = Job.objects.filter(kind=SYNC, status__in=ACTIVE, updated_at__gte=alive)
    return active.order_by("-id").first()
