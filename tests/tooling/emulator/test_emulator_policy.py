"""The emulator's IAM policy evaluator (pure: no moto, no server)."""

from __future__ import annotations

from typing import Any

import pytest

from tooling.emulator import policy
from tooling.emulator.policy import Decision, Principal, Request

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/results"
TOPIC = "arn:aws:sns:us-east-1:123456789012:results"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def decide(policies: list[dict[str, Any]], action: str, resource: str, **kw: Any) -> Decision:
    return policy.evaluate(policies, Request(action, resource, **kw)).decision


def test_nothing_allowed_without_a_matching_allow():
    # GIVEN a policy for another action and another resource
    policies = [doc(allow("sns:Publish", TOPIC))]
    # THEN everything else is implicitly denied
    assert decide(policies, "dynamodb:PutItem", TABLE) is Decision.IMPLICIT_DENY
    assert decide(policies, "sns:Publish", TOPIC + "-other") is Decision.IMPLICIT_DENY
    assert decide(policies, "sns:Publish", TOPIC) is Decision.ALLOW


def test_explicit_deny_wins_over_any_allow():
    policies = [doc(allow("sns:*")), doc(deny("sns:Publish", TOPIC))]
    assert decide(policies, "sns:Publish", TOPIC) is Decision.EXPLICIT_DENY
    assert decide(policies, "sns:Subscribe", TOPIC) is Decision.ALLOW


def test_a_deny_whose_condition_is_false_does_not_deny():
    # moto's evaluator turns such a statement into a Deny; AWS ignores it
    statement = deny("s3:*", "*", Condition={"Bool": {"aws:SecureTransport": "false"}})
    policies = [doc(allow("s3:GetObject", "arn:aws:s3:::b/*"), statement)]
    context = {"aws:SecureTransport": "true"}
    assert decide(policies, "s3:GetObject", "arn:aws:s3:::b/k", context=context) is Decision.ALLOW


def test_actions_match_case_insensitively_and_resources_case_sensitively():
    policies = [doc(allow("SNS:publish", TOPIC))]
    assert decide(policies, "sns:Publish", TOPIC) is Decision.ALLOW
    assert decide(policies, "sns:Publish", TOPIC.upper()) is Decision.IMPLICIT_DENY


def test_wildcards_are_iam_wildcards_not_regular_expressions():
    # GIVEN resources with "." and "?" in them
    policies = [doc(allow("s3:GetObject", ["arn:aws:s3:::b/report.csv", "arn:aws:s3:::b/v?/*"]))]
    # THEN "." is literal and "?" is one character, "*" spans "/"
    assert decide(policies, "s3:GetObject", "arn:aws:s3:::b/report.csv") is Decision.ALLOW
    assert decide(policies, "s3:GetObject", "arn:aws:s3:::b/reportXcsv") is Decision.IMPLICIT_DENY
    assert decide(policies, "s3:GetObject", "arn:aws:s3:::b/v1/deep/k") is Decision.ALLOW
    assert decide(policies, "s3:GetObject", "arn:aws:s3:::b/v10/k") is Decision.IMPLICIT_DENY


