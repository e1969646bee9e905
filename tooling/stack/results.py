"""Reading what a deployed stack published: an SQS queue subscribed to a topic for a while."""

from __future__ import annotations

import contextlib
import json
import time
from typing import Any


class ResultsQueue:
    """An SQS queue subscribed to a topic for the duration of a ``with`` block."""

    def __init__(self, sns: Any, sqs: Any, topic_arn: str, name: str) -> None:
        self.sns = sns
        self.sqs = sqs
        self.topic_arn = topic_arn
        self.name = name
        self.queue_url = ""
        self.subscription_arn = ""

    def __enter__(self) -> ResultsQueue:
        self.queue_url = self.sqs.create_queue(QueueName=self.name)["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        # SNS may deliver only from this topic (the policy real SQS needs; moto ignores it).
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": self.topic_arn}},
                }
            ],
        }
        self.sqs.set_queue_attributes(
            QueueUrl=self.queue_url, Attributes={"Policy": json.dumps(policy)}
        )
        self.subscription_arn = self.sns.subscribe(
            TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        return self

    def __exit__(self, *_: object) -> None:
        with contextlib.suppress(Exception):
            self.sns.unsubscribe(SubscriptionArn=self.subscription_arn)
        with contextlib.suppress(Exception):
            self.sqs.delete_queue(QueueUrl=self.queue_url)

    def receive(self, count: int, timeout: float) -> list[dict[str, Any]]:
        """Up to ``count`` SNS envelopes (``Message`` parsed as ``document``) within ``timeout``."""
        received: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(received) < count and time.monotonic() < deadline:
            wait = max(0, min(5, int(deadline - time.monotonic())))
            response = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait
            )
            for message in response.get("Messages", []):
                received.append(_envelope(message["Body"]))
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return received


def _envelope(body: str) -> dict[str, Any]:
    """An SNS notification from the queue, its ``Message`` parsed as ``document`` when JSON.

    Anything may be published to a topic: a body or message that is not JSON is kept as text
    (``document`` None) instead of ending the read.
    """
    try:
        envelope = json.loads(body)
    except ValueError:
        return {"Message": body, "document": None}
    if not isinstance(envelope, dict):
        return {"Message": body, "document": None}
    try:
        envelope["document"] = json.loads(envelope.get("Message", ""))
    except (TypeError, ValueError):
        envelope["document"] = None
    return envelope
