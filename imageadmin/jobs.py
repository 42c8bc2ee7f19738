"""Enqueue the app's Celery tasks by name once the transaction commits: how services start work.

The task module imports the services it runs, so the services must not import it back: they
name a task here instead, and Celery's registry finds it (`ImageadminConfig.ready` imports
`imageadmin.tasks`, so the names are registered in every process that loads the app).
Arguments are ids and strings only (JSON), never model instances. A task is sent once the
caller's transaction commits, so a worker never looks for rows it cannot see yet; with
`CELERY_TASK_ALWAYS_EAGER` (a site without a broker) it runs right there instead.

It also logs a job's progress at coarse steps and its end (`log_progress`), the events
`job.progress` and `job.finished` (docs/integrate.md, "Logs").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from celery import current_app
from django.db import transaction

from imageadmin.logs import duration_ms, log_event
from imageadmin.models import Job, JobStatus

logger = logging.getLogger(__name__)

GENERATE_VARIANTS = "imageadmin.tasks.generate_variants"
PURGE_VARIANTS = "imageadmin.tasks.purge_variants"
SYNC_VARIANTS = "imageadmin.tasks.sync_variants"
PUBLISH_PRESETS = "imageadmin.tasks.publish_presets"
PROGRESS_STEPS = 4  # job.progress is logged at each quarter of a job's units

Arg = int | str | list[int] | list[str] | None


@dataclass(frozen=True)
class Send:
    """One task message: the task's registered name and its (JSON) arguments."""

    task: str
    args: tuple[Arg, ...] = ()


def send(message: Send) -> None:
    """Send one task message now (eagerly run when the app says so)."""
    current_app.tasks[message.task].delay(*message.args)


def send_on_commit(
    messages: Sequence[Send], on_unreachable: Callable[[Exception], None], what: str
) -> None:
    """Send `messages` once the transaction commits; report a queue that cannot be reached.

    A broker that refuses the first message refuses the rest too, so the first failure stops
    the sending and is handed to `on_unreachable` (which marks the job failed with the reason);
    `what` names the job in the log.
    """

    def send_all() -> None:
        try:
            for message in messages:
                send(message)
        except Exception as err:
            log_event(logger, "job.enqueue_failed", level=logging.ERROR, exc_info=True, what=what)
            on_unreachable(err)

    transaction.on_commit(send_all)


def unreachable(err: Exception) -> str:
    """Return the sentence a job shows when the task queue could not be reached."""
    return f"Could not reach the task queue: {err}"


def log_progress(job_id: int, units: int, at: datetime) -> None:
    """Log `job.progress` when these `units` crossed a quarter, `job.finished` when they closed it.

    Called by `variants.job_progress` right after its counter and closing updates, both made
    with `updated_at=at`. Exactly one caller's update closes a job; the caller that still finds
    its own `at` on the closed job is that one, so the end is logged at most once (only a task
    delivered twice that writes in between could leave it unlogged). Progress lines are coarse:
    with tasks of one job on several workers a quarter may be logged twice or not at all. Costs
    one query, and only when INFO is logged.
    """
    if not units or not logger.isEnabledFor(logging.INFO):
        return
    fields = ("kind", "status", "total", "done", "failed", "created_at", "updated_at")
    row = Job.objects.filter(pk=job_id).values(*fields).first()
    if row is None:
        return
    total, count = row["total"], row["done"] + row["failed"]
    common = {"job": job_id, "kind": row["kind"], "total": total}
    common |= {"done": row["done"], "failed": row["failed"]}
    if row["status"] in (JobStatus.DONE, JobStatus.FAILED):
        if row["updated_at"] == at and count - units < total:
            failed = row["status"] == JobStatus.FAILED
            log_event(
                logger,
                "job.finished",
                level=logging.WARNING if failed else logging.INFO,
                **common,
                status=row["status"],
                ms=duration_ms(row["created_at"], at),
            )
        return
    if total and (count * PROGRESS_STEPS) // total > ((count - units) * PROGRESS_STEPS) // total:
        log_event(logger, "job.progress", **common, percent=count * 100 // total)
