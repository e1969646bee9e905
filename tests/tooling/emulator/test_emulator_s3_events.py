"""S3 event records as S3 sends them: key encoding, versionId, sequencer, filters, permission."""

from __future__ import annotations

import datetime
from urllib.parse import unquote_plus

import pytest

from tooling.emulator import policy, s3_notifications
from tooling.emulator.s3_notifications import (
    Sequencer,
    encode_key,
    event_matches,
    event_record,
    filter_matches,
)


@pytest.mark.parametrize(
    ("key", "encoded"),
    [
        ("hello world.txt", "hello+world.txt"),
        ("a+b=c (1).csv", "a%2Bb%3Dc+%281%29.csv"),
        ("dir/sub dir/x.json", "dir/sub+dir/x.json"),
        ("100% naïve 日本語.json", "100%25+na%C3%AFve+%E6%97%A5%E6%9C%AC%E8%AA%9E.json"),
        ("rows%20plus+.ndjson", "rows%2520plus%2B.ndjson"),
    ],
)
def test_keys_are_encoded_like_s3_with_slashes_kept(key: str, encoded: str) -> None:
    assert encode_key(key) == encoded
    assert unquote_plus(encode_key(key)) == key


def test_sequencers_strictly_increase_with_a_fixed_width() -> None:
    sequencer = Sequencer()
    values = [sequencer.next() for _ in range(2000)]
    assert values == sorted(values)
    assert len(set(values)) == len(values)
    assert {len(value) for value in values} == {Sequencer.WIDTH}
    assert all(value == value.upper() for value in values)


def test_a_record_has_every_field_s3_sends() -> None:
    moment = datetime.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.UTC)
    record = event_record(
        event_name="s3:ObjectCreated:Put",
        bucket_name="uploads",
        bucket_arn="arn:aws:s3:::uploads",
        region="eu-west-1",
        account_id="123456789012",
        key="in/a b.txt",
        size=12,
        etag='"abc"',
        version_id="v1",
        sequencer="0055AED6DCD90281E5",
        configuration_id="process-new-objects",
        access_key="ASIAEXAMPLE",
        source_ip="10.0.0.1",
        event_time=moment,
    )
    assert record["eventVersion"] == "2.1"
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["eventTime"] == "2026-01-02T03:04:05.678Z"
    assert record["awsRegion"] == "eu-west-1"
    assert record["userIdentity"]["principalId"].startswith("AWS:AIDA")
    assert record["requestParameters"] == {"sourceIPAddress": "10.0.0.1"}
    assert set(record["responseElements"]) == {"x-amz-request-id", "x-amz-id-2"}
    assert record["s3"]["configurationId"] == "process-new-objects"
    assert record["s3"]["bucket"]["name"] == "uploads"
    assert record["s3"]["bucket"]["arn"] == "arn:aws:s3:::uploads"
    assert record["s3"]["bucket"]["ownerIdentity"]["principalId"]
    assert record["s3"]["object"] == {
        "key": "in/a+b.txt",
        "size": 12,
        "eTag": "abc",
        "versionId": "v1",
        "sequencer": "0055AED6DCD90281E5",
    }


def test_unversioned_objects_and_removals_leave_out_what_s3_leaves_out() -> None:
    record = event_record(
        event_name="s3:ObjectRemoved:Delete",
        bucket_name="b",
        bucket_arn="arn:aws:s3:::b",
        region="us-east-1",
        account_id="123456789012",
        key="k",
        size=None,
        etag=None,
        version_id=None,
        sequencer="01",
        configuration_id="c",
    )
    assert record["s3"]["object"] == {"key": "k", "sequencer": "01"}


BOTH = [{"Name": "prefix", "Value": "in/"}, {"Name": "suffix", "Value": ".csv"}]


@pytest.mark.parametrize(
    ("rules", "key", "expected"),
    [
        (None, "anything", True),
        ([{"Name": "prefix", "Value": "in/"}], "in/a.csv", True),
        ([{"Name": "prefix", "Value": "in/"}], "out/a.csv", False),
        ([{"Name": "Prefix", "Value": "in/"}], "out/a.csv", False),  # names are case-insensitive
        ([{"Name": "suffix", "Value": ".csv"}], "in/a.json", False),
        (
            [{"Name": "prefix", "Value": "in/"}, {"Name": "suffix", "Value": ".csv"}],
            "in/a.csv",
            True,
        ),
        (
            [{"Name": "prefix", "Value": "in/"}, {"Name": "suffix", "Value": ".csv"}],
            "in/a.txt",
            False,
        ),
        ({"Name": "suffix", "Value": ".csv"}, "a.csv", True),  # a single rule parsed as a dict
    ],
)
def test_prefix_and_suffix_filters(rules: object, key: str, expected: bool) -> None:
    filters = {"S3Key": {"FilterRule": rules}} if rules is not None else {}
    assert filter_matches(filters, key) is expected