def test_not_action_and_not_resource():
    policies = [
        doc(
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::mine/*"},
        )
    ]
    assert decide(policies, "sns:Publish", TOPIC) is Decision.ALLOW
    assert decide(policies, "iam:CreateUser", "*") is Decision.IMPLICIT_DENY
    assert decide(policies, "s3:GetObject", "arn:aws:s3:::mine/k") is Decision.ALLOW
    assert decide(policies, "s3:GetObject", "arn:aws:s3:::theirs/k") is Decision.EXPLICIT_DENY


def test_a_statement_without_resource_grants_nothing():
    assert decide([doc({"Effect": "Allow", "Action": "*"})], "sns:Publish", TOPIC) is (
        Decision.IMPLICIT_DENY
    )


@pytest.mark.parametrize(
    ("operator", "key", "policy_value", "request_value", "expected"),
    [
        ("StringEquals", "s3:prefix", "in/", "in/", True),
        ("StringEquals", "s3:prefix", "in/", "out/", False),
        ("StringNotEquals", "s3:prefix", "in/", "out/", True),
        ("StringEqualsIgnoreCase", "s3:prefix", "IN/", "in/", True),
        ("StringLike", "s3:prefix", "in/*", "in/2024/x", True),
        ("StringNotLike", "s3:prefix", "in/*", "in/2024/x", False),
        ("NumericLessThan", "s3:max-keys", "100", "10", True),
        ("NumericGreaterThanEquals", "s3:max-keys", "100", "10", False),
        ("DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z", "2026-01-01T00:00:00Z", True),
        (
            "DateGreaterThan",
            "aws:CurrentTime",
            "2030-01-01T00:00:00Z",
            "2026-01-01T00:00:00Z",
            False,
        ),
        ("Bool", "aws:SecureTransport", "true", "true", True),
        ("Bool", "aws:SecureTransport", "false", "true", False),
        (
            "ArnLike",
            "aws:SourceArn",
            "arn:aws:execute-api:*:*:abc/*/POST/process",
            "arn:aws:execute-api:us-east-1:123456789012:abc/v1/POST/process",
            True,
        ),
        (
            "ArnNotLike",
            "aws:SourceArn",
            "arn:aws:execute-api:*:*:abc/*",
            "arn:aws:execute-api:us-east-1:1:xyz/v1/GET/",
            True,
        ),
        ("ArnEquals", "aws:PrincipalArn", "arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b", False),
    ],
)
def test_condition_operators(operator, key, policy_value, request_value, expected):
    # GIVEN an Allow whose condition uses the operator
    statement = allow("s3:ListBucket", "*", Condition={operator: {key: policy_value}})
    request = Request(
        "s3:ListBucket",
        "arn:aws:s3:::b",
        context={key: request_value},
        modelled_keys=frozenset({"s3:prefix", "s3:max-keys"}),
    )
    # THEN the request is allowed exactly when the condition holds
    outcome = policy.evaluate([doc(statement)], request)
    assert outcome.allowed is expected
    assert outcome.unevaluated == ()


def test_ip_address_and_null_and_if_exists():
    modelled = frozenset({"s3:prefix"})

    def allowed(condition: dict[str, Any], context: dict[str, Any]) -> bool:
        statement = allow("s3:ListBucket", "*", Condition=condition)
        request = Request("s3:ListBucket", "arn:aws:s3:::b", context, modelled)
        return policy.evaluate([doc(statement)], request).allowed

    assert allowed({"IpAddress": {"aws:SourceArn": "10.0.0.0/8"}}, {"aws:SourceArn": "10.1.2.3"})
    assert allowed({"Null": {"s3:prefix": "true"}}, {})
    assert not allowed({"Null": {"s3:prefix": "true"}}, {"s3:prefix": "x"})
    # absent key: positive operators false, negated ones and IfExists true
    assert not allowed({"StringEquals": {"s3:prefix": "x"}}, {})
    assert allowed({"StringNotEquals": {"s3:prefix": "x"}}, {})
    assert allowed({"StringEqualsIfExists": {"s3:prefix": "x"}}, {})
    assert not allowed({"StringEqualsIfExists": {"s3:prefix": "x"}}, {"s3:prefix": "y"})


def test_set_qualifiers():
    modelled = frozenset({"kms:encryptioncontextkeys"})
    keys = {"kms:EncryptionContextKeys": ["a", "b"]}

    def allowed(operator: str, values: list[str]) -> bool:
        statement = allow(
            "kms:Decrypt", "*", Condition={operator: {"kms:EncryptionContextKeys": values}}
        )
        return policy.evaluate(
            [doc(statement)], Request("kms:Decrypt", "k", keys, modelled)
        ).allowed

    assert allowed("ForAllValues:StringEquals", ["a", "b", "c"])
    assert not allowed("ForAllValues:StringEquals", ["a"])
    assert allowed("ForAnyValue:StringEquals", ["b"])
    assert not allowed("ForAnyValue:StringEquals", ["z"])


