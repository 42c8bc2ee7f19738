"""Variant rows follow the bucket through S3's event notifications on moto's S3 and SQS servers.

The bucket sends ObjectCreated/ObjectRemoved events to a queue, as the stack configures it;
`event_queue` reads them and `inventory` applies them: idempotent under redelivery, ordered by
S3's sequencer, poison messages left for the dead-letter queue.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from django.core.management import call_command
from django.db import DatabaseError

from imageadmin import event_queue, inventory
from imageadmin.logs import JsonFormatter
from imageadmin.models import ObjectMark, Preset, Variant
from tests.imageadmin.originals import make_asset
from tests.imageadmin.versioned import head

pytestmark = pytest.mark.django_db


@pytest.fixture
def sqs(s3_endpoint: str) -> Any:
    return boto3.client("sqs", endpoint_url=s3_endpoint, region_name="us-east-1")


@pytest.fixture
def queue(sqs: Any, s3_client: Any, s3_bucket: str) -> Iterator[str]:
    """A queue receiving the bucket's object events, as the stack's EventsQueue does."""
    url = sqs.create_queue(QueueName=f"{s3_bucket}-events", Attributes={"VisibilityTimeout": "0"})[
        "QueueUrl"
    ]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    s3_client.put_bucket_notification_configuration(
        Bucket=s3_bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": arn, "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]}
            ]
        },
    )
    yield url
    sqs.delete_queue(QueueUrl=url)


def drain(sqs: Any, url: str) -> list[event_queue.Batch]:
    return list(event_queue.consume(sqs, url, drain=True))


def test_a_variant_the_lambda_writes_gets_its_row_with_bytes_and_format(
    sqs: Any, queue: str, s3_client: Any, s3_bucket: str, presets: dict[str, Preset]
) -> None:
    asset = make_asset(s3_client, s3_bucket, "originals/2026/12/pier.jpg", (1600, 1000))
    s3_client.put_object(
        Bucket=s3_bucket, Key=f"{head('small')}/originals/2026/12/pier.jpg", Body=b"j" * 321
    )
    s3_client.put_object(
        Bucket=s3_bucket,
        Key=f"{head('medium', '.webp')}/originals/2026/12/pier.jpg",
        Body=b"w" * 123,
    )

    batches = drain(sqs, queue)

    rows = {v.key: v for v in Variant.objects.all()}
    small = rows[f"{head('small')}/originals/2026/12/pier.jpg"]
    assert (small.asset_id, small.preset.name, small.bytes, small.format) == (
        asset.pk,
        "small",
        321,
        "jpeg",
    )
    assert (small.width, small.height) == (150, 94)
    webp = rows[f"{head('medium', '.webp')}/originals/2026/12/pier.jpg"]
    assert (webp.format, webp.bytes, webp.width) == ("webp", 123, 300)
    # The original itself is not a variant (the test event and its put are consumed too).
    assert sum(b.applied.not_variants for b in batches) == 1
    assert presets["small"].variants.count() == 1
    assert (
        sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])[
            "Attributes"
        ]["ApproximateNumberOfMessages"]
        == "0"
    )


def test_each_batch_is_logged_with_what_it_applied(
    sqs: Any,
    queue: str,
    s3_client: Any,
    s3_bucket: str,
    presets: dict[str, Preset],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="imageadmin")
    make_asset(s3_client, s3_bucket, "originals/logged.jpg")
    drain(sqs, queue)
    s3_client.put_object(Bucket=s3_bucket, Key="small/originals/logged.jpg", Body=b"x" * 10)
    s3_client.put_object(Bucket=s3_bucket, Key="large/originals/nobody.jpg", Body=b"x")
    caplog.clear()

    batches = drain(sqs, queue)

    logged = [r for r in caplog.records if getattr(r, "event", None) == "events.batch"]
    assert len(logged) == sum(1 for b in batches if b.received)  # an empty receive: no line
    lines = [json.loads(JsonFormatter().format(r)) for r in logged]
    assert sum(line["created"] for line in lines) == 1
    assert sum(line["orphans"] for line in lines) == 1
    assert sum(line["deleted"] for line in lines) == sum(line["received"] for line in lines) == 2
    assert all(line["poison"] == 0 and isinstance(line["ms"], int) for line in lines)


def test_a_deleted_variant_loses_its_row(
    sqs: Any, queue: str, s3_client: Any, s3_bucket: str, presets: dict[str, Preset]
) -> None:
    make_asset(s3_client, s3_bucket, "originals/gone.jpg")
    s3_client.put_object(
        Bucket=s3_bucket, Key=f"{head('large')}/originals/gone.jpg", Body=b"x" * 10
    )
    drain(sqs, queue)
    assert Variant.objects.filter(key=f"{head('large')}/originals/gone.jpg").exists()

    s3_client.delete_object(Bucket=s3_bucket, Key=f"{head('large')}/originals/gone.jpg")
    drain(sqs, queue)

    assert not Variant.objects.filter(key=f"{head('large')}/originals/gone.jpg").exists()
    assert ObjectMark.objects.get(key=f"{head('large')}/originals/gone.jpg").present is False


def _record(key: str, name: str, sequencer: str, size: int = 5) -> dict[str, Any]:
    return {
        "eventName": name,
        "eventTime": "2026-12-02T10:00:00.000Z",
        "s3": {"object": {"key": key, "size": size, "sequencer": sequencer}},
    }


def _events(*records: dict[str, Any]) -> list[inventory.ObjectEvent]:
    return inventory.parse_message(json.dumps({"Records": list(records)}))


def test_redelivery_changes_nothing(
    s3_client: Any, s3_bucket: str, presets: dict[str, Preset]
) -> None:
    make_asset(s3_client, s3_bucket, "originals/a.jpg")
    events = _events(
        _record(f"{head('small')}/originals/a.jpg", "ObjectCreated:Put", "0055AED6DCD90281E5")
    )

    first = inventory.apply(events)
    again = inventory.apply(events)

    assert (first.created, again.created, again.updated, again.skipped) == (1, 0, 0, 1)
    assert Variant.objects.count() == 1


def test_a_late_older_event_does_not_undo_a_newer_one(
    s3_client: Any, s3_bucket: str, presets: dict[str, Preset]
) -> None:
    make_asset(s3_client, s3_bucket, "originals/a.jpg")
    key = f"{head('small')}/originals/a.jpg"
    created = _events(_record(key, "ObjectCreated:Put", "0055AED6DCD90281E5"))
    removed = _events(_record(key, "ObjectRemoved:Delete", "0055AED6DCD90281E6"))

    inventory.apply(removed)  # the delete arrives first ...
    late = inventory.apply(created)  # ... then the put that happened before it

    assert late.skipped == 1
    assert not Variant.objects.filter(key=key).exists()


def test_sequencers_of_different_lengths_compare_as_s3_says() -> None:
    # S3: right-pad the shorter with zeros, then compare as strings.
    assert inventory.sequence_key("0055AED6DCD90281E6") > inventory.sequence_key(
        "0055AED6DCD90281E5"
    )
    assert inventory.sequence_key("0055AED6DCD9028200") > inventory.sequence_key(
        "0055AED6DCD90281E5FF"
    )


def test_lifecycle_expiration_removes_the_row(
    s3_client: Any, s3_bucket: str, presets: dict[str, Preset]
) -> None:
    make_asset(s3_client, s3_bucket, "originals/a.jpg")
    key = f"{head('medium')}/originals/a.jpg"
    inventory.apply(_events(_record(key, "ObjectCreated:Put", "01")))

    applied = inventory.apply(_events(_record(key, "LifecycleExpiration:Delete", "02")))

    assert applied.removed == 1
    assert not Variant.objects.filter(key=key).exists()


def test_keys_are_form_decoded_and_orphans_are_counted(
    s3_client: Any, s3_bucket: str, presets: dict[str, Preset]
) -> None:
    make_asset(s3_client, s3_bucket, "originals/sea side.jpg")
    applied = inventory.apply(
        _events(
            _record(f"{head('small')}/originals/sea+side.jpg", "ObjectCreated:Put", "01"),
            _record(f"{head('small')}/originals/nobody.jpg", "ObjectCreated:Put", "01"),
        )
    )
    assert applied.created == 1
    assert applied.orphans == 1
    assert Variant.objects.filter(key=f"{head('small')}/originals/sea side.jpg").exists()


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        json.dumps({"Records": "x"}),
        json.dumps({"Records": [{"eventName": "ObjectCreated:Put"}]}),
    ],
)
def test_poison_messages_stay_on_the_queue_for_the_dead_letter_queue(
    sqs: Any, queue: str, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    sqs.send_message(QueueUrl=queue, MessageBody=body)

    batches = drain(sqs, queue)[:1]

    assert batches[0].poison >= 1
    assert batches[0].deleted == batches[0].received - batches[0].poison
    poison = [r for r in caplog.records if getattr(r, "event", None) == "events.poison"]
    assert poison  # once per receive: the message comes back until the redrive moves it
    assert {r.levelno for r in poison} == {logging.WARNING}
    assert poison[0].fields["receive_count"] == "1"  # type: ignore[attr-defined]
    again = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    assert [m["Body"] for m in again.get("Messages", [])] == [body]


def test_a_database_error_leaves_the_messages_for_redelivery(
    sqs: Any,
    queue: str,
    s3_client: Any,
    s3_bucket: str,
    presets: dict[str, Preset],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_asset(s3_client, s3_bucket, "originals/a.jpg")
    drain(sqs, queue)
    s3_client.put_object(Bucket=s3_bucket, Key=f"{head('small')}/originals/a.jpg", Body=b"x")

    def broken(events: Any) -> Any:
        raise DatabaseError("database is down")

    monkeypatch.setattr(inventory, "apply", broken)
    with pytest.raises(DatabaseError):
        drain(sqs, queue)
    monkeypatch.undo()

    drain(sqs, queue)  # redelivered, applied now
    assert Variant.objects.filter(key=f"{head('small')}/originals/a.jpg").exists()


def test_the_command_drains_the_queue(
    sqs: Any,
    queue: str,
    s3_client: Any,
    s3_bucket: str,
    presets: dict[str, Preset],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", sqs.meta.endpoint_url)
    settings.IMAGEADMIN_EVENTS_QUEUE_URL = queue
    make_asset(s3_client, s3_bucket, "originals/a.jpg")
    for name in ("small", "medium", "large"):
        s3_client.put_object(Bucket=s3_bucket, Key=f"{head(name)}/originals/a.jpg", Body=b"x" * 9)

    call_command("consume_variant_events", "--drain")

    assert Variant.objects.count() == 3
    assert "3 created" in capsys.readouterr().out or Variant.objects.count() == 3


def test_the_command_without_a_queue_says_what_to_set(settings: Any) -> None:
    from django.core.management.base import CommandError

    settings.IMAGEADMIN_EVENTS_QUEUE_URL = ""
    with pytest.raises(CommandError, match="IMAGEADMIN_EVENTS_QUEUE_URL"):
        call_command("consume_variant_events", "--drain")


# --- the command as a service -------------------------------------------------------------------


@pytest.fixture
def command(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The command's module, with a queue configured and its pauses recorded, not slept."""
    from imageadmin.management.commands import consume_variant_events as module

    settings.IMAGEADMIN_EVENTS_QUEUE_URL = "https://sqs.eu-central-1.amazonaws.com/1/q"
    module.pauses = []  # type: ignore[attr-defined]
    # The module's own `time` only: moto's server threads keep the real sleep.
    monkeypatch.setattr(module, "time", SimpleNamespace(sleep=module.pauses.append))
    return module


