"""manage.py consume_variant_events: apply S3's event notifications to the Variant rows."""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connections

from imageadmin import aws, event_queue
from imageadmin.conf import conf

MAX_PAUSE = 30  # seconds between tries while the database or SQS keeps failing


class _Stopped(Exception):
    """SIGTERM or Ctrl-C arrived."""


def _fresh_connections() -> None:
    """Close database connections that are broken or past CONN_MAX_AGE, as a request would.

    A connection inside an atomic block belongs to a caller (a test, or `call_command` in a
    transaction) and is left alone: closing it would end the caller's transaction.
    """
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


class Command(BaseCommand):
    help = (
        "Long-poll the SQS queue S3 sends the bucket's ObjectCreated/ObjectRemoved/"
        "LifecycleExpiration events to (IMAGEADMIN_EVENTS_QUEUE_URL) and keep the Variant rows "
        "in step, so the admin's figures are true within seconds. Runs until stopped (SIGTERM or "
        "Ctrl-C), riding out database and AWS outages; --drain stops once the queue is empty."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--drain", action="store_true", help="stop when the queue is empty (cron, tests)"
        )
        parser.add_argument(
            "--queue-url", default="", help="the queue (default: IMAGEADMIN_EVENTS_QUEUE_URL)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        queue_url: str = options["queue_url"] or conf.IMAGEADMIN_EVENTS_QUEUE_URL
        if not queue_url:
            raise CommandError(
                "No queue: set IMAGEADMIN_EVENTS_QUEUE_URL to the stack's EventsQueueUrl output "
                "(docs/deploy.md), or pass --queue-url."
            )

        def stop(signum: int, frame: FrameType | None) -> None:
            # At once, even in the middle of a 20 s long poll: nothing is lost, as a message is
            # deleted only after its events are committed, and a redelivery changes nothing.
            raise _Stopped

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        self.stdout.write(f"Applying S3 events from {queue_url}")
        try:
            self._run(queue_url, drain=options["drain"])
        except _Stopped:
            self.stdout.write("Stopped.")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _run(self, queue_url: str, *, drain: bool) -> None:
        sqs = aws.sqs(queue_url)
        failures = 0
        while True:
            _fresh_connections()
            try:
                batch = event_queue.receive_once(
                    sqs, queue_url, 1 if drain else event_queue.WAIT_SECONDS
                )
            except (DatabaseError, aws.AwsUnavailable) as err:
                # The messages stay on the queue and come back after the visibility timeout.
                if drain:
                    raise CommandError(f"{err}; the events were left on the queue") from err
                failures += 1
                pause = min(MAX_PAUSE, 2**failures)
                self.stderr.write(f"{err}; events left on the queue, trying again in {pause} s")
                time.sleep(pause)
                continue
            except aws.AwsError as err:  # refused: a setting or a permission to fix
                raise CommandError(str(err)) from err
            failures = 0
            if batch.received:
                self.stdout.write(self._describe(batch))
            if drain and batch.deleted == 0:
                return

    @staticmethod
    def _describe(batch: event_queue.Batch) -> str:
        a = batch.applied
        line = (
            f"{batch.received} message(s): {a.created} created, {a.updated} updated, "
            f"{a.removed} removed, {a.skipped} skipped, {a.orphans} without an asset"
        )
        if batch.poison:
            line += f", {batch.poison} not S3 events (left for the dead-letter queue)"
        return line
