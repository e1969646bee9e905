"""Invocation records of asynchronous invocations, and their delivery to destinations.

The record is Lambda's (docs: "Capturing records of Lambda asynchronous invocations",
invocation-async.md of the Lambda developer guide)::

    {"version": "1.0", "timestamp": "2019-11-14T18:16:05.568Z",
     "requestContext": {"requestId", "functionArn" (qualified, e.g. ...:function:f:$LATEST),
                        "condition": "Success" | "RetriesExhausted" | "EventAgeExceeded",
                        "approximateInvokeCount"},
     "requestPayload": <the event>,
     "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                         "functionError": "Unhandled" (on errors only)},
     "responsePayload": <what the function returned, or its error document>}

Delivery is done the way Lambda does it: **with the function's execution role** (so a role
without ``sns:Publish`` on its failure topic loses the record, as on AWS), through the
emulator's own API on loopback. SNS and SQS get the record as the message body, a Lambda
destination is invoked asynchronously with it, EventBridge gets it as ``detail``
(``source: lambda``, ``detail-type: Lambda Function Invocation Result - Success|Failure``).
"""

from __future__ import annotations

import datetime
import json
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

RECORD_VERSION = "1.0"
SUCCESS = "Success"
RETRIES_EXHAUSTED = "RetriesExhausted"
EVENT_AGE_EXCEEDED = "EventAgeExceeded"


class DeliveryError(Exception):
    """A destination refused the record (permissions, missing resource, bad ARN)."""


def invocation_record(
    *,
    request_id: str,
    function_arn: str,
    executed_version: str,
    condition: str,
    invoke_count: int,
    request_payload: bytes,
    status_code: int | None,
    function_error: str | None,
    response_payload: bytes | None,
    now: datetime.datetime | None = None,
) -> dict[str, Any]:
    """Lambda's invocation record. ``status_code`` None = the function never ran (throttled
    until the event expired): the record then has no response payload."""
    moment = now or datetime.datetime.now(datetime.UTC)
    record: dict[str, Any] = {
        "version": RECORD_VERSION,
        "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{function_arn}:{executed_version}",
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "requestPayload": _json_or_text(request_payload),
    }
    context: dict[str, Any] = {
        "statusCode": 429 if status_code is None else status_code,
        "executedVersion": executed_version,
    }
    if function_error:
        context["functionError"] = function_error
    record["responseContext"] = context
    if status_code is not None:
        record["responsePayload"] = _json_or_text(response_payload or b"null")
    return record


def _json_or_text(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data.decode("utf-8", errors="replace")


def destination_service(arn: str) -> str:
    """``sns`` / ``sqs`` / ``lambda`` / ``events`` from a destination ARN (else DeliveryError)."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] not in ("sns", "sqs", "lambda", "events"):
        raise DeliveryError(f"unsupported destination {arn!r} (SNS, SQS, Lambda or EventBridge)")
    return parts[2]


class DestinationSender:
    """Sends records through the emulator's API, signed with the function role's credentials."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._lock = threading.Lock()
        self._session: Any = None

    def send(
        self,
        record: Mapping[str, Any],
        destination: str,
        *,
        function_arn: str,
        credentials: Mapping[str, str],
    ) -> None:
        """Deliver ``record`` to ``destination``; DeliveryError says why it was not."""
        from botocore.exceptions import BotoCoreError, ClientError

        service = destination_service(destination)
        parts = destination.split(":")
        region, account, resource = parts[3], parts[4], ":".join(parts[5:])
        client = self._client(service, region, credentials)
        body = json.dumps(record)
        try:
            if service == "sns":
                client.publish(TopicArn=destination, Message=body)
            elif service == "sqs":
                client.send_message(
                    QueueUrl=f"{self.endpoint}/{account}/{resource}", MessageBody=body
                )
            elif service == "lambda":
                client.invoke(FunctionName=destination, InvocationType="Event", Payload=body)
            else:
                outcome = SUCCESS if record["requestContext"]["condition"] == SUCCESS else "Failure"
                answer = client.put_events(
                    Entries=[
                        {
                            "Source": "lambda",
                            "DetailType": f"Lambda Function Invocation Result - {outcome}",
                            "Detail": body,
                            "EventBusName": destination,
                            "Resources": [function_arn, destination],
                        }
                    ]
                )
                if answer.get("FailedEntryCount"):
                    raise DeliveryError(f"EventBridge refused the record: {answer['Entries']}")
        except (BotoCoreError, ClientError) as error:
            raise DeliveryError(str(error)) from error

    def _client(self, service: str, region: str, credentials: Mapping[str, str]) -> Any:
        key = (service, region, credentials["AWS_ACCESS_KEY_ID"])
        with self._lock:
            if key not in self._clients:
                import botocore.session
                from botocore.config import Config

                if self._session is None:
                    self._session = botocore.session.get_session()
                self._clients[key] = self._session.create_client(
                    service,
                    region_name=region,
                    endpoint_url=self.endpoint,
                    aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
                    aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
                    aws_session_token=credentials["AWS_SESSION_TOKEN"],
                    config=Config(retries={"mode": "standard", "max_attempts": 3}),
                )
            return self._clients[key]
