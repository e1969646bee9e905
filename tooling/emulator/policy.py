"""IAM policy evaluation for the emulator: identity policies, permission boundaries, session
policies, and the principal-matching part of resource policies.

Pure Python (no moto): :mod:`tooling.emulator.iam` feeds it the policies moto stores and the
request it resolved (action, real resource ARN, condition context).

Why hand-written: moto's evaluator (``moto/iam/access_control.py``) turns a Deny statement whose
condition does not match into a Deny, matches ``Resource`` as an unescaped regular expression
(``.`` and ``?`` match anything), knows no ``NotResource``, compares actions case-sensitively and
implements one condition operator, treating every other one as true. None of the policy
libraries on PyPI evaluates policies (they lint or generate them).

The rules implemented are AWS's for a single account
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
an explicit Deny in any policy wins; otherwise the identity policies must allow, and so must the
permissions boundary and the session policy when there is one; otherwise the request is
implicitly denied.

Conditions (fail-closed where the emulator cannot know the answer):

* Evaluated operators: :data:`EVALUATED_OPERATORS`, each with the ``…IfExists`` form (not
  ``Null``) and the ``ForAllValues:`` / ``ForAnyValue:`` set qualifiers.
* A key that the emulator models (:data:`ALWAYS_MODELLED_KEYS`, plus the keys a service
  resolver declares for the request) follows AWS's rules when it is absent: a positive operator
  is false, a negated one (``StringNotEquals``, ``ArnNotLike``…) is true, ``…IfExists`` is true.
* An operator it does not evaluate, or a key it does not model (``aws:SourceIp``,
  ``aws:ResourceTag/…``, ``s3:ExistingObjectTag/…``…), makes the condition *unknown*: an Allow
  statement with an unknown condition grants nothing, a Deny statement with one denies.
  Unknown conditions are reported in :attr:`Outcome.unevaluated` so the emulator can log them.
"""

from __future__ import annotations

import base64
import enum
import fnmatch
import ipaddress
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

ContextValue = str | list[str]

