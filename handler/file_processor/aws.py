"""boto3 clients, built once per container with explicit timeouts and retry mode.

Endpoints come from boto3's standard ``AWS_ENDPOINT_URL`` (and ``AWS_ENDPOINT_URL_<SERVICE>``),
so the same code talks to the local emulator without an ``endpoint_url`` argument here.
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


def build_clients(region: str) -> Clients:
    """Create the clients from one session (the endpoint comes from the environment)."""
    session = boto3.session.Session(region_name=region)
    return Clients(
        s3=session.client("s3", config=CLIENT_CONFIG),
        sns=session.client("sns", config=CLIENT_CONFIG),
        dynamodb=session.client("dynamodb", config=CLIENT_CONFIG),
    )
