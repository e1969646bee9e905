"""Least privilege, proved from outside: each function's role is refused what it must not do.

| role | must be refused | why it matters |
|---|---|---|
| processor | ``s3:PutObject`` on the uploads bucket | it could re-trigger itself |
| processor | ``sns:Publish`` to the alerts topic | only CloudWatch alarms page on-call |
| api | ``sns:Publish`` to the results topic | only the processor publishes results |
| api | ``dynamodb:PutItem``, ``UpdateItem``, ``DeleteItem`` on the table | the processor writes |

and, as a control that the probe itself works, each role **may** ``s3:GetObject`` a probe (a
probe whose session or signature were broken would be "refused" everything and prove nothing).
The roles are read from the deployed functions (``GetFunctionConfiguration``).

* **Emulator**: the role is assumed with STS and each call is made with the session's
  credentials; the emulator checks them against the role's policies with real resource ARNs,
  as AWS does.
* **AWS**: an execution role trusts only ``lambda.amazonaws.com`` (so people cannot assume it),
  and a call that wrongly succeeded would page on-call or re-trigger the processor; the role's
  policies are evaluated by IAM's policy simulator instead (``iam:SimulatePrincipalPolicy``,
  same actions and resource ARNs, no side effect). Resource policies (topic, table) are not in
  that evaluation: they are checked statically (the Terraform tests).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tooling.canary.report import Check, guarded

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from tooling.canary.probes import Uploaded
    from tooling.run.target import DeployedEnv

    ClientFactory = Callable[[str], Any]

# Error codes a service answers an IAM denial with (S3, SNS, DynamoDB/JSON protocols).
DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "AuthorizationError"})
# Codes saying the credentials themselves were not accepted: such a probe proves nothing.
SESSION_REJECTED_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "InvalidAccessKeyId",
        "ExpiredToken",
        "ExpiredTokenException",
    }
)
SESSION_NAME = "sfp-canary-least-privilege"


@dataclass(frozen=True)
class Probe:
    """One call a role makes (or must not make)."""

    role: str  # "processor" or "api"
    action: str  # IAM action, e.g. "s3:PutObject"
    resource_arn: str
    allowed: bool  # what least privilege expects
    call: Callable[[ClientFactory], Any]  # makes the call with a client factory
    undo: Callable[[Any], None] | None = None  # removes what a wrongly allowed call did

    @property
    def name(self) -> str:
        verb = "may" if self.allowed else "cannot"
        return f"least privilege: {self.role} {verb} {self.action}"


def probes(deployed: DeployedEnv, probe: Uploaded, run_key: str) -> list[Probe]:
    """The calls to try; ``probe`` is an uploaded probe object, ``run_key`` a free key to try."""
    deployment = deployed.deployment
    bucket = deployment.uploads_bucket_name
    object_arn = f"{deployment.uploads_bucket_arn}/{probe.key}"
    message = "sfp canary least-privilege probe: this publish should have been refused"
    tooling_clients = deployed.clients

    def get_probe(client: ClientFactory) -> Any:
        return client("s3").get_object(Bucket=bucket, Key=probe.key)["Body"].read(1)

    def put_object(client: ClientFactory) -> Any:
        return client("s3").put_object(Bucket=bucket, Key=run_key, Body=b"least-privilege probe")

    def undo_put(response: Any) -> None:
        tooling_clients["s3"].delete_object(
            Bucket=bucket, Key=run_key, VersionId=response.get("VersionId") or "null"
        )

    def publish(topic_arn: str) -> Callable[[ClientFactory], Any]:
        return lambda client: client("sns").publish(TopicArn=topic_arn, Message=message)

    item_key = {"id": {"S": f"sfp-canary-least-privilege/{run_key}"}}

    def put_item(client: ClientFactory) -> Any:
        return client("dynamodb").put_item(
            TableName=deployment.idempotency_table_name, Item=item_key
        )

    def update_item(client: ClientFactory) -> Any:
        return client("dynamodb").update_item(
            TableName=deployment.idempotency_table_name,
            Key=item_key,
            UpdateExpression="SET probe = :probe",
            ExpressionAttributeValues={":probe": {"S": "least-privilege"}},
        )

    def delete_item(client: ClientFactory) -> Any:
        return client("dynamodb").delete_item(
            TableName=deployment.idempotency_table_name, Key=item_key
        )

    def undo_item(_: Any) -> None:
        tooling_clients["dynamodb"].delete_item(
            TableName=deployment.idempotency_table_name, Key=item_key
        )

    return [
        Probe("processor", "s3:GetObject", object_arn, True, get_probe),
        Probe(
            "processor",
            "s3:PutObject",
            f"{deployment.uploads_bucket_arn}/{run_key}",
            False,
            put_object,
            undo_put,
        ),
        Probe(
            "processor",
            "sns:Publish",
            deployment.alerts_topic_arn,
            False,
            publish(deployment.alerts_topic_arn),
        ),
        Probe("api", "s3:GetObject", object_arn, True, get_probe),
        Probe(
            "api",
            "sns:Publish",
            deployment.results_topic_arn,
            False,
            publish(deployment.results_topic_arn),
        ),
        Probe("api", "dynamodb:PutItem", deployment.table_arn(), False, put_item, undo_item),
        Probe("api", "dynamodb:UpdateItem", deployment.table_arn(), False, update_item, undo_item),
        Probe("api", "dynamodb:DeleteItem", deployment.table_arn(), False, delete_item),
    ]


def least_privilege_checks(
    deployed: DeployedEnv, uploaded: Sequence[Uploaded], run_key: str
) -> list[Check]:
    """One check per probe; on AWS through the policy simulator (see the module docstring)."""
    roles = function_roles(deployed)
    tried = probes(deployed, uploaded[0], run_key)
    if deployed.on_emulator:
        return call_checks(tried, assume_roles(deployed, roles))
    return [
        guarded(probe.name, lambda probe=probe: _simulated_check(deployed, roles, probe))
        for probe in tried
    ]


def function_roles(deployed: DeployedEnv) -> dict[str, str]:
    """The execution role ARN of each function, as deployed."""
    return {
        role: deployed.clients["lambda"].get_function_configuration(
            FunctionName=deployed.deployment.function_name_of(role)
        )["Role"]
        for role in ("processor", "api")
    }


def assume_roles(deployed: DeployedEnv, roles: dict[str, str]) -> dict[str, ClientFactory]:
    """A client factory per role, signing with an STS session of it (emulator only)."""
    return {role: _session_clients(deployed, arn) for role, arn in roles.items()}


def call_checks(tried: Sequence[Probe], sessions: dict[str, ClientFactory]) -> list[Check]:
    """Make each probe's call under its role's session."""
    return [
        guarded(probe.name, lambda probe=probe: _call_check(sessions[probe.role], probe))
        for probe in tried
    ]


def _call_check(client: ClientFactory, probe: Probe) -> Check:
    """Make the call under the role's STS session; compare the answer with the expectation."""
    from botocore.exceptions import ClientError

    try:
        response = probe.call(client)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in SESSION_REJECTED_CODES:
            return Check(probe.name, False, f"the role's session was not accepted: {code}")
        if code in DENIED_CODES or status == 403:
            ok = not probe.allowed
            detail = f"{code} under the role's session" + ("" if ok else ": the role lacks it")
            return Check(probe.name, ok, detail)
        if probe.allowed:
            return Check(probe.name, False, f"{code}: {error}")
        # Authorization passed (the service got as far as checking the request itself).
        return Check(
            probe.name, False, f"not refused by IAM (the call got {code}): the role has it"
        )
    if probe.undo is not None:
        with contextlib.suppress(Exception):
            probe.undo(response)
    detail = "allowed under the role's session"
    return Check(probe.name, probe.allowed, detail if probe.allowed else f"{detail}: too broad")


def _simulated_check(deployed: DeployedEnv, roles: dict[str, str], probe: Probe) -> Check:
    """IAM's policy simulator on the role's policies, for the probe's action and resource."""
    result = deployed.clients["iam"].simulate_principal_policy(
        PolicySourceArn=roles[probe.role],
        ActionNames=[probe.action],
        ResourceArns=[probe.resource_arn],
    )["EvaluationResults"][0]
    decision = result.get("EvalDecision", "")
    allowed = decision == "allowed"
    detail = f"policy simulator: {decision}"
    if allowed != probe.allowed:
        detail += ": the role has it" if allowed else ": the role lacks it"
    return Check(probe.name, allowed == probe.allowed, detail)


def _session_clients(deployed: DeployedEnv, role_arn: str) -> ClientFactory:
    """A client factory signing with an STS session of ``role_arn`` (emulator only)."""
    import boto3

    credentials = deployed.clients["sts"].assume_role(
        RoleArn=role_arn, RoleSessionName=SESSION_NAME
    )["Credentials"]
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=deployed.deployment.region,
    )
    made: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in made:
            made[service] = session.client(service, endpoint_url=deployed.endpoint)
        return made[service]

    return client
