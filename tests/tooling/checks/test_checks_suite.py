"""`invoke test`: checks side by side, then pytest on xdist workers with the integration tests
kept together on one worker."""

from __future__ import annotations

import os
import sys

import pytest

from tooling.checks import steps, suite
from tooling.checks.steps import Step
from tooling.core.errors import ToolingError

pytest_plugins = ["pytester"]


def test_workers_follow_the_cpus_with_one_more_for_the_waiting_integration_tests():
    assert suite.xdist_args(2, integration=True) == ["-n", "3", "--dist", "loadgroup"]
    assert suite.xdist_args(2, integration=False) == ["-n", "2", "--dist", "loadgroup"]
    assert suite.xdist_args(1, integration=True) == []  # serial, as before


@pytest.mark.parametrize("bad", ["0", "-2", "two", ""])
def test_a_bad_job_count_says_what_is_accepted(bad):
    with pytest.raises(ToolingError, match="is not a number of parallel jobs") as error:
        suite.parse_jobs(bad)
    assert "whole number >= 1" in error.value.hint


def test_jobs_come_from_the_environment_when_set(monkeypatch):
    monkeypatch.setenv(suite.JOBS_ENV_VAR, "3")
    assert suite.default_jobs() == 3
    monkeypatch.delenv(suite.JOBS_ENV_VAR)
    assert suite.default_jobs() >= 1


def test_one_job_runs_checks_then_pytest_and_fails_if_either_fails(monkeypatch):
    # GIVEN a check that fails and a pytest run that is recorded
    ran: list[tuple[str, object]] = []

    def checks(planned):
        ran.append(("check", planned))
        raise ToolingError("1 of 9 checks failed: checkov")

    monkeypatch.setattr(steps, "default_steps", lambda mirror=None: ["a step"])
    monkeypatch.setattr(steps, "run_checks", checks)
    monkeypatch.setattr(suite, "run_pytest", lambda args: ran.append(("pytest", args)))
    # WHEN the suite runs with one job
    with pytest.raises(ToolingError, match="checkov"):
        suite.run_suite("-k handler", jobs=1)
    # THEN pytest still ran, after the checks, serially, with the extra arguments
    assert ran == [("check", ["a step"]), ("pytest", ["-k", "handler"])]


def test_checks_run_beside_pytest_at_low_priority_and_report_after_it(monkeypatch, capsys):
    # GIVEN checks that report their CPU priority (one fails), and a pytest run that waits for
    # the checks to have started
    def step(name: str, code: int) -> Step:
        program = f"import os, sys; print('{name} niceness', os.nice(0)); sys.exit({code})"
        return Step(name, command=(sys.executable, "-c", program))

    monkeypatch.setattr(
        steps, "default_steps", lambda mirror=None: [step("lint", 0), step("scan", 3)]
    )
    seen: dict[str, object] = {}

    def pytest_run(args):
        seen["args"] = args
        print("pytest output", flush=True)

    monkeypatch.setattr(suite, "run_pytest", pytest_run)
    # WHEN the suite runs on 2 CPUs
    with pytest.raises(ToolingError, match="1 of 2 checks failed: scan"):
        suite.run_suite(jobs=2)
    out = capsys.readouterr().out
    # THEN pytest ran on 3 workers, the checks beside it at a lower priority, and their output
    # and summary come after pytest's
    assert seen["args"] == ["-n", "3", "--dist", "loadgroup"]
    assert out.index("pytest output") < out.index("lint niceness") < out.index("check summary")
    base = os.nice(0)
    assert f"lint niceness {base + suite.CHECK_NICENESS}" in out
    assert "FAIL  scan" in out


