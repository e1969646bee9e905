"""S3 event notifications as S3 sends them, delivered asynchronously.

Stock moto (``moto/s3/notifications.py``) builds events without ``versionId`` or ``sequencer``,
encodes ``/`` in keys, and invokes Lambda targets synchronously inside the PutObject request
(errors swallowed, no retries). ``install()`` replaces ``moto.s3.notifications.send_event``
(which every S3 write calls through the module) with one that

* builds the record S3 sends (notification-content-structure in the S3 user guide):
  ``eventVersion 2.1``, ``userIdentity``, ``requestParameters.sourceIPAddress``,
  ``responseElements``, ``s3.configurationId``, ``bucket.ownerIdentity``/``arn``, and the object's
  ``key`` URL-encoded like ``quote_plus`` with ``/`` kept (a space arrives as ``+``, ``+`` as
  ``%2B``), ``size``/``eTag`` (not on removals), ``versionId`` (versioning-enabled or suspended
  buckets), and a ``sequencer``: upper-case hex, the same length for every event, strictly
  increasing across the emulator (so per key too);
* honours each configuration's prefix/suffix filter (rule names compared case-insensitively);
* sends Lambda targets through the async queue (:mod:`tooling.emulator.lambda_async`): the
  PutObject answers at once, retries and destinations apply — and only when the function's
  resource policy lets ``s3.amazonaws.com`` invoke it for this bucket (``aws_lambda_permission``
  with SourceArn/SourceAccount), otherwise the event is dropped with a line in the emulator log,
  as S3 would fail to invoke it;
* sends the same record to SQS and SNS targets (moto's own senders, in-process), and puts
  ``Object Created`` / ``Object Deleted`` events on the default EventBridge bus as S3 does
  (moto's lack the operation as ``reason``, spell ``eTag``, write the key raw and give every
  event one fixed sequencer — which would make two uploads of an unversioned key one
  idempotency key); other EventBridge kinds stay moto's, with the key encoded.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from typing import Any
from urllib.parse import quote_plus

from tooling.emulator import request_hooks

LOG = logging.getLogger("sfp.emulator.s3")

SERVICE_PRINCIPAL = "s3.amazonaws.com"


class Sequencer:
    """Monotonic sequencer values (S3 compares them as strings of equal length)."""

    WIDTH = 18

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            self._last = max(self._last + 1, time.time_ns())
            return f"{self._last:0{self.WIDTH}X}"


def encode_key(key: str) -> str:
    """A key as S3 writes it into event notifications."""
    return quote_plus(key, safe="/")


def filter_matches(filters: Any, key: str) -> bool:
    """Whether ``key`` passes a notification's ``{"S3Key": {"FilterRule": [...]}}`` filter."""
    rules = (filters or {}).get("S3Key") or {}
    raw = rules.get("FilterRule") or rules.get("FilterRules") or []
    for rule in [raw] if isinstance(raw, dict) else raw:
        name = str(rule.get("Name", "")).lower()
        value = str(rule.get("Value", ""))
        if name == "prefix" and not key.startswith(value):
            return False
        if name == "suffix" and not key.endswith(value):
            return False
    return True


def event_matches(configured: list[str], event_name: str) -> bool:
    """``s3:ObjectCreated:Put`` matches ``s3:ObjectCreated:Put`` and ``s3:ObjectCreated:*``."""
    wildcard = ":".join(event_name.split(":")[:2]) + ":*"
    return event_name in configured or wildcard in configured


def stable_id(prefix: str, seed: str, length: int) -> str:
    """An AWS-looking identifier derived from ``seed`` (the same caller, the same id)."""
    digest = base64.b32encode(hashlib.sha256(seed.encode()).digest()).decode()
    return prefix + digest[:length]


def event_record(
    *,
    event_name: str,
    bucket_name: str,
    bucket_arn: str,
    region: str,
    account_id: str,
    key: str,
    size: int | None,
    etag: str | None,
    version_id: str | None,
    sequencer: str,
    configuration_id: str,
    access_key: str = "",
    source_ip: str = "127.0.0.1",
    event_time: datetime.datetime | None = None,
) -> dict[str, Any]:
    """One ``Records[]`` entry as S3 sends it (``event_name`` like ``s3:ObjectCreated:Put``)."""
    moment = event_time or datetime.datetime.now(datetime.UTC)
    s3_object: dict[str, Any] = {"key": encode_key(key)}
    if size is not None:
        s3_object["size"] = size
    if etag is not None:
        s3_object["eTag"] = etag.strip('"')
    if version_id is not None:
        s3_object["versionId"] = version_id
    s3_object["sequencer"] = sequencer
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z",
        "eventName": event_name.removeprefix("s3:"),
        "userIdentity": {"principalId": "AWS:" + stable_id("AIDA", access_key or "anon", 17)},
        "requestParameters": {"sourceIPAddress": source_ip},
        "responseElements": {
            "x-amz-request-id": os.urandom(8).hex().upper(),
            "x-amz-id-2": base64.b64encode(os.urandom(48)).decode(),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": bucket_name,
                "ownerIdentity": {"principalId": stable_id("A", account_id, 13)},
                "arn": bucket_arn,
            },
            "object": s3_object,
        },
    }


