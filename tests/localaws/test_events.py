"""`make run`'s object events: moto's S3 notifies moto's SQS exactly as the template wires it.

The queues get the template's own attributes (read from template.yaml, not copied), the bucket
notifies them of writes and deletes (a DeleteObjects batch too, one event per key, as S3 does),
an unreadable message reaches the dead-letter queue after the template's maxReceiveCount, and
`consume_variant_events` turns the events into Variant rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest
from django.core.management import call_command

from localaws import events
from localaws.config import LocalConfig, stack_env
from tests.imageadmin.originals import make_asset
from tests.imageadmin.test_template import resource


@pytest.fixture
def sqs(s3_endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=s3_endpoint, region_name="us-east-1")


@pytest.fixture
def wired(sqs: Any, s3_client: Any, s3_bucket: str) -> Iterator[events.Wiring]:
    wiring = events.wire(s3_client, sqs, s3_bucket)
    yield wiring
    sqs.delete_queue(QueueUrl=wiring.queue_url)
    sqs.delete_queue(QueueUrl=wiring.dead_letter_url)


def received(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Return every S3 record waiting on the queue (and delete their messages)."""
    records: list[dict[str, Any]] = []
    while True:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = answer.get("Messages", [])
        if not messages:
            return records
        for message in messages:
            records += json.loads(message["Body"]).get("Records", [])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_the_queues_have_the_templates_attributes(sqs: Any, wired: events.Wiring) -> None:
    queue = resource("EventsQueue")["Properties"]
    dlq = resource("EventsDeadLetterQueue")["Properties"]
    got = sqs.get_queue_attributes(QueueUrl=wired.queue_url, AttributeNames=["All"])["Attributes"]
    for name in ("VisibilityTimeout", "MessageRetentionPeriod", "MaximumMessageSize"):
        assert got[name] == str(queue[name]), name
    assert got["ReceiveMessageWaitTimeSeconds"] == str(queue["ReceiveMessageWaitTimeSeconds"])
    dlq_got = sqs.get_queue_attributes(QueueUrl=wired.dead_letter_url, AttributeNames=["All"])
    redrive = json.loads(got["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == dlq_got["Attributes"]["QueueArn"]
    assert int(redrive["maxReceiveCount"]) == queue["RedrivePolicy"]["maxReceiveCount"]
    assert dlq_got["Attributes"]["MessageRetentionPeriod"] == str(dlq["MessageRetentionPeriod"])
    assert wired.queue_url.endswith("/imageadmin-variant-events")  # the template's QueueName
    assert set(wired.events) == {
        "s3:ObjectCreated:*",
        "s3:ObjectRemoved:*",
        "s3:LifecycleExpiration:*",
    }


def test_writes_copies_and_deletes_single_or_batched_are_notified(
    sqs: Any, wired: events.Wiring, s3_client: Any, s3_bucket: str
) -> None:
    received(sqs, wired.queue_url)  # S3's s3:TestEvent
    s3_client.put_object(Bucket=s3_bucket, Key="small/originals/a.jpg", Body=b"12345")
    s3_client.copy_object(
        Bucket=s3_bucket,
        Key="small/originals/b.jpg",
        CopySource={"Bucket": s3_bucket, "Key": "small/originals/a.jpg"},
    )
    s3_client.delete_object(Bucket=s3_bucket, Key="small/originals/a.jpg")
    s3_client.put_object(Bucket=s3_bucket, Key="small/originals/c.jpg", Body=b"1")
    s3_client.delete_objects(  # what publishing's and purging's batch deletes send
        Bucket=s3_bucket,
        Delete={"Objects": [{"Key": "small/originals/b.jpg"}, {"Key": "small/originals/c.jpg"}]},
    )

    records = received(sqs, wired.queue_url)
    # Keys come form-encoded (moto also encodes "/"): what inventory.parse_message decodes.
    seen = [(r["eventName"], unquote_plus(r["s3"]["object"]["key"])) for r in records]

    assert seen == [
        ("ObjectCreated:Put", "small/originals/a.jpg"),
        ("ObjectCreated:Copy", "small/originals/b.jpg"),
        ("ObjectRemoved:Delete", "small/originals/a.jpg"),
        ("ObjectCreated:Put", "small/originals/c.jpg"),
        ("ObjectRemoved:Delete", "small/originals/b.jpg"),
        ("ObjectRemoved:Delete", "small/originals/c.jpg"),
    ]


def test_an_unreadable_message_lands_in_the_dead_letter_queue(
    sqs: Any, wired: events.Wiring
) -> None:
    received(sqs, wired.queue_url)
    sqs.send_message(QueueUrl=wired.queue_url, MessageBody="not an S3 event")
    limit = resource("EventsQueue")["Properties"]["RedrivePolicy"]["maxReceiveCount"]
    for _ in range(limit):  # the consumer leaves it alone each time (VisibilityTimeout 0 here)
        answer = sqs.receive_message(
            QueueUrl=wired.queue_url, VisibilityTimeout=0, WaitTimeSeconds=0
        )
        assert len(answer.get("Messages", [])) == 1
    assert "Messages" not in sqs.receive_message(
        QueueUrl=wired.queue_url, VisibilityTimeout=0, WaitTimeSeconds=0
    )
    dead = sqs.receive_message(QueueUrl=wired.dead_letter_url)["Messages"]
    assert [m["Body"] for m in dead] == ["not an S3 event"]


@pytest.mark.django_db
def test_the_consumer_counts_what_the_bucket_reports(
    sqs: Any,
    wired: events.Wiring,
    s3_client: Any,
    s3_bucket: str,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from imageadmin.models import Variant

    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", sqs.meta.endpoint_url)
    settings.IMAGEADMIN_EVENTS_QUEUE_URL = wired.queue_url
    make_asset(s3_client, s3_bucket, "originals/pier.jpg", (1200, 800))
    s3_client.put_object(Bucket=s3_bucket, Key="medium.webp/originals/pier.jpg", Body=b"w" * 70)

    call_command("consume_variant_events", "--drain")

    row = Variant.objects.get(key="medium.webp/originals/pier.jpg")
    assert (row.bytes, row.format, row.width, row.height) == (70, "webp", 300, 200)


def test_the_stack_environment_names_the_queue(tmp_path: Any) -> None:
    config = LocalConfig(data_dir=tmp_path, s3_port=9100)
    url = "http://127.0.0.1:9100/123456789012/imageadmin-variant-events"
    env = stack_env(config, {}, "E1", "", url)
    assert env["AWS_ENDPOINT_URL_SQS"] == "http://127.0.0.1:9100"
    assert env["IMAGEADMIN_EVENTS_QUEUE_URL"] == url
    assert stack_env(config, {})["IMAGEADMIN_EVENTS_QUEUE_URL"] == ""
