"""Reading every message of an SQS queue without taking any away from it.

SQS has no "list": a message is read by receiving it, which hides it from other readers for the
visibility timeout. To see the whole queue, every received message is held hidden (so the next
receive returns others) until the read ends, then made visible again at once
(``ChangeMessageVisibility`` 0) — unless the caller deleted it. The hold is released on every
way out (an error, Ctrl-C): a message is never left hidden longer than the timeout, and never
lost.

Receiving counts as a delivery (``ApproximateReceiveCount``); the failures queue has no redrive
policy, so reading it never moves messages elsewhere.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from collections.abc import Iterator

# Long enough to read a large queue and invoke a batch of ten; short enough that a crashed run's
# messages are visible again soon. Ended early on every way out.
VISIBILITY_SECONDS = 300
# A long poll asks every SQS server; two empty ones in a row mean nothing visible is left.
WAIT_SECONDS = 1
EMPTY_POLLS_TO_STOP = 2


class HeldQueue:
    """Receive a queue's messages in batches, holding each one hidden until :meth:`close`."""

    def __init__(self, sqs: Any, queue_url: str, *, visibility: int = VISIBILITY_SECONDS) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.visibility = visibility
        self._held: dict[str, str] = {}  # message id → latest receipt handle

    def __enter__(self) -> HeldQueue:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def batches(self) -> Iterator[list[dict[str, Any]]]:
        """Each receive's messages not seen before, until the queue has nothing more to show."""
        from botocore.exceptions import ClientError

        empty = 0
        while empty < EMPTY_POLLS_TO_STOP:
            try:
                response = self.sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=WAIT_SECONDS,
                    VisibilityTimeout=self.visibility,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                )
            except ClientError as error:
                raise ToolingError(
                    f"cannot read the queue {self.queue_url}: {error}",
                    hint="deploy the env (`invoke deploy`), and check your credentials may "
                    "sqs:ReceiveMessage and sqs:ChangeMessageVisibility on it",
                ) from error
            fresh = []
            for message in response.get("Messages", []):
                seen = message["MessageId"] in self._held
                self._held[message["MessageId"]] = message["ReceiptHandle"]
                if not seen:
                    fresh.append(message)
            if not fresh:
                # Nothing new: the queue is empty, or what is left is what we already hold and
                # has become visible again (a very long read).
                empty += 1
                continue
            empty = 0
            yield fresh

    def delete(self, message: dict[str, Any]) -> None:
        """Remove a message for good (it is no longer held)."""
        handle = self._held.pop(message["MessageId"], message["ReceiptHandle"])
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=handle)

    def close(self) -> None:
        """Make every message still held visible again, now."""
        held = list(self._held.items())
        self._held.clear()
        for start in range(0, len(held), 10):
            entries = [
                {"Id": str(index), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for index, (_, handle) in enumerate(held[start : start + 10])
            ]
            # Best effort: a message we cannot release becomes visible at the timeout anyway.
            with contextlib.suppress(Exception):
                self.sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=entries)
