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
from file_processor.aws import build_clients

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


@pytest.fixture
def aws() -> Any:
    """A moto account with the versioned bucket, topic (+ SQS subscriber) and idempotency table."""
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        sns = boto3.client("sns", region_name=REGION)
        topic_arn = sns.create_topic(Name=TOPIC_NAME)["TopicArn"]
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="results-reader")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        # Powertools' default idempotency schema: partition key "id", TTL attribute "expiration".
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield Aws(s3=s3, sns=sns, sqs=sqs, dynamodb=dynamodb, queue_url=queue_url)


@pytest.fixture
def application(aws: Aws) -> Any:
    """The application, built for the moto account with production client settings."""
    built = build_application(CONFIG, clients=build_clients(REGION), logger=LOGGER, metrics=METRICS)
    yield built
    METRICS.clear_metrics()  # Powertools shares metrics across instances: nothing carries over


@pytest.fixture
def handler(application: Application) -> Any:
    """``application`` behind the decorators ``app.lambda_handler`` has (metrics flushed)."""
    return lambda_handler_for(application)


@pytest.fixture
def context() -> FakeContext:
    return FakeContext()
