"""Enqueue the app's Celery tasks by name once the transaction commits: how services start work.

The task module imports the services it runs, so the services must not import it back: they
name a task here instead, and Celery's registry finds it (`ImageadminConfig.ready` imports
`imageadmin.tasks`, so the names are registered in every process that loads the app).
Arguments are ids and strings only (JSON), never model instances. A task is sent once the
caller's transaction commits, so a worker never looks for rows it cannot see yet; with
`CELERY_TASK_ALWAYS_EAGER` (a site without a broker) it runs right there instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)

GENERATE_VARIANTS = "imageadmin.tasks.generate_variants"
PURGE_VARIANTS = "imageadmin.tasks.purge_variants"
SYNC_VARIANTS = "imageadmin.tasks.sync_variants"
PUBLISH_PRESETS = "imageadmin.tasks.publish_presets"

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
            logger.exception("could not enqueue %s", what)
            on_unreachable(err)

    transaction.on_commit(send_all)


def unreachable(err: Exception) -> str:
    """Return the sentence a job shows when the task queue could not be reached."""
    return f"Could not reach the task queue: {err}"