def test_event_names_match_exactly_or_by_wildcard() -> None:
    assert event_matches(["s3:ObjectCreated:*"], "s3:ObjectCreated:Put")
    assert event_matches(["s3:ObjectCreated:Put"], "s3:ObjectCreated:Put")
    assert not event_matches(["s3:ObjectCreated:Post"], "s3:ObjectCreated:Put")
    assert not event_matches(["s3:ObjectRemoved:*"], "s3:ObjectCreated:Put")


PERMISSION = {
    "Sid": "AllowUploadsBucketInvoke",
    "Effect": "Allow",
    "Principal": {"Service": "s3.amazonaws.com"},
    "Action": "lambda:InvokeFunction",
    "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
    "Condition": {
        "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads"},
        "StringEquals": {"AWS:SourceAccount": "123456789012"},
    },
}


FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:f"


def s3_may_invoke(statements: list[dict], bucket_arn: str, account: str) -> bool:
    """The question S3 asks before it invokes a notified function (policy.py answers it)."""
    return policy.service_may_invoke(
        statements, FUNCTION, s3_notifications.SERVICE_PRINCIPAL, (bucket_arn,), account
    )


def test_s3_may_invoke_only_with_a_matching_lambda_permission() -> None:
    assert s3_may_invoke([PERMISSION], "arn:aws:s3:::uploads", "123456789012")
    assert not s3_may_invoke([PERMISSION], "arn:aws:s3:::other", "123456789012")
    assert not s3_may_invoke([PERMISSION], "arn:aws:s3:::uploads", "999999999999")
    assert not s3_may_invoke([], "arn:aws:s3:::uploads", "123456789012")
    sns_only = {**PERMISSION, "Principal": {"Service": "sns.amazonaws.com"}}
    assert not s3_may_invoke([sns_only], "arn:aws:s3:::uploads", "123456789012")
    wildcard = {**PERMISSION, "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::up*"}}}
    assert s3_may_invoke([wildcard], "arn:aws:s3:::uploads", "123456789012")
    deny = {**PERMISSION, "Effect": "Deny", "Condition": {}}
    assert not s3_may_invoke([PERMISSION, deny], "arn:aws:s3:::uploads", "123456789012")
    # AND the statement's Resource counts: a permission for another function allows nothing
    other = {**PERMISSION, "Resource": "arn:aws:lambda:us-east-1:123456789012:function:g"}
    assert not s3_may_invoke([other], "arn:aws:s3:::uploads", "123456789012")


def test_the_principal_id_is_stable_per_caller() -> None:
    assert s3_notifications.stable_id("AIDA", "key-1", 17) == s3_notifications.stable_id(
        "AIDA", "key-1", 17
    )
    assert s3_notifications.stable_id("AIDA", "key-1", 17) != s3_notifications.stable_id(
        "AIDA", "key-2", 17
    )


def test_eventbridge_events_are_s3s_object_created_and_deleted_shapes() -> None:
    common = {
        "bucket_name": "b",
        "bucket_arn": "arn:aws:s3:::b",
        "region": "eu-west-1",
        "account_id": "123456789012",
        "key": "a b+c.txt",
        "size": 3,
        "etag": '"abc"',
        "version_id": "v1",
        "sequencer": "0000000000000000000001",
    }
    # GIVEN a PutObject WHEN its EventBridge event is built THEN it is S3's Object Created event
    created = s3_notifications.eventbridge_event(event_name="s3:ObjectCreated:Put", **common)
    assert created is not None
    assert (created["detail-type"], created["source"], created["region"]) == (
        "Object Created",
        "aws.s3",
        "eu-west-1",
    )
    assert created["detail"]["object"] == {
        "key": "a+b%2Bc.txt",
        "size": 3,
        "etag": "abc",
        "version-id": "v1",
        "sequencer": "0000000000000000000001",
    }
    assert created["detail"]["reason"] == "PutObject"
    # AND a delete marker is an Object Deleted event without size or etag
    deleted = s3_notifications.eventbridge_event(
        event_name="s3:ObjectRemoved:DeleteMarkerCreated", **common
    )
    assert deleted is not None
    assert deleted["detail-type"] == "Object Deleted"
    assert deleted["detail"]["deletion-type"] == "Delete Marker Created"
    assert set(deleted["detail"]["object"]) == {"key", "version-id", "sequencer"}
    # AND other kinds are left to moto
    assert s3_notifications.eventbridge_event(event_name="s3:ObjectTagging:Put", **common) is None
