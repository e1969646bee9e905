"""IAM enforced for what the functions do, inside the emulator process.

Which requests are checked: only those signed with **temporary credentials that moto's STS
issued** (an AssumeRole session: access key + ``X-Amz-Security-Token``). Each function runs
with such a session of its execution role (issued by the Lambda runtime,
:mod:`tooling.emulator.lambda_runtime`), so every call the function makes — and every async
record Lambda delivers with that role — is checked against the role's policies. Everything
else — the tooling's ``test``/``test`` keys that Terraform, the tasks and the tests sign
with, IAM users' keys, unsigned requests — goes through moto's own hook unchanged, which is
off (moto's global enforcement is never switched on here).

How a checked request is decided (:mod:`tooling.emulator.policy` has the evaluation rules):

1. The request is resolved to IAM actions and **real resource ARNs** for S3, SNS, SQS,
   DynamoDB, KMS, CloudWatch Logs, Lambda, STS, CloudWatch and IAM; other services are checked
   against ``"*"`` (an ARN-scoped grant is then denied: fail-closed). Some calls need more than
   one permission, as on AWS: CopyObject (PutObject + GetObject on the source), DeleteObjects
   (DeleteObject per key), TransactWriteItems (PutItem/UpdateItem/… per table), and the KMS
   calls services make with the caller's permissions — GetObject of an SSE-KMS object needs
   ``kms:Decrypt``, PutObject into one ``kms:GenerateDataKey``, Publish to an encrypted topic
   and SendMessage to an encrypted queue both (customer managed keys only: AWS managed keys'
   policies grant their service directly).
2. The role's identity policies (inline + attached), its permissions boundary and the session
   policy decide; explicit Deny wins; no Allow means denied.
3. GetObject/HeadObject of a key that does not exist answers 403 instead of 404 when the role
   may not ``s3:ListBucket`` the bucket, as S3 does.
4. A denied call gets the service's own AccessDenied error (S3 ``AccessDenied`` 403 XML, SNS
   ``AuthorizationError`` 403, DynamoDB/KMS/Logs ``AccessDeniedException`` 400 JSON, SQS
   ``AccessDenied`` 403, Lambda ``AccessDeniedException`` 403) with AWS's message
   ("User: … is not authorized to perform: … on resource: … because no identity-based policy
   allows the … action"), and a line in the emulator log.

What is not enforced is listed in docs/emulator.md ("IAM: what the emulator cannot enforce").

Public functions for the other emulator modules: :func:`install` (server.py) and the
session helpers API Gateway uses for ``execute-api:Invoke``.

This module is loaded only by the emulator process (server.py and its modules): moto is
imported inside the functions that need it, so importing it stays cheap.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from werkzeug.exceptions import HTTPException

from tooling.core.local_aws import TOOLING_ROLE_NAME
from tooling.emulator import policy

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

log = logging.getLogger(__name__)

# Request signing name -> IAM service prefix, where the two differ.
_IAM_PREFIX = {"monitoring": "cloudwatch", "email": "ses", "aps": "aps"}

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass(frozen=True)
class Session:
    """The moto-STS session a request was signed with."""

    access_key_id: str
    account_id: str
    partition: str
    role_arn: str
    session_name: str
    session_policy: str | None

    @property
    def role_name(self) -> str:
        """The role's name (the last segment of its ARN, whatever its path)."""
        return self.role_arn.rsplit("/", 1)[-1]

    @property
    def arn(self) -> str:
        """The assumed-role ARN AWS names in its error messages."""
        return (
            f"arn:{self.partition}:sts::{self.account_id}:assumed-role/"
            f"{self.role_name}/{self.session_name}"
        )


@dataclass(frozen=True)
class Check:
    """One permission a request needs."""

    action: str
    resource: str
    context: Mapping[str, policy.ContextValue] = field(default_factory=dict)
    modelled_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Call:
    """A request as moto parsed it, reduced to what resolving its permissions needs."""

    service: str  # signing name, e.g. "s3", "dynamodb", "monitoring"
    operation: str  # e.g. "PutItem"
    params: Mapping[str, Any]
    account: str
    region: str
    partition: str
    hint: str  # the resource moto passed to its own hook ("*" when it has none)
    response: Any  # the moto BaseResponse, for S3's request details


# ---------------------------------------------------------------------------------------------
# Installation and public helpers


def install() -> None:
    """Route moto's per-request authorization hook through :func:`_authorize`."""
    from moto.core.authorization import ActionAuthenticatorMixin

    original = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def authenticate_and_authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        try:
            session = signing_session(dict(self.headers), self.querystring)
        except InvalidSessionTokenError:
            raise _invalid_token(self) from None
        if session is None or is_tooling_role(session.role_arn):
            # Not a function's session (test/test, or the tooling acting in another moto
            # account): moto's own hook, which is off.
            original(self, iam_request_cls, resource)
            return
        _authorize(self, session, resource)

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authenticate_and_authorize  # type: ignore[method-assign]


