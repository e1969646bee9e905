"""Fixtures for the handler tests: fake AWS credentials, moto resources, a fresh ``app``.

``app`` validates its configuration and builds its clients at import (as on Lambda), so the
``app`` fixture sets the environment and starts moto first, then imports the module afresh.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
import pytest
from handler_support import (
    BUCKET,
    HANDLER_ENV,
    LEAKY_ENV,
    REGION,
    TABLE,
    TOPIC_NAME,
    Aws,
    FakeContext,
    import_app,
)
from hypothesis import HealthCheck, settings
from moto import mock_aws

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


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Fake credentials and the handler's variables; no real endpoint or profile can leak in."""
    for name in LEAKY_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in HANDLER_ENV.items():
        monkeypatch.setenv(name, value)
    return dict(HANDLER_ENV)


@pytest.fixture
def aws(aws_env: dict[str, str]) -> Any:
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
def app(aws: Aws) -> Any:
    """The handler module, cold-started inside the moto account."""
    return import_app()


@pytest.fixture
def context() -> FakeContext:
    return FakeContext()
