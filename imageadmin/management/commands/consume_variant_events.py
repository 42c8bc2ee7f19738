"""manage.py consume_variant_events: apply S3's event notifications to the Variant rows."""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, close_old_connections, connection

from imageadmin import aws, event_queue
from imageadmin.conf import conf

RETRY_SECONDS = 5


class Command(BaseCommand):
    help = (
        "Long-poll the SQS queue S3 sends the bucket's ObjectCreated/ObjectRemoved/"
        "LifecycleExpiration events to (IMAGEADMIN_EVENTS_QUEUE_URL) and keep the Variant rows "
        "in step, so the admin's figures are true within seconds. Runs until stopped (SIGTERM or "
        "Ctrl-C); --drain stops once the queue is empty."
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
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        sqs = aws.sqs(queue_url)
        self.stdout.write(f"Applying S3 events from {queue_url}")
        batches = event_queue.consume(sqs, queue_url, stop=lambda: stopping, drain=options["drain"])
        try:
            while True:
                if not connection.in_atomic_block:  # as Django does between requests
                    close_old_connections()
                try:
                    batch = next(batches)
                except StopIteration:
                    break
                except DatabaseError as err:
                    if options["drain"]:
                        message = f"database error, events left on the queue: {err}"
                        raise CommandError(message) from err
                    self.stderr.write(f"database error, events left on the queue: {err}")
                    time.sleep(RETRY_SECONDS)  # the messages come back after their timeout
                    batches = event_queue.consume(sqs, queue_url, stop=lambda: stopping)
                    continue
                if batch.received:
                    a = batch.applied
                    self.stdout.write(
                        f"{batch.received} message(s): {a.created} created, {a.updated} updated, "
                        f"{a.removed} removed, {a.skipped} skipped, {a.orphans} without an asset"
                        + (
                            f", {batch.poison} not S3 events (left for the DLQ)"
                            if batch.poison
                            else ""
                        )
                    )
        except aws.AwsError as err:
            raise CommandError(str(err)) from err