def session_permits(session: Session, action: str, resource: str, region: str) -> policy.Outcome:
    """Would the session's role (and session policy) allow ``action`` on ``resource``?"""
    return _decide(session, Check(action, resource), region)


def denial_message(session: Session, action: str, resource: str, outcome: policy.Outcome) -> str:
    """AWS's "User: … is not authorized to perform: …" message for a denied outcome."""
    return _message(session, Check(action, resource), outcome)


# ---------------------------------------------------------------------------------------------
# Who signed the request


def signing_session(headers: Mapping[str, str], query: Mapping[str, Any]) -> Session | None:
    """The moto-STS session that signed the request, or None when it is not signed with one.

    Raises the service's invalid-token error when the access key is a session's but the
    security token is not that session's.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    token = lowered.get("x-amz-security-token")
    match = _CREDENTIAL.search(lowered.get("authorization", ""))
    access_key = match.group(1) if match else None
    if access_key is None:  # a presigned URL carries the same in its query
        credential = _first(query.get("X-Amz-Credential"))
        access_key = credential.split("/", 1)[0] if credential else None
        token = token or _first(query.get("X-Amz-Security-Token"))
    if not access_key or not token or access_key.startswith("AKIA"):
        return None
    from moto.sts.models import sts_backends

    for account_id, partitions in list(sts_backends.items()):
        for partition, backend in list(partitions.items()):
            for assumed in list(backend.assumed_roles):
                if assumed.access_key_id != access_key:
                    continue
                if assumed.session_token != token:
                    raise InvalidSessionTokenError(access_key)
                return Session(
                    access_key,
                    account_id,
                    partition,
                    assumed.role_arn,
                    assumed.session_name,
                    assumed.policy or None,
                )
    return None


def is_tooling_role(role_arn: str) -> bool:
    """True for the role the tooling assumes to act in an emulated env's own moto account
    (:data:`tooling.core.local_aws.TOOLING_ROLE_NAME`): its sessions are the tooling's own
    credentials there, like ``test``/``test`` in moto's default account."""
    return role_arn.rsplit(":role/", 1)[-1] == TOOLING_ROLE_NAME


def _first(value: Any) -> str | None:
    if isinstance(value, list):
        return str(value[0]) if value else None
    return str(value) if value else None


# ---------------------------------------------------------------------------------------------
# The hook


def _authorize(response: Any, session: Session, hint: str) -> None:
    call = _describe(response, session, hint)
    if call.service == "sts" and call.operation == "GetCallerIdentity":
        return  # always allowed, even under an explicit Deny
    for check in _checks(call):
        outcome = _decide(session, check, call.region)
        if outcome.unevaluated:
            log.warning(
                "IAM: %s %s on %s: conditions not evaluated (fail-closed): %s",
                session.arn,
                check.action,
                check.resource,
                "; ".join(outcome.unevaluated),
            )
        if not outcome.allowed:
            message = _message(session, check, outcome)
            log.warning("IAM: AccessDenied: %s", message)
            raise _access_denied(call, message)
        log.debug("IAM: allowed %s %s on %s", session.arn, check.action, check.resource)
    if call.service == "s3":
        _s3_missing_key_is_403(call, session)


def _describe(response: Any, session: Session, hint: str) -> _Call:
    headers = {name.lower(): value for name, value in dict(response.headers).items()}
    match = _CREDENTIAL.search(headers.get("authorization", ""))
    if match:
        region, service = match.group(2), match.group(3)
    else:
        credential = _first(response.querystring.get("X-Amz-Credential")) or ""
        parts = credential.split("/")
        region, service = (parts[2], parts[3]) if len(parts) >= 4 else (response.region, "s3")
    operation = ""
    if service != "s3":
        operation = str(response._get_action() or "")
    return _Call(
        service=service,
        operation=operation,
        params=_params(response, headers),
        account=session.account_id,
        region=region,
        partition=session.partition,
        hint=hint or "*",
        response=response,
    )


def _params(response: Any, headers: Mapping[str, str]) -> dict[str, Any]:
    """The request's parameters: the JSON body for JSON protocols, else the query/form values."""
    if "amz-json" in headers.get("content-type", "") or "json" in headers.get("content-type", ""):
        body = response.body
        if isinstance(body, dict):  # some moto services parse the JSON body up front
            return body
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        try:
            parsed = json.loads(body or "{}")
        except ValueError:
            parsed = {}
        if isinstance(parsed, dict):
            return parsed
    flat: dict[str, Any] = {}
    for name, values in dict(response.querystring).items():
        flat[name] = values[0] if isinstance(values, list) and len(values) == 1 else values
    return flat


