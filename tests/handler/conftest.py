"""Fixtures for the handler tests: a moto account, and the application built for it.

The application is built by ``build_application`` from the tests' own configuration and clients
(see ``handler_support``); the process environment only loses the variables that could point
boto3 at a real account or endpoint.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
import pytest
from handler_support import (
    BUCKET,
    CONFIG,
    LOGGER,
    METRICS,
    REGION,
    TABLE,
    TOPIC_NAME,
    Aws,
    FakeContext,
    lambda_handler_for,
)
from hypothesis import HealthCheck, settings
from moto import mock_aws

from file_processor.application import Application, build_application
from file_processor.aws import Clients, build_clients

# Hypothesis profiles. "default" (the normal run) keeps the whole handler suite at a couple of
# minutes on a 2-core box; "deep" (HYPOTHESIS_PROFILE=deep) multiplies the examples, >= 10,000
# per fuzz test. No deadlines: moto's timing on a busy machine is not what is under test.
settings.register_profile("default", deadline=None)
settings.register_profile(
    "deep",
    deadline=None,
    max_examples=10_000,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# What could point boto3 at a real account or endpoint, and moto's fake credentials instead.
LEAKY_ENV = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials; no real endpoint or profile can leak in (moto's documented set-up)."""
    for name in LEAKY_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def boto_session() -> boto3.session.Session:
    """One boto3 session with fake credentials; its clients are reused by every test.

    Creating botocore clients is what costs most in a moto test (0.1-0.5 s each here); moto
    intercepts clients created at any time after its import, whenever a mock is active, and each
    test's ``mock_aws()`` starts from an empty account.
    """
    return boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
        region_name=REGION,
    )


@pytest.fixture(scope="session")
def app_clients(boto_session: boto3.session.Session) -> Clients:
    """The application's clients: production settings (timeouts, retries), fake credentials."""
    return build_clients(REGION, session=boto_session)


@pytest.fixture(scope="session")
def setup_clients(boto_session: boto3.session.Session) -> dict[str, Any]:
    """The tests' own clients (set-up and reading results back)."""
    return {name: boto_session.client(name) for name in ("s3", "sns", "sqs", "dynamodb")}


@pytest.fixture
def aws(setup_clients: dict[str, Any]) -> Any:
    """A moto account with the versioned bucket, topic (+ SQS subscriber) and idempotency table."""
    with mock_aws():
        s3, sns, sqs = setup_clients["s3"], setup_clients["sns"], setup_clients["sqs"]
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        topic_arn = sns.create_topic(Name=TOPIC_NAME)["TopicArn"]
        queue_url = sqs.create_queue(QueueName="results-reader")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        dynamodb = setup_clients["dynamodb"]
        # Powertools' default idempotency schema: partition key "id", TTL attribute "expiration".
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield Aws(s3=s3, sns=sns, sqs=sqs, dynamodb=dynamodb, queue_url=queue_url)


@pytest.fixture
def application(aws: Aws, app_clients: Clients) -> Any:
    """The application, built for the moto account with production client settings."""
    built = build_application(CONFIG, clients=app_clients, logger=LOGGER, metrics=METRICS)
    yield built
    METRICS.clear_metrics()  # Powertools shares metrics across instances: nothing carries over


@pytest.fixture
def handler(application: Application) -> Any:
    """``application`` behind the decorators ``app.lambda_handler`` has (metrics flushed)."""
    return lambda_handler_for(application)


@pytest.fixture
def context() -> FakeContext:
    return FakeContext()
