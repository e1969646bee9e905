"""Every `invoke …` command the README and docs/ show parses against the real task collection:
the task exists and takes every flag written after it. A renamed task or flag fails here instead
of in a reader's shell."""

from __future__ import annotations

import importlib
import re
import shlex
from typing import TYPE_CHECKING

import pytest
from invoke import Parser
from invoke.exceptions import ParseError

from tooling.core import paths

if TYPE_CHECKING:
    from pathlib import Path

DOCUMENTS = sorted(
    [
        paths.REPO_ROOT / "README.md",
        *(paths.REPO_ROOT / "docs").rglob("*.md"),
        *(paths.REPO_ROOT / "terraform" / "modules").glob("*/README.md"),
    ]
)
# A command in code: a fenced block's line, or an inline code span, that starts with invoke.
FENCE = re.compile(r"^```.*?$(.*?)^```", re.MULTILINE | re.DOTALL)
SPAN = re.compile(r"`([^`\n]+)`")
COMMAND = re.compile(r"^(?:[A-Z_]+=\S+\s+)*(?:\.ci/invoke|\.venv/bin/invoke|invoke)\s+(.+)$")


def documented_commands(document: Path) -> list[str]:
    """The invoke argument lists a document shows in code (fenced blocks and code spans)."""
    text = document.read_text(encoding="utf-8")
    candidates = [line for block in FENCE.findall(text) for line in block.splitlines()]
    candidates += SPAN.findall(FENCE.sub("", text))
    commands = []
    for candidate in candidates:
        # Shell comments and the docs' own notation: "[--flag]" is optional, "…" elided.
        line = candidate.split(" #", 1)[0].strip().rstrip("\\").strip()
        match = COMMAND.match(line)
        if not match:
            continue
        # What the shell does after the command (a redirect, a pipe) is not invoke's.
        arguments = re.split(r"\s(?:>|\||&&|;)\s", match.group(1))[0]
        arguments = arguments.replace("[", " ").replace("]", " ").replace("…", "")
        # invoke's own options (--list, --help TASK) and placeholders (<task>) name no task.
        if not arguments.startswith("-") and "<" not in arguments:
            commands.append(arguments)
    return commands


CASES = [
    pytest.param(command, id=f"{document.relative_to(paths.REPO_ROOT)}: {command.strip()}")
    for document in DOCUMENTS
    for command in dict.fromkeys(documented_commands(document))
]


@pytest.fixture(scope="module")
def parser() -> Parser:
    namespace = importlib.import_module("tasks").namespace
    return Parser(contexts=namespace.to_contexts())


def test_the_docs_show_commands_at_all():
    # A guard for the extraction itself: the README alone shows a dozen.
    assert len(CASES) > 40


def test_the_extraction_and_the_parser_catch_a_wrong_task_or_flag(parser: Parser, tmp_path: Path):
    # GIVEN a document showing a good command, a renamed flag and a task that does not exist
    document = tmp_path / "doc.md"
    document.write_text(
        "Run `invoke deploy --env=local` (or `invoke local`), then:\n\n```bash\n"
        ".ci/invoke deploy --environment=local   # renamed flag\n"
        "SFP_X=1 invoke deploi --env=local > out.txt\n```\n",
        encoding="utf-8",
    )
    # WHEN its commands are extracted THEN all four are found, shell redirects cut off
    commands = documented_commands(document)
    assert [c.split() for c in commands] == [
        ["deploy", "--environment=local"],
        ["deploi", "--env=local"],
        ["deploy", "--env=local"],
        ["local"],
    ]
    # AND the parser refuses the renamed flag and the unknown task
    for wrong in commands[:2]:
        with pytest.raises(ParseError):
            parser.parse_argv(shlex.split(wrong))


@pytest.mark.parametrize("command", CASES)
def test_every_documented_command_names_real_tasks_and_flags(parser: Parser, command: str):
    # GIVEN a command as the docs show it WHEN invoke parses it THEN every task and flag exists
    try:
        parsed = parser.parse_argv(shlex.split(command))
    except ParseError as error:
        # Prose names a task without its required flags ("`invoke local` runs …"): that is a
        # name, not a command line; anything else (unknown task, unknown flag) is wrong.
        if "did not receive required positional arguments" in str(error):
            return
        pytest.fail(f"`invoke {command.strip()}`: {error}")
    assert not parsed.unparsed, f"`invoke {command.strip()}`: left over {parsed.unparsed}"
