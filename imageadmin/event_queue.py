"""Read S3's event notifications from SQS and apply them (`manage.py consume_variant_events`).

Long polling (20 s), up to 10 messages a receive, one transaction a batch. A message is deleted
only after its events are committed, so a crash or a database error means redelivery, which
`inventory.apply` makes harmless. A message that is not an S3 notification (a poison message) is
left alone: after the queue's maxReceiveCount the redrive policy moves it to the dead-letter
queue (the stack's EventsDeadLetterQueue), where an operator can read it. botocore errors are
translated here only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import DatabaseError

from imageadmin import aws, inventory
from imageadmin.logs import log_event, ms_since

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

logger = logging.getLogger(__name__)

WAIT_SECONDS = 20  # SQS's longest long poll
BATCH = 10  # SQS's most messages per receive


@dataclass
class Batch:
    """One receive: what it applied and what it left on the queue."""

    received: int = 0
    deleted: int = 0
    poison: int = 0  # not S3 notifications: left for the dead-letter queue
    applied: inventory.Applied = field(default_factory=inventory.Applied)


def receive_once(sqs: SQSClient, queue_url: str, wait: int = WAIT_SECONDS) -> Batch:
    """Receive up to 10 messages, apply their events in one transaction, delete what was applied.

    A database error leaves every message on the queue (redelivered after the visibility
    timeout) and is raised. A receive that got messages is logged as `events.batch`.
    """
    answer = aws.call(
        "ReceiveMessage",
        sqs.receive_message,
        QueueUrl=queue_url,
        MaxNumberOfMessages=BATCH,
        WaitTimeSeconds=wait,
        MessageSystemAttributeNames=["ApproximateReceiveCount"],
    )
    began = time.monotonic()
    messages = answer.value.get("Messages", [])
    batch = Batch(received=len(messages))
    events: list[inventory.ObjectEvent] = []
    done: list[dict[str, str]] = []
    for message in messages:
        try:
            events += inventory.parse_message(message.get("Body", ""))
        except inventory.BadMessage as err:
            batch.poison += 1
            received = message.get("Attributes", {}).get("ApproximateReceiveCount", "?")
            log_event(
                logger,
                "events.poison",
                level=logging.WARNING,
                message_id=message.get("MessageId"),
                receive_count=received,
                reason=str(err),
            )
            continue
        done.append({"Id": str(len(done)), "ReceiptHandle": message["ReceiptHandle"]})
    if events:
        try:
            batch.applied = inventory.apply(events)
        except DatabaseError:
            log_event(
                logger,
                "events.not_applied",
                level=logging.ERROR,
                exc_info=True,
                events=len(events),
                messages=len(messages),
            )
            raise
    if done:
        deleted = aws.call(
            "DeleteMessageBatch", sqs.delete_message_batch, QueueUrl=queue_url, Entries=done
        )
        batch.deleted = len(deleted.value.get("Successful", []))
    if messages:
        applied = batch.applied
        log_event(
            logger,
            "events.batch",
            received=batch.received,
            deleted=batch.deleted,
            poison=batch.poison,
            events=len(events),
            created=applied.created,
            updated=applied.updated,
            removed=applied.removed,
            skipped=applied.skipped,
            not_variants=applied.not_variants,
            orphans=applied.orphans,
            ms=ms_since(began),
        )
    return batch


def consume(
    sqs: SQSClient,
    queue_url: str,
    *,
    stop: Callable[[], bool] = lambda: False,
    drain: bool = False,
    wait: int = WAIT_SECONDS,
) -> Iterator[Batch]:
    """Yield one Batch per receive until `stop()`.

    With `drain`, stop as well once a receive deletes nothing: the queue is empty, or holds only
    poison messages, which keep coming back until the redrive policy moves them away.
    """
    while not stop():
        batch = receive_once(sqs, queue_url, 1 if drain else wait)
        yield batch
        if drain and batch.deleted == 0:
            return
