"""Fetch, process and publish: what both event sources share."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    idempotent_function,
)

from file_processor.errors import ClientProblem, Reason, classified
from file_processor.events import ObjectRef
from file_processor.processing import Analysis, analyze
from file_processor.result import processed_result, publish, rejected_result

if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    from file_processor.aws import Clients
    from file_processor.config import Config
    from file_processor.events import ProcessRequest

# 1 MiB reads: large enough that per-chunk Python overhead vanishes next to hashing, small
# enough that memory stays flat whatever the object size.
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class Outcome:
    """One object's result document, and whether this call published it (False: a duplicate)."""

    document: dict[str, Any]
    published: bool
    duration_ms: float


class FileService:
    """Processing of objects of the configured bucket."""

    def __init__(self, config: Config, clients: Clients) -> None:
        self.config = config
        self.clients = clients

    def fetch_and_analyze(
        self, ref: ObjectRef, *, limit: int, over_limit: Callable[[int], ClientProblem]
    ) -> tuple[Analysis, str | None]:
        """Stream exactly ``ref``'s version from S3; returns the analysis and served version id.

        Raises ``over_limit(size)`` before reading anything when the object exceeds ``limit``.
        """
        if ref.bucket != self.config.bucket_name:
            raise ClientProblem(
                Reason.UNSUPPORTED,
                f"only objects of the bucket {self.config.bucket_name!r} are processed",
            )
        request = {"Bucket": ref.bucket, "Key": ref.key}
        if ref.version_id:
            # The exact version of the event: an overwrite after the upload must not be read.
            request["VersionId"] = ref.version_id
        with classified(ref.described):
            response = self.clients.s3.get_object(**request)
        body = response["Body"]
        try:
            size = int(response.get("ContentLength") or 0)
            if size > limit:
                raise over_limit(size)
            with classified(ref.described):
                analysis = analyze(
                    body.iter_chunks(CHUNK_BYTES),
                    key=ref.key,
                    declared_content_type=response.get("ContentType"),
                )
        finally:
            body.close()
        return analysis, response.get("VersionId")

    def process_uploaded(self, ref: ObjectRef) -> dict[str, Any]:
        """S3 path: the result document; client problems become a ``rejected`` document."""
        limit = self.config.max_object_bytes

        def too_large(size: int) -> ClientProblem:
            return ClientProblem(
                Reason.TOO_LARGE,
                f"the object is {size} bytes, above MAX_OBJECT_BYTES={limit}",
            )

        try:
            analysis, version_id = self.fetch_and_analyze(ref, limit=limit, over_limit=too_large)
        except ClientProblem as problem:
            return rejected_result(ref, problem, source="s3")
        return processed_result(ref, analysis, version_id=version_id, source="s3")

    def process_and_publish(self, ref: ObjectRef) -> dict[str, Any]:
        """S3 path: process one object version and publish its result (transient errors raise)."""
        document = self.process_uploaded(ref)
        publish(self.clients.sns, self.config.topic_arn, document)
        return document

    def process_requested(self, request: ProcessRequest) -> dict[str, Any]:
        """API path: the result document; client problems raise for a 4xx answer."""
        limit = self.config.max_sync_object_bytes

        def too_large_for_sync(size: int) -> ClientProblem:
            return ClientProblem(
                Reason.TOO_LARGE_FOR_SYNC,
                f"the object is {size} bytes, above the synchronous limit of {limit} bytes "
                "(MAX_SYNC_OBJECT_BYTES): it is processed from its S3 upload event instead",
            )

        ref = ObjectRef(
            bucket=self.config.bucket_name, key=request.key, version_id=request.version_id
        )
        analysis, version_id = self.fetch_and_analyze(
            ref, limit=limit, over_limit=too_large_for_sync
        )
        return processed_result(ref, analysis, version_id=version_id, source="api")


# The parts of an object's identity a duplicate delivery repeats exactly (event_time is left
# out: it is informative, not identity).
IDEMPOTENCY_KEY_JMESPATH = "[bucket, key, version_id, sequencer]"


class IdempotentPublisher:
    """Process-and-publish once per object version (Powertools idempotency on DynamoDB).

    The record is COMPLETED only after SNS accepted the message: when publishing raises, Powertools
    deletes the in-progress record, so Lambda's retry processes and publishes again, once.
    """

    def __init__(self, service: FileService, idempotency_config: IdempotencyConfig) -> None:
        self.service = service
        self.idempotency_config = idempotency_config
        persistence = DynamoDBPersistenceLayer(
            table_name=service.config.idempotency_table,
            boto3_client=service.clients.dynamodb,
        )
        self._executed = False

        @idempotent_function(
            data_keyword_argument="identity",
            persistence_store=persistence,
            config=idempotency_config,
        )
        def process_object_once(identity: dict[str, Any]) -> dict[str, Any]:
            self._executed = True
            return service.process_and_publish(ObjectRef(**identity))

        self._once = process_object_once

    def process(self, ref: ObjectRef) -> Outcome:
        """Process ``ref`` unless an earlier delivery already published its result."""
        self._executed = False
        started = time.perf_counter()
        identity = {**ref.identity(), "event_time": ref.event_time}
        document = self._once(identity=identity)
        return Outcome(
            document=document,
            published=self._executed,
            duration_ms=(time.perf_counter() - started) * 1000,
        )
