"""How events reach a deployed function: the :class:`Driver` interface and the real-AWS driver."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from tooling.stack.deployment import Deployment


class Driver:
    """How events reach the handler: in-process on the emulator, the real thing on AWS."""

    def deliver(self, event: dict[str, Any]) -> None:
        """Deliver an S3 event the first time (on AWS, S3 already did)."""

    def redeliver(self, event: dict[str, Any]) -> None:
        """Deliver the same S3 event again (a duplicate delivery)."""
        raise NotImplementedError

    def process(self, key: str) -> tuple[int, dict[str, Any]]:
        """``POST /process {"key": key}`` → (status code, JSON body)."""
        raise NotImplementedError


class AwsDriver(Driver):
    """Real AWS: S3 already delivered; redeliver = async invoke; /process = signed HTTPS."""

    def __init__(self, lambda_client: Any, deployment: Deployment) -> None:
        self.lambda_client = lambda_client
        self.deployment = deployment

    def redeliver(self, event: dict[str, Any]) -> None:
        """What a duplicate S3 delivery is: the same event, invoked asynchronously again."""
        self.lambda_client.invoke(
            FunctionName=self.deployment.processor_function_name,
            InvocationType="Event",
            Payload=json.dumps(event).encode(),
        )

    def process(self, key: str) -> tuple[int, dict[str, Any]]:
        """``POST api_url`` signed with SigV4 for execute-api (the API uses AWS_IAM auth)."""
        import urllib.error
        import urllib.request

        import boto3
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        body = json.dumps({"key": key}).encode()
        request = AWSRequest(
            method="POST",
            url=self.deployment.api_url,
            data=body,
            headers={"Content-Type": "application/json"},
        )
        credentials = boto3.Session().get_credentials()
        if credentials is None:
            raise ToolingError("no AWS credentials to sign the /process request")
        SigV4Auth(
            credentials.get_frozen_credentials(), "execute-api", self.deployment.region
        ).add_auth(request)
        prepared = urllib.request.Request(  # noqa: S310 - the deployed API's https URL
            self.deployment.api_url, data=body, headers=dict(request.headers), method="POST"
        )
        try:
            with urllib.request.urlopen(prepared, timeout=30) as response:  # noqa: S310
                return int(response.status), json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return int(error.code), json.loads(error.read() or b"{}")