def _decide(session: Session, check: Check, region: str) -> policy.Outcome:
    identity, boundary, tags, role_id = _role_policies(session)
    context: dict[str, policy.ContextValue] = {
        "aws:CurrentTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(datetime.now(UTC).timestamp())),
        # The function talks to AWS over TLS; the emulator's plain HTTP on loopback stands in.
        "aws:SecureTransport": "true",
        "aws:PrincipalArn": session.role_arn,
        "aws:PrincipalAccount": session.account_id,
        "aws:PrincipalType": "AssumedRole",
        "aws:PrincipalIsAWSService": "false",
        "aws:ViaAWSService": "false",
        "aws:userid": f"{role_id}:{session.session_name}",
        "aws:RequestedRegion": region,
    }
    resource_parts = check.resource.split(":")
    if len(resource_parts) > 4 and resource_parts[4]:
        context["aws:ResourceAccount"] = resource_parts[4]
    for key, value in tags.items():
        context[f"aws:PrincipalTag/{key}"] = value
    context.update(check.context)
    request = policy.Request(
        action=check.action,
        resource=check.resource,
        context=context,
        modelled_keys=check.modelled_keys,
    )
    session_policies = [_load_document(session.session_policy)] if session.session_policy else []
    return policy.evaluate(identity, request, boundary=boundary, session_policies=session_policies)


def _role_policies(
    session: Session,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None, dict[str, str], str]:
    """Inline + attached policies, the permissions boundary, tags and id of the session's role."""
    from moto.iam.models import iam_backends

    backend = iam_backends[session.account_id][session.partition]
    try:
        role = backend.get_role_by_arn(session.role_arn)
    except Exception:  # a deleted role: its sessions may do nothing
        return [], None, {}, "AROA-DELETED"
    documents = [_load_document(text) for text in role.policies.values()]
    documents += [_managed_document(p) for p in role.managed_policies.values()]
    boundary = None
    if role.permissions_boundary_arn:
        try:
            boundary = _managed_document(backend.get_policy(role.permissions_boundary_arn))
        except Exception:  # a boundary that no longer exists allows nothing
            boundary = {"Statement": []}
    return documents, boundary, _tags(role.tags), str(role.id)


def _managed_document(managed: Any) -> dict[str, Any]:
    default = next(version for version in managed.versions if version.is_default)
    return _load_document(default.document)


