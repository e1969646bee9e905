"""Calls versus grants: what a function's role must allow, from what the function did, and how
that compares with what the role's policies allow.

A :class:`Need` is one IAM action on one resource ARN, with the reason. Needs come from

* the AWS calls the function's code made (:func:`needs_of_calls`): each operation's IAM action
  and resource, plus what the service then does with the caller's permissions — S3 decrypting an
  SSE-KMS object (``kms:Decrypt``), SNS encrypting a message for a KMS-encrypted topic
  (``kms:GenerateDataKey`` + ``kms:Decrypt``), DynamoDB decrypting a KMS-encrypted table's key
  (``kms:Decrypt``), and S3 answering a missing key with 404 only to callers allowed
  ``s3:ListBucket`` (the handler relies on the 404);
* what Lambda itself does with the execution role (:func:`needs_of_runtime`): writing the
  function's logs, sending X-Ray segments when tracing is active, and delivering an
  asynchronous invocation's failure record to its on-failure destination.

The encryption facts (which key protects which topic and table) are the rendered plan's, the
object's key is the one S3 reports for it. The references for each rule are in
docs/terraform.md ("Calls versus grants").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from parliament import expand_action
from parliament.statement import get_privilege_info

from tooling.emulator.policy import Request, evaluate, statements

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from aws_call_recorder import AwsCall

    from tooling.checks.rendered_stack import RenderedStack


@dataclass(frozen=True, order=True)
class Need:
    """One IAM action on one resource the role must allow, and why."""

    action: str
    resource: str
    why: str

    def __str__(self) -> str:
        return f"{self.action} on {self.resource} ({self.why})"


@dataclass(frozen=True)
class Function:
    """A function of the rendered stack, as the calls-versus-grants test needs it."""

    name: str
    address: str
    values: Mapping[str, Any]
    role_policies: Mapping[str, Mapping[str, Any]]  # "<address>.<attribute>" -> document

    @property
    def environment(self) -> dict[str, str]:
        blocks = self.values.get("environment") or [{}]
        return dict(blocks[0].get("variables") or {})


# ---------------------------------------------------------------------------------------------
# The functions of a rendered stack


def functions(stack: RenderedStack) -> dict[str, Function]:
    """Every Lambda function of the stack with the identity policies of its execution role
    (inline role policies, ``inline_policy`` blocks and attached customer-managed policies)."""
    roles = {r.values["arn"]: r for r in stack.of_type("aws_iam_role")}
    policies = stack.identity_policies()
    attached = {
        (a.values["role"], a.values["policy_arn"])
        for a in stack.of_type("aws_iam_role_policy_attachment")
    }
    managed = {p.values["arn"]: p for p in stack.of_type("aws_iam_policy")}
    found: dict[str, Function] = {}
    for function in stack.of_type("aws_lambda_function"):
        role = roles[function.values["role"]]
        role_name = role.values["name"]
        mine: dict[str, Mapping[str, Any]] = {}
        for policy in stack.of_type("aws_iam_role_policy"):
            if policy.values["role"] in (role_name, role.values.get("id")):
                mine[f"{policy.address}.policy"] = policies[f"{policy.address}.policy"]
        for key, document in policies.items():
            if key.startswith(f"{role.address}.inline_policy"):
                mine[key] = document
        for role_ref, policy_arn in attached:
            if role_ref == role_name and policy_arn in managed:
                mine[f"{managed[policy_arn].address}.policy"] = policies[
                    f"{managed[policy_arn].address}.policy"
                ]
        found[function.values["function_name"]] = Function(
            function.values["function_name"], function.address, function.values, mine
        )
    return found


def s3_notified_function(stack: RenderedStack) -> str:
    """The function the uploads bucket's notification invokes."""
    targets = {
        target["lambda_function_arn"]
        for notification in stack.of_type("aws_s3_bucket_notification")
        for target in notification.values.get("lambda_function") or []
    }
    return _one_function(stack, lambda f: f.values["arn"] in targets, "an S3 notification")


def api_function(stack: RenderedStack) -> str:
    """The function the REST API's Lambda proxy integration invokes."""
    uris = {
        integration.values.get("uri")
        for integration in stack.of_type("aws_api_gateway_integration")
        if integration.values.get("type") == "AWS_PROXY"
    }
    return _one_function(stack, lambda f: f.values["invoke_arn"] in uris, "the API integration")


def _one_function(stack: RenderedStack, matches: Any, what: str) -> str:
    names = [f.values["function_name"] for f in stack.of_type("aws_lambda_function") if matches(f)]
    assert len(names) == 1, f"expected one function invoked by {what}, found {names}"
    return names[0]


# ---------------------------------------------------------------------------------------------
# Needs


