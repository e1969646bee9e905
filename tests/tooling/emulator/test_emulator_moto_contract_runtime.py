"""Contracts with moto's internals: every private name the emulator's patches rely on.

moto is pinned exactly (pyproject.toml). When it is upgraded, these fail first and name what
moved, instead of the emulator silently falling back to stock behaviour (synchronous S3
notifications, "error running docker", appended invoke configs…). One test per name.
"""

from __future__ import annotations

import inspect
import re

import moto
from moto.awslambda import exceptions as lambda_exceptions
from moto.awslambda import models as lambda_models
from moto.awslambda import policy as lambda_policy
from moto.awslambda import responses as lambda_responses
from moto.core import request as core_request
from moto.core import responses as core_responses
from moto.core import routing as core_routing
from moto.core import utils as core_utils
from moto.logs import models as logs_models
from moto.moto_api._internal import urls as moto_api_urls
from moto.moto_server import werkzeug_app
from moto.s3 import models as s3_models
from moto.s3 import notifications as s3_notifications
from moto.sts import models as sts_models
from moto.utilities import utils as moto_utils

from tooling.core import paths

PINNED = "5.2.5"


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def source(function: object) -> str:
    return inspect.getsource(function)  # type: ignore[arg-type]


def test_moto_is_the_pinned_version() -> None:
    assert moto.__version__ == PINNED
    pyproject = (paths.REPO_ROOT / "pyproject.toml").read_text()
    assert re.search(rf'"moto\[server\]=={re.escape(PINNED)}"', pyproject)


# --- S3 notifications (s3_notifications.py) ---------------------------------------------------


def test_s3_calls_send_event_through_the_notifications_module() -> None:
    # The patch replaces the module attribute; S3 must look it up at call time.
    for method in (s3_models.S3Backend.put_object, s3_models.S3Backend.delete_object):
        assert "notifications.send_event(" in source(method)
    assert parameters(s3_notifications.send_event) == ["account_id", "event_name", "bucket", "key"]


def test_moto_s3_senders_used_for_queue_and_topic_targets() -> None:
    assert parameters(s3_notifications._send_sqs_message) == [
        "account_id",
        "event_body",
        "queue_name",
        "region_name",
    ]
    assert parameters(s3_notifications._send_sns_message) == [
        "account_id",
        "event_body",
        "topic_arn",
        "region_name",
    ]
    assert parameters(s3_notifications._send_event_bridge_message) == [
        "account_id",
        "bucket",
        "event_name",
        "key",
    ]


def test_notification_configuration_attributes() -> None:
    config = s3_models.NotificationConfiguration(
        cloud_function=[
            {
                "CloudFunction": "arn:aws:lambda:us-east-1:123456789012:function:f",
                "Event": ["s3:ObjectCreated:*"],
                "Filter": {"S3Key": {"FilterRule": [{"Name": "prefix", "Value": "in/"}]}},
                "Id": "n",
            }
        ]
    )
    [target] = config.cloud_function
    assert (target.arn, target.events, target.id) == (
        "arn:aws:lambda:us-east-1:123456789012:function:f",
        ["s3:ObjectCreated:*"],
        "n",
    )
    assert target.filters["S3Key"]["FilterRule"][0]["Value"] == "in/"
    assert config.queue == []
    assert config.topic == []
    assert config.event_bridge is None


def test_bucket_and_key_attributes() -> None:
    init = source(s3_models.FakeBucket.__init__)
    for attribute in (
        "self.notification_configuration",
        "self.versioning_status",
        "self.account_id",
        "self.region_name",
        "self.name",
    ):
        assert attribute in init
    assert isinstance(s3_models.FakeBucket.arn, property)
    for attribute in ("name", "size", "etag", "version_id"):
        assert hasattr(s3_models.FakeKey, attribute) or attribute in source(
            s3_models.FakeKey.__init__
        )


# --- Lambda runtime (lambda_runtime.py) -------------------------------------------------------


def test_lambda_function_invoke_signature() -> None:
    assert parameters(lambda_models.LambdaFunction.invoke) == [
        "self",
        "body",
        "request_headers",
        "response_headers",
    ]
    # Invoke answers 202 for Event and passes the request headers through to the function.
    responses = source(lambda_responses.LambdaResponse.invoke)
    assert "self.backend.invoke(" in responses
    assert '"Event"' in responses


def test_lambda_function_attributes_the_runtime_reads() -> None:
    init = source(lambda_models.LambdaFunction.__init__)
    for attribute in (
        "self.function_name",
        "self.handler",
        "self.role",
        "self.run_time",
        "self.environment_vars",
        "self.memory_size",
        "self.timeout",
        "self.reserved_concurrency",
        "self.tracing_config",
        "self.logs_group_name",
        "self.event_invoke_config",
        "self.policy",
        "self.version",
        "self.account_id",
        "self.region",
    ):
        assert attribute in init, attribute
    code = source(lambda_models.LambdaFunction._set_function_code)
    assert "self.code_bytes" in code
    assert "self.code_digest" in code


