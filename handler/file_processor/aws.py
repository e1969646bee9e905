"""boto3 clients, built once per container with explicit timeouts and retry mode.

On Lambda, endpoints come from boto3's standard ``AWS_ENDPOINT_URL`` (and
``AWS_ENDPOINT_URL_<SERVICE>``), so the deployed code talks to the local emulator without an
``endpoint_url``. An in-process runner passes its own ``session`` (credentials) and
``endpoint_url`` instead of setting those variables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

# Short connect timeout (a dead endpoint should fail fast and be retried by Lambda); the read
# timeout bounds one socket read of a streamed body, not the whole download, and keeps a stalled
# read well inside the API's 29 s budget. "standard" retry mode retries throttles, 5xx and
# timeouts a few times with jittered backoff before the handler sees (and classifies) the error.
CLIENT_CONFIG = BotoConfig(
    connect_timeout=3,
    read_timeout=10,
    retries={"mode": "standard", "max_attempts": 3},
    tcp_keepalive=True,
)


@dataclass(frozen=True, slots=True)
class Clients:
    """The AWS clients the handler uses (typed ``Any``: boto3 clients are generated classes)."""

    s3: Any
    sns: Any
    dynamodb: Any


def build_clients(
    region: str,
    *,
    session: boto3.session.Session | None = None,
    endpoint_url: str | None = None,
) -> Clients:
    """Create the clients from one session (by default a new one; the endpoint then comes from
    the environment, unless ``endpoint_url`` names one)."""
    session = session or boto3.session.Session(region_name=region)

    def client(service: str) -> Any:
        return session.client(
            service, region_name=region, endpoint_url=endpoint_url, config=CLIENT_CONFIG
        )

    return Clients(s3=client("s3"), sns=client("sns"), dynamodb=client("dynamodb"))
