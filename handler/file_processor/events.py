"""Parsing of incoming events: S3 notifications (direct or from EventBridge) and the API body.

Everything here is defensive on purpose: events are fuzzed, and a malformed record must become a
clear :class:`~file_processor.errors.ClientProblem`, never a ``KeyError``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from file_processor.errors import ClientProblem, Reason
from file_processor.shapes import EVENTBRIDGE_OBJECT_CREATED, S3_SOURCE

# Any name S3 has ever allowed (legacy us-east-1 names: up to 255 chars, upper case, '_').
_BUCKET_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{3,255}$")
# S3 object keys are at most 1024 bytes of UTF-8.
MAX_KEY_BYTES = 1024
MAX_VERSION_ID_CHARS = 1024


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """Identity of one object version: what is fetched, and what subscribers de-duplicate on."""

    bucket: str
    key: str
    version_id: str | None = None
    sequencer: str | None = None
    event_time: str | None = None

    def identity(self) -> dict[str, str | None]:
        """The idempotency payload: the same object version always hashes to the same key."""
        return {
            "bucket": self.bucket,
            "key": self.key,
            "version_id": self.version_id,
            "sequencer": self.sequencer,
        }

    @property
    def uri(self) -> str:
        """``s3://bucket/key`` for messages (never the object's contents)."""
        return f"s3://{self.bucket}/{self.key}"

    @property
    def described(self) -> str:
        """:attr:`uri` plus the version asked for, so "no such object" names what was missing."""
        return f"{self.uri} (version {self.version_id})" if self.version_id else self.uri


@dataclass(frozen=True, slots=True)
class S3Record:
    """One record of an S3 notification: either a reference to process or a problem."""

    ref: ObjectRef | None
    problem: ClientProblem | None = None
    ignored: str | None = None  # a reason to skip quietly (e.g. an ObjectRemoved record)


def _non_empty_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _check_key(key: str) -> None:
    """Raise a ClientProblem when ``key`` cannot be an S3 object key."""
    if not key:
        raise ClientProblem(Reason.INVALID_REQUEST, "the object key is empty")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise ClientProblem(
            Reason.INVALID_REQUEST, "the object key is not valid Unicode (lone surrogate)"
        ) from None
    if size > MAX_KEY_BYTES:
        raise ClientProblem(
            Reason.INVALID_REQUEST,
            f"the object key is {size} bytes long; S3 keys are at most {MAX_KEY_BYTES} bytes",
        )


def parse_s3_record(record: Any) -> S3Record:
    """Turn one notification record into an :class:`S3Record` (never raises)."""
    if not isinstance(record, dict):
        return S3Record(None, ClientProblem(Reason.UNSUPPORTED, "an S3 record is not an object"))
    if record.get("eventSource") != S3_SOURCE:
        return S3Record(None, ClientProblem(Reason.UNSUPPORTED, "the record is not from aws:s3"))
    name = record.get("eventName")
    if not isinstance(name, str) or not name.startswith("ObjectCreated:"):
        return S3Record(None, ignored=f"event {name!r} is not an ObjectCreated notification")
    s3 = record.get("s3")
    bucket = s3.get("bucket") if isinstance(s3, dict) else None
    obj = s3.get("object") if isinstance(s3, dict) else None
    raw_key = _non_empty_str(obj.get("key")) if isinstance(obj, dict) else None
    if raw_key is None or not isinstance(obj, dict):
        return _no_object("the S3 record has no s3.bucket.name/s3.object.key")
    # Keys arrive URL-encoded ('+' for a space, %xx for the rest).
    return _object_record(
        bucket.get("name") if isinstance(bucket, dict) else None,
        unquote_plus(raw_key),
        version_id=obj.get("versionId"),
        sequencer=obj.get("sequencer"),
        event_time=record.get("eventTime"),
        missing="the S3 record has no s3.bucket.name/s3.object.key",
    )


