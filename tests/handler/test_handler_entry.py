"""The real entry point: ``app.py`` cold-started as Lambda does (environment variables in, module
code run once), its decorated ``lambda_handler`` invoked.

``app.py`` is executed afresh as a new module object for each test (``importlib.util``): a cold
start, without importing ``app`` into ``sys.modules`` or removing anything from it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from handler_support import (
    CONFIG,
    HANDLER_ENV,
    ROOT,
    emf_documents,
    metric_total,
    namespaces,
    s3_event,
    s3_record,
)

from file_processor.config import ConfigError

if TYPE_CHECKING:
    from types import ModuleType

APP_PY = ROOT / "handler" / "app.py"


def cold_start(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> ModuleType:
    """Run ``app.py``'s module code with ``env`` as the function's environment."""
    for name in HANDLER_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("app", APP_PY)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "missing", ["POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_SERVICE_NAME", "IDEMPOTENCY_TABLE"]
)
def test_cold_start_fails_naming_the_variable(monkeypatch, missing):
    # GIVEN a deployment without one required variable
    env = {name: value for name, value in HANDLER_ENV.items() if name != missing}

    # WHEN the runtime imports app / THEN init fails, naming the variable
    with pytest.raises(ConfigError, match=f"{missing} is missing"):
        cold_start(monkeypatch, env)


def test_decorated_lambda_handler_processes_an_upload(monkeypatch, aws, context, capsys):
    # GIVEN app cold-started with the function's environment, and an uploaded object
    app = cold_start(monkeypatch, HANDLER_ENV)
    version = aws.put("entry/hello.txt", b"hello\nworld\n")

    # WHEN Lambda calls app.lambda_handler with its upload notification
    summary = app.lambda_handler(
        s3_event(s3_record("entry/hello.txt", version_id=version)), context
    )

    # THEN it is processed and published, and the decorators flushed the metrics under the
    # configured namespace (the one the compute module sets)
    assert summary == {"processed": 1, "rejected": 0, "duplicates": 0, "ignored": 0}
    [(document, _)] = aws.messages()
    assert document["version_id"] == version
    documents = emf_documents(capsys.readouterr().out)
    assert namespaces(documents) == {CONFIG.metrics_namespace}
    assert metric_total(documents, "FilesProcessed", service=CONFIG.service_name) == 1
    assert metric_total(documents, "BytesProcessed") == len(b"hello\nworld\n")


def test_decorated_lambda_handler_answers_a_function_url_request(monkeypatch, aws, context):
    # GIVEN app cold-started / WHEN a function URL request (payload 2.0) reaches it
    app = cold_start(monkeypatch, HANDLER_ENV)
    event = {"version": "2.0", "routeKey": "$default", "rawPath": "/process", "body": "{}"}
    response = app.lambda_handler(event, context)

    # THEN a 400 JSON answer, not an exception
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"] == "unsupported_event"


def test_cold_start_leaves_the_api_routes_for_the_first_api_request():
    # GIVEN a fresh interpreter with the function's environment (nothing imported yet)
    env = {
        "PATH": os.environ.get("PATH", ""),
        **HANDLER_ENV,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    probe = (
        f"import sys; sys.path.insert(0, {str(APP_PY.parent)!r}); import app; "
        "loaded = lambda: 'aws_lambda_powertools.event_handler' in sys.modules; "
        "print(loaded()); app.APPLICATION.api.resolver; print(loaded())"
    )

    # WHEN app is imported, then the routes are asked for (what the first API request does)
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )

    # THEN the processor's cold start did not import Powertools' event handler; the API's did
    assert result.stdout.split() == ["False", "True"]
