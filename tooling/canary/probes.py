"""The canary's probe objects: awkward keys, several content types, and their S3 events."""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

if TYPE_CHECKING:
    from collections.abc import Sequence


@dataclass(frozen=True)
class Probe:
    """One object the canary uploads, and what its result must say."""

    name: str
    body: bytes
    content_type: str
    kind: str

    @property
    def sha256(self) -> str:
        """Hex sha256 of the body: what the result must report."""
        return hashlib.sha256(self.body).hexdigest()


# Awkward names on purpose: S3 URL-encodes keys in notifications ('+' for a space, %xx for '+',
# '%' and UTF-8), the classic cause of NoSuchKey in handlers (field notes, pain point 7).
PROBES: tuple[Probe, ...] = (
    Probe("hello world.txt", b"first line\nsecond line\nthird line\n", "text/plain", "text"),
    Probe("a+b=c (1).csv", b"id,name,score\n1,alpha,3\n2,beta,5\n", "text/csv", "csv"),
    Probe("100% naïve 日本語.json", b'{"ok": true, "items": [1, 2]}', "application/json", "json"),
    Probe("rows%20plus+.ndjson", b'{"a": 1}\n{"a": 2}\n', "application/x-ndjson", "ndjson"),
    Probe("bytes.bin", bytes(range(256)) * 16, "application/octet-stream", "binary"),
)  # fmt: skip


@dataclass(frozen=True)
class Uploaded:
    """A probe as it landed in the bucket."""

    probe: Probe
    key: str
    version_id: str | None
    etag: str


def delivered_event(
    bucket: str, uploaded: Uploaded, region: str, *, sequencer: str, event_time: str
) -> dict[str, Any]:
    """The ``ObjectCreated:Put`` notification S3 delivered for ``uploaded``.

    ``sequencer`` and ``event_time`` are S3's own, read from the result the function published
    for that delivery: with the bucket, key and version they are the event's identity (the
    handler's idempotency key), so this is the same event again, not a new one. A sequencer made
    up here would be a new idempotency key: a second publish, on AWS as well as locally.
    """
    s3_object: dict[str, Any] = {
        # S3 encodes keys like quote_plus, keeping '/': a space arrives as '+', '+' as '%2B'.
        "key": quote_plus(uploaded.key, safe="/"),
        "size": len(uploaded.probe.body),
        "eTag": uploaded.etag,
        "sequencer": sequencer,
    }
    if uploaded.version_id:
        s3_object["versionId"] = uploaded.version_id
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": event_time,
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:SMOKE"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {
                    "x-amz-request-id": uuid.uuid4().hex[:16].upper(),
                    "x-amz-id-2": uuid.uuid4().hex,
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "process-new-objects",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "SMOKE"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": s3_object,
                },
            }
        ]
    }


def upload(s3: Any, bucket: str, prefix: str, probe: Probe) -> Uploaded:
    """Put one probe with a plain S3 call (what any uploader does)."""
    key = prefix + probe.name
    response = s3.put_object(
        Bucket=bucket, Key=key, Body=probe.body, ContentType=probe.content_type
    )
    return Uploaded(probe, key, response.get("VersionId"), response.get("ETag", "").strip('"'))


def cleanup(s3: Any, bucket: str, keys: Sequence[tuple[str, str | None]]) -> None:
    """Delete the probe versions we wrote (best effort: a canary must not fail on cleanup)."""
    for key, version_id in keys:
        with contextlib.suppress(Exception):
            if version_id:
                s3.delete_object(Bucket=bucket, Key=key, VersionId=version_id)
            else:
                s3.delete_object(Bucket=bucket, Key=key)
