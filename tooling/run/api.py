"""Calling the deployed REST API: ``POST /process`` signed with SigV4, on AWS or the emulator.

The API's method uses ``AWS_IAM`` authorization, so a request is signed for ``execute-api`` with
the caller's credentials (the shell's on AWS, the tooling's fake ones on the emulator). On the
emulator the stage answers on a local, path-style URL instead of ``*.execute-api.*`` (which
does not resolve): ``{endpoint}/_aws/execute-api/{api_id}/{stage}/…``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tooling.core.errors import ToolingError
from tooling.core.local_aws import FAKE_CREDENTIALS
from tooling.emulator.apigateway import local_invoke_url

if TYPE_CHECKING:
    from tooling.run.target import DeployedEnv

API_TIMEOUT_SECONDS = 35.0  # API Gateway gives up on an integration after 29 s


@dataclass(frozen=True)
class ApiAnswer:
    """What the API answered."""

    status: int
    body: Any  # the JSON body, or the text when it is not JSON
    headers: dict[str, str] = field(default_factory=dict)


def process_url(deployed: DeployedEnv) -> str:
    """Where ``POST /process`` answers: ``api_url``, or its local form on the emulator."""
    url = deployed.deployment.api_url
    return local_invoke_url(url, deployed.endpoint) if deployed.endpoint else url


def post_process(
    deployed: DeployedEnv, body: Any, *, signed: bool = True, credentials: Any = None
) -> ApiAnswer:
    """``POST /process`` with a JSON ``body``, SigV4-signed unless ``signed=False``.

    ``credentials`` (botocore credentials) sign instead of the caller's own ones.
    """
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    url = process_url(deployed)
    if signed:
        headers = sign(
            "POST",
            url,
            data,
            headers,
            credentials or caller_credentials(deployed),
            deployed.deployment.region,
        )
    return send("POST", url, data, headers)


def caller_credentials(deployed: DeployedEnv) -> Any:
    """The credentials the tooling signs with: fake ones on the emulator, the shell's on AWS."""
    from botocore.credentials import Credentials

    if deployed.endpoint:
        chosen = deployed.credentials or FAKE_CREDENTIALS
        return Credentials(
            chosen["AWS_ACCESS_KEY_ID"],
            chosen["AWS_SECRET_ACCESS_KEY"],
            chosen.get("AWS_SESSION_TOKEN") if deployed.credentials else None,
        )
    import boto3

    found = boto3.Session().get_credentials()
    if found is None:
        raise ToolingError(
            "no AWS credentials to sign the request to the API",
            hint="configure credentials for the env's account (AWS_PROFILE, aws sso login, …)",
        )
    return found


def sign(
    method: str, url: str, data: bytes, headers: dict[str, str], credentials: Any, region: str
) -> dict[str, str]:
    """``headers`` plus SigV4 for ``execute-api`` (Authorization, X-Amz-Date, security token)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    request = AWSRequest(method=method, url=url, data=data, headers=dict(headers))
    frozen = (
        credentials.get_frozen_credentials()
        if hasattr(credentials, "get_frozen_credentials")
        else credentials
    )
    SigV4Auth(frozen, "execute-api", region).add_auth(request)
    return dict(request.headers.items())


def send(method: str, url: str, data: bytes | None, headers: dict[str, str]) -> ApiAnswer:
    """One HTTP request; an HTTP error status is an answer, an unreachable host a ToolingError."""
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=API_TIMEOUT_SECONDS) as response:  # noqa: S310
            return ApiAnswer(int(response.status), _body(response.read()), dict(response.headers))
    except urllib.error.HTTPError as error:
        return ApiAnswer(int(error.code), _body(error.read()), dict(error.headers or {}))
    except (urllib.error.URLError, OSError) as error:
        raise ToolingError(
            f"cannot reach the API at {url}: {error}",
            hint="check the env is deployed (`invoke output`) and, on the emulator, that it runs "
            "(`invoke emulator.status`)",
        ) from error


def _body(raw: bytes) -> Any:
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return text