def _load_document(text: str | Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(text, str):
        return dict(text)
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(unquote(text))


def _tags(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):
        return {
            str(value.get("Key", key)) if isinstance(value, dict) else str(key): str(
                value.get("Value", "") if isinstance(value, dict) else value
            )
            for key, value in raw.items()
        }
    if isinstance(raw, list):
        return {str(tag.get("Key")): str(tag.get("Value", "")) for tag in raw}
    return {}


# ---------------------------------------------------------------------------------------------
# Errors, in each service's own shape


class _AccessDenied(HTTPException):
    """An AWS error response; moto's handlers turn HTTPExceptions into (status, body)."""

    def __init__(self, status: int, body: str, content_type: str) -> None:
        super().__init__(description=body)
        self.code = status
        self._content_type = content_type

    def get_headers(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        del args, kwargs
        return [("Content-Type", self._content_type)]

    def get_body(self, *args: Any, **kwargs: Any) -> str:
        del args, kwargs
        return self.description or ""


def _query_error(code: str, message: str, status: int) -> _AccessDenied:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>Sender</Type>'
        f"<Code>{_xml(code)}</Code><Message>{_xml(message)}</Message></Error>"
        "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    )
    return _AccessDenied(status, body, "text/xml")


def _json_error(error_type: str, message: str, status: int) -> _AccessDenied:
    body = json.dumps({"__type": error_type, "message": message, "Message": message})
    return _AccessDenied(status, body, "application/x-amz-json-1.1")


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class InvalidSessionTokenError(Exception):
    """A session's access key signed with a security token that is not the session's."""


def _invalid_token(response: Any) -> Exception:
    headers = {name.lower(): value for name, value in dict(response.headers).items()}
    match = _CREDENTIAL.search(headers.get("authorization", ""))
    service = match.group(3) if match else "s3"
    message = "The security token included in the request is invalid."
    if service == "s3":
        from moto.s3.exceptions import S3ClientError

        class S3InvalidTokenError(S3ClientError):
            code = "InvalidToken"

        return S3InvalidTokenError(
            "InvalidToken", "The provided token is malformed or otherwise invalid."
        )
    if "json" in headers.get("content-type", ""):
        return _json_error("UnrecognizedClientException", message, 400)
    return _query_error("InvalidClientTokenId", message, 403)


def _access_denied(call: _Call, message: str) -> Exception:
    if call.service == "s3":
        from moto.s3.exceptions import S3ClientError

        class S3AccessDeniedError(S3ClientError):
            code = "AccessDenied"

        return S3AccessDeniedError("AccessDenied", message)
    json_request = "json" in dict(call.response.headers).get("Content-Type", "").lower()
    if call.service == "sns":
        return _query_error("AuthorizationError", message, 403)
    if call.service == "sqs":
        if json_request:
            return _json_error("com.amazonaws.sqs#AccessDenied", message, 403)
        return _query_error("AccessDenied", message, 403)
    if call.service == "lambda":
        return _json_error("AccessDeniedException", message, 403)
    if call.service in ("dynamodb", "kms", "logs") or json_request:
        return _json_error("AccessDeniedException", message, 400)
    return _query_error("AccessDenied", message, 403)


def _message(session: Session, check: Check, outcome: policy.Outcome) -> str:
    action = check.action
    if action.lower().startswith("sns:"):
        action = "SNS:" + action.split(":", 1)[1]  # SNS spells its prefix this way in errors
    resource = f'"{check.resource}"' if check.action.startswith("s3:") else check.resource
    if outcome.decision is policy.Decision.EXPLICIT_DENY:
        reason = f"with an explicit deny in a {outcome.decided_by}"
    else:
        reason = f"because no {outcome.decided_by} allows the {action} action"
    return (
        f"User: {session.arn} is not authorized to perform: {action} "
        f"on resource: {resource} {reason}"
    )


# ---------------------------------------------------------------------------------------------
# Request -> permissions


def _checks(call: _Call) -> list[Check]:
    resolver: Callable[[_Call], list[Check]] = _RESOLVERS.get(call.service, _generic)
    return resolver(call)


def _prefix(call: _Call) -> str:
    return _IAM_PREFIX.get(call.service, call.service)


def _generic(call: _Call) -> list[Check]:
    return [Check(f"{_prefix(call)}:{call.operation}", call.hint)]


def _arn(call: _Call, service: str, resource: str, *, region: str | None = None) -> str:
    used_region = call.region if region is None else region
    return f"arn:{call.partition}:{service}:{used_region}:{call.account}:{resource}"


# --- SNS ---


def _sns(call: _Call) -> list[Check]:
    params = call.params
    topic = params.get("TopicArn") or params.get("TargetArn") or params.get("ResourceArn")
    if not topic and params.get("SubscriptionArn"):
        topic = str(params["SubscriptionArn"]).rsplit(":", 1)[0]
    if call.operation == "CreateTopic" and params.get("Name"):
        topic = _arn(call, "sns", str(params["Name"]))
    resource = str(topic) if topic and not params.get("PhoneNumber") else "*"
    checks = [
        Check(
            f"sns:{call.operation}",
            resource,
            _present(
                {"sns:Protocol": params.get("Protocol"), "sns:Endpoint": params.get("Endpoint")}
            ),
            frozenset({"sns:protocol", "sns:endpoint"}),
        )
    ]
    if call.operation in ("Publish", "PublishBatch") and resource != "*":
        checks += _sns_kms_checks(call.account, call.region, resource)
    return checks


def _sns_kms_checks(account: str, region: str, topic_arn: str) -> list[Check]:
    from moto.sns.models import sns_backends
    from moto.utilities.utils import get_partition

    try:
        topic = sns_backends[account][region].topics.get(topic_arn)
    except KeyError:
        topic = None
    key = getattr(topic, "kms_master_key_id", "") if topic is not None else ""
    return _kms_use_checks(
        account,
        region,
        get_partition(region),
        key,
        ("kms:GenerateDataKey", "kms:Decrypt"),
        via="sns",
    )


# --- SQS ---


def _sqs(call: _Call) -> list[Check]:
    params = call.params
    name = ""
    url = params.get("QueueUrl")
    if url:
        name = str(url).rstrip("/").rsplit("/", 1)[-1]
    if call.operation == "CreateQueue":
        name = str(params.get("QueueName", ""))
    resource = call.hint if call.hint != "*" else (_arn(call, "sqs", name) if name else "*")
    checks = [Check(f"sqs:{call.operation}", resource)]
    if call.operation in ("SendMessage", "SendMessageBatch", "ReceiveMessage") and name:
        sends = call.operation != "ReceiveMessage"
        checks += _sqs_kms_checks(call.account, call.region, name, sends)
    return checks


def _sqs_kms_checks(account: str, region: str, queue_name: str, sends: bool) -> list[Check]:
    from moto.sqs.models import sqs_backends
    from moto.utilities.utils import get_partition

    queue = sqs_backends[account][region].queues.get(queue_name)
    key = getattr(queue, "kms_master_key_id", "") if queue is not None else ""
    actions = ("kms:GenerateDataKey", "kms:Decrypt") if sends else ("kms:Decrypt",)
    return _kms_use_checks(account, region, get_partition(region), key, actions, via="sqs")


# --- DynamoDB ---

_TRANSACT_WRITE = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def _dynamodb(call: _Call) -> list[Check]:
    params = call.params

    def table(name: str) -> str:
        return name if name.startswith("arn:") else _arn(call, "dynamodb", f"table/{name}")

    operation = call.operation
    if operation in ("BatchGetItem", "BatchWriteItem"):
        tables = list((params.get("RequestItems") or {}).keys())
        return [Check(f"dynamodb:{operation}", table(name)) for name in tables] or [
            Check(f"dynamodb:{operation}", "*")
        ]
    if operation == "TransactWriteItems":
        return [
            Check(f"dynamodb:{_TRANSACT_WRITE[kind]}", table(str(body.get("TableName", ""))))
            for item in params.get("TransactItems") or []
            for kind, body in item.items()
            if kind in _TRANSACT_WRITE
        ]
    if operation == "TransactGetItems":
        return [
            Check("dynamodb:GetItem", table(str(item["Get"].get("TableName", ""))))
            for item in params.get("TransactItems") or []
            if "Get" in item
        ]
    if params.get("TableName"):
        resource = table(str(params["TableName"]))
        if params.get("IndexName") and operation in ("Query", "Scan"):
            resource += f"/index/{params['IndexName']}"
        return [Check(f"dynamodb:{operation}", resource)]
    resource = str(params.get("ResourceArn") or params.get("StreamArn") or "*")
    return [Check(f"dynamodb:{operation}", resource)]


# --- KMS ---

_KMS_MODELLED = frozenset(
    {
        "kms:calleraccount",
        "kms:viaservice",
        "kms:encryptioncontext:*",
        "kms:encryptioncontextkeys",
    }
)
_KMS_UNSCOPED = frozenset(
    {"CreateKey", "ListKeys", "ListAliases", "GenerateRandom", "CreateCustomKeyStore"}
)


def _kms(call: _Call) -> list[Check]:
    params = call.params
    operation = call.operation
    context = _encryption_context(params.get("EncryptionContext"))
    context["kms:CallerAccount"] = call.account
    modelled = _KMS_MODELLED

    def key(ref: str | None) -> str:
        return _kms_key_arn(call.account, call.region, call.partition, ref or "")

    if operation in _KMS_UNSCOPED:
        return [Check(f"kms:{operation}", "*", context, modelled)]
    if operation == "ReEncrypt":
        source = params.get("SourceKeyId") or _blob_key_id(params.get("CiphertextBlob"))
        return [
            Check("kms:ReEncryptFrom", key(source), context, modelled),
            Check("kms:ReEncryptTo", key(params.get("DestinationKeyId")), context, modelled),
        ]
    if operation in ("CreateAlias", "UpdateAlias"):
        alias = _arn(call, "kms", str(params.get("AliasName", "")))
        return [
            Check(f"kms:{operation}", alias, context, modelled),
            Check(f"kms:{operation}", key(params.get("TargetKeyId")), context, modelled),
        ]
    if operation == "DeleteAlias":
        alias_name = str(params.get("AliasName", ""))
        return [
            Check("kms:DeleteAlias", _arn(call, "kms", alias_name), context, modelled),
            Check("kms:DeleteAlias", key(alias_name), context, modelled),
        ]
    reference = params.get("KeyId")
    if not reference and operation == "Decrypt":
        reference = _blob_key_id(params.get("CiphertextBlob"))
    return [Check(f"kms:{operation}", key(reference) if reference else "*", context, modelled)]


def _encryption_context(raw: Any) -> dict[str, policy.ContextValue]:
    context: dict[str, policy.ContextValue] = {}
    if isinstance(raw, dict):
        for name, value in raw.items():
            context[f"kms:EncryptionContext:{name}"] = str(value)
        context["kms:EncryptionContextKeys"] = [str(name) for name in raw]
    return context


def _blob_key_id(blob: Any) -> str | None:
    """The key id moto writes at the start of its ciphertext blobs (moto/kms/utils.py)."""
    if not blob:
        return None
    try:
        raw = base64.b64decode(str(blob))
        return raw[:36].decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        return None


def _kms_key_arn(account: str, region: str, partition: str, reference: str) -> str:
    """The key ARN a key id, key ARN, alias name or alias ARN names (authorization is by key)."""
    if reference.startswith("arn:") and ":key/" in reference:
        return reference
    key_region = reference.split(":")[3] if reference.startswith("arn:") else region
    from moto.kms.models import kms_backends

    try:
        backend = kms_backends[account][key_region]
        key_id = backend.any_id_to_key_id(reference)
        return str(backend.keys[key_id].arn)
    except Exception:  # unknown key: KMS answers NotFound after authorizing
        if reference.startswith("arn:"):
            return reference
        name = reference if reference.startswith("alias/") else f"key/{reference}"
        return f"arn:{partition}:kms:{key_region}:{account}:{name}"


def _kms_use_checks(
    account: str,
    region: str,
    partition: str,
    key_reference: str | None,
    actions: Iterable[str],
    *,
    via: str,
    encryption_context: Mapping[str, str] | None = None,
) -> list[Check]:
    """The KMS permissions a service uses on the caller's behalf (customer managed keys only)."""
    if not key_reference:
        return []
    arn = _kms_key_arn(account, region, partition, key_reference)
    if _aws_managed(account, arn):
        return []
    context: dict[str, policy.ContextValue] = {
        "kms:ViaService": f"{via}.{arn.split(':')[3] or region}.amazonaws.com",
        "kms:CallerAccount": account,
    }
    context.update(_encryption_context(dict(encryption_context or {})))
    return [Check(action, arn, context, _KMS_MODELLED) for action in actions]


def _aws_managed(account: str, key_arn: str) -> bool:
    from moto.kms.models import kms_backends

    parts = key_arn.split(":")
    if len(parts) < 6 or not parts[5].startswith("key/"):
        return key_arn.endswith(":alias/aws/s3") or ":alias/aws/" in key_arn
    try:
        key = kms_backends[account][parts[3]].keys.get(parts[5].removeprefix("key/"))
    except KeyError:
        return False
    return key is not None and getattr(key, "key_manager", "CUSTOMER") == "AWS"


# --- CloudWatch Logs ---


def _logs(call: _Call) -> list[Check]:
    params = call.params
    group = params.get("logGroupName")
    identifier = params.get("logGroupIdentifier")
    if not group and identifier:
        text = str(identifier)
        group = text.split(":log-group:", 1)[-1].removesuffix(":*")
    stream = params.get("logStreamName")
    if params.get("resourceArn"):
        resource = str(params["resourceArn"])
    elif group and stream:
        resource = _arn(call, "logs", f"log-group:{group}:log-stream:{stream}")
    elif group:
        # Logs documents the ARN with ":*" for IAM policies of all but a few actions.
        resource = _arn(call, "logs", f"log-group:{group}:*")
    elif call.operation in ("DescribeLogGroups", "CreateLogGroup"):
        resource = _arn(call, "logs", "log-group:*")
    else:
        resource = "*"
    return [Check(f"logs:{call.operation}", resource)]


# --- Lambda ---

_LAMBDA_ACTIONS = {"Invoke": "InvokeFunction", "InvokeWithResponseStream": "InvokeFunction"}


def _lambda(call: _Call) -> list[Check]:
    path = str(getattr(call.response, "path", "") or "")
    match = re.search(r"/functions/([^/]+)", path)
    action = f"lambda:{_LAMBDA_ACTIONS.get(call.operation, call.operation)}"
    if not match:
        return [Check(action, "*")]
    name = unquote(match.group(1))
    qualifier = call.params.get("Qualifier") or call.params.get("qualifier")
    if name.startswith("arn:"):
        resource = name
    else:
        base, _, inline_qualifier = name.partition(":")
        resource = _arn(call, "lambda", f"function:{base}")
        qualifier = qualifier or inline_qualifier
        if qualifier:
            resource += f":{qualifier}"
    return [Check(action, resource)]


# --- STS / CloudWatch / X-Ray / IAM ---


def _sts(call: _Call) -> list[Check]:
    if call.operation == "AssumeRole":
        return [Check("sts:AssumeRole", str(call.params.get("RoleArn") or call.hint))]
    return [Check(f"sts:{call.operation}", "*")]


def _cloudwatch(call: _Call) -> list[Check]:
    params = call.params
    if call.operation == "PutMetricData":
        return [
            Check(
                "cloudwatch:PutMetricData",
                "*",
                _present({"cloudwatch:namespace": params.get("Namespace")}),
                frozenset({"cloudwatch:namespace"}),
            )
        ]
    names = [str(v) for k, v in params.items() if k == "AlarmName" or k.startswith("AlarmNames.")]
    if names:
        return [
            Check(f"cloudwatch:{call.operation}", _arn(call, "cloudwatch", f"alarm:{name}"))
            for name in names
        ]
    return [Check(f"cloudwatch:{call.operation}", "*")]


def _present(values: Mapping[str, Any]) -> dict[str, policy.ContextValue]:
    return {name: str(value) for name, value in values.items() if value not in (None, "")}


# --- S3 ---

# S3 operations whose IAM action has another name (the rest are the same).
_S3_ACTIONS = {
    "HeadBucket": "ListBucket",
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "ListMultipartUploads": "ListBucketMultipartUploads",
    "ListBuckets": "ListAllMyBuckets",
    "HeadObject": "GetObject",
    "SelectObjectContent": "GetObject",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "UploadPartCopy": "PutObject",
    "CopyObject": "PutObject",
    "ListParts": "ListMultipartUploadParts",
    "DeleteObjects": "DeleteObject",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "PutBucketEncryption": "PutEncryptionConfiguration",
    "DeleteBucketEncryption": "PutEncryptionConfiguration",
    "GetBucketLifecycle": "GetLifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "PutBucketLifecycle": "PutLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "PutLifecycleConfiguration",
    "GetBucketCors": "GetBucketCORS",
    "PutBucketCors": "PutBucketCORS",
    "DeleteBucketCors": "PutBucketCORS",
    "GetBucketNotificationConfiguration": "GetBucketNotification",
    "PutBucketNotificationConfiguration": "PutBucketNotification",
    "DeleteBucketTagging": "PutBucketTagging",
    "GetBucketReplication": "GetReplicationConfiguration",
    "PutBucketReplication": "PutReplicationConfiguration",
    "DeleteBucketReplication": "PutReplicationConfiguration",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "PutObjectLockConfiguration": "PutBucketObjectLockConfiguration",
    "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
    "PutBucketAccelerateConfiguration": "PutAccelerateConfiguration",
    "DeleteBucketOwnershipControls": "PutBucketOwnershipControls",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "PutBucketPublicAccessBlock",
    "GetBucketIntelligentTieringConfiguration": "GetIntelligentTieringConfiguration",
    "PutBucketIntelligentTieringConfiguration": "PutIntelligentTieringConfiguration",
    "GetBucketInventoryConfiguration": "GetInventoryConfiguration",
    "PutBucketInventoryConfiguration": "PutInventoryConfiguration",
    "GetBucketMetricsConfiguration": "GetMetricsConfiguration",
    "PutBucketMetricsConfiguration": "PutMetricsConfiguration",
    "GetBucketAnalyticsConfiguration": "GetAnalyticsConfiguration",
    "PutBucketAnalyticsConfiguration": "PutAnalyticsConfiguration",
}
# With ?versionId=… these object actions become their Version form.
_S3_VERSIONED = {
    "GetObject": "GetObjectVersion",
    "GetObjectAcl": "GetObjectVersionAcl",
    "PutObjectAcl": "PutObjectVersionAcl",
    "GetObjectTagging": "GetObjectVersionTagging",
    "PutObjectTagging": "PutObjectVersionTagging",
    "DeleteObjectTagging": "DeleteObjectVersionTagging",
    "DeleteObject": "DeleteObjectVersion",
    "GetObjectAttributes": "GetObjectVersionAttributes",
}
# moto's own action names (moto/s3/responses.py ACTION_MAP and handlers), for requests its
# router cannot name.
_S3_MOTO_ACTIONS = {
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "ListBuckets": "ListAllMyBuckets",
    "HeadBucket": "ListBucket",
    "GetBucketCORS": "GetBucketCORS",
}
_S3_CONDITION_HEADERS = {
    "s3:x-amz-server-side-encryption": "x-amz-server-side-encryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id": "x-amz-server-side-encryption-aws-kms-key-id",
    "s3:x-amz-acl": "x-amz-acl",
    "s3:x-amz-copy-source": "x-amz-copy-source",
    "s3:x-amz-storage-class": "x-amz-storage-class",
    "s3:x-amz-content-sha256": "x-amz-content-sha256",
}
_S3_MODELLED = frozenset(
    {
        *_S3_CONDITION_HEADERS,
        "s3:prefix",
        "s3:delimiter",
        "s3:max-keys",
        "s3:versionid",
        "s3:signatureversion",
        "s3:authtype",
    }
)


def _s3_operation(call: _Call) -> str:
    """The S3 API operation of the request (botocore's name)."""
    from moto.core.routing import get_service_router

    try:
        operation, _ = get_service_router("s3").match(call.response.normalized_request)
        return str(operation.name)
    except Exception:  # unroutable: fall back to the action moto recorded
        return str(call.response.data.get("Action") or "")


def _s3_target(call: _Call) -> tuple[str, str | None]:
    """(bucket, key) from the ARN moto passed to its hook."""
    resource = call.hint.split(":::", 1)[-1] if ":::" in call.hint else ""
    bucket, slash, key = resource.partition("/")
    return bucket, (key if slash else None)


def _s3(call: _Call) -> list[Check]:
    response = call.response
    operation = _s3_operation(call)
    query = parse_qs(urlsplit(str(response.uri)).query, keep_blank_values=True)
    version_id = (query.get("versionId") or [None])[0]
    headers = {name.lower(): value for name, value in dict(response.headers).items()}
    bucket, key = _s3_target(call)
    action = _S3_ACTIONS.get(operation) or _S3_MOTO_ACTIONS.get(operation, operation)
    if version_id and operation in _S3_VERSIONED | {"HeadObject": ""}:
        action = _S3_VERSIONED.get(action, action)
    resource = "*" if action == "ListAllMyBuckets" or not bucket else call.hint
    context: dict[str, policy.ContextValue] = {
        name: headers[header] for name, header in _S3_CONDITION_HEADERS.items() if header in headers
    }
    for name in ("prefix", "delimiter", "max-keys"):
        if name in query and action == "ListBucket":
            context[f"s3:{name}"] = query[name][0]
    if version_id:
        context["s3:VersionId"] = version_id
    context["s3:signatureversion"] = "AWS4-HMAC-SHA256"
    context["s3:authType"] = "REST-QUERY-STRING" if "X-Amz-Credential" in query else "REST-HEADER"

    def check(name: str, arn: str) -> Check:
        return Check(f"s3:{name}", arn, context, _S3_MODELLED)

    partition = call.partition
    if operation == "DeleteObjects":
        return [
            check(
                "DeleteObjectVersion" if version else "DeleteObject",
                f"arn:{partition}:s3:::{bucket}/{name}",
            )
            for name, version in _delete_objects_keys(response)
        ] or [check("DeleteObject", f"arn:{partition}:s3:::{bucket}/*")]
    checks = [check(action, resource)]
    copy_source = headers.get("x-amz-copy-source")
    if copy_source and operation in ("CopyObject", "UploadPartCopy"):
        source_bucket, source_key, source_version = _copy_source(copy_source)
        checks.append(
            check(
                "GetObjectVersion" if source_version else "GetObject",
                f"arn:{partition}:s3:::{source_bucket}/{source_key}",
            )
        )
        checks += _s3_object_kms(call, source_bucket, source_key, source_version, "kms:Decrypt")
    if operation == "GetObject" and key is not None:
        checks += _s3_object_kms(call, bucket, key, version_id, "kms:Decrypt")
    if operation in ("PutObject", "CopyObject", "CreateMultipartUpload") and key is not None:
        checks += _s3_put_kms(call, bucket, key, headers)
    return checks


def _delete_objects_keys(response: Any) -> list[tuple[str, str | None]]:
    body = response.body if isinstance(response.body, bytes) else str(response.body).encode()
    try:
        root = ElementTree.fromstring(body)  # noqa: S314  # loopback-only server, as moto parses it
    except ElementTree.ParseError:
        return []
    found = []
    for element in root.iter():
        if element.tag.endswith("Object"):
            key = next((c.text for c in element if c.tag.endswith("Key")), None)
            version = next((c.text for c in element if c.tag.endswith("VersionId")), None)
            if key is not None:
                found.append((key, version))
    return found


def _copy_source(header: str) -> tuple[str, str, str | None]:
    path, _, query = header.partition("?")
    bucket, _, key = unquote(path.lstrip("/")).partition("/")
    version = (parse_qs(query).get("versionId") or [None])[0]
    return bucket, key, version


def _s3_bucket(call: _Call, bucket: str) -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[call.account][call.partition].buckets.get(bucket)


def _s3_stored(call: _Call, bucket: str, key: str, version_id: str | None) -> Any:
    """The stored object (moto's FakeKey), or None when there is none (or a delete marker)."""
    from moto.s3.models import FakeKey

    found = _s3_bucket(call, bucket)
    if found is None:
        return None
    if version_id is None:
        stored = found.keys.get(key)
    else:
        stored = next(
            (v for v in found.keys.getlist(key, []) if str(v.version_id) == str(version_id)),
            None,
        )
    return stored if isinstance(stored, FakeKey) else None


def _s3_object_kms(
    call: _Call, bucket: str, key: str, version_id: str | None, action: str
) -> list[Check]:
    stored = _s3_stored(call, bucket, key, version_id)
    if stored is None or stored.encryption != "aws:kms":
        return []
    return _kms_use_checks(
        call.account,
        call.region,
        call.partition,
        stored.kms_key_id,
        (action,),
        via="s3",
        encryption_context=_s3_encryption_context(
            call, bucket, key, bool(stored.bucket_key_enabled)
        ),
    )


def _s3_put_kms(call: _Call, bucket: str, key: str, headers: Mapping[str, str]) -> list[Check]:
    algorithm = headers.get("x-amz-server-side-encryption")
    key_id = headers.get("x-amz-server-side-encryption-aws-kms-key-id")
    bucket_key_header = headers.get("x-amz-server-side-encryption-bucket-key-enabled", "")
    bucket_key = bucket_key_header.lower() == "true"
    stored_bucket = _s3_bucket(call, bucket)
    default = (getattr(stored_bucket, "encryption", None) or {}).get("Rule") or {}
    by_default = default.get("ApplyServerSideEncryptionByDefault") or {}
    if algorithm is None and by_default.get("SSEAlgorithm") == "aws:kms":
        algorithm = "aws:kms"
        key_id = key_id or by_default.get("KMSMasterKeyID")
        bucket_key = bucket_key or str(default.get("BucketKeyEnabled", "")).lower() == "true"
    if algorithm not in ("aws:kms", "aws:kms:dsse"):
        return []
    return _kms_use_checks(
        call.account,
        call.region,
        call.partition,
        key_id,  # None = the AWS managed aws/s3 key, whose policy grants S3 itself
        ("kms:GenerateDataKey",),
        via="s3",
        encryption_context=_s3_encryption_context(call, bucket, key, bucket_key),
    )


def _s3_encryption_context(call: _Call, bucket: str, key: str, bucket_key: bool) -> dict[str, str]:
    arn = f"arn:{call.partition}:s3:::{bucket}" + ("" if bucket_key else f"/{key}")
    return {"aws:s3:arn": arn}


def _s3_missing_key_is_403(call: _Call, session: Session) -> None:
    """S3 answers 403, not 404, for a missing key when the caller may not list the bucket."""
    operation = _s3_operation(call)
    if operation not in ("GetObject", "HeadObject"):
        return
    bucket, key = _s3_target(call)
    if key is None or _s3_bucket(call, bucket) is None:
        return
    query = parse_qs(urlsplit(str(call.response.uri)).query)
    version_id = (query.get("versionId") or [None])[0]
    if _s3_stored(call, bucket, key, version_id) is not None:
        return
    listing = Check("s3:ListBucket", f"arn:{call.partition}:s3:::{bucket}")
    outcome = _decide(session, listing, call.region)
    if not outcome.allowed:
        message = _message(session, listing, outcome)
        log.warning("IAM: AccessDenied (missing key, no s3:ListBucket): %s", message)
        raise _access_denied(call, message)


_RESOLVERS: dict[str, Callable[[_Call], list[Check]]] = {
    "s3": _s3,
    "sns": _sns,
    "sqs": _sqs,
    "dynamodb": _dynamodb,
    "kms": _kms,
    "logs": _logs,
    "lambda": _lambda,
    "sts": _sts,
    "monitoring": _cloudwatch,
}
