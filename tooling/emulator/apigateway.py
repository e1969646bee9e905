"""API Gateway REST APIs answered by the emulator: deployed stages route to their integrations.

The real invoke URL ``https://{api_id}.execute-api.{region}.amazonaws.com/{stage}/{path}`` does
not resolve here, so the emulator serves each stage path-style on its own endpoint::

    http://127.0.0.1:4566/_aws/execute-api/{api_id}/{stage}/{path}

(the path-style form LocalStack uses too). It works with curl, and with any SigV4-signing client
(the signature covers the URL actually sent, so sign with service ``execute-api`` and the API's
region). :func:`local_invoke_url` turns a Terraform ``api_url`` into it; it and the other pure
helpers import no moto, so the deploy/output code may call them.

What a request goes through, in API Gateway's order:

1. **Routing**: unknown API → 403 ``Forbidden``; unknown stage, resource or method → 403
   ``Missing Authentication Token`` (API Gateway never says 404 for routes). Resources match
   literal segments first, then ``{param}``, then greedy ``{proxy+}``; method ``ANY`` matches
   every method. The stage serves the API's current resources (moto keeps no per-deployment
   snapshot).
2. **Authorization** ``AWS_IAM``: no ``Authorization`` header → 403 ``Missing Authentication
   Token``; a header that is not SigV4, a credential scoped to another service or region, a
   ``X-Amz-Date`` more than 15 minutes off, or a wrong signature → 403 (the signature is checked
   when the emulator knows the secret: its STS sessions, IAM users' keys and the tooling's
   ``test``/``test``); a moto-STS session must also be allowed ``execute-api:Invoke`` on the
   method's ARN by its role (tooling/emulator/iam.py). ``apiKeyRequired`` → 403 without a known,
   enabled ``x-api-key``. ``NONE`` passes; Lambda/Cognito authorizers are not emulated (500).
3. **Request validation** (the method's request validator): required request parameters → 400
   ``Missing required request parameters: […]``; the body against the method's model for the
   request's ``Content-Type`` (``application/json`` when absent, ``$default`` as fallback; no
   model for the type → not validated, as on AWS) with JSON Schema draft 4, an empty body being
   ``{}``, ``$ref`` to the API's other models resolved → 400 ``Invalid request body``.
4. **Integration** ``AWS_PROXY`` to Lambda: the function's resource policy must let
   ``apigateway.amazonaws.com`` invoke it for this method's source ARN (else 500, as API Gateway's
   "Invalid permissions on Lambda function"); the payload-v1 proxy event (:func:`proxy_event`)
   goes to ``LambdaFunction.invoke`` synchronously. Not answered within the integration's timeout
   (``timeoutInMillis``, default 29 s) → 504 ``Endpoint request timed out``; a function error or a
   malformed proxy response → 502 ``Internal server error``. Other integration types → 500.

Errors have API Gateway's shape: a JSON ``{"message": …}`` body with ``x-amzn-ErrorType``.
"""

from __future__ import annotations

import base64
import functools
import hmac
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

log = logging.getLogger(__name__)

LOCAL_PATH_PREFIX = "/_aws/execute-api"
DEFAULT_TIMEOUT_MS = 29_000
MAX_CLOCK_SKEW_SECONDS = 15 * 60

_EXECUTE_API_HOST = re.compile(
    r"^(?P<api_id>[a-z0-9]+)\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$"
)
_MISSING_TOKEN = "Missing Authentication Token"  # noqa: S105  # an error message
_SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)


# ---------------------------------------------------------------------------------------------
# The local URL (pure)


def local_invoke_url(api_url: str, endpoint: str) -> str:
    """The emulator URL of an API Gateway invoke URL.

    ``https://abc123.execute-api.eu-west-1.amazonaws.com/v1/process`` with endpoint
    ``http://127.0.0.1:4566`` → ``http://127.0.0.1:4566/_aws/execute-api/abc123/v1/process``
    (query string kept).
    """
    parts = urlsplit(api_url)
    match = _EXECUTE_API_HOST.match(parts.hostname or "")
    if match is None:
        raise ToolingError(
            f"{api_url!r} is not an API Gateway invoke URL",
            hint="expected https://{api_id}.execute-api.{region}.amazonaws.com/{stage}/…, "
            "as the api_url output gives it",
        )
    path = parts.path if parts.path.startswith("/") else f"/{parts.path}"
    url = f"{endpoint.rstrip('/')}{LOCAL_PATH_PREFIX}/{match.group('api_id')}{path}"
    return f"{url}?{parts.query}" if parts.query else url


