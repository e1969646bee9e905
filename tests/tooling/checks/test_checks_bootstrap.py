"""`.ci/invoke`, the bootstrap: says what it installs, step by step with times, installs once,
and refuses a Python it cannot use with what to do instead. Run with stand-in interpreters."""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from typing import TYPE_CHECKING

import pytest

from tooling.core import paths

if TYPE_CHECKING:
    from pathlib import Path

BOOTSTRAP = paths.REPO_ROOT / ".ci" / "invoke"

# A stand-in `python3`: `-c` answers the version check, `-m venv DIR` makes DIR/bin/python (a
# stand-in whose pip prints what pip prints and records its arguments) and DIR/bin/invoke.
FAKE_PYTHON = """\
#!/usr/bin/env bash
if [ "$1" = "--version" ]; then echo "Python 3.11.7"; exit 0; fi
if [ "$1" = "-c" ]; then exit "${FAKE_TOO_OLD:-0}"; fi
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  dir="${@: -1}"
  mkdir -p "$dir/bin"
  cat > "$dir/bin/python" <<'PY'
#!/usr/bin/env bash
echo "$*" >> "$(dirname "$0")/../pip-calls.txt"
case " $* " in *" --quiet "*) exit 0 ;; esac
echo "Requirement already satisfied: pip"
echo "Collecting invoke==3.0.3"
echo "  Using cached invoke-3.0.3-py3-none-any.whl"
echo "Successfully installed invoke-3.0.3"
PY
  printf '#!/usr/bin/env bash\\necho "invoked $*"\\n' > "$dir/bin/invoke"
  chmod +x "$dir/bin/python" "$dir/bin/invoke"
  exit 0
fi
exit 2
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repo skeleton holding the real bootstrap and a stand-in interpreter."""
    (tmp_path / ".ci").mkdir()
    shutil.copy2(BOOTSTRAP, tmp_path / ".ci" / "invoke")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "handler").mkdir()
    (tmp_path / "handler" / "requirements.txt").write_text("aws-lambda-powertools==3.0.0\n")
    fake = tmp_path / "fake-python"
    fake.write_text(textwrap.dedent(FAKE_PYTHON))
    fake.chmod(0o755)
    return tmp_path


def _run(repo: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", ".ci/invoke", "--list"],
        cwd=repo,
        env={**os.environ, "PYTHON": str(repo / "fake-python"), **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_first_run_says_each_step_and_its_time_then_runs_invoke(repo: Path):
    # WHEN the bootstrap runs on a fresh clone (no package.json: three steps)
    first = _run(repo)
    # THEN it says what it sets up, each step numbered with its time, and ends by running invoke
    assert first.returncode == 0, first.stderr
    err = first.stderr
    for step in (
        "» [1/3] creating the virtual environment with Python 3.11.7",
        "» [2/3] upgrading pip",
        "» [3/3] installing the pinned tooling",
    ):
        assert step in err
    assert err.count("  ✓ done in ") == 3
    assert "» .venv is ready (" in err
    # AND pip's progress shows what is installed, without the lines that repeat known things
    assert "Collecting invoke==3.0.3" in err
    assert "Successfully installed invoke-3.0.3" in err
    assert "Requirement already satisfied" not in err
    assert "Using cached" not in err
    assert first.stdout.strip() == "invoked --list"
    # AND the tooling and the handler's dependencies go in one pip run, without bytecode
    calls = (repo / ".venv" / "pip-calls.txt").read_text().splitlines()
    assert calls[-1].startswith("-m pip install --no-compile")
    assert "-r handler/requirements.txt" in calls[-1]
    # WHEN it runs again with nothing changed THEN it installs nothing and says nothing
    second = _run(repo)
    assert second.returncode == 0
    assert second.stderr == ""
    assert second.stdout.strip() == "invoked --list"


def test_a_python_too_old_is_refused_with_what_to_do(repo: Path):
    result = _run(repo, FAKE_TOO_OLD="1")
    assert result.returncode == 1
    assert "is too old: the tooling needs Python >= 3.11" in result.stderr
    assert "PYTHON=python3.12 .ci/invoke" in result.stderr
    assert not (repo / ".venv").exists()


def test_a_missing_python_is_named(repo: Path):
    result = _run(repo, PYTHON="no-such-python3")
    assert result.returncode == 1
    assert "no-such-python3 was not found" in result.stderr
