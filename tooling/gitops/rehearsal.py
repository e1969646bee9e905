"""Rehearse one job of a GitHub workflow on this machine (`act` needs Docker; this does not).

The job's steps run in order in a clean copy of the work tree, with the workflow's, job's and
step's `env:` and expressions (`matrix`, `vars`, `inputs`, `github`, `steps.*.outputs`)
evaluated, `if:` conditions and `continue-on-error` honoured, and `$GITHUB_OUTPUT`,
`$GITHUB_ENV` and `$GITHUB_STEP_SUMMARY` working as on a runner. Every `run:` script runs with
bash as the runner does (`bash -e`, or `bash --noprofile --norc -eo pipefail` for `shell:
bash`). Invoke tasks that accept `--emulated` get it added, so plans and applies go to the
embedded AWS emulator instead of AWS.

The actions GitHub provides are replaced by local stand-ins:

| action | stand-in |
| --- | --- |
| actions/checkout | the clean copy of the work tree the job runs in |
| actions/setup-python, setup-node, hashicorp/setup-terraform | the tools on PATH (checked) |
| aws-actions/configure-aws-credentials | the emulator's fake credentials and the region |
| actions/upload-artifact, download-artifact | a folder per artifact (a missing one fails) |
| actions/github-script | the script on node (`js/run_github_script.cjs`): the repo's JS |
|  | helpers against a recording fake of the GitHub API (a JSON file) |
| github/codeql-action/upload-sarif | checks the SARIF file exists |

What a rehearsal cannot show: GitHub's own behaviour (environments and their approvals,
deployment branch rules, OIDC tokens and role trust, concurrency queues, permissions of the
token, artifact retention), the real AWS APIs (the emulator stands in), and the runner image.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from tooling.core import paths
from tooling.core.errors import ToolingError
from tooling.gitops.expressions import JobStatus, as_text, condition, substitute

if TYPE_CHECKING:
    from collections.abc import Callable

JS_RUNNER = Path(__file__).parent / "js" / "run_github_script.cjs"
FAKE_REPOSITORY = "rehearsal/serverless-file-processor"
FAKE_ACCOUNT_ROLE = "arn:aws:iam::123456789012:role/sfp-rehearsal-{name}"
DEFAULT_VARS = {
    "AWS_REGION": "us-east-1",
    "TF_STATE_BUCKET": "sfp-rehearsal-state",
    "AWS_PLAN_ROLE_ARN": FAKE_ACCOUNT_ROLE.format(name="plan"),
    "AWS_APPLY_ROLE_ARN": FAKE_ACCOUNT_ROLE.format(name="apply"),
}
STEP_TIMEOUT_SECONDS = 1800
_INVOKE_TASK = re.compile(r"(?P<pre>(?:^|[\s;&|(])\.ci/invoke\s+)(?P<task>[a-z][a-z0-9.-]*)")


@dataclass
class StepResult:
    """One step as it ran (or was skipped)."""

    name: str
    outcome: str  # success | failure | skipped
    conclusion: str  # outcome, except failure under continue-on-error → success
    seconds: float = 0.0
    command: str = ""
    output: str = ""
    outputs: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        mark = {"success": "✓", "failure": "✗", "skipped": "·"}[self.outcome]
        note = " (continue-on-error)" if self.outcome != self.conclusion else ""
        return f"  {mark} {self.name} [{self.outcome}{note}, {self.seconds:.1f} s]"


@dataclass
class Rehearsal:
    """A rehearsed job: its steps, the job summary and the fake GitHub's state."""

    workflow: str
    job: str
    steps: list[StepResult]
    summary: str
    github_state: dict[str, Any]
    workspace: Path
    sha: str = ""

    @property
    def succeeded(self) -> bool:
        """True when no step concluded with a failure."""
        return all(step.conclusion != "failure" for step in self.steps)

    def step(self, name_or_id: str) -> StepResult:
        """The step with that name (or id)."""
        for step in self.steps:
            if step.name == name_or_id:
                return step
        raise KeyError(name_or_id)

    def describe(self) -> str:
        """The lines `invoke rehearse` prints."""
        verdict = "succeeded" if self.succeeded else "FAILED"
        calls = [c["name"] for c in self.github_state.get("calls", [])]
        lines = [f"rehearsal of {self.workflow} → {self.job}: {verdict}"]
        lines += [s.describe() for s in self.steps]
        lines.append(f"  GitHub API calls (fake): {', '.join(calls) or 'none'}")
        lines.append(f"  workspace: {self.workspace}")
        return "\n".join(lines)