def parse_eventbridge_object(event: dict[str, Any]) -> S3Record:
    """Turn an EventBridge event from ``aws.s3`` into an :class:`S3Record` (never raises).

    Its key is URL-encoded like a notification's and decoded the same way (``unquote_plus``):
    the EventBridge event structure documents no encoding, but Powertools'
    ``S3EventBridgeNotificationObject.key`` and LocalStack's S3 → EventBridge events (both kept
    to what AWS sends) treat it as encoded, and a raw reading would ask S3 for
    ``my+report.txt`` when ``my report.txt`` was uploaded. The identity is built from the same
    four fields (bucket, key, version, sequencer) as a notification's, so both deliveries of one
    upload share an idempotency key whenever S3 gives them the same sequencer.
    """
    detail_type = event.get("detail-type")
    if detail_type != EVENTBRIDGE_OBJECT_CREATED:
        return S3Record(None, ignored=f"EventBridge {detail_type!r} is not an Object Created event")
    detail = event.get("detail")
    bucket = detail.get("bucket") if isinstance(detail, dict) else None
    obj = detail.get("object") if isinstance(detail, dict) else None
    missing = "the EventBridge event has no detail.bucket.name/detail.object.key"
    raw_key = _non_empty_str(obj.get("key")) if isinstance(obj, dict) else None
    if raw_key is None or not isinstance(obj, dict):
        return _no_object(missing)
    return _object_record(
        bucket.get("name") if isinstance(bucket, dict) else None,
        unquote_plus(raw_key),
        version_id=obj.get("version-id"),
        sequencer=obj.get("sequencer"),
        event_time=event.get("time"),
        missing=missing,
    )


def _no_object(message: str) -> S3Record:
    return S3Record(None, ClientProblem(Reason.UNSUPPORTED, message))


def _object_record(
    bucket_name: Any,
    key: Any,
    *,
    version_id: Any,
    sequencer: Any,
    event_time: Any,
    missing: str,
) -> S3Record:
    """An S3Record for a decoded ``key`` of ``bucket_name``, or the problem that prevents it."""
    bucket_name = _non_empty_str(bucket_name)
    key = _non_empty_str(key)
    if bucket_name is not None and not _BUCKET_NAME_RE.match(bucket_name):
        bucket_name = None  # cannot come from S3; there is nothing to report it against
    if bucket_name is None or key is None:
        return _no_object(missing)
    try:
        _check_key(key)
    except ClientProblem as problem:
        return S3Record(None, problem)
    version = _non_empty_str(version_id)
    # S3 sends the literal "null" for objects written while versioning was never enabled.
    if version == "null":
        version = None
    return S3Record(
        ObjectRef(
            bucket=bucket_name,
            key=key,
            version_id=version,
            sequencer=_non_empty_str(sequencer),
            event_time=_non_empty_str(event_time),
        )
    )


def s3_request_id(event: dict[str, Any]) -> str | None:
    """The ``x-amz-request-id`` of the first record: the S3 path's correlation id."""
    try:
        value = event["Records"][0]["responseElements"]["x-amz-request-id"]
    except (KeyError, IndexError, TypeError):
        return None
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class ProcessRequest:
    """A validated ``POST /process`` body."""

    key: str
    version_id: str | None = None


_ALLOWED_FIELDS = frozenset({"key", "version_id"})


def parse_process_request(body: str | None) -> ProcessRequest:
    """Validate the API body ``{"key": str, "version_id"?: str}`` with clear messages.

    Mirrors ``schemas/process-request.v1.schema.json`` (a test keeps the two in agreement); the
    schema can also serve as API Gateway's request model.
    """
    if body is None or not body.strip():
        raise ClientProblem(Reason.INVALID_JSON, 'the request body is empty: send {"key": "..."}')
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise ClientProblem(Reason.INVALID_JSON, "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ClientProblem(
            Reason.INVALID_REQUEST, 'the request body must be a JSON object {"key": ...}'
        )
    unknown = sorted(str(name) for name in data if name not in _ALLOWED_FIELDS)
    if unknown:
        raise ClientProblem(
            Reason.INVALID_REQUEST,
            f"unknown field(s) {', '.join(map(repr, unknown))}: "
            "only 'key' and 'version_id' are accepted",
        )
    key = data.get("key")
    if key is None:
        raise ClientProblem(Reason.INVALID_REQUEST, "the field 'key' is missing")
    if not isinstance(key, str):
        raise ClientProblem(Reason.INVALID_REQUEST, "the field 'key' must be a string")
    _check_key(key)
    version_id = data.get("version_id")
    if "version_id" in data and (
        not isinstance(version_id, str) or not version_id or len(version_id) > MAX_VERSION_ID_CHARS
    ):
        raise ClientProblem(
            Reason.INVALID_REQUEST,
            "the field 'version_id' must be a non-empty string of at most "
            f"{MAX_VERSION_ID_CHARS} characters",
        )
    return ProcessRequest(key=key, version_id=version_id)