def is_execute_api_path(path: str) -> bool:
    """Does a request path address a stage through the local URL form?"""
    return path == LOCAL_PATH_PREFIX or path.startswith(f"{LOCAL_PATH_PREFIX}/")


# ---------------------------------------------------------------------------------------------
# Responses


@dataclass
class Reply:
    """An HTTP response of the gateway."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @classmethod
    def error(cls, status: int, error_type: str, message: str, key: str = "message") -> Reply:
        """API Gateway's gateway-response shape: JSON message + x-amzn-ErrorType."""
        body = json.dumps({key: message}).encode()
        headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type)]
        return cls(status, headers, body)


def _missing_token() -> Reply:
    return Reply.error(403, "MissingAuthenticationTokenException", _MISSING_TOKEN)


def _internal_error() -> Reply:
    return Reply.error(500, "InternalServerErrorException", "Internal server error")


# ---------------------------------------------------------------------------------------------
# The incoming request


@dataclass
class Incoming:
    """What the gateway reads from one HTTP request."""

    method: str
    raw_path: str  # after /_aws/execute-api, percent-encoding kept
    query: list[tuple[str, str]]
    raw_query: str
    headers: list[tuple[str, str]]  # (Title-Case name, value), in order
    body: bytes
    host: str
    source_ip: str
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def header(self, name: str) -> str | None:
        """The last value of a header (case-insensitive)."""
        found = [value for key, value in self.headers if key.lower() == name.lower()]
        return found[-1] if found else None

    @classmethod
    def from_environ(cls, environ: Mapping[str, Any]) -> Incoming:
        """Read a WSGI request (its body included)."""
        raw_uri = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
        raw_path, _, raw_query = raw_uri.partition("?")
        if not raw_path:
            raw_path = str(environ.get("PATH_INFO", ""))
            raw_query = str(environ.get("QUERY_STRING", ""))
        headers: list[tuple[str, str]] = []
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                headers.append((_title(key[5:]), str(value)))
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                headers.append((_title(key), str(value)))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        stream = environ.get("wsgi.input")
        body = b""
        if stream is not None and length > 0:
            body = stream.read(length)
        elif stream is not None and environ.get("wsgi.input_terminated"):
            body = stream.read()  # chunked: the server ends the stream with the body
        return cls(
            method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
            raw_path=raw_path.removeprefix(LOCAL_PATH_PREFIX),
            query=parse_qsl(raw_query, keep_blank_values=True),
            raw_query=raw_query,
            headers=headers,
            body=body,
            host=str(environ.get("HTTP_HOST", "")),
            source_ip=str(environ.get("REMOTE_ADDR", "127.0.0.1")),
        )


def _title(wsgi_name: str) -> str:
    return "-".join(part.capitalize() for part in wsgi_name.split("_"))


# ---------------------------------------------------------------------------------------------
# Routing over an API's resources (pure: takes (id, path template) pairs)


@dataclass(frozen=True)
class Route:
    """The resource a path matched, and its path parameters (values as sent, percent-encoded)."""

    resource_id: str
    template: str
    path_parameters: dict[str, str]


def match_resource(templates: Iterable[tuple[str, str]], path: str) -> Route | None:
    """Match ``path`` (no stage) against resource path templates as API Gateway does.

    Literal segments beat ``{param}``, which beats a greedy ``{proxy+}``; a trailing slash is
    ignored.
    """
    segments = [part for part in path.split("/") if part]
    candidates = []
    for resource_id, template in templates:
        pattern = [part for part in template.split("/") if part]
        params = _match_segments(pattern, segments)
        if params is not None:
            rank = tuple(_segment_rank(part) for part in pattern)
            candidates.append((rank, resource_id, template, params))
    if not candidates:
        return None
    # Lower rank sorts first: literal (0) < {param} (1) < {proxy+} (2), segment by segment.
    candidates.sort(key=lambda found: found[0])
    _, resource_id, template, params = candidates[0]
    return Route(resource_id, template, params)


