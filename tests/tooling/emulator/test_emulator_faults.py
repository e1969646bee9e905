"""Fault injection: the rule registry, and errors SDKs parse as the service's own."""

from __future__ import annotations

import botocore.session
import pytest
from botocore import parsers

from tooling.emulator.faults import FaultRegistry, error_answer, preset_error

OPERATIONS = {"sns": ["Publish", "CreateTopic"], "s3": ["GetObject", "PutObject"]}


def known(service: str) -> list[str] | None:
    return OPERATIONS.get(service)


def test_a_fault_fails_exactly_times_requests_then_disappears() -> None:
    registry = FaultRegistry()
    added = registry.add({"service": "SNS", "operation": "publish", "times": 2}, known)
    assert (added["service"], added["operation"], added["remaining"]) == ("sns", "Publish", 2)
    taken = [registry.take("sns", "Publish", lambda: "") for _ in range(3)]
    assert [rule is not None for rule in taken] == [True, True, False]
    assert registry.list() == []


def test_a_persistent_fault_lasts_until_cleared_and_counts_hits() -> None:
    registry = FaultRegistry()
    fault = registry.add({"service": "s3", "operation": "GetObject", "times": None}, known)
    for _ in range(5):
        assert registry.take("s3", "GetObject", lambda: "")
    assert registry.list()[0]["hits"] == 5
    assert registry.clear(fault["id"]) == 1
    assert registry.take("s3", "GetObject", lambda: "") is None


def test_match_narrows_a_fault_to_requests_containing_it() -> None:
    registry = FaultRegistry()
    registry.add({"service": "sns", "operation": "Publish", "match": "topic/results"}, known)
    assert registry.take("sns", "Publish", lambda: "TopicArn=topic/alerts") is None
    assert registry.take("sns", "CreateTopic", lambda: "topic/results") is None
    assert registry.take("sns", "Publish", lambda: "TopicArn=topic/results") is not None


def test_clear_without_an_id_removes_every_fault() -> None:
    registry = FaultRegistry()
    registry.add({"service": "sns", "operation": "Publish"}, known)
    registry.add({"service": "s3", "operation": "GetObject"}, known)
    assert registry.clear() == 2
    assert registry.services() == set()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"operation": "Publish"}, "needs 'service'"),
        ({"service": "snz", "operation": "Publish"}, "unknown service"),
        ({"service": "sns", "operation": "Publsh"}, "no operation 'Publsh'"),
        ({"service": "sns", "operation": "Publish", "times": 0}, "'times'"),
        ({"service": "sns", "operation": "Publish", "times": True}, "'times'"),
        ({"service": "sns", "operation": "Publish", "status": 200}, "'status'"),
    ],
)
def test_invalid_faults_are_refused_with_the_reason(document: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FaultRegistry().add(document, known)


@pytest.mark.parametrize(
    ("preset", "service", "protocol", "expected"),
    [
        ("throttling", "sns", "query", ("Throttled", 429)),
        ("throttling", "s3", "rest-xml", ("SlowDown", 503)),
        ("throttling", "dynamodb", "json", ("ProvisionedThroughputExceededException", 400)),
        ("throttling", "lambda", "rest-json", ("TooManyRequestsException", 429)),
        ("throttling", "logs", "json", ("ThrottlingException", 400)),
        ("throttling", "sts", "query", ("Throttling", 400)),
        ("internal", "s3", "rest-xml", ("InternalError", 500)),
        ("internal", "kms", "json", ("InternalFailure", 500)),
        ("unavailable", "sqs", "json", ("ServiceUnavailableException", 503)),
        ("access-denied", "sns", "query", ("AuthorizationError", 403)),
        ("access-denied", "s3", "rest-xml", ("AccessDenied", 403)),
        ("access-denied", "dynamodb", "json", ("AccessDeniedException", 400)),
        ("KMSAccessDenied", "sns", "query", ("KMSAccessDenied", 400)),
    ],
)
def test_presets_use_the_services_own_codes(preset, service, protocol, expected) -> None:
    assert preset_error(preset, service, protocol) == expected


@pytest.mark.parametrize(
    ("service", "operation", "protocol", "code", "status"),
    [
        ("sns", "Publish", "query", "Throttled", 429),
        ("s3", "GetObject", "rest-xml", "SlowDown", 503),
        ("dynamodb", "PutItem", "json", "ProvisionedThroughputExceededException", 400),
        ("lambda", "Invoke", "rest-json", "TooManyRequestsException", 429),
    ],
)
def test_botocore_parses_the_injected_error_as_the_services(
    service, operation, protocol, code, status
) -> None:
    # GIVEN the answer the emulator sends for a fault
    answer_status, headers, body = error_answer(code, status, "Rate exceeded", protocol, "rid")
    # WHEN botocore parses it with the service's own model
    model = botocore.session.get_session().get_service_model(service)
    parser = parsers.create_parser(protocol)
    parsed = parser.parse(
        {"status_code": answer_status, "headers": headers, "body": body.encode()},
        model.operation_model(operation).output_shape,
    )
    # THEN the SDK sees the code, the message and the status the service itself would send
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == "Rate exceeded"
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == status