def needs_of_calls(calls: Iterable[AwsCall], stack: RenderedStack) -> set[Need]:
    """What the recorded calls need from the caller's role (see the module docstring)."""
    partition = stack.facts.partition
    needs: set[Need] = set()
    for call in calls:
        kind = f"{call.service}:{call.operation}"
        if call.service == "s3" and call.operation == "GetObject":
            bucket, key = call.params["Bucket"], call.params["Key"]
            versioned = bool(call.params.get("VersionId"))
            action = "s3:GetObjectVersion" if versioned else "s3:GetObject"
            needs.add(Need(action, f"arn:{partition}:s3:::{bucket}/{key}", kind))
            if call.status == 404:  # S3 answers 404 instead of 403 only with s3:ListBucket
                needs.add(Need("s3:ListBucket", f"arn:{partition}:s3:::{bucket}", f"{kind} 404"))
            if call.response.get("ServerSideEncryption") == "aws:kms":
                key_arn = _key_arn(stack, call.response["SSEKMSKeyId"])
                needs.add(Need("kms:Decrypt", key_arn, f"{kind} of an SSE-KMS object"))
        elif call.service == "sns" and call.operation == "Publish":
            topic = call.params["TopicArn"]
            needs.add(Need("sns:Publish", topic, kind))
            needs |= _topic_key_needs(stack, topic, kind)
        elif call.service == "dynamodb" and call.operation in DYNAMODB_ITEM_OPERATIONS:
            table = _table(stack, call.params["TableName"])
            needs.add(Need(f"dynamodb:{call.operation}", table.values["arn"], kind))
            sse = (table.values.get("server_side_encryption") or [{}])[0]
            if sse.get("enabled") and sse.get("kms_key_arn"):
                key_arn = _key_arn(stack, sse["kms_key_arn"])
                needs.add(Need("kms:Decrypt", key_arn, f"{kind} on a KMS-encrypted table"))
        else:
            raise AssertionError(
                f"no IAM mapping for {kind}: add it to tests/handler/iam_grants.py "
                "(needs_of_calls) with its AWS reference"
            )
    return needs


DYNAMODB_ITEM_OPERATIONS = frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem"})


def needs_of_runtime(function: Function, stack: RenderedStack, *, raised: bool) -> set[Need]:
    """What Lambda does with the execution role: logs, X-Ray, and (when an asynchronous
    invocation failed for good, ``raised``) the failure record to the on-failure destination."""
    facts = stack.facts
    name = function.name
    logging = (function.values.get("logging_config") or [{}])[0]
    group = logging.get("log_group") or f"/aws/lambda/{name}"
    stream = "2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef"
    stream_arn = (
        f"arn:{facts.partition}:logs:{facts.region}:{facts.account_id}:log-group:{group}"
        f":log-stream:{stream}"
    )
    needs = {
        Need("logs:CreateLogStream", stream_arn, "Lambda writes the function's logs"),
        Need("logs:PutLogEvents", stream_arn, "Lambda writes the function's logs"),
    }
    tracing = (function.values.get("tracing_config") or [{}])[0]
    if tracing.get("mode") == "Active":
        for action in ("xray:PutTraceSegments", "xray:PutTelemetryRecords"):
            needs.add(Need(action, "*", "active tracing: Lambda and the X-Ray SDK send traces"))
    if raised:
        for config in stack.of_type("aws_lambda_function_event_invoke_config"):
            if config.values.get("function_name") not in (name, function.values["arn"]):
                continue
            for destination in config.values.get("destination_config") or []:
                for on_failure in destination.get("on_failure") or []:
                    needs |= _destination_needs(stack, on_failure["destination"])
    return needs


def _destination_needs(stack: RenderedStack, arn: str) -> set[Need]:
    why = "Lambda delivers the failure record to the on-failure destination with the role"
    service = arn.split(":")[2]
    if service == "sns":
        return {Need("sns:Publish", arn, why), *_topic_key_needs(stack, arn, why)}
    if service == "sqs":
        return {Need("sqs:SendMessage", arn, why)}
    if service == "lambda":
        return {Need("lambda:InvokeFunction", arn, why)}
    if service == "events":
        return {Need("events:PutEvents", arn, why)}
    raise AssertionError(f"unknown on-failure destination {arn}")


def _topic_key_needs(stack: RenderedStack, topic_arn: str, why: str) -> set[Need]:
    topics = [t for t in stack.of_type("aws_sns_topic") if t.values["arn"] == topic_arn]
    key = topics[0].values.get("kms_master_key_id") if topics else None
    if not key or key.startswith("alias/aws/"):  # AWS managed key: its policy allows SNS
        return set()
    key_arn = _key_arn(stack, key)
    reason = f"{why}: a message to a KMS-encrypted topic"
    return {Need("kms:GenerateDataKey", key_arn, reason), Need("kms:Decrypt", key_arn, reason)}


