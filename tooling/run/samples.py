"""Event files for ``invoke local``: read and checked, the function they are for, and the sample
objects they name uploaded to the deployed bucket.

Sample events (``handler/events/``) name the placeholder bucket ``sfp-uploads-example``; each S3
record is re-pointed at the deployed bucket, and the body of the object it names
(``handler/events/objects/<decoded key>``) is uploaded once per key, with the record's
``versionId``/``size`` set to the upload's (``handler/events/README.md``). API samples get their
object uploaded too.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from tooling.core import paths
from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

SAMPLE_BUCKET = "sfp-uploads-example"
OBJECTS_DIR: Path = paths.HANDLER_DIR / "events" / "objects"
FUNCTIONS: tuple[str, ...] = ("processor", "api")
EVENT_HINT = (
    "an event file holds ONE event, a JSON object, e.g. handler/events/s3-put-awkward-key.json"
)


@dataclass(frozen=True)
class Uploaded:
    """A sample object put into the deployed bucket for the event."""

    key: str
    version_id: str | None


def read_event(path: Path) -> dict[str, Any]:
    """The event in ``path``: one non-empty JSON object, or a ToolingError saying what it is."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ToolingError(
            f"cannot read the event file {path}: {error}",
            hint="pass a readable UTF-8 JSON file, e.g. "
            "--event handler/events/s3-put-awkward-key.json",
        ) from error
    try:
        event = json.loads(text)
    except ValueError as error:
        raise ToolingError(f"{path} is not JSON: {error}", hint=EVENT_HINT) from error
    if isinstance(event, list):
        raise ToolingError(
            f"{path} holds a JSON array ({len(event)} item(s)), not an event",
            hint="invoke one event at a time: put one event object in the file (several S3 "
            "objects go into one event's Records)",
        )
    if not isinstance(event, dict):
        raise ToolingError(
            f"{path} holds a JSON {type(event).__name__}, not an event object", hint=EVENT_HINT
        )
    if not event:
        raise ToolingError(
            f"{path} holds an empty object `{{}}`: there is nothing to invoke",
            hint="start from a sample: handler/events/*.json (S3 notifications, API requests)",
        )
    return event


def function_for(event: Mapping[str, Any], chosen: str | None = None) -> str:
    """``processor`` or ``api``: ``chosen`` when given, else what the event's shape says."""
    if chosen:
        if chosen not in FUNCTIONS:
            raise ToolingError(
                f"unknown function {chosen!r}", hint="pass --function=processor or --function=api"
            )
        return chosen
    if "httpMethod" in event or "routeKey" in event or event.get("version") == "2.0":
        return "api"  # API Gateway REST (v1) or HTTP API / function URL (v2) requests
    if "Records" in event or event.get("source") == "aws.s3":
        return "processor"  # S3 notifications (direct, through SNS/SQS) and EventBridge
    raise ToolingError(
        "cannot tell which function the event is for (no `Records`, `httpMethod` or `source`)",
        hint="name it: --function=processor (S3 events) or --function=api (API requests)",
    )


def retarget_event(
    event: dict[str, Any], s3: Any, bucket: str, objects_dir: Path = OBJECTS_DIR
) -> list[Uploaded]:
    """Point an S3 sample event at ``bucket``; upload the bodies it names. Returns the uploads.

    A body for key ``K`` is read from ``objects_dir/K`` (the decoded key); a record whose body
    is missing is left as is (e.g. the sample for a missing object).
    """
    uploaded: list[Uploaded] = []
    versions: dict[str, str | None] = {}
    api_key = _api_request_key(event)
    if api_key and (objects_dir / api_key).is_file():
        # API samples name objects too; the caller never names a bucket (BUCKET_NAME is used).
        response = s3.put_object(
            Bucket=bucket, Key=api_key, Body=(objects_dir / api_key).read_bytes()
        )
        uploaded.append(Uploaded(api_key, response.get("VersionId")))
    records = event.get("Records")
    for record in records if isinstance(records, list) else []:
        target = record.get("s3") if isinstance(record, dict) else None
        if not isinstance(target, dict):
            continue
        if not isinstance(target.get("bucket"), dict):
            target["bucket"] = {}
        target["bucket"]["name"] = bucket
        target["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
        s3_object = target.get("object") if isinstance(target.get("object"), dict) else {}
        key = unquote_plus(str(s3_object.get("key", "")))
        body_path = objects_dir / key
        if not key or not body_path.is_file():
            continue
        if key not in versions:
            response = s3.put_object(Bucket=bucket, Key=key, Body=body_path.read_bytes())
            versions[key] = response.get("VersionId")
            uploaded.append(Uploaded(key, versions[key]))
        s3_object["size"] = body_path.stat().st_size
        if versions[key]:
            s3_object["versionId"] = versions[key]
        else:
            s3_object.pop("versionId", None)
    return uploaded


def _api_request_key(event: Mapping[str, Any]) -> str | None:
    """The ``key`` of an API Gateway proxy event's JSON body (base64 or not), if any."""
    body = event.get("body") if "httpMethod" in event else None
    if not isinstance(body, str):
        return None
    try:
        text = base64.b64decode(body).decode() if event.get("isBase64Encoded") else body
        key = json.loads(text).get("key")
    except (ValueError, AttributeError):
        return None  # the malformed-body samples: nothing to upload
    return key if isinstance(key, str) and key else None