def test_zip_digest_is_the_hex_sha256_of_the_zip() -> None:
    import base64
    import hashlib

    data = b"PK zip bytes"
    code_bytes, _, _, digest = lambda_models._zipfile_content(base64.b64encode(data))
    assert code_bytes == data
    assert digest == hashlib.sha256(data).hexdigest()


def test_lambda_backend_lookup_and_client_errors() -> None:
    assert parameters(lambda_models.LambdaBackend.get_function) == [
        "self",
        "function_name_or_arn",
        "qualifier",
    ]
    assert "lambda_backends" in dir(lambda_models)
    error = lambda_exceptions.LambdaClientError("TooManyRequestsException", "Rate Exceeded.")
    error.code = 429
    assert error.get_response().status_code == 429
    assert '"__type": "TooManyRequestsException"' in error.description


def test_lambda_policy_statements() -> None:
    # policy.service_may_invoke (S3 and API Gateway) reads the statements AddPermission stores.
    assert "self.statements: list" in source(lambda_policy.Policy.__init__)
    assert "source_arn_formatter" in source(lambda_policy.Policy.decode_policy)
    assert '"ArnLike": {"AWS:SourceArn"' in source(lambda_policy.Policy.source_arn_formatter)


def test_sts_assume_role_in_process() -> None:
    assert parameters(sts_models.STSBackend.assume_role) == [
        "self",
        "region_name",
        "role_session_name",
        "role_arn",
        "policy",
        "duration",
        "external_id",
    ]
    init = source(sts_models.AssumedRole.__init__)
    for attribute in (
        "self.access_key_id",
        "self.secret_access_key",
        "self.session_token",
        "self.expiration",
    ):
        assert attribute in init
    assert "self.assumed_roles" in source(sts_models.STSBackend.__init__)
    assert "sts_backends" in dir(sts_models)
    assert moto_utils.get_partition("us-east-1") == "aws"


def test_logs_backend_calls() -> None:
    backend = logs_models.LogsBackend
    assert parameters(backend.ensure_log_group) == ["self", "log_group_name"]
    assert parameters(backend.ensure_log_stream) == ["self", "log_group_name", "log_stream_name"]
    assert parameters(backend.put_log_events) == [
        "self",
        "log_group_name",
        "log_stream_name",
        "log_events",
    ]


# --- async (lambda_async.py) ----------------------------------------------------------------


def test_event_invoke_config_model_and_the_bug_the_patch_fixes() -> None:
    assert parameters(lambda_models.EventInvokeConfig.__init__) == [
        "self",
        "arn",
        "last_modified",
        "config",
    ]
    assert parameters(lambda_models.LambdaBackend.put_function_event_invoke_config) == [
        "self",
        "function_name",
        "config",
    ]
    assert parameters(lambda_models.LambdaBackend.update_function_event_invoke_config) == [
        "self",
        "function_name",
        "config",
    ]
    # Still appending in stock moto: when this fails, moto fixed it and the patch can go.
    assert "event_invoke_config.append(" in source(
        lambda_models.LambdaBackend.put_function_event_invoke_config
    )


# --- request hooks, control routes, faults ----------------------------------------------------


def test_every_service_view_goes_through_convert_to_flask_response() -> None:
    assert parameters(core_utils.convert_to_flask_response.__call__) == ["self", "args", "kwargs"]
    app_source = source(werkzeug_app.create_backend_app)
    assert "convert_to_flask_response(handler)" in app_source
    assert "backend_app.service = service" in app_source
    assert parameters(core_request.normalize_request) == ["request"]


def test_control_routes_live_in_moto_apis_url_paths() -> None:
    assert isinstance(moto_api_urls.url_paths, dict)
    assert '"/moto-api"' in source(werkzeug_app.DomainDispatcherApplication.get_application)


def test_fault_injection_routing_helpers() -> None:
    assert parameters(core_routing.get_service_router) == ["service_name"]
    assert parameters(core_request.determine_request_protocol) == ["service_model", "content_type"]
    assert core_responses.boto3_service_name == {"awslambda": "lambda"}
    assert core_utils.get_service_model("sns").protocol == "query"


def test_moto_server_exits_normally_on_sigterm() -> None:
    # The runtime stops its sandboxes in an atexit hook: SIGTERM must end in sys.exit.
    from moto import server

    assert "sys.exit(0)" in source(server.signal_handler)
    assert "signal.SIGTERM" in source(server.main)


def test_the_older_server_fixes_still_have_their_hooks() -> None:
    from moto.iam.access_control import PermissionResult
    from moto.logs.responses import LogsResponse

    assert parameters(s3_models.FakeBucket.get_permission) == ["self", "action", "resource"]
    assert PermissionResult.NEUTRAL
    assert hasattr(LogsResponse, "logs_backend")
    assert hasattr(LogsResponse, "_get_param")
