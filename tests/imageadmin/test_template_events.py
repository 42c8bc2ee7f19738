"""The template's object events: bucket -> SQS queue (+ DLQ) -> the Django app's consumer.

S3 sends ObjectCreated, ObjectRemoved and, for lifecycle expiry, LifecycleExpiration events (an
expiry is not an ObjectRemoved event, AWS's "Configuring S3 Lifecycle event notifications") to a
queue that only this bucket of this account may send to; what the app cannot read lands in a
dead-letter queue that raises an alarm.
"""

from __future__ import annotations

from typing import Any

from imageadmin import event_queue, inventory
from tests.imageadmin.test_template import (
    PARAMS,
    alarms,
    as_list,
    resolve,
    resource,
    sub,
    template,
)

QUEUE_ARN = {"Fn::GetAtt": ["EventsQueue", "Arn"]}


def queue() -> dict[str, Any]:
    return resource("EventsQueue")["Properties"]  # type: ignore[no-any-return]


def test_queue_is_encrypted_keeps_messages_4_days_and_long_polls() -> None:
    props = queue()
    assert props["SqsManagedSseEnabled"] is True
    assert "KmsMasterKeyId" not in props  # S3 cannot send to a queue under aws/sqs
    assert props["MessageRetentionPeriod"] == 4 * 24 * 3600
    assert props["MaximumMessageSize"] == 262144
    assert 30 <= props["VisibilityTimeout"] <= 120
    assert props["ReceiveMessageWaitTimeSeconds"] == event_queue.WAIT_SECONDS
    assert sub(props["QueueName"]) == "cdn-variant-events"


def test_unreadable_messages_go_to_the_dead_letter_queue_after_five_receives() -> None:
    redrive = queue()["RedrivePolicy"]
    assert redrive == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 5,
    }
    dlq = resource("EventsDeadLetterQueue")["Properties"]
    assert dlq["SqsManagedSseEnabled"] is True
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600  # longer than the queue's 4 days
    assert "RedrivePolicy" not in dlq


def test_only_s3_for_this_bucket_and_account_may_send() -> None:
    policy = resource("EventsQueuePolicy")["Properties"]
    assert policy["Queues"] == [{"Ref": "EventsQueue"}]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert as_list(statement["Action"]) == ["sqs:SendMessage"]
    assert statement["Resource"] == QUEUE_ARN
    condition = statement["Condition"]
    assert resolve(condition["ArnEquals"]["aws:SourceArn"]) == "arn:aws:s3:::shop-images"
    assert condition["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}


def test_bucket_sends_creations_removals_and_lifecycle_expiry_to_the_queue() -> None:
    bucket = resource("ImagesBucket")
    configs = bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert {c["Event"] for c in configs} == {
        "s3:ObjectCreated:*",
        "s3:ObjectRemoved:*",
        "s3:LifecycleExpiration:*",
    }
    assert all(c["Queue"] == QUEUE_ARN for c in configs)
    assert all("Filter" not in c for c in configs)  # preset names change at publish time
    # What the app applies is exactly what the bucket sends.
    sent = {c["Event"].removeprefix("s3:").removesuffix("*") for c in configs}
    assert sent == set(inventory.CREATED + inventory.REMOVED)
    # S3 checks it may send when the configuration is written: the policy comes first.
    assert bucket["DependsOn"] == "EventsQueuePolicy"


def test_queue_policy_names_the_bucket_by_parameter_so_there_is_no_cycle() -> None:
    assert "ImagesBucket" not in str(resource("EventsQueuePolicy"))
    assert "ImagesBucket" not in str(resource("EventsQueue"))
    assert "ImagesBucket" not in str(resource("EventsDeadLetterQueue"))


def app_statements() -> list[dict[str, Any]]:
    return resource("AppPolicy")["Properties"]["PolicyDocument"]["Statement"]  # type: ignore[no-any-return]


def test_the_app_may_consume_the_queue_and_nothing_more_of_sqs() -> None:
    sqs = [st for st in app_statements() if any(a.startswith("sqs:") for a in st["Action"])]
    (statement,) = sqs
    assert set(statement["Action"]) == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",  # DeleteMessageBatch is authorised as this
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
    }
    assert statement["Resource"] == QUEUE_ARN  # not the DLQ: operators redrive it


def test_dead_letters_and_a_stalled_consumer_raise_alarms() -> None:
    found = alarms()
    dead = found["EventsDeadLetterAlarm"]
    assert (dead["Namespace"], dead["MetricName"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    )
    assert dead["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["EventsDeadLetterQueue", "QueueName"]}}
    ]
    assert (dead["ComparisonOperator"], dead["Threshold"]) == ("GreaterThanThreshold", 0)
    backlog = found["EventsBacklogAlarm"]
    assert backlog["MetricName"] == "ApproximateAgeOfOldestMessage"
    assert backlog["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["EventsQueue", "QueueName"]}
    # Longer than a poison message lingers before the redrive moves it (5 receives x 60 s).
    lingers = queue()["RedrivePolicy"]["maxReceiveCount"] * queue()["VisibilityTimeout"]
    assert backlog["Threshold"] > lingers
    assert backlog["Threshold"] < queue()["MessageRetentionPeriod"]


def test_outputs_name_the_queue_setting_and_the_dlq() -> None:
    outputs = template()["Outputs"]
    assert outputs["EventsQueueUrl"]["Value"] == {"Ref": "EventsQueue"}  # Ref of a queue: its URL
    assert outputs["EventsQueueUrl"]["Description"].startswith("IMAGEADMIN_EVENTS_QUEUE_URL ")
    assert outputs["EventsDeadLetterQueueUrl"]["Value"] == {"Ref": "EventsDeadLetterQueue"}
    assert PARAMS["AWS::StackName"] == "cdn"