@dataclass
class Settings:
    """What a rehearsal runs: which job, with which values, where."""

    workflow: Path
    job: str
    base_dir: Path  # holds workspace/, artifacts/, github.json, summaries
    emulated_tasks: frozenset[str]
    checkout: Callable[[Path], Path]  # makes a clean copy of the work tree at the given path
    matrix: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)
    fresh: bool = True
    environment: dict[str, str] = field(default_factory=dict)  # passed to every step


def load_workflow(path: Path) -> dict[str, Any]:
    """A workflow file as data (PyYAML reads `on:` as True: mapped back)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ToolingError(
            f"no workflow at {path}", hint="name one of .github/workflows/*.yml"
        ) from error
    if True in data:
        data["on"] = data.pop(True)
    return data


def _event(workflow: dict[str, Any]) -> str:
    triggers = workflow.get("on") or {}
    names = list(triggers) if isinstance(triggers, dict) else [triggers]
    return str(names[0]) if names else "push"


def _head_sha(root: Path) -> str:
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "0" * 40
    return completed.stdout.strip()


def _github_context(event: str, sha: str, run_id: int) -> dict[str, Any]:
    owner, repo = FAKE_REPOSITORY.split("/")
    payload: dict[str, Any] = {"repository": {"full_name": FAKE_REPOSITORY}}
    ref = "refs/heads/main"
    if event == "pull_request":
        ref = "refs/pull/1/merge"
        payload["pull_request"] = {
            "number": 1,
            "head": {"sha": sha, "repo": {"full_name": FAKE_REPOSITORY}},
            "base": {"ref": "main"},
        }
    return {
        "event_name": event,
        "event": payload,
        "sha": sha,
        "ref": ref,
        "repository": FAKE_REPOSITORY,
        "repository_owner": owner,
        "run_id": run_id,
        "run_attempt": 1,
        "server_url": "https://github.com",
        "actor": "rehearsal",
        "workspace": "",
        "repo": repo,
    }


def _parse_file_commands(path: Path) -> dict[str, str]:
    """`name=value` lines and `name<<DELIM … DELIM` blocks ($GITHUB_OUTPUT, $GITHUB_ENV)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    lines = path.read_text(encoding="utf-8").split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block: list[str] = []
            index += 1
            while index < len(lines) and lines[index] != delimiter:
                block.append(lines[index])
                index += 1
            values[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        index += 1
    return values


class _Runner:
    """Runs one job's steps; holds the contexts the expressions read."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.workflow = load_workflow(settings.workflow)
        jobs = self.workflow.get("jobs") or {}
        if settings.job not in jobs:
            raise ToolingError(
                f"{settings.workflow.name} has no job {settings.job!r}",
                hint=f"its jobs: {', '.join(jobs)}",
            )
        self.job = jobs[settings.job]
        self.base = settings.base_dir
        self.workspace = self.base / "workspace"
        self.artifacts = self.base / "artifacts"
        self.github_state_file = self.base / "github.json"
        self.scratch = self.base / "runner-temp"
        self.status = JobStatus()
        self.steps_context: dict[str, Any] = {}
        self.extra_env: dict[str, str] = {}
        self.summary_parts: list[str] = []
        self.event = _event(self.workflow)
        self.contexts: dict[str, Any] = {}

    # -- set-up --------------------------------------------------------------------------

    def prepare(self) -> None:
        if self.settings.fresh and self.workspace.exists():
            shutil.rmtree(self.workspace)
        self.base.mkdir(parents=True, exist_ok=True)
        self.artifacts.mkdir(exist_ok=True)
        self.scratch.mkdir(exist_ok=True)
        sha, run_id = self._run_identity()
        github = _github_context(self.event, sha, run_id)
        github["workspace"] = str(self.workspace)
        matrix_spec = ((self.job.get("strategy") or {}).get("matrix")) or {}
        for key, value in self.settings.matrix.items():
            allowed = matrix_spec.get(key)
            if isinstance(allowed, list) and value not in [str(v) for v in allowed]:
                raise ToolingError(
                    f"matrix {key}={value} is not one of {allowed} in job {self.settings.job}",
                    hint="pick a value the workflow's matrix lists",
                )
        missing = [k for k in matrix_spec if k not in self.settings.matrix and k != "include"]
        if missing:
            raise ToolingError(
                f"job {self.settings.job} has a matrix: choose {', '.join(missing)}",
                hint=f"e.g. --matrix={missing[0]}={(matrix_spec[missing[0]] or [''])[0]}",
            )
        inputs = {
            name: str(spec.get("default", ""))
            for name, spec in (
                ((self.workflow.get("on") or {}).get("workflow_dispatch") or {}).get("inputs") or {}
            ).items()
        }
        self.contexts = {
            "github": github,
            "matrix": dict(self.settings.matrix),
            "vars": {**DEFAULT_VARS, **self.settings.variables},
            "inputs": {**inputs, **self.settings.inputs},
            "secrets": {},
            "steps": self.steps_context,
            "runner": {"os": "Linux", "temp": str(self.scratch)},
            "env": {},
            "needs": {},
        }
        self._seed_github(sha)

    def _run_identity(self) -> tuple[str, int]:
        """(commit, run id): new for a fresh rehearsal; the same for every job rehearsed with
        reuse, as every job of one workflow run sees one commit and one run id."""
        identity = self.base / "run.json"
        if not self.settings.fresh and identity.is_file():
            known = json.loads(identity.read_text(encoding="utf-8"))
            return str(known["sha"]), int(known["run_id"])
        sha, run_id = _head_sha(paths.REPO_ROOT), int(time.time())
        identity.write_text(json.dumps({"sha": sha, "run_id": run_id}), encoding="utf-8")
        return sha, run_id

    def _seed_github(self, sha: str) -> None:
        """A push to main deploys a merged pull request's merge commit: the fake knows one."""
        state: dict[str, Any] = {}
        if self.github_state_file.is_file():
            state = json.loads(self.github_state_file.read_text(encoding="utf-8"))
        pulls = state.setdefault("pulls", [])
        if not any(p.get("number") == 1 for p in pulls):
            pulls.append(
                {"number": 1, "merged_at": "2026-01-01T00:00:00Z", "merge_commit_sha": sha}
            )
        self.github_state_file.write_text(json.dumps(state, indent=2), encoding="utf-8")

    # -- environment ---------------------------------------------------------------------

    def _env(self, step: dict[str, Any], files: dict[str, Path]) -> dict[str, str]:
        """The process environment of a step: base, GitHub's variables, workflow/job/step env."""
        github = self.contexts["github"]
        environment = {
            **self.settings.environment,
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_SHA": github["sha"],
            "GITHUB_REF": github["ref"],
            "GITHUB_REPOSITORY": github["repository"],
            "GITHUB_RUN_ID": str(github["run_id"]),
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_SERVER_URL": github["server_url"],
            "GITHUB_EVENT_NAME": github["event_name"],
            "GITHUB_ACTOR": github["actor"],
            "GITHUB_JOB": self.settings.job,
            "RUNNER_TEMP": str(self.scratch),
            "GITHUB_OUTPUT": str(files["output"]),
            "GITHUB_ENV": str(files["env"]),
            "GITHUB_STEP_SUMMARY": str(files["summary"]),
            **self.extra_env,
        }
        for scope in (self.workflow.get("env"), self.job.get("env"), step.get("env")):
            for name, value in (scope or {}).items():
                self.contexts["env"] = environment
                environment[name] = substitute(as_text(value), self.contexts, self.status)
        self.contexts["env"] = environment
        return environment

    # -- steps ---------------------------------------------------------------------------

    def run(self) -> Rehearsal:
        self.prepare()
        results: list[StepResult] = []
        job_if = self.job.get("if")
        if job_if is not None and not condition(job_if, self.contexts, self.status):
            results.append(StepResult(f"job `if: {job_if}`", "skipped", "skipped"))
            return self._finish(results)
        for index, step in enumerate(self.job.get("steps") or []):
            results.append(self._step(index, step))
        return self._finish(results)

    def _finish(self, results: list[StepResult]) -> Rehearsal:
        summary = "".join(self.summary_parts)
        (self.base / f"{self.settings.job}-summary.md").write_text(summary, encoding="utf-8")
        state = json.loads(self.github_state_file.read_text(encoding="utf-8"))
        return Rehearsal(
            self.settings.workflow.name,
            self.settings.job,
            results,
            summary,
            state,
            self.workspace,
            self.contexts["github"]["sha"],
        )

    def _step(self, index: int, step: dict[str, Any]) -> StepResult:
        name = str(step.get("name") or step.get("uses") or (step.get("run") or "").split("\n")[0])
        name = substitute(name, self.contexts, self.status)
        step_id = str(step.get("id") or f"__step{index}")
        if not condition(step.get("if"), self.contexts, self.status):
            self.steps_context[step_id] = {
                "outcome": "skipped",
                "conclusion": "skipped",
                "outputs": {},
            }
            return StepResult(name, "skipped", "skipped")
        files = {
            kind: self.scratch / f"step{index}-{kind}" for kind in ("output", "env", "summary")
        }
        for path in files.values():
            path.write_text("", encoding="utf-8")
        environment = self._env(step, files)
        started = time.monotonic()
        try:
            if "run" in step:
                ok, command, output = self._run_script(step, environment)
            else:
                ok, command, output = self._use_action(step, environment)
        except ToolingError as error:
            ok, command, output = False, str(step.get("uses") or step.get("run")), str(error)
        outputs = _parse_file_commands(files["output"])
        self.extra_env.update(_parse_file_commands(files["env"]))
        self.summary_parts.append(files["summary"].read_text(encoding="utf-8"))
        outcome = "success" if ok else "failure"
        conclusion = "success" if ok or step.get("continue-on-error") is True else "failure"
        if conclusion == "failure":
            self.status.failed = True
        self.steps_context[step_id] = {
            "outcome": outcome,
            "conclusion": conclusion,
            "outputs": outputs,
        }
        return StepResult(
            name, outcome, conclusion, time.monotonic() - started, command, output, outputs
        )

    def _run_script(
        self, step: dict[str, Any], environment: dict[str, str]
    ) -> tuple[bool, str, str]:
        script = substitute(str(step["run"]), self.contexts, self.status)
        script = _INVOKE_TASK.sub(
            lambda m: (
                m.group(0)
                + (" --emulated" if m.group("task") in self.settings.emulated_tasks else "")
            ),
            script,
        )
        shell = step.get("shell")
        if shell not in (None, "bash"):
            raise ToolingError(
                f"shell {shell!r} is not rehearsed", hint="the workflows use bash only"
            )
        flags = ["--noprofile", "--norc", "-eo", "pipefail"] if shell == "bash" else ["-e"]
        with tempfile.NamedTemporaryFile(
            "w", suffix=".sh", dir=self.scratch, delete=False, encoding="utf-8"
        ) as handle:
            handle.write(script)
        cwd = self.workspace / str(step.get("working-directory") or "")
        completed = subprocess.run(
            ["bash", *flags, handle.name],
            cwd=cwd,
            env=environment,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT_SECONDS,
            check=False,
        )
        return completed.returncode == 0, script, completed.stdout + completed.stderr

    # -- action stand-ins ----------------------------------------------------------------

    def _use_action(
        self, step: dict[str, Any], environment: dict[str, str]
    ) -> tuple[bool, str, str]:
        uses = str(step["uses"])
        action = uses.split("@", 1)[0]
        inputs = {
            key: substitute(as_text(value), self.contexts, self.status)
            for key, value in (step.get("with") or {}).items()
        }
        handler = {
            "actions/checkout": self._checkout,
            "actions/setup-python": lambda i, e: self._tool("python3"),
            "actions/setup-node": lambda i, e: self._tool("node"),
            "hashicorp/setup-terraform": self._setup_terraform,
            "aws-actions/configure-aws-credentials": self._aws_credentials,
            "actions/upload-artifact": self._upload,
            "actions/download-artifact": self._download,
            "actions/github-script": self._github_script,
            "github/codeql-action/upload-sarif": self._sarif,
        }.get(action)
        if handler is None:
            raise ToolingError(
                f"no local stand-in for {action}",
                hint="add one to tooling/gitops/rehearsal.py, or run this step on GitHub",
            )
        ok, output = handler(inputs, environment)
        return ok, f"{action} (stand-in) {json.dumps(inputs)}", output

    def _checkout(self, inputs: dict[str, str], environment: dict[str, str]) -> tuple[bool, str]:
        if self.workspace.is_dir() and any(self.workspace.iterdir()):
            return True, f"reusing the job's workspace {self.workspace}"
        self.settings.checkout(self.workspace)
        # The tooling's environments, shared instead of re-installed (.ci/invoke's stamp matches).
        for name in (".venv", "node_modules"):
            source = paths.REPO_ROOT / name
            if source.exists() and not (self.workspace / name).exists():
                (self.workspace / name).symlink_to(source)
        return True, f"clean copy of the work tree in {self.workspace}"

    def _tool(self, name: str) -> tuple[bool, str]:
        found = shutil.which(name)
        return found is not None, found or f"{name} is not on PATH"

    def _setup_terraform(self, inputs: dict[str, str], _: dict[str, str]) -> tuple[bool, str]:
        ok, found = self._tool("terraform")
        if inputs.get("terraform_wrapper", "true") != "false":
            return False, "terraform_wrapper must be false: the wrapper mangles stdout"
        return ok, f"{found} (the workflow pins {inputs.get('terraform_version', '?')})"

    def _aws_credentials(self, inputs: dict[str, str], _: dict[str, str]) -> tuple[bool, str]:
        role, region = inputs.get("role-to-assume", ""), inputs.get("aws-region", "")
        if not role.startswith("arn:aws:iam::") or not region:
            return False, f"role-to-assume {role!r} / aws-region {region!r} did not resolve"
        self.extra_env.update(
            {
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_REGION": region,
                "AWS_DEFAULT_REGION": region,
            }
        )
        return True, f"would assume {role}; the emulator's test credentials are used instead"

    def _upload(self, inputs: dict[str, str], _: dict[str, str]) -> tuple[bool, str]:
        name = inputs["name"]
        patterns = [p.strip() for p in inputs.get("path", "").split("\n") if p.strip()]
        files = sorted({f for p in patterns for f in self.workspace.glob(p) if f.is_file()})
        if not files:
            if inputs.get("if-no-files-found", "warn") == "error":
                return False, f"no files found for artifact {name}: {patterns}"
            return True, f"no files for artifact {name} (warning)"
        root = Path(os.path.commonpath([f.parent for f in files]))
        target = self.artifacts / name
        if target.exists():
            shutil.rmtree(target)
        for file in files:
            destination = target / file.relative_to(root)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, destination)
        return True, f"artifact {name}: {len(files)} file(s)"

    def _download(self, inputs: dict[str, str], _: dict[str, str]) -> tuple[bool, str]:
        name = inputs.get("name", "")
        source = self.artifacts / name
        if not source.is_dir():
            return False, f"Unable to download artifact(s): Artifact not found for name: {name}"
        target = self.workspace / inputs.get("path", ".")
        shutil.copytree(source, target, dirs_exist_ok=True)
        return True, f"artifact {name} → {target}"

    def _github_script(
        self, inputs: dict[str, str], environment: dict[str, str]
    ) -> tuple[bool, str]:
        script_file = self.scratch / "github-script.js"
        script_file.write_text(inputs.get("script", ""), encoding="utf-8")
        github = self.contexts["github"]
        context = {
            "repo": {"owner": github["repository_owner"], "repo": github["repo"]},
            "issueNumber": ((github["event"].get("pull_request") or {}).get("number")),
            "sha": github["sha"],
            "ref": github["ref"],
            "eventName": github["event_name"],
            "payload": github["event"],
            "runId": github["run_id"],
            "serverUrl": github["server_url"],
        }
        context_file = self.scratch / "github-context.json"
        context_file.write_text(json.dumps(context), encoding="utf-8")
        node = shutil.which("node")
        if node is None:
            return False, "node is not on PATH"
        completed = subprocess.run(
            [
                node,
                str(JS_RUNNER),
                str(script_file),
                str(context_file),
                str(self.github_state_file),
            ],
            cwd=self.workspace,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        return completed.returncode == 0, completed.stdout + completed.stderr

    def _sarif(self, inputs: dict[str, str], _: dict[str, str]) -> tuple[bool, str]:
        path = self.workspace / inputs.get("sarif_file", "")
        return path.is_file(), f"SARIF {path} {'found' if path.is_file() else 'missing'}"


def rehearse(settings: Settings) -> Rehearsal:
    """Run one job of a workflow locally (see the module docstring)."""
    return _Runner(settings).run()
