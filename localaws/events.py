"""The bucket's object events on moto, wired as the stack wires them: S3 -> SQS, with its DLQ.

The queues' attributes, the redrive policy and the event types are read from the CloudFormation
template itself (`EventsQueue`, `EventsDeadLetterQueue`, the bucket's QueueConfigurations), so
`make run`'s queue cannot drift from the deployed one. moto's S3 then sends a notification for
every object written or deleted through its API: PutObject, CopyObject, multipart uploads,
DeleteObject, and each key of a DeleteObjects batch (moto 5.2's `delete_objects` deletes key by
key through `delete_object`, which notifies; tests/localaws/test_events.py keeps that true).
What moto never sends is LifecycleExpiration: it does not run lifecycle rules at all, so nothing
expires locally. Events arrive without S3's `sequencer`; `imageadmin.inventory` orders those by
their time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from localaws.config import BASE_DIR

TEMPLATE = BASE_DIR / "resizer_lambda" / "template.yaml"
STACK_NAME = "imageadmin"  # what ${AWS::StackName} stands for locally
# The CloudFormation properties that are SQS queue attributes of the same name.
ATTRIBUTES = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds",
    "SqsManagedSseEnabled",
)


class _TemplateLoader(yaml.SafeLoader):
    """A YAML loader that reads CloudFormation's short forms (!Ref, !Sub, ...) as plain values."""


def _short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_TemplateLoader.add_multi_constructor("!", _short_form)


@cache
def template_resources(path: Path = TEMPLATE) -> dict[str, Any]:
    """Return the template's Resources."""
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=_TemplateLoader)
    resources: dict[str, Any] = document["Resources"]
    return resources


def _name(props: dict[str, Any]) -> str:
    return str(props["QueueName"]["Fn::Sub"]).replace("${AWS::StackName}", STACK_NAME)


def attributes(props: dict[str, Any], dead_letter_arn: str = "") -> dict[str, str]:
    """Return the SQS attributes a queue's CloudFormation properties set (as SQS strings)."""
    found = {
        key: (str(value).lower() if isinstance(value, bool) else str(value))
        for key, value in props.items()
        if key in ATTRIBUTES
    }
    redrive = props.get("RedrivePolicy")
    if redrive:
        found["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": redrive["maxReceiveCount"]}
        )
    return found


def notified_events() -> list[str]:
    """Return the event types the template's bucket sends to the queue."""
    bucket = template_resources()["ImagesBucket"]["Properties"]
    return [c["Event"] for c in bucket["NotificationConfiguration"]["QueueConfigurations"]]


@dataclass(frozen=True)
class Wiring:
    """The local queues, as the stack's outputs would name them."""

    queue_url: str
    queue_arn: str
    dead_letter_url: str
    events: tuple[str, ...]


def _create(sqs: Any, props: dict[str, Any], dead_letter_arn: str = "") -> tuple[str, str]:
    url = str(
        sqs.create_queue(QueueName=_name(props), Attributes=attributes(props, dead_letter_arn))[
            "QueueUrl"
        ]
    )
    answer = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, str(answer["Attributes"]["QueueArn"])


def wire(s3: Any, sqs: Any, bucket: str) -> Wiring:
    """Create the events queue and its DLQ, and have `bucket` notify the queue; return them.

    Call it after the bucket was restored: restoring re-writes every object, which must not
    arrive as a flood of events for rows the database already has.
    """
    resources = template_resources()
    dlq_url, dlq_arn = _create(sqs, resources["EventsDeadLetterQueue"]["Properties"])
    queue_url, queue_arn = _create(sqs, resources["EventsQueue"]["Properties"], dlq_arn)
    events = notified_events()
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"Id": "imageadmin-variant-events", "QueueArn": queue_arn, "Events": events}
            ]
        },
    )
    return Wiring(queue_url, queue_arn, dlq_url, tuple(events))