def test_integration_tests_sharing_a_fixture_share_a_worker_the_others_spread(pytester):
    # GIVEN integration tests sharing an expensive session fixture (two of them only through a
    # chain), integration tests with a fixture of their own, and unit tests
    pytester.makeini(
        "[pytest]\nmarkers =\n    integration: deploys\naddopts = -p tooling.checks.pytest_plugin\n"
    )
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def stack():
            return "deployed"

        @pytest.fixture(scope="session")
        def checkout(stack):
            return "copied"

        @pytest.fixture(scope="session")
        def runtime():
            return "another emulator"

        def pytest_collection_finish(session):
            if not session.items:  # the xdist controller collects nothing itself
                return
            with open("groups.txt", "w") as out:
                for item in session.items:
                    mark = item.get_closest_marker("xdist_group")
                    out.write(f"{item.name} {mark.args[0] if mark else '-'}\\n")
        """
    )
    pytester.makepyfile(
        test_mixed="""
        import os, pytest

        def record(name):
            with open("workers.txt", "a") as out:
                out.write(f"{name} {os.environ['PYTEST_XDIST_WORKER']}\\n")

        @pytest.mark.integration
        @pytest.mark.parametrize("n", range(4))
        def test_deploys(n, stack):
            record("stack")

        @pytest.mark.integration
        @pytest.mark.parametrize("n", range(4))
        def test_copies(n, checkout):
            record("stack")

        @pytest.mark.integration
        @pytest.mark.parametrize("n", range(4))
        def test_runtime(n, runtime):
            record("runtime")

        @pytest.mark.parametrize("n", range(8))
        def test_unit(n, tmp_path_factory):
            record("unit")
        """
    )
    # WHEN run on two workers with loadgroup, as `invoke test` does
    result = pytester.runpytest_subprocess("-n", "2", "--dist", "loadgroup")
    result.assert_outcomes(passed=20)
    lines = (pytester.path / "workers.txt").read_text().splitlines()
    groups: dict[str, set[str]] = {}
    for line in (pytester.path / "groups.txt").read_text().splitlines():
        name, group = line.split()
        groups.setdefault(name.split("[")[0], set()).add(group)
    # THEN the tests sharing `stack` (directly or through `checkout`) form one group and ran on
    # one worker; the ones sharing `runtime` form another; unit tests (tmp_path_factory is
    # pytest's own fixture) have none and are spread test by test
    assert groups["test_deploys"] == groups["test_copies"]
    assert len(groups["test_deploys"]) == 1
    assert groups["test_runtime"] != groups["test_deploys"]
    assert groups["test_unit"] == {"-"}
    assert len({line.split()[1] for line in lines if line.startswith("stack")}) == 1


def test_without_xdist_integration_tests_run_unmarked(pytester):
    # GIVEN an integration test sharing a session fixture, and --strict-markers (as pyproject.toml)
    pytester.makeini(
        "[pytest]\nmarkers =\n    integration: deploys\n"
        "addopts = --strict-markers -p tooling.checks.pytest_plugin\n"
    )
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def stack():
            return "deployed"
        """
    )
    pytester.makepyfile(
        test_alone="""
        import pytest

        @pytest.mark.integration
        def test_deploys(stack):
            assert stack == "deployed"
        """
    )
    # WHEN pytest runs without xdist THEN the test runs (no unknown xdist_group marker)
    result = pytester.runpytest_subprocess("-p", "no:xdist")
    result.assert_outcomes(passed=1)


def test_checks_that_cannot_even_be_listed_still_let_pytest_run(monkeypatch):
    # GIVEN a setting that fails while listing the checks (a named mirror that does not exist)
    def broken(mirror=None):
        raise ToolingError(
            "provider mirror '/nope' (from TERRAFORM_PROVIDER_MIRROR) does not exist"
        )

    monkeypatch.setattr(steps, "default_steps", broken)
    ran: list[object] = []
    monkeypatch.setattr(suite, "run_pytest", ran.append)
    # WHEN the suite runs side by side THEN pytest ran and the suite fails naming the setting
    with pytest.raises(ToolingError, match="/nope"):
        suite.run_suite(jobs=2)
    assert ran == [["-n", "3", "--dist", "loadgroup"]]