# Condition operators evaluated here (the `…IfExists` forms and set qualifiers too).
STRING_OPERATORS = frozenset(
    {
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
    }
)
NUMERIC_OPERATORS = frozenset(
    {
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
    }
)
DATE_OPERATORS = frozenset(
    {
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
    }
)
ARN_OPERATORS = frozenset({"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"})
OTHER_OPERATORS = frozenset({"Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "Null"})
EVALUATED_OPERATORS = (
    STRING_OPERATORS | NUMERIC_OPERATORS | DATE_OPERATORS | ARN_OPERATORS | OTHER_OPERATORS
)
# Operators that are true when the key is absent (AWS: "…requires that the key is not matched").
_NEGATED = frozenset(
    {
        "StringNotEquals",
        "StringNotEqualsIgnoreCase",
        "StringNotLike",
        "NumericNotEquals",
        "DateNotEquals",
        "ArnNotEquals",
        "ArnNotLike",
        "NotIpAddress",
    }
)

# Global condition keys the emulator supplies whenever they exist for the request (lower case;
# a trailing "*" stands for a key family such as aws:PrincipalTag/<tag>).
ALWAYS_MODELLED_KEYS = frozenset(
    {
        "aws:currenttime",
        "aws:epochtime",
        "aws:securetransport",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:principalisawsservice",
        "aws:principalservicename",
        "aws:userid",
        "aws:username",
        "aws:requestedregion",
        "aws:resourceaccount",
        "aws:principaltag/*",
        "aws:tokenissuetime",
        "aws:multifactorauthpresent",
        "aws:viaawsservice",
        "aws:calledvia",
        "aws:sourcearn",
        "aws:sourceaccount",
    }
)


class Decision(enum.Enum):
    """The answer to one request."""

    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


@dataclass(frozen=True)
class Principal:
    """Who makes a request, for the ``Principal`` element of resource policies."""

    arns: tuple[str, ...] = ()  # e.g. the role ARN and the assumed-role session ARN
    service: str | None = None  # e.g. "apigateway.amazonaws.com"
    account: str | None = None


@dataclass(frozen=True)
class Request:
    """What is being authorized: one action on one resource, with its condition context."""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    # Service-specific keys the resolver models for this request (lower case, a trailing "*"
    # for a family such as kms:EncryptionContext:*), whether the request carries them or not.
    modelled_keys: frozenset[str] = frozenset()
    principal: Principal | None = None


@dataclass(frozen=True)
class Outcome:
    """A decision, the policy kind that decided it, and the conditions that were not evaluated."""

    decision: Decision
    decided_by: str = ""  # "identity-based policy", "permissions boundary", "session policy"…
    unevaluated: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        """True when the request may go ahead."""
        return self.decision is Decision.ALLOW


class _Tri(enum.Enum):
    TRUE = 1
    FALSE = 2
    UNKNOWN = 3


@dataclass
class _Notes:
    unevaluated: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Public entry points


def evaluate(
    identity_policies: Sequence[Mapping[str, Any]],
    request: Request,
    *,
    boundary: Mapping[str, Any] | None = None,
    session_policies: Sequence[Mapping[str, Any]] = (),
) -> Outcome:
    """Decide ``request`` for a principal with these policies (all in one account)."""
    notes = _Notes()
    layers: list[tuple[str, Sequence[Mapping[str, Any]]]] = [
        ("identity-based policy", identity_policies)
    ]
    if boundary is not None:
        layers.append(("permissions boundary", [boundary]))
    if session_policies:
        layers.append(("session policy", session_policies))
    results = [(kind, _policy_set(policies, request, notes)) for kind, policies in layers]
    unevaluated = tuple(dict.fromkeys(notes.unevaluated))
    for kind, result in results:
        if result is Decision.EXPLICIT_DENY:
            return Outcome(Decision.EXPLICIT_DENY, kind, unevaluated)
    for kind, result in results:
        if result is not Decision.ALLOW:
            return Outcome(Decision.IMPLICIT_DENY, kind, unevaluated)
    return Outcome(Decision.ALLOW, "identity-based policy", unevaluated)


def evaluate_resource_policy(policy: Mapping[str, Any], request: Request) -> Outcome:
    """Decide ``request`` against one resource-based policy alone (statements with Principal)."""
    notes = _Notes()
    result = _policy_set([policy], request, notes, resource_policy=True)
    return Outcome(result, "resource-based policy", tuple(dict.fromkeys(notes.unevaluated)))


def service_may_invoke(
    permission_statements: Iterable[Mapping[str, Any]],
    function_arn: str,
    service: str,
    source_arns: Iterable[str],
    source_account: str,
) -> bool:
    """Does a function's resource policy (the statements ``AddPermission`` stored) let the AWS
    ``service`` principal invoke it on behalf of one of ``source_arns`` in ``source_account``?

    What S3 (a bucket notification) and API Gateway (a proxy integration) are asked before they
    may invoke a function. An unqualified invoke runs ``$LATEST``, so a statement scoped to the
    function ARN or to that qualifier allows it; conditions evaluate as in any resource policy.
    """
    document = {"Statement": list(permission_statements)}
    if not document["Statement"]:
        return False
    context = {"aws:SourceAccount": source_account}
    for source in source_arns:
        for resource in (function_arn, f"{function_arn}:$LATEST"):
            request = Request(
                "lambda:InvokeFunction",
                resource,
                {**context, "aws:SourceArn": source},
                principal=Principal(service=service),
            )
            if evaluate_resource_policy(document, request).allowed:
                return True
    return False


def statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The statements of a policy document (``Statement`` may be one object or a list)."""
    found = policy.get("Statement", [])
    return [found] if isinstance(found, dict) else list(found)


# ---------------------------------------------------------------------------------------------
# Statements


def _policy_set(
    policies: Iterable[Mapping[str, Any]],
    request: Request,
    notes: _Notes,
    *,
    resource_policy: bool = False,
) -> Decision:
    allowed = False
    for policy in policies:
        for statement in statements(policy):
            applies = _statement_applies(statement, request, notes, resource_policy)
            effect = str(statement.get("Effect", ""))
            if effect == "Deny" and applies is not _Tri.FALSE:
                return Decision.EXPLICIT_DENY  # an unknown condition on a Deny denies
            if effect == "Allow" and applies is _Tri.TRUE:
                allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def _statement_applies(
    statement: Mapping[str, Any], request: Request, notes: _Notes, resource_policy: bool
) -> _Tri:
    if resource_policy and not _principal_matches(statement, request.principal):
        return _Tri.FALSE
    if "NotAction" in statement:
        if _any_action(statement["NotAction"], request.action):
            return _Tri.FALSE
    elif not _any_action(statement.get("Action", []), request.action):
        return _Tri.FALSE
    if "NotResource" in statement:
        if _any_resource(statement["NotResource"], request):
            return _Tri.FALSE
    elif "Resource" in statement:
        if not _any_resource(statement["Resource"], request):
            return _Tri.FALSE
    elif not resource_policy:
        return _Tri.FALSE  # an identity statement without Resource is invalid: it grants nothing
    return _conditions(statement.get("Condition") or {}, request, notes)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _any_action(patterns: Any, action: str) -> bool:
    return any(_glob(str(pattern), action, ignore_case=True) for pattern in _as_list(patterns))


def _any_resource(patterns: Any, request: Request) -> bool:
    for pattern in _as_list(patterns):
        expanded = _substitute_variables(str(pattern), request)
        if expanded is not None and _glob(expanded, request.resource, ignore_case=False):
            return True
    return False


_VARIABLE = re.compile(r"\$\{([^}]+)\}")
_LITERAL_VARIABLES = {"*": "\x00STAR\x00", "?": "\x00QMARK\x00", "$": "$"}


def _substitute_variables(pattern: str, request: Request) -> str | None:
    """Replace ``${key}`` policy variables; None when one has no value (nothing matches then)."""
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1)
        if name in _LITERAL_VARIABLES:
            return _LITERAL_VARIABLES[name]
        value = _context_value(request.context, name)
        if value is None or isinstance(value, list):
            missing = True
            return ""
        return value

    expanded = _VARIABLE.sub(replace, pattern)
    return None if missing else expanded


def _glob(pattern: str, value: str, *, ignore_case: bool) -> bool:
    """IAM wildcard match: ``*`` any run of characters (``:`` and ``/`` included), ``?`` one."""
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    regex = regex.replace(re.escape("\x00STAR\x00"), re.escape("*"))
    regex = regex.replace(re.escape("\x00QMARK\x00"), re.escape("?"))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(regex, value, flags) is not None


def _principal_matches(statement: Mapping[str, Any], principal: Principal | None) -> bool:
    if "NotPrincipal" in statement:
        return principal is not None and not _principal_in(statement["NotPrincipal"], principal)
    if "Principal" not in statement:
        return False
    return principal is not None and _principal_in(statement["Principal"], principal)


def _principal_in(element: Any, principal: Principal) -> bool:
    if element == "*":
        return True
    if not isinstance(element, dict):
        return False
    for kind, values in element.items():
        for value in _as_list(values):
            value = str(value)
            if kind == "Service" and principal.service and value == principal.service:
                return True
            if kind == "AWS" and value == "*":
                return True
            if (
                kind == "AWS"
                and principal.account
                and value
                in (
                    principal.account,
                    f"arn:aws:iam::{principal.account}:root",
                )
            ):
                return True
            if kind == "AWS" and value in principal.arns:
                return True
    return False


# ---------------------------------------------------------------------------------------------
# Conditions


def _conditions(block: Mapping[str, Any], request: Request, notes: _Notes) -> _Tri:
    result = _Tri.TRUE
    for operator, keys in block.items():
        if not isinstance(keys, dict):
            notes.unevaluated.append(f"{operator}: malformed condition block")
            result = _Tri.UNKNOWN
            continue
        for key, policy_values in keys.items():
            outcome = _condition(str(operator), str(key), _as_list(policy_values), request, notes)
            if outcome is _Tri.FALSE:
                return _Tri.FALSE
            if outcome is _Tri.UNKNOWN:
                result = _Tri.UNKNOWN
    return result


def _condition(
    operator: str, key: str, policy_values: list[Any], request: Request, notes: _Notes
) -> _Tri:
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists") and base != "IfExists"
    if if_exists:
        base = base.removesuffix("IfExists")
    if base not in EVALUATED_OPERATORS or (if_exists and base == "Null"):
        notes.unevaluated.append(f"operator {operator} (on {key}) is not evaluated")
        return _Tri.UNKNOWN
    if qualifier not in ("", "ForAllValues", "ForAnyValue"):
        notes.unevaluated.append(f"set qualifier {qualifier} is not evaluated")
        return _Tri.UNKNOWN
    if not _modelled(key, request):
        notes.unevaluated.append(f"condition key {key} is not modelled by the emulator")
        return _Tri.UNKNOWN
    value = _context_value(request.context, key)
    if base == "Null":
        wanted_absent = str(policy_values[0]).lower() == "true"
        return _Tri.TRUE if (value is None) == wanted_absent else _Tri.FALSE
    if value is None:
        if qualifier == "ForAllValues":
            return _Tri.TRUE
        if qualifier == "ForAnyValue":
            return _Tri.FALSE
        return _Tri.TRUE if (if_exists or base in _NEGATED) else _Tri.FALSE
    values = _as_list(value)
    try:
        if qualifier == "ForAllValues":
            ok = all(_match_one(base, v, policy_values) for v in values)
        elif qualifier == "ForAnyValue":
            ok = any(_match_one(base, v, policy_values) for v in values)
        else:
            # A multivalued key without a set qualifier: any of its values may satisfy it.
            ok = any(_match_one(base, v, policy_values) for v in values)
    except ValueError as error:
        notes.unevaluated.append(f"{operator} on {key}: {error}")
        return _Tri.UNKNOWN
    return _Tri.TRUE if ok else _Tri.FALSE


def _match_one(operator: str, value: str, policy_values: list[Any]) -> bool:
    """Does one request value satisfy the operator against the policy's values?"""
    negated = operator in _NEGATED
    positive = _positive_form(operator)
    hit = any(_compare(positive, value, str(p)) for p in policy_values)
    return not hit if negated else hit


def _positive_form(operator: str) -> str:
    return {
        "StringNotEquals": "StringEquals",
        "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
        "StringNotLike": "StringLike",
        "NumericNotEquals": "NumericEquals",
        "DateNotEquals": "DateEquals",
        "ArnNotEquals": "ArnEquals",
        "ArnNotLike": "ArnLike",
        "NotIpAddress": "IpAddress",
    }.get(operator, operator)


def _compare(operator: str, value: str, expected: str) -> bool:
    if operator == "StringEquals":
        return value == expected
    if operator == "StringEqualsIgnoreCase":
        return value.casefold() == expected.casefold()
    if operator == "StringLike":
        return _glob(expected, value, ignore_case=False)
    if operator.startswith("Numeric"):
        return _ordered(operator.removeprefix("Numeric"), float(value), float(expected))
    if operator.startswith("Date"):
        return _ordered(operator.removeprefix("Date"), _date(value), _date(expected))
    if operator == "Bool":
        return value.lower() == expected.lower()
    if operator == "BinaryEquals":
        return base64.b64decode(value) == base64.b64decode(expected)
    if operator == "IpAddress":
        return ipaddress.ip_address(value) in ipaddress.ip_network(expected, strict=False)
    if operator in ("ArnEquals", "ArnLike"):
        return _arn_like(expected, value)
    raise ValueError(f"operator {operator} has no comparison")


def _ordered(relation: str, value: float, expected: float) -> bool:
    return {
        "Equals": value == expected,
        "LessThan": value < expected,
        "LessThanEquals": value <= expected,
        "GreaterThan": value > expected,
        "GreaterThanEquals": value >= expected,
    }[relation]


def _date(text: str) -> float:
    """An ISO 8601 date/time or epoch seconds, as epoch seconds."""
    try:
        return float(text)
    except ValueError:
        pass
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _arn_like(pattern: str, arn: str) -> bool:
    """ArnLike/ArnEquals: the six ARN segments are compared one by one, each with wildcards."""
    pattern_parts = pattern.split(":", 5)
    arn_parts = arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return False
    return all(
        fnmatch.fnmatchcase(part, wanted) if "[" not in wanted else part == wanted
        for part, wanted in zip(arn_parts, pattern_parts, strict=True)
    )


def _modelled(key: str, request: Request) -> bool:
    lowered = key.lower()
    known = ALWAYS_MODELLED_KEYS | request.modelled_keys
    return lowered in known or any(
        lowered.startswith(family[:-1]) for family in known if family.endswith("*")
    )


def _context_value(context: Mapping[str, ContextValue], key: str) -> ContextValue | None:
    lowered = key.lower()
    for name, value in context.items():
        if name.lower() == lowered:
            return value
    return None