def _segment_rank(part: str) -> int:
    if part.startswith("{") and part.endswith("+}"):
        return 2
    return 1 if part.startswith("{") and part.endswith("}") else 0


def _match_segments(pattern: list[str], segments: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for index, part in enumerate(pattern):
        if part.startswith("{") and part.endswith("+}"):
            rest = segments[index:]
            if not rest or index != len(pattern) - 1:
                return None
            params[part[1:-2]] = "/".join(rest)
            return params
        if index >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = segments[index]
        elif part != segments[index]:
            return None
    return params if len(pattern) == len(segments) else None


# ---------------------------------------------------------------------------------------------
# The proxy event (pure)


@dataclass(frozen=True)
class Caller:
    """``requestContext.identity`` of an authorized caller (all None when unauthenticated)."""

    access_key: str | None = None
    account_id: str | None = None
    caller: str | None = None
    user: str | None = None
    user_arn: str | None = None


@dataclass(frozen=True)
class Target:
    """Where the request was routed."""

    api_id: str
    account_id: str
    region: str
    stage: str
    deployment_id: str | None
    resource_id: str
    resource_path: str
    path: str  # without the stage
    path_parameters: dict[str, str]
    stage_variables: dict[str, str]
    binary_media_types: tuple[str, ...] = ()


def proxy_event(incoming: Incoming, target: Target, caller: Caller, now: datetime) -> dict:
    """The Lambda proxy integration event, payload format 1.0, as API Gateway builds it."""
    domain = f"{target.api_id}.execute-api.{target.region}.amazonaws.com"
    trace_id = f"Root=1-{int(now.timestamp()):08x}-{uuid.uuid4().hex[:24]}"
    headers: list[tuple[str, str]] = [
        (name, value)
        for name, value in incoming.headers
        if name.lower() not in ("host", "content-length", "connection")
    ]
    headers += [
        ("Host", domain),
        ("X-Amzn-Trace-Id", trace_id),
        ("X-Forwarded-For", incoming.source_ip),
        ("X-Forwarded-Port", "443"),
        ("X-Forwarded-Proto", "https"),
    ]
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        multi_headers.setdefault(name, []).append(value)
    multi_query: dict[str, list[str]] = {}
    for name, value in incoming.query:
        multi_query.setdefault(name, []).append(value)
    body, is_base64 = _event_body(incoming, target.binary_media_types)
    identity = {
        "cognitoIdentityPoolId": None,
        "accountId": caller.account_id,
        "cognitoIdentityId": None,
        "caller": caller.caller,
        "sourceIp": incoming.source_ip,
        "principalOrgId": None,
        "accessKey": caller.access_key,
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
        "userArn": caller.user_arn,
        "userAgent": incoming.header("User-Agent"),
        "user": caller.user,
        "apiKey": incoming.header("X-Api-Key"),
        "apiKeyId": None,
        "clientCert": None,
    }
    return {
        "resource": target.resource_path,
        "path": target.path,
        "httpMethod": incoming.method,
        "headers": {name: values[-1] for name, values in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": target.path_parameters or None,
        "stageVariables": target.stage_variables or None,
        "requestContext": {
            "resourceId": target.resource_id,
            "resourcePath": target.resource_path,
            "httpMethod": incoming.method,
            "extendedRequestId": base64.b32encode(uuid.uuid4().bytes).decode()[:16],
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "path": f"/{target.stage}{target.path}",
            "accountId": target.account_id,
            "protocol": "HTTP/1.1",
            "stage": target.stage,
            "domainPrefix": target.api_id,
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "requestId": incoming.request_id,
            "identity": identity,
            "domainName": domain,
            "deploymentId": target.deployment_id,
            "apiId": target.api_id,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _event_body(incoming: Incoming, binary_media_types: Iterable[str]) -> tuple[str | None, bool]:
    """The body as API Gateway hands it over: base64 for binary media types, else text."""
    if not incoming.body:
        return None, False
    media_type = (incoming.header("Content-Type") or "").split(";")[0].strip().lower()
    for binary in binary_media_types:
        wanted = binary.lower()
        if (
            wanted == "*/*"
            or wanted == media_type
            or (wanted.endswith("/*") and media_type.startswith(wanted[:-1]))
        ):
            return base64.b64encode(incoming.body).decode(), True
    return incoming.body.decode("utf-8", "replace"), False


def proxy_reply(payload: bytes | str | None) -> Reply | None:
    """The HTTP response a Lambda proxy result describes; None when it is malformed (→ 502)."""
    try:
        result = json.loads(payload or b"null")
    except ValueError:
        return None
    if not isinstance(result, dict):
        return None
    status = result.get("statusCode")
    body = result.get("body")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or not 100 <= status <= 599:
        return None
    if body is not None and not isinstance(body, str):
        return None
    headers: list[tuple[str, str]] = []
    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        return None
    for name, value in single.items():
        if name not in multi:
            headers.append((str(name), str(value)))
    for name, values in multi.items():
        headers += [(str(name), str(value)) for value in (values or [])]
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    try:
        raw = base64.b64decode(body) if (body and result.get("isBase64Encoded")) else None
    except ValueError:
        return None
    return Reply(status, headers, raw if raw is not None else (body or "").encode())


# ---------------------------------------------------------------------------------------------
# Request validation (pure over the method's settings)


def missing_parameters(
    required: Mapping[str, Any] | None, incoming: Incoming, path_parameters: Mapping[str, str]
) -> list[str]:
    """Names of required request parameters that are absent or blank."""
    missing = []
    query = {name for name, value in incoming.query if value.strip()}
    for name, needed in (required or {}).items():
        if not needed or str(needed).lower() == "false":
            continue
        _, _, location, param = [*name.split(".", 3), "", "", "", ""][:4]
        if location == "querystring":
            present = param in query
        elif location == "header":
            present = bool((incoming.header(param) or "").strip())
        elif location == "path":
            present = bool(path_parameters.get(param, "").strip())
        else:
            continue
        if not present:
            missing.append(param)
    return missing


def body_is_valid(
    schema: Mapping[str, Any], body: bytes, models: Mapping[str, Mapping[str, Any]], api_id: str
) -> bool:
    """Does the body satisfy the model schema (JSON Schema draft 4, as API Gateway applies it)?

    An empty body is validated as ``{}``; ``$ref``s to this API's models
    (``https://apigateway.amazonaws.com/restapis/{api_id}/models/{name}``) are resolved.
    """
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    try:
        document = json.loads(body) if body.strip() else {}
    except ValueError:
        return False

    def retrieve(uri: str) -> Resource:
        name = uri.rstrip("/").rsplit("/", 1)[-1]
        if f"/restapis/{api_id}/models/" not in uri or name not in models:
            raise LookupError(uri)
        return Resource.from_contents(dict(models[name]), default_specification=DRAFT4)

    validator = jsonschema.Draft4Validator(dict(schema), registry=Registry(retrieve=retrieve))
    try:
        return validator.is_valid(document)
    except Exception:  # an unresolvable $ref: API Gateway rejects such requests too
        log.warning("API Gateway: model of API %s could not be applied", api_id, exc_info=True)
        return False


def model_for(request_models: Mapping[str, str] | None, content_type: str | None) -> str | None:
    """The model name that validates a body of ``content_type`` (None: not validated)."""
    models = request_models or {}
    media_type = (content_type or "application/json").split(";")[0].strip().lower()
    for name, model in models.items():
        if name.lower() == media_type:
            return model
    return models.get("$default")


# ---------------------------------------------------------------------------------------------
# SigV4 (AWS_IAM authorization)


@dataclass(frozen=True)
class Signature:
    """The parts of an ``Authorization: AWS4-HMAC-SHA256 …`` header."""

    access_key: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/\s]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request,\s*SignedHeaders=(?P<headers>[^,\s]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]+)\s*$"
)


def parse_authorization(header: str) -> Signature | None:
    """The SigV4 parts of an Authorization header; None when it is not a SigV4 header."""
    match = _AUTHORIZATION.match(header.strip())
    if match is None:
        return None
    return Signature(
        access_key=match.group("key"),
        date=match.group("date"),
        region=match.group("region"),
        service=match.group("service"),
        signed_headers=tuple(match.group("headers").split(";")),
        signature=match.group("signature"),
    )


def signature_problem(
    incoming: Incoming, signature: Signature, region: str, secret: str | None, now: datetime
) -> Reply | None:
    """Why API Gateway would refuse this signature; None when it is acceptable."""
    if signature.service != "execute-api":
        return Reply.error(
            403,
            "InvalidSignatureException",
            "Credential should be scoped to correct service: 'execute-api'. ",
        )
    if signature.region != region:
        return Reply.error(
            403, "InvalidSignatureException", "Credential should be scoped to a valid region. "
        )
    stamp = incoming.header("X-Amz-Date") or ""
    try:
        signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return Reply.error(
            403,
            "IncompleteSignatureException",
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        )
    if abs((now - signed_at).total_seconds()) > MAX_CLOCK_SKEW_SECONDS:
        return Reply.error(
            403, "InvalidSignatureException", f"Signature expired: {stamp} is out of range."
        )
    if secret is not None and not hmac.compare_digest(
        _expected_signature(incoming, signature, secret, stamp), signature.signature
    ):
        return Reply.error(403, "InvalidSignatureException", _SIGNATURE_MISMATCH)
    return None


@functools.cache
def _verifier() -> type:
    """botocore's SigV4 signer, signing exactly the headers the request carries.

    botocore leaves User-Agent, Expect, Transfer-Encoding and X-Amzn-Trace-Id out of every
    signature it makes; a verifier must take the client's SignedHeaders as they are (other SDKs
    and tools sign User-Agent), as API Gateway does. The caller passes only those headers.
    Built once, on first use: botocore is imported lazily here.
    """
    from botocore.auth import SigV4Auth
    from botocore.compat import HTTPHeaders

    class SignedHeadersOnly(SigV4Auth):
        def headers_to_sign(self, request: Any) -> HTTPHeaders:
            chosen = HTTPHeaders()
            for name, value in request.headers.items():
                chosen[name.lower()] = value
            return chosen

    return SignedHeadersOnly


def _expected_signature(incoming: Incoming, signature: Signature, secret: str, stamp: str) -> str:
    """Recompute the signature over the request as it arrived (botocore's SigV4 rules)."""
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    wanted = set(signature.signed_headers)
    headers = {name: value for name, value in incoming.headers if name.lower() in wanted}
    if "host" in wanted:
        headers["Host"] = incoming.host
    path = LOCAL_PATH_PREFIX + incoming.raw_path
    url = f"http://{incoming.host}{path}" + (f"?{incoming.raw_query}" if incoming.raw_query else "")
    request = AWSRequest(method=incoming.method, url=url, data=incoming.body, headers=headers)
    request.context["timestamp"] = stamp
    auth = _verifier()(Credentials(signature.access_key, secret), "execute-api", signature.region)
    canonical = auth.canonical_request(request)
    string_to_sign = auth.string_to_sign(request, canonical)
    return auth.signature(string_to_sign, request)


# ---------------------------------------------------------------------------------------------
# The gateway over moto's backends (moto imported inside the functions)


def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Answer one request addressed to ``/_aws/execute-api/…``."""
    started = time.monotonic()
    incoming = Incoming.from_environ(environ)
    try:
        reply = handle(incoming)
    except Exception:
        log.exception("API Gateway: unexpected error for %s %s", incoming.method, incoming.raw_path)
        reply = _internal_error()
    reply.headers = [(k, v) for k, v in reply.headers if k.lower() != "content-length"]
    reply.headers += [
        ("x-amzn-RequestId", incoming.request_id),
        ("x-amz-apigw-id", base64.b32encode(uuid.uuid4().bytes).decode()[:16]),
        ("Content-Length", str(len(reply.body))),
    ]
    log.info(
        "API Gateway: %s %s -> %s (%.0f ms)",
        incoming.method,
        incoming.raw_path,
        reply.status,
        (time.monotonic() - started) * 1000,
    )
    start_response(f"{reply.status} {_REASONS.get(reply.status, '')}".strip(), reply.headers)
    return [reply.body]


_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    413: "Payload Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    504: "Gateway Timeout",
}


def handle(incoming: Incoming) -> Reply:
    """Route, authorize, validate and integrate one request (see the module docstring)."""
    parts = incoming.raw_path.lstrip("/").split("/", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return Reply.error(404, "NotFoundException", "Not Found")
    api_id, stage_name = parts[0], parts[1]
    path = "/" + (parts[2] if len(parts) > 2 else "")
    found = _find_api(api_id)
    if found is None:
        return Reply.error(403, "ForbiddenException", "Forbidden")
    api, account_id, region = found
    stage = api.stages.get(stage_name)
    if stage is None:
        return _missing_token()
    templates = [(rid, resource.get_path()) for rid, resource in api.resources.items()]
    route = match_resource(templates, path)
    if route is None:
        return _missing_token()
    resource = api.resources[route.resource_id]
    method = resource.resource_methods.get(incoming.method) or resource.resource_methods.get("ANY")
    if method is None:
        return _missing_token()
    now = datetime.now(UTC)
    method_arn = (
        f"arn:aws:execute-api:{region}:{account_id}:{api_id}/{stage_name}/{incoming.method}{path}"
    )
    caller, refused = _authorize(incoming, method, region, method_arn, now)
    if refused is not None:
        return refused
    if method.api_key_required and not _api_key_valid(api, account_id, region, incoming):
        return Reply.error(403, "ForbiddenException", "Forbidden")
    invalid = _validate(api, method, incoming, route)
    if invalid is not None:
        return invalid
    target = Target(
        api_id=api_id,
        account_id=account_id,
        region=region,
        stage=stage_name,
        deployment_id=getattr(stage, "deployment_id", None),
        resource_id=route.resource_id,
        resource_path=route.template,
        path=path,
        path_parameters=route.path_parameters,
        stage_variables=dict(getattr(stage, "variables", None) or {}),
        binary_media_types=tuple(getattr(api, "binaryMediaTypes", None) or ()),
    )
    return _integrate(method, incoming, target, caller, now)


def _find_api(api_id: str) -> tuple[Any, str, str] | None:
    from moto.apigateway.models import apigateway_backends

    for account_id, regions in list(apigateway_backends.items()):
        for region, backend in list(regions.items()):
            api = backend.apis.get(api_id)
            if api is not None:
                return api, account_id, region
    return None


def _authorize(
    incoming: Incoming, method: Any, region: str, method_arn: str, now: datetime
) -> tuple[Caller, Reply | None]:
    kind = (method.authorization_type or "NONE").upper()
    if kind == "NONE":
        return Caller(), None
    if kind != "AWS_IAM":
        log.warning("API Gateway: authorization %s is not emulated; answering 500", kind)
        return Caller(), _internal_error()
    header = incoming.header("Authorization")
    if not header:
        return Caller(), _missing_token()
    signature = parse_authorization(header)
    if signature is None:
        return Caller(), Reply.error(
            403,
            "IncompleteSignatureException",
            f"Authorization header requires 'Credential' parameter. Authorization header "
            f"requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
            f"parameter. Authorization={header}",
        )
    from tooling.emulator import iam

    token = incoming.header("X-Amz-Security-Token")
    forged = False
    try:
        session = (
            iam.signing_session({"Authorization": header, "X-Amz-Security-Token": token}, {})
            if token
            else None
        )
    except iam.InvalidSessionTokenError:
        session, forged = None, True
    secret = _known_secret(signature.access_key, session)
    if (signature.access_key.startswith("ASIA") or forged) and session is None:
        return Caller(), Reply.error(
            403,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )
    problem = signature_problem(incoming, signature, region, secret, now)
    if problem is not None:
        return Caller(), problem
    if session is not None and not iam.is_tooling_role(session.role_arn):
        outcome = iam.session_permits(session, "execute-api:Invoke", method_arn, region)
        if not outcome.allowed:
            message = iam.denial_message(session, "execute-api:Invoke", method_arn, outcome)
            return Caller(), Reply.error(403, "AccessDeniedException", message, key="Message")
        return (
            Caller(
                access_key=signature.access_key,
                account_id=session.account_id,
                caller=f"{_role_id(session)}:{session.session_name}",
                user=f"{_role_id(session)}:{session.session_name}",
                user_arn=session.arn,
            ),
            None,
        )
    # The tooling (test/test, or its session in an emulated env's own account): not checked.
    account = session.account_id if session is not None else _account_of(signature.access_key)
    return (
        Caller(
            access_key=signature.access_key,
            account_id=account,
            caller=account,
            user=account,
            user_arn=f"arn:aws:iam::{account}:root",
        ),
        None,
    )


def _known_secret(access_key: str, session: Any) -> str | None:
    """The secret of a key the emulator knows; None for keys it cannot check (accepted)."""
    from tooling.core.local_aws import FAKE_CREDENTIALS

    if session is not None:
        from moto.sts.models import sts_backends

        backend = sts_backends[session.account_id][session.partition]
        assumed = backend.get_assumed_role_from_access_key(access_key)
        return assumed.secret_access_key if assumed is not None else None
    if access_key == FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]:
        return FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
    from moto.iam.models import iam_backends

    for _, partitions in list(iam_backends.items()):
        for _, backend in list(partitions.items()):
            found = backend.access_keys.get(access_key)
            if found is not None:
                return str(found.secret_access_key)
    return None


def _account_of(access_key: str) -> str:
    from moto.iam.models import get_account_id_from

    return str(get_account_id_from(access_key))


def _role_id(session: Any) -> str:
    from moto.iam.models import iam_backends

    try:
        return str(
            iam_backends[session.account_id][session.partition].get_role_by_arn(session.role_arn).id
        )
    except Exception:  # a deleted role still has an identity in the event
        return "AROAUNKNOWN"


def _api_key_valid(api: Any, account_id: str, region: str, incoming: Incoming) -> bool:
    from moto.apigateway.models import apigateway_backends

    value = incoming.header("X-Api-Key")
    if not value:
        return False
    keys = apigateway_backends[account_id][region].keys.values()
    del api
    return any(key.value == value and key.enabled for key in keys)


def _validate(api: Any, method: Any, incoming: Incoming, route: Route) -> Reply | None:
    validator_id = method.request_validator_id
    if not validator_id:
        return None
    validator = api.request_validators.get(validator_id)
    if validator is None:
        return None
    if _truthy(getattr(validator, "validate_request_parameters", False)):
        missing = missing_parameters(method.request_parameters, incoming, route.path_parameters)
        if missing:
            return Reply.error(
                400,
                "BadRequestException",
                f"Missing required request parameters: [{', '.join(missing)}]",
            )
    if _truthy(getattr(validator, "validate_request_body", False)):
        name = model_for(method.request_models, incoming.header("Content-Type"))
        if name is None or name not in api.models:
            return None
        schemas = {model_name: _schema(model.schema) for model_name, model in api.models.items()}
        if not body_is_valid(schemas[name], incoming.body, schemas, api.id):
            return Reply.error(400, "BadRequestException", "Invalid request body")
    return None


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _schema(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        parsed = json.loads(raw or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


_LAMBDA_URI = re.compile(r":lambda:path/[^/]+/functions/(?P<function>.+?)/invocations$")


def _integrate(
    method: Any, incoming: Incoming, target: Target, caller: Caller, now: datetime
) -> Reply:
    integration = method.method_integration
    kind = getattr(integration, "integration_type", None)
    match = _LAMBDA_URI.search(str(getattr(integration, "uri", "") or ""))
    if kind != "AWS_PROXY" or match is None:
        log.warning(
            "API Gateway: integration %s %s is not emulated; answering 500",
            kind,
            getattr(integration, "uri", None),
        )
        return _internal_error()
    from moto.awslambda.models import lambda_backends

    function_arn = match.group("function")
    region = function_arn.split(":")[3]
    account = function_arn.split(":")[4]
    try:
        function = lambda_backends[account][region].get_function(function_arn)
    except Exception:
        log.warning("API Gateway: integration function %s does not exist", function_arn)
        return _internal_error()
    if not _invoke_permitted(function, target, incoming.method):
        log.warning(
            "API Gateway: Execution failed due to configuration error: Invalid permissions on "
            "Lambda function %s (no resource-policy statement lets apigateway.amazonaws.com "
            "invoke it for this method)",
            function_arn,
        )
        return _internal_error()
    event = proxy_event(incoming, target, caller, now)
    timeout_ms = int(getattr(integration, "timeout_in_millis", None) or DEFAULT_TIMEOUT_MS)
    outcome = invoke_with_timeout(function, event, timeout_ms / 1000)
    if outcome.timed_out:
        return Reply.error(504, "IntegrationTimeout", "Endpoint request timed out")
    if outcome.function_error or outcome.crashed:
        log.warning(
            "API Gateway: Lambda execution failed for %s: %s",
            function_arn,
            (outcome.payload or b"")[:500],
        )
        return Reply.error(502, "InternalServerErrorException", "Internal server error")
    reply = proxy_reply(outcome.payload)
    if reply is None:
        log.warning(
            "API Gateway: Execution failed due to configuration error: Malformed Lambda proxy "
            "response from %s: %s",
            function_arn,
            (outcome.payload or b"")[:500],
        )
        return Reply.error(502, "InternalServerErrorException", "Internal server error")
    return reply


def _invoke_permitted(function: Any, target: Target, http_method: str) -> bool:
    """Does the function's resource policy let API Gateway invoke it for this method?"""
    from tooling.emulator import policy

    statements = list(getattr(getattr(function, "policy", None), "statements", []) or [])
    base = f"arn:aws:execute-api:{target.region}:{target.account_id}:{target.api_id}"
    # The source ARN names the method; its path is given here both as sent and as the resource
    # template, and either form matching is accepted.
    return policy.service_may_invoke(
        [_with_account(statement, target.account_id) for statement in statements],
        str(function.function_arn),
        "apigateway.amazonaws.com",
        (
            f"{base}/{target.stage}/{http_method}{target.path}",
            f"{base}/{target.stage}/{http_method}{target.resource_path}",
        ),
        target.account_id,
    )


_EMPTY_ACCOUNT_ARN = re.compile(r"^(arn:[^:]*:execute-api:[^:]*:):")


def _with_account(statement: Mapping[str, Any], account_id: str) -> dict[str, Any]:
    """The statement with an empty account in an execute-api source ARN read as ``account_id``.

    Against the emulator the AWS provider builds ``execution_arn`` without the account
    (``arn:aws:execute-api:REGION::API``) because it does not look the account up there; on AWS
    the same configuration carries it. Read as the API's own account, so the permission means
    locally what it means on AWS.
    """
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return dict(statement)
    fixed: dict[str, Any] = {}
    for operator, keys in condition.items():
        if not isinstance(keys, dict):
            fixed[operator] = keys
            continue
        fixed[operator] = {
            key: [_EMPTY_ACCOUNT_ARN.sub(rf"\g<1>{account_id}:", str(v)) for v in _listed(values)]
            for key, values in keys.items()
        }
    return {**statement, "Condition": fixed}


def _listed(values: Any) -> list[Any]:
    return list(values) if isinstance(values, list) else [values]


@dataclass
class Invocation:
    """How a synchronous invocation ended."""

    payload: bytes | None = None
    function_error: str | None = None
    crashed: bool = False
    timed_out: bool = False


def invoke_with_timeout(function: Any, event: dict, timeout_seconds: float) -> Invocation:
    """``function.invoke`` (RequestResponse) in a thread; give up after ``timeout_seconds``.

    The function keeps running after a timeout, as a Lambda invocation does when API Gateway
    stops waiting.
    """
    result = Invocation()
    done = threading.Event()

    def run() -> None:
        response_headers: dict[str, str] = {}
        try:
            payload = function.invoke(
                json.dumps(event), {"x-amz-invocation-type": "RequestResponse"}, response_headers
            )
            result.payload = payload.encode() if isinstance(payload, str) else payload
            result.function_error = response_headers.get("x-amz-function-error")
        except Exception:
            log.exception("API Gateway: invoking %s failed", getattr(function, "function_arn", ""))
            result.crashed = True
        finally:
            done.set()

    threading.Thread(target=run, name="apigateway-invoke", daemon=True).start()
    if not done.wait(timeout_seconds):
        return Invocation(timed_out=True)
    return result