# S3 → EventBridge (the S3 user guide, "EventBridge event message structure"): the operation
# behind each ObjectCreated / ObjectRemoved notification event, as the event's ``reason``.
EVENTBRIDGE_REASONS: dict[str, str] = {
    "s3:ObjectCreated:Put": "PutObject",
    "s3:ObjectCreated:Post": "POST Object",
    "s3:ObjectCreated:Copy": "CopyObject",
    "s3:ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
    "s3:ObjectRemoved:Delete": "DeleteObject",
    "s3:ObjectRemoved:DeleteMarkerCreated": "DeleteObject",
}


def eventbridge_event(
    *,
    event_name: str,
    bucket_name: str,
    bucket_arn: str,
    region: str,
    account_id: str,
    key: str,
    size: int | None,
    etag: str | None,
    version_id: str | None,
    sequencer: str,
    source_ip: str = "127.0.0.1",
    event_time: datetime.datetime | None = None,
) -> dict[str, Any] | None:
    """The ``Object Created`` / ``Object Deleted`` event S3 puts on the default bus (None for
    other kinds: moto builds those). Same key encoding and sequencer as the notification."""
    reason = EVENTBRIDGE_REASONS.get(event_name)
    if reason is None:
        return None
    moment = event_time or datetime.datetime.now(datetime.UTC)
    created = ":ObjectCreated:" in event_name
    s3_object: dict[str, Any] = {"key": encode_key(key)}
    if created and size is not None:
        s3_object["size"] = size
    if created and etag is not None:
        s3_object["etag"] = etag.strip('"')
    if version_id is not None:
        s3_object["version-id"] = version_id
    s3_object["sequencer"] = sequencer
    detail: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": bucket_name},
        "object": s3_object,
        "request-id": os.urandom(8).hex().upper(),
        "requester": account_id,
        "source-ip-address": source_ip,
        "reason": reason,
    }
    if not created:
        detail["deletion-type"] = (
            "Delete Marker Created"
            if event_name.endswith("DeleteMarkerCreated")
            else "Permanently Deleted"
        )
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Object Created" if created else "Object Deleted",
        "source": "aws.s3",
        "account": account_id,
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [bucket_arn],
        "detail": detail,
    }


_SEQUENCER = Sequencer()


# What the request being handled in this thread has done so far (see _moto_side_event).
_REQUEST = threading.local()
CREATED_PUT = "s3:ObjectCreated:Put"
TAGGING_PUT = "s3:ObjectTagging:Put"


def _moto_side_event(event_name: str, key: Any) -> bool:
    """Events moto emits that S3 does not send for the same request:

    * CompleteMultipartUpload stores the object through moto's ``put_object`` (an extra
      ``ObjectCreated:Put`` — a second invocation and a second result for one upload) and tags
      it (``ObjectTagging:Put``); S3 sends ``ObjectCreated:CompleteMultipartUpload`` only;
    * PutObject and CopyObject tag the object they created (``ObjectTagging:Put``, even with no
      tags); S3 sends that event for PutObjectTagging only.
    """
    if getattr(_REQUEST, "completing", False) and event_name in (CREATED_PUT, TAGGING_PUT):
        return True
    if event_name == TAGGING_PUT:
        created = getattr(_REQUEST, "created", None)
        caller = request_hooks.current()
        # The objects themselves, compared by identity (held here, they cannot be replaced by
        # new objects at the same address, as ids could).
        return (
            created is not None
            and caller is not None
            and created[0] is caller
            and created[1] is key
        )
    return False