def _table(stack: RenderedStack, name: str) -> Any:
    tables = [t for t in stack.of_type("aws_dynamodb_table") if t.values["name"] == name]
    assert tables, f"table {name} is not in the rendered stack"
    return tables[0]


def _key_arn(stack: RenderedStack, reference: str) -> str:
    """The key ARN behind an ARN, key id or alias of the stack."""
    for key in stack.of_type("aws_kms_key"):
        if reference in (key.values["arn"], key.values["key_id"]):
            return key.values["arn"]
    for alias in stack.of_type("aws_kms_alias"):
        if reference.endswith(alias.values["name"]):
            return _key_arn(stack, alias.values["target_key_id"])
    return reference  # a key of another stack: its ARN as given


# ---------------------------------------------------------------------------------------------
# Comparison


def missing(needs: Iterable[Need], policies: Sequence[Mapping[str, Any]]) -> list[Need]:
    """The needs the policies do not allow (IAM's evaluation: explicit deny wins)."""
    return sorted(n for n in needs if not evaluate(policies, Request(n.action, n.resource)).allowed)


def unused(needs: Iterable[Need], policies: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Every (action, resource) a policy allows that no need uses. Action wildcards are
    expanded with parliament's IAM database, so ``kms:GenerateDataKey*`` grants four actions."""
    needs = list(needs)
    found: list[str] = []
    for name, document in policies.items():
        for statement in statements(document):
            if statement.get("Effect") != "Allow":
                continue
            sid = statement.get("Sid", "")
            for key in ("NotAction", "NotResource"):
                if key in statement:
                    found.append(f"{name} {sid}: {key} grants everything not listed")
            for action in _concrete_actions(statement.get("Action", [])):
                for pattern in _as_list(statement.get("Resource", [])):
                    if not any(
                        n.action.lower() == action.lower() and _glob(pattern, n.resource)
                        for n in needs
                    ):
                        found.append(f"{name} {sid}: {action} on {pattern}")
    return found


def too_broad(needs: Iterable[Need], policies: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Grants whose resource pattern also matches a resource that is not this stack's: the
    same name in another account or region, or another name in the same place. ``"*"`` is
    right (and the only choice) for actions with no resource-level permissions."""
    found: list[str] = []
    for need in needs:
        if need.resource == "*" and not _supports_resources(need.action):
            continue
        for name, document in policies.items():
            for statement in statements(document):
                if statement.get("Effect") != "Allow":
                    continue
                if need.action.lower() not in {
                    a.lower() for a in _concrete_actions(statement.get("Action", []))
                }:
                    continue
                for pattern in _as_list(statement.get("Resource", [])):
                    if not _glob(pattern, need.resource):
                        continue
                    for probe in foreign_resources(need.resource):
                        if _glob(pattern, probe):
                            found.append(
                                f"{name} {statement.get('Sid', '')}: {need.action} on {pattern} "
                                f"also matches {probe}"
                            )
    return sorted(set(found))


_NAMES = {
    "s3": re.compile(r"^(?P<name>[^/]+)"),
    "sns": re.compile(r"^(?P<name>[^:]+)"),
    "sqs": re.compile(r"^(?P<name>[^:]+)"),
    "dynamodb": re.compile(r"^table/(?P<name>[^/]+)"),
    "kms": re.compile(r"^key/(?P<name>.+)$"),
    "logs": re.compile(r"^log-group:(?P<name>.+?)(?::log-stream:.*)?$"),
    "lambda": re.compile(r"^function:(?P<name>[^:]+)"),
}


def foreign_resources(arn: str) -> list[str]:
    """ARNs that are not ``arn`` but look like it: another account, another region, and the
    resource's name with something before or after it."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return []
    _, partition, service, region, account, rest = parts
    probes = []
    if account:
        probes.append(":".join(["arn", partition, service, region, "999999999999", rest]))
    if region:
        probes.append(":".join(["arn", partition, service, "ap-south-2", account, rest]))
    match = _NAMES.get(service, re.compile("(?!)")).match(rest)
    if match:
        start, end = match.span("name")
        for renamed in ("other-" + rest[start:end], rest[start:end] + "-other"):
            probes.append(
                ":".join(
                    [
                        "arn",
                        partition,
                        service,
                        region,
                        account,
                        rest[:start] + renamed + rest[end:],
                    ]
                )
            )
    return probes


def _concrete_actions(patterns: Any) -> list[str]:
    actions = []
    for pattern in _as_list(patterns):
        expanded = expand_action(pattern, raise_exceptions=False)
        actions += [f"{a['service']}:{a['action']}" for a in expanded] or [pattern]
    return actions


def _supports_resources(action: str) -> bool:
    service, name = action.split(":", 1)
    info = get_privilege_info(service, name)
    return any(t.get("resource_type") for t in info["resource_types"])


def _glob(pattern: str, value: str) -> bool:
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]
