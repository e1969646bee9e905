"""The one place where failures are classified.

- :class:`ClientProblem`: permanent, caused by the input (missing object, too large, invalid
  request, unsupported event). Never retried: the S3 path publishes a ``rejected`` result, the
  API path answers 4xx JSON.
- :class:`TransientError`: throttling, 5xx, timeouts and dropped connections from S3 / SNS /
  DynamoDB. Always raised out of the handler so Lambda's async retries and on-failure
  destination do their job (no sleeps, no self-invocation).
- :class:`UnsupportedEventError`: an event of a shape this function does not serve. Raised, so
  an asynchronous event is retried and then kept by the on-failure destination (an SQS message
  is reported as a batch item failure instead, and kept by the queue's redrive policy).
- Anything else (e.g. AccessDenied from a wrong IAM policy) is a deployment bug: it is raised
  unchanged so it reaches the on-failure destination and the error alarm.

:func:`failure_reason` names any of these for the ``Failures`` metric's ``reason`` dimension.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
)
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    HTTPClientError,
    ReadTimeoutError,
    ResponseStreamingError,
)
from botocore.exceptions import ConnectionError as BotocoreConnectionError

if TYPE_CHECKING:
    from collections.abc import Iterator


class Reason(StrEnum):
    """Machine-readable reason codes (stable: they appear in results, metrics and API bodies)."""

    NOT_FOUND = "not_found"
    TOO_LARGE = "too_large"
    TOO_LARGE_FOR_SYNC = "too_large_for_sync"
    INVALID_REQUEST = "invalid_request"
    INVALID_JSON = "invalid_json"
    UNSUPPORTED = "unsupported"
    # An event of a shape the function does not serve (an HTTP API v2 request, an ALB request,
    # a DynamoDB stream...). Never in a published result: no object is named by such an event.
    UNSUPPORTED_EVENT = "unsupported_event"


# Failure reasons of errors that raise (the ``Failures`` metric only; never in a result).
TRANSIENT = "transient"
INTERNAL_ERROR = "internal_error"
# HTTP status the API answers for each client problem.
HTTP_STATUS: dict[Reason, int] = {
    Reason.NOT_FOUND: 404,
    Reason.TOO_LARGE: 413,
    Reason.TOO_LARGE_FOR_SYNC: 413,
    Reason.INVALID_REQUEST: 400,
    Reason.INVALID_JSON: 400,
    Reason.UNSUPPORTED: 400,
    Reason.UNSUPPORTED_EVENT: 400,
}


# Not frozen: an exception passing through a @contextmanager gets __traceback__ assigned, which a
# frozen dataclass refuses. eq=False keeps exceptions' identity equality and hashing.
@dataclass(eq=False)
class ClientProblem(Exception):  # noqa: N818  # a problem with the input, not a program error
    """A permanent problem caused by the input: report it, never retry it."""

    reason: Reason
    message: str

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"

    @property
    def http_status(self) -> int:
        """The 4xx status the API answers with."""
        return HTTP_STATUS[self.reason]


class TransientError(Exception):
    """A throttle, 5xx, timeout or broken connection: raise it so Lambda retries the event."""


class UnsupportedEventError(Exception):
    """An event this function does not serve; ``description`` says what it looked like."""

    def __init__(self, description: str) -> None:
        self.description = description
        super().__init__(
            f"unsupported event: {description}; expected an S3 notification "
            "(Records[].eventSource == 'aws:s3', directly or delivered through SNS, SQS or "
            "EventBridge) or an API Gateway REST proxy request (payload format 1.0: httpMethod, "
            "path)"
        )


# Error codes AWS services use for throttling and server-side trouble. HTTP status >= 500 is
# transient whatever the code says.
_TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "ProvisionedThroughputExceededException",
        "TransactionConflictException",
        "SlowDown",
        "ServiceUnavailable",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
        "KMSThrottlingException",
        "EC2ThrottledException",
    }
)
# S3 answers NoSuchKey/NoSuchVersion to GetObject (the role needs s3:ListBucket, otherwise a
# missing key is an AccessDenied, which is treated as a deployment bug).
_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchVersion", "404", "NotFound"})
# A malformed version id named by an API caller.
_INVALID_INPUT_CODES = frozenset({"InvalidArgument"})
_NETWORK_ERRORS = (
    BotocoreConnectionError,
    ConnectionClosedError,
    HTTPClientError,
    ReadTimeoutError,
    ResponseStreamingError,
)


def classify(error: BaseException, *, subject: str) -> BaseException:
    """Map an AWS SDK error to ClientProblem / TransientError, or return it unchanged.

    ``subject`` names what was being done (e.g. "object 's3://b/k'") for the messages.
    """
    if isinstance(error, _NETWORK_ERRORS):
        return TransientError(f"network error while reading {subject}: {error}")
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code in _TRANSIENT_CODES or status >= 500:
            return TransientError(f"{code or status} from AWS for {subject}")
        if code in _NOT_FOUND_CODES:
            return ClientProblem(Reason.NOT_FOUND, f"no such object: {subject}")
        if code in _INVALID_INPUT_CODES:
            return ClientProblem(
                Reason.INVALID_REQUEST, f"invalid request for {subject}: {details.get('Message')}"
            )
    return error


@contextlib.contextmanager
def classified(subject: str) -> Iterator[None]:
    """Run a block of AWS calls, re-raising SDK errors as their classified kind."""
    try:
        yield
    except (ClientError, *_NETWORK_ERRORS) as error:
        mapped = classify(error, subject=subject)
        if mapped is error:
            raise
        raise mapped from error


def failure_reason(error: BaseException) -> str:
    """The ``reason`` dimension of the ``Failures`` metric for an error that stops a record.

    A wrapped error (Powertools' idempotency layer re-raises DynamoDB errors as its own, with
    the SDK error as ``__cause__``) is named after the first classifiable link of its chain.
    """
    link: BaseException | None = error
    while link is not None:
        if isinstance(link, ClientProblem):
            return str(link.reason)
        if isinstance(link, UnsupportedEventError):
            return str(Reason.UNSUPPORTED_EVENT)
        # A concurrent delivery of the same object holds the idempotency record: a retry waits.
        if isinstance(link, TransientError | IdempotencyAlreadyInProgressError):
            return TRANSIENT
        if isinstance(link, (ClientError, *_NETWORK_ERRORS)):
            mapped = classify(link, subject="a dependency")
            if mapped is not link:
                return failure_reason(mapped)
        link = link.__cause__
    return INTERNAL_ERROR