def test_unknown_operators_and_unmodelled_keys_fail_closed():
    # GIVEN an Allow with an operator the emulator does not evaluate
    odd_allow = allow("sns:Publish", TOPIC, Condition={"StringMatchesRegex": {"aws:userid": ".*"}})
    outcome = policy.evaluate([doc(odd_allow)], Request("sns:Publish", TOPIC))
    # THEN it grants nothing (moto would count it as true), and says why
    assert outcome.decision is Decision.IMPLICIT_DENY
    assert "StringMatchesRegex" in outcome.unevaluated[0]
    # GIVEN a Deny conditioned on a key the emulator does not model (aws:SourceIp)
    odd_deny = deny("sns:Publish", TOPIC, Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    outcome = policy.evaluate([doc(allow("sns:*"), odd_deny)], Request("sns:Publish", TOPIC))
    # THEN the Deny applies
    assert outcome.decision is Decision.EXPLICIT_DENY
    assert "aws:SourceIp" in outcome.unevaluated[0]


def test_permissions_boundary_and_session_policy_intersect():
    identity = [doc(allow(["sns:Publish", "dynamodb:PutItem"], "*"))]
    boundary = doc(allow("sns:*"))
    # the boundary lets only SNS through
    ok = policy.evaluate(identity, Request("sns:Publish", TOPIC), boundary=boundary)
    blocked = policy.evaluate(identity, Request("dynamodb:PutItem", TABLE), boundary=boundary)
    assert ok.allowed
    assert blocked.decision is Decision.IMPLICIT_DENY
    assert blocked.decided_by == "permissions boundary"
    # a session policy narrows further
    narrowed = policy.evaluate(
        identity, Request("sns:Publish", TOPIC), session_policies=[doc(allow("sqs:*"))]
    )
    assert narrowed.decided_by == "session policy"
    assert not narrowed.allowed


def test_policy_variables_are_substituted_or_match_nothing():
    statement = allow("s3:GetObject", "arn:aws:s3:::b/${aws:userid}/*")
    mine = Request("s3:GetObject", "arn:aws:s3:::b/AROA1:fn/k", {"aws:userid": "AROA1:fn"})
    theirs = Request("s3:GetObject", "arn:aws:s3:::b/other/k", {"aws:userid": "AROA1:fn"})
    unknown = Request("s3:GetObject", "arn:aws:s3:::b/AROA1:fn/k")
    assert policy.evaluate([doc(statement)], mine).allowed
    assert not policy.evaluate([doc(statement)], theirs).allowed
    assert not policy.evaluate([doc(statement)], unknown).allowed


def test_resource_policy_matches_service_principals_and_source_arn():
    function = "arn:aws:lambda:us-east-1:123456789012:function:api"
    lambda_policy = doc(
        {
            "Sid": "AllowApiGatewayInvoke",
            "Effect": "Allow",
            "Principal": {"Service": "apigateway.amazonaws.com"},
            "Action": "lambda:InvokeFunction",
            "Resource": function,
            "Condition": {
                "ArnLike": {
                    "AWS:SourceArn": "arn:aws:execute-api:us-east-1:123456789012:abc/*/POST/process"
                }
            },
        }
    )

    def outcome(service: str, source: str) -> Decision:
        request = Request(
            "lambda:InvokeFunction",
            function,
            {"aws:SourceArn": source},
            principal=Principal(service=service),
        )
        return policy.evaluate_resource_policy(lambda_policy, request).decision

    base = "arn:aws:execute-api:us-east-1:123456789012:abc"
    assert outcome("apigateway.amazonaws.com", f"{base}/v1/POST/process") is Decision.ALLOW
    assert outcome("apigateway.amazonaws.com", f"{base}/v1/GET/process") is Decision.IMPLICIT_DENY
    assert outcome("sns.amazonaws.com", f"{base}/v1/POST/process") is Decision.IMPLICIT_DENY