def scripted(monkeypatch: pytest.MonkeyPatch, *steps: Any) -> None:
    """Make each receive do the next step: raise it, or return it."""
    script = iter(steps)

    def receive(*args: Any) -> event_queue.Batch:
        step = next(script)
        if isinstance(step, BaseException):
            raise step
        return step  # type: ignore[no-any-return]

    monkeypatch.setattr(event_queue, "receive_once", receive)


def test_the_command_rides_out_outages_then_stops_on_a_signal(
    command: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from imageadmin import aws

    scripted(
        monkeypatch,
        aws.AwsUnavailable("ReceiveMessage", "SlowDown"),
        DatabaseError("database is locked"),
        event_queue.Batch(received=2, deleted=2),
        command._Stopped(),  # what the SIGTERM handler raises
    )

    call_command("consume_variant_events")

    out, err = capsys.readouterr()
    assert command.pauses == [2, 4]  # doubling, capped at MAX_PAUSE
    assert "ReceiveMessage failed: SlowDown; events left on the queue" in err
    assert "database is locked; events left on the queue, trying again in 4 s" in err
    assert "2 message(s): 0 created" in out
    assert out.rstrip().endswith("Stopped.")


def test_the_command_gives_up_on_a_refusal_and_drain_on_any_error(
    command: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.management.base import CommandError

    from imageadmin import aws

    scripted(monkeypatch, aws.AwsRefused("ReceiveMessage", "AccessDenied"))
    with pytest.raises(CommandError, match="AccessDenied"):
        call_command("consume_variant_events")
    scripted(monkeypatch, DatabaseError("database is locked"))
    with pytest.raises(CommandError, match="left on the queue"):
        call_command("consume_variant_events", "--drain")
    assert command.pauses == []


def test_sigterm_stops_the_command_at_once_and_restores_the_handler(
    command: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import os
    import signal
    import time

    before = signal.getsignal(signal.SIGTERM)

    def long_poll(*args: Any) -> event_queue.Batch:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)  # the real sleep: a long poll the signal must cut short
        raise AssertionError("not stopped")

    monkeypatch.setattr(event_queue, "receive_once", long_poll)
    started = time.monotonic()
    call_command("consume_variant_events")

    assert time.monotonic() - started < 5
    assert "Stopped." in capsys.readouterr().out
    assert signal.getsignal(signal.SIGTERM) is before


def test_rows_carry_the_token_and_only_the_served_one_counts_as_ready(
    sqs: Any, queue: str, s3_client: Any, s3_bucket: str, presets: dict[str, Preset]
) -> None:
    make_asset(s3_client, s3_bucket, "originals/2026/12/pier.jpg", (1600, 1000))
    current = f"{head('small')}/originals/2026/12/pier.jpg"
    double = f"{head('small', '@2x.webp')}/originals/2026/12/pier.jpg"  # inside: stray, 1x size
    retired = "small.0badc0de/originals/2026/12/pier.jpg"
    legacy = "small/originals/2026/12/pier.jpg"
    for key in (current, double, retired, legacy):
        s3_client.put_object(Bucket=s3_bucket, Key=key, Body=b"x" * 10)

    drain(sqs, queue)

    rows = {v.key: (v.token, v.status) for v in Variant.objects.all()}
    token = head("small").split(".")[1]
    assert rows == {
        current: (token, "ready"),
        double: (token, "ready"),
        retired: ("0badc0de", "stale"),
        legacy: ("", "stale"),
    }
