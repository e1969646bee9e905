"""`invoke test`: checks side by side, then pytest on xdist workers with the integration tests
kept together on one worker."""

from __future__ import annotations

import pytest

from tooling.checks import steps, suite
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


def test_the_suite_runs_checks_side_by_side_then_pytest_and_fails_if_either_fails(monkeypatch):
    # GIVEN a check that fails and a pytest run that is recorded
    ran: list[tuple[str, object]] = []

    def checks(planned, *, jobs):
        ran.append(("check", jobs))
        raise ToolingError("1 of 9 checks failed: checkov")

    monkeypatch.setattr(steps, "default_steps", lambda mirror=None: ["a step"])
    monkeypatch.setattr(steps, "run_checks", checks)
    monkeypatch.setattr(suite, "run_pytest", lambda args: ran.append(("pytest", args)))
    # WHEN the suite runs on 2 CPUs
    with pytest.raises(ToolingError, match="checkov"):
        suite.run_suite("-k handler", jobs=2)
    # THEN pytest still ran, after the checks, on 3 workers with the extra arguments
    assert ran == [
        ("check", 2),
        ("pytest", ["-n", "3", "--dist", "loadgroup", "-k", "handler"]),
    ]


def test_integration_tests_share_one_worker(pytester):
    # GIVEN integration tests (sharing expensive session fixtures) and other tests
    pytester.makeini(
        "[pytest]\nmarkers =\n    integration: deploys\naddopts = -p tooling.checks.pytest_plugin\n"
    )
    pytester.makepyfile(
        test_mixed="""
        import os, pytest

        def record(name):
            with open("workers.txt", "a") as out:
                out.write(f"{name} {os.environ['PYTEST_XDIST_WORKER']}\\n")

        @pytest.mark.integration
        @pytest.mark.parametrize("n", range(6))
        def test_deploys(n):
            record("integration")

        @pytest.mark.parametrize("n", range(6))
        def test_unit(n):
            record("unit")
        """
    )
    # WHEN run on two workers with loadgroup, as `invoke test` does
    result = pytester.runpytest_subprocess("-n", "2", "--dist", "loadgroup")
    result.assert_outcomes(passed=12)
    lines = (pytester.path / "workers.txt").read_text().splitlines()
    # THEN every integration test ran on the same worker
    assert len({line.split()[1] for line in lines if line.startswith("integration")}) == 1
