"""The operator tasks: flags as the runbook names them, errors as a message, never a traceback."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from invoke import Config, Context, Exit
from ops_support import fail, queue_counts
from stack_fixtures import deployed_env, failure_record

from tooling.commands import common, ops

if TYPE_CHECKING:
    from tooling.stack.deployment import Deployment


@pytest.fixture
def context() -> Context:
    return Context(config=Config(overrides=common.CONFIG_DEFAULTS))


@pytest.fixture
def connected(aws: dict[str, Any], stack: Deployment, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """`connect` answers with the moto stack, and records how it was called."""
    calls: list[Any] = []

    def connect(env: str, *, emulated: bool = False, mirror_config: str | None = None) -> Any:
        calls.append((env, emulated))
        return deployed_env(aws, stack, env=env, endpoint="http://e" if emulated else None)

    monkeypatch.setattr(ops, "connect", connect)
    return calls


def test_failures_json_is_parseable_on_stdout(
    context: Context, connected: list[Any], aws: dict[str, Any], stack: Deployment, capsys: Any
) -> None:
    fail(aws, stack, failure_record())
    ops.failures(context, env="prod", json=True, emulated=True)
    document = json.loads(capsys.readouterr().out)
    assert document[0]["condition"] == "RetriesExhausted"
    assert connected == [("prod", True)]


def test_redrive_exits_1_when_something_is_left_behind(
    context: Context, connected: list[Any], aws: dict[str, Any], stack: Deployment, capsys: Any
) -> None:
    fail(aws, stack, failure_record(drop_payload=True))
    with pytest.raises(Exit) as raised:
        ops.redrive(context, env="dev")
    assert raised.value.code == 1
    assert "cannot be redriven" in capsys.readouterr().out
    assert queue_counts(aws, stack) == (1, 0)


def test_a_bad_since_is_an_error_before_anything_is_read(
    context: Context, connected: list[Any]
) -> None:
    with pytest.raises(Exit) as raised:
        ops.redrive(context, env="dev", since="yesterday")
    assert raised.value.code == 1
    assert "--since='yesterday' is not a duration" in str(raised.value.message)
    with pytest.raises(Exit, match="unknown function 'web'"):
        ops.logs(context, env="dev", function="web")
    assert connected == []


def test_status_prints_one_screen(context: Context, connected: list[Any], capsys: Any) -> None:
    ops.status(context, env="local")
    screen = capsys.readouterr().out
    assert screen.startswith("serverless-file-processor · local (us-east-1) · ")
    assert "Alarms (" in screen
    assert "Failed events waiting: 0" in screen


# The operator commands of issue #11 and their flags, exactly (as docs/runbook.md names them).
CONTRACT = {
    "failures": {"env", "json", "emulated"},
    "redrive": {"env", "dry-run", "key-prefix", "since", "yes", "emulated"},
    "logs": {"env", "function", "since", "follow", "emulated"},
    "status": {"env", "emulated"},
}


def _flags(command: Any) -> set[str]:
    return {
        name for argument in command.get_arguments() for name in argument.names if len(name) > 1
    }


def test_the_tasks_have_exactly_the_contract_flags() -> None:
    tasks = {command.name: command for command in ops.TASKS}
    assert {name: _flags(tasks[name]) for name in CONTRACT} == CONTRACT


@pytest.mark.parametrize("doc", ["README.md", "docs/runbook.md", "docs/operations.md"])
def test_every_operator_command_in_the_docs_exists_with_its_flags(doc: str) -> None:
    # GIVEN the operator commands a doc shows (inline or in code blocks)
    import re
    import shlex

    from tooling.core import paths

    text = (paths.REPO_ROOT / doc).read_text()
    found = re.findall(
        r"invoke\s+(failures|redrive|logs|status)((?:\s+--?[\w-]+(?:=\S+)?|\s+\[[^\]]*\])*)", text
    )
    assert found, doc
    tasks = {command.name: command for command in ops.TASKS}
    for name, rest in found:
        words = shlex.split(rest.replace("[", " ").replace("]", " ").replace("|", " "))
        flags = {word.split("=", 1)[0].lstrip("-") for word in words if word.startswith("--")}
        # THEN each names a flag the task really has
        assert flags <= _flags(tasks[name]), (doc, name, rest)