def send_event(account_id: str, event_name: str, bucket: Any, key: Any) -> None:
    """Replacement for ``moto.s3.notifications.send_event`` (same signature)."""
    event_name = str(getattr(event_name, "value", event_name))
    if key is not None and _moto_side_event(event_name, key):
        return
    if key is not None and event_name.startswith("s3:ObjectCreated:"):
        caller = request_hooks.current()
        _REQUEST.created = (caller, key) if caller is not None else None
    configuration = bucket.notification_configuration
    if configuration is None or key is None:
        return
    from moto.s3 import notifications

    sequencer = _SEQUENCER.next()
    caller = request_hooks.current()
    versioned = getattr(bucket, "versioning_status", None) in ("Enabled", "Suspended")
    removal = ":ObjectRemoved:" in event_name

    # What the notification record and the EventBridge event of this request both say.
    facts: dict[str, Any] = {
        "event_name": event_name,
        "bucket_name": bucket.name,
        "bucket_arn": bucket.arn,
        "region": bucket.region_name,
        "account_id": bucket.account_id,
        "key": key.name,
        "size": None if removal else getattr(key, "size", None),
        "etag": None if removal else getattr(key, "etag", None),
        "version_id": str(key.version_id) if versioned else None,
        "sequencer": sequencer,
        "source_ip": caller.source_ip if caller and caller.source_ip else "127.0.0.1",
    }

    def body(configuration_id: str) -> dict[str, Any]:
        record = event_record(
            **facts,
            configuration_id=configuration_id,
            access_key=caller.access_key if caller else "",
        )
        return {"Records": [record]}

    def wanted(notification: Any) -> bool:
        return event_matches(notification.events, event_name) and filter_matches(
            notification.filters, key.name
        )

    for notification in configuration.cloud_function:
        if wanted(notification):
            _invoke_function(notification.arn, bucket, body(notification.id))
    for notification in configuration.queue:
        if wanted(notification):
            region = notification.arn.split(":")[3]
            name = notification.arn.split(":")[-1]
            notifications._send_sqs_message(account_id, body(notification.id), name, region)
    for notification in configuration.topic:
        if wanted(notification):
            region = notification.arn.split(":")[3]
            topic = notification.arn
            notifications._send_sns_message(account_id, body(notification.id), topic, region)
    if configuration.event_bridge is not None:
        event = eventbridge_event(**facts)
        if event is None:
            # Other kinds (tags, ACL, restore) stay moto's, with the key encoded as S3 does.
            notifications._send_event_bridge_message(
                account_id, bucket, event_name, _EncodedKey(key)
            )
        else:
            _put_on_default_bus(bucket, event)


def _put_on_default_bus(bucket: Any, event: dict[str, Any]) -> None:
    """Deliver ``event`` to the rules of the bucket owner's default bus in the bucket's region
    (S3 sends to the default bus only); like S3, a failed delivery never fails the request."""
    try:
        from moto.events.models import events_backends

        bus = events_backends[bucket.account_id][bucket.region_name].event_buses.get("default")
        # moto keeps an event's time as epoch seconds and writes it as ISO 8601 on delivery.
        moment = datetime.datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ")
        internal = {**event, "time": moment.replace(tzinfo=datetime.UTC).timestamp()}
        for rule in list(bus.rules.values()) if bus else []:
            rule.send_to_targets(internal, transform_input=False)
    except Exception:
        LOG.warning("sfp-emulator: S3 could not put an event on EventBridge", exc_info=True)


class _EncodedKey:
    """A moto key whose ``name`` reads URL-encoded (:func:`encode_key`); the rest delegates."""

    def __init__(self, key: Any) -> None:
        self._key = key
        self.name = encode_key(key.name)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._key, attribute)


def _invoke_function(function_arn: str, bucket: Any, event: dict[str, Any]) -> None:
    from tooling.emulator import lambda_async, lambda_runtime, policy

    parts = function_arn.split(":")
    function = lambda_runtime.lookup_function(parts[4], parts[3], function_arn)
    if function is None:
        LOG.warning("sfp-emulator: S3 event for %s dropped: no such function", function_arn)
        return
    if not policy.service_may_invoke(
        function.policy.statements,
        function_arn,
        SERVICE_PRINCIPAL,
        (bucket.arn,),
        bucket.account_id,
    ):
        LOG.warning(
            "sfp-emulator: S3 event for %s dropped: its resource policy does not let %s invoke it "
            "for %s (add an aws_lambda_permission with principal %s and source_arn = the bucket)",
            function_arn,
            SERVICE_PRINCIPAL,
            bucket.arn,
            SERVICE_PRINCIPAL,
        )
        return
    lambda_async.submit(function, json.dumps(event).encode(), source="s3")


def install() -> None:
    """Route every S3 notification through :func:`send_event`; mark multipart completions so
    the ``put_object`` moto stores them with sends no event of its own."""
    from moto.s3 import notifications
    from moto.s3.models import S3Backend

    request_hooks.install()
    notifications.send_event = send_event
    complete = S3Backend.complete_multipart_upload

    def complete_multipart_upload(self: S3Backend, *args: Any, **kwargs: Any) -> Any:
        _REQUEST.completing = True
        try:
            return complete(self, *args, **kwargs)
        finally:
            _REQUEST.completing = False

    S3Backend.complete_multipart_upload = complete_multipart_upload  # type: ignore[method-assign]
