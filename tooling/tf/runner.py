"""The one thin wrapper around python-terraform: every Terraform command the tooling runs goes here.

python-terraform is unmaintained and has sharp edges this module works around, in one place:

* its convenience methods add options of their own, ``-var-file`` among them, so a saved plan
  cannot be applied (beelit94/python-terraform#67). We build every argv ourselves and hand it to
  the generic ``Terraform.cmd`` entry point as positional arguments, which it passes through
  untouched.
* it captures output by default, so a 5-minute apply would be silent. Long commands stream
  live: ``cmd(capture_output=False)`` hands ``sys.stdout``/``sys.stderr`` to the child, so we
  swap those for pipes that a thread tees to the terminal while keeping stderr's last lines.
* it copies ``os.environ`` into the child and takes no env argument, so the Terraform settings
  (TF_DATA_DIR, TF_CLI_CONFIG_FILE, …) are set in ``os.environ`` for the call and restored.
* it only reports a return code; failures become :class:`ToolingError` with the exit code, the
  command line and the tail of stderr (ANSI colour codes stripped), with a specific hint for the
  failures people meet (credentials, backend settings, account, provider installation).

Where the time goes: every Terraform command that needs the AWS provider starts its 675 MiB
binary, and each start spends seconds building the provider's schema (``plan`` starts it three
times: schema, validate walk, plan walk; ``show`` once; ``apply`` twice). The runner therefore
(1) takes the human plan text from ``plan``'s own output instead of a second ``show``
(:func:`plan_text_from_output`), and (2) lets Go collect garbage less often in Terraform and
the provider (:data:`GO_GC_PERCENT`), which cuts their CPU time by about a quarter for ~200 MB
more memory per process. docs/benchmarks/deploy.md has the figures.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import shlex
import sys
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from python_terraform import Terraform

from tooling.core import paths, tools
from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

# python-terraform logs every non-zero exit (even plan's "changes present" 2) as a warning;
# this module reports failures itself.
logging.getLogger("python_terraform").setLevel(logging.ERROR)

STDERR_TAIL_LINES = 20
# `plan -detailed-exitcode`: 0 = no changes, 1 = error, 2 = changes present.
PLAN_HAS_CHANGES = 2
CLI_CONFIG_STEM = "terraform"
PLUGIN_CACHE_NAME = "plugin-cache"
# Only the hashicorp namespace comes from the mirror; anything else still goes to the registry.
MIRRORED_PROVIDERS = "registry.terraform.io/hashicorp/*"

# Go's garbage collector target for Terraform and its provider plugins (the provider inherits
# Terraform's environment), unless the user set GOGC: 400 % instead of Go's 100 % trades about
# 200 MB of memory per process for ~25 % less CPU per command (measured on a no-op plan).
GOGC_ENV_VAR = "GOGC"
GO_GC_PERCENT = "400"

# ANSI escape sequences (colours, cursor moves) in captured output.
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")

# Substrings of Terraform's stderr → what the user should do about it (first match wins, so the
# specific ones come first).
KNOWN_FAILURES: tuple[tuple[str, str], ...] = (
    (
        "Failed to query available provider packages",
        "the provider could not be installed: set TERRAFORM_PROVIDER_MIRROR to a filesystem "
        "mirror that holds it, or allow access to registry.terraform.io",
    ),
    (
        "AWS account ID not allowed",
        "the credentials belong to another AWS account than the env allows: use the env's own "
        "credentials (AWS_PROFILE=…), or correct allowed_account_ids in the env's "
        "terraform.tfvars",
    ),
    (
        "is required by the backend",
        "the S3 backend settings are incomplete: put bucket, key and region in "
        "terraform/envs/<env>/backend.hcl (or a file named by SFP_BACKEND_CONFIG); see "
        "docs/tooling.md#deploying-to-a-real-aws-account",
    ),
    (
        "Missing region value",
        'the S3 backend has no region: add region = "…" to terraform/envs/<env>/backend.hcl '
        "(or the file named by SFP_BACKEND_CONFIG), or export AWS_REGION",
    ),
    (
        "S3 bucket does not exist",
        "the state bucket named in the backend settings does not exist in this account: create "
        "it (versioned, SSE-KMS, public access blocked) or fix bucket in backend.hcl",
    ),
    (
        "NoSuchBucket",
        "the state bucket named in the backend settings does not exist in this account: create "
        "it (versioned, SSE-KMS, public access blocked) or fix bucket in backend.hcl",
    ),
    (
        "ExpiredToken",
        "the AWS session has expired: log in again (`aws sso login --profile …`) or refresh the "
        "assumed role's credentials",
    ),
    (
        "InvalidClientTokenId",
        "AWS rejected the access key: check AWS_PROFILE / AWS_ACCESS_KEY_ID (a deleted or "
        "mistyped key, or an emulator's fake key used against AWS)",
    ),
    (
        "No valid credential sources found",
        "configure AWS credentials (AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
        "or an assumed role) for this env",
    ),
    (
        "AccessDenied",
        "the credentials are not allowed to do this: for the state, they need s3:ListBucket, "
        "s3:GetObject, s3:PutObject and s3:DeleteObject (lock file) on the state bucket; "
        "check which role AWS_PROFILE assumes",
    ),
    (
        "Saved plan is stale",
        "the state changed since the plan was made: run `invoke plan --env=…` again",
    ),
    (
        "Backend initialization required",
        "run `invoke plan --env=…`, which runs terraform init first",
    ),
)

# Lines `terraform plan` prints while it reads the current state; not part of the plan itself.
_PROGRESS_LINE = re.compile(
    r"^\S.*: (?:Reading\.\.\.|Read complete after \S+(?: \[.*\])?|"
    r"Refreshing state\.\.\.(?: \[.*\])?|Still reading\.\.\. \[.*\]|"
    r"Preparing import\.\.\. \[.*\]|Importing from ID .*)$"
)
_RULE_LINE = re.compile(r"^─{10,}$")
# The first line of a diagnostic printed without colour; the plan itself never starts a line so.
_DIAGNOSTIC_LINE = re.compile(r"^(?:Warning|Error): ")


@dataclass(frozen=True)
class TerraformResult:
    """Outcome of one Terraform command: stdout is empty for streamed commands."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str = ""
    stderr_tail: tuple[str, ...] = field(default=())


def cli_config_text(mirror: Path | None, plugin_cache: Path) -> str:
    """A Terraform CLI config: providers from the filesystem mirror, symlinked via the cache.

    With an unpacked mirror Terraform symlinks the provider into the cache and the cache into
    each TF_DATA_DIR, so no 675 MiB binary is copied per root; a packed (zip) mirror is
    unpacked once into the cache and shared from there.
    """
    lines = [f"plugin_cache_dir = {json.dumps(str(plugin_cache))}"]
    if mirror is not None:
        lines += [
            "",
            "provider_installation {",
            "  filesystem_mirror {",
            f"    path    = {json.dumps(str(mirror))}",
            f"    include = [{json.dumps(MIRRORED_PROVIDERS)}]",
            "  }",
            "  direct {",
            f"    exclude = [{json.dumps(MIRRORED_PROVIDERS)}]",
            "  }",
            "}",
        ]
    return "\n".join(lines) + "\n"


def write_cli_config(mirror: Path | None, work_root: Path | None = None) -> Path:
    """Write the CLI config (and plugin cache dir) under ``.work/``; return the config's path."""
    work_root = work_root or paths.WORK_DIR
    cache = work_root / PLUGIN_CACHE_NAME
    cache.mkdir(parents=True, exist_ok=True)
    text = cli_config_text(mirror, cache)
    # Named by content: concurrent runs with different mirror settings (two shells, pytest -n)
    # each get their own file instead of overwriting each other's.
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    path = work_root / f"{CLI_CONFIG_STEM}-{digest}.tfrc"
    if not path.is_file():
        # Atomic replace: parallel runs (pytest -n, two shells) may write it at the same time.
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        partial.write_text(text)
        partial.replace(path)
    return path


@contextlib.contextmanager
def plugin_cache_lock(work_root: Path | None = None) -> Iterator[None]:
    """Hold an exclusive lock on the shared plugin cache (across processes).

    Terraform's plugin cache is not safe for concurrent writers: two ``init`` runs installing
    the same provider race on its directory and one fails with "failed to create directory …
    file exists" (seen when local and ``prod --emulated`` deploy side by side). Only ``init``
    writes to the cache, so only ``init`` takes the lock.
    """
    work_root = work_root or paths.WORK_DIR
    work_root.mkdir(parents=True, exist_ok=True)
    with (work_root / f"{PLUGIN_CACHE_NAME}.lock").open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def terraform_environment(
    data_dir: Path, mirror: Path | None, work_root: Path | None = None
) -> dict[str, str]:
    """The env vars every Terraform command gets: non-interactive, per-root data dir, CLI config,
    and a less eager Go garbage collector (:data:`GO_GC_PERCENT`) unless GOGC is set.

    Without a mirror an existing user CLI config (TF_CLI_CONFIG_FILE) is kept — it may hold
    registry credentials; a missing one (a common leftover) is replaced by ours.
    """
    environment = {
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "TF_DATA_DIR": str(data_dir),
        GOGC_ENV_VAR: os.environ.get(GOGC_ENV_VAR, "") or GO_GC_PERCENT,
    }
    user_config = os.environ.get("TF_CLI_CONFIG_FILE", "")
    if mirror is not None or not (user_config and Path(user_config).is_file()):
        environment["TF_CLI_CONFIG_FILE"] = str(write_cli_config(mirror, work_root))
    return environment


class TerraformRunner:
    """Runs Terraform in one root dir with one data dir; raises ToolingError on failure."""

    def __init__(
        self,
        root_dir: Path,
        data_dir: Path,
        *,
        provider_mirror: Path | None = None,
        extra_env: Mapping[str, str] | None = None,
        color: bool | None = None,
    ) -> None:
        self.root_dir = root_dir
        self.data_dir = data_dir
        self.provider_mirror = provider_mirror
        self.extra_env = dict(extra_env or {})
        # Colour only when a person is watching; CI logs and captured output stay plain.
        self.color = sys.stdout.isatty() if color is None else color
        self.binary = tools.terraform_binary()
        self._terraform = Terraform(working_dir=str(root_dir), terraform_bin_path=self.binary)

    # -- argv builders: pure, so the tests can check them without running anything ----------

    def _common(self) -> list[str]:
        return ["-input=false"] + ([] if self.color else ["-no-color"])

    def init_args(
        self,
        *,
        backend: bool = True,
        backend_config: Sequence[str] = (),
        lockfile_readonly: bool = False,
    ) -> list[str]:
        """``terraform init`` argv (after the subcommand). ``lockfile_readonly``: fail rather
        than write the root's ``.terraform.lock.hcl`` (checks must not change the source tree)."""
        args = [*self._common(), "-reconfigure"]
        if not backend:
            args.append("-backend=false")
        if lockfile_readonly:
            args.append("-lockfile=readonly")
        args += [f"-backend-config={item}" for item in backend_config]
        return args

    def plan_args(
        self,
        plan_file: Path,
        variables: Mapping[str, str],
        *,
        destroy: bool = False,
        lock_timeout: str = "10m",
    ) -> list[str]:
        """``terraform plan`` argv: variables as ``-var`` (never a temp -var-file), ``-out``.

        ``-lock-timeout``: a plan takes the state lock too (S3-native ``.tflock``); waiting for
        a running apply or drift plan beats failing at once with "Error acquiring the state lock".
        """
        args = [
            *self._common(),
            f"-lock-timeout={lock_timeout}",
            "-detailed-exitcode",
            f"-out={plan_file}",
        ]
        if destroy:
            args.append("-destroy")
        args += [f"-var={name}={value}" for name, value in sorted(variables.items())]
        return args

    def apply_args(self, plan_file: Path, *, lock_timeout: str = "10m") -> list[str]:
        """``terraform apply`` argv for a SAVED plan: no -var/-var-file/-auto-approve allowed.

        ``-lock-timeout`` waits for a PR plan or drift check holding the lock, not fail.
        """
        return [*self._common(), f"-lock-timeout={lock_timeout}", str(plan_file)]

    # -- commands --------------------------------------------------------------------------

    def init(
        self,
        *,
        backend: bool = True,
        backend_config: Sequence[str] = (),
        lockfile_readonly: bool = False,
    ) -> None:
        """``terraform init`` (streamed), one at a time per plugin cache."""
        args = self.init_args(
            backend=backend, backend_config=backend_config, lockfile_readonly=lockfile_readonly
        )
        with plugin_cache_lock():
            self.run("init", *args)

    def plan(
        self, plan_file: Path, variables: Mapping[str, str], *, destroy: bool = False
    ) -> PlanResult:
        """Save a plan to ``plan_file`` (streamed); whether it has changes, and its text.

        The text is what ``terraform show -no-color`` of the plan prints, taken from the plan's
        own output (:func:`plan_text_from_output`): a ``show`` would start the provider once more.
        """
        result = self.run(
            "plan",
            *self.plan_args(plan_file, variables, destroy=destroy),
            ok_codes=(0, PLAN_HAS_CHANGES),
            keep_stdout=True,
        )
        return PlanResult(
            has_changes=result.returncode == PLAN_HAS_CHANGES,
            text=plan_text_from_output(result.stdout),
        )

    def apply_saved_plan(self, plan_file: Path) -> None:
        """Apply exactly the saved plan (streamed). Terraform's own "Outputs:" listing is not
        shown: the tasks print the outputs once, themselves, after the apply."""
        if not plan_file.is_file():
            raise ToolingError(f"no saved plan at {plan_file}", hint="run `invoke plan` first")
        self.run("apply", *self.apply_args(plan_file), hide_from="Outputs:")

    def show_json(self, plan_file: Path | None = None) -> dict[str, Any]:
        """``terraform show -json`` of a plan file (or the state) as a dict."""
        args = ["-json"] + ([str(plan_file)] if plan_file else [])
        return json.loads(self.run("show", *args, capture=True).stdout)

    def show_text(self, plan_file: Path) -> str:
        """``terraform show -no-color`` of a plan file: the human-readable plan."""
        return self.run("show", "-no-color", str(plan_file), capture=True).stdout

    def output_json(self) -> dict[str, Any]:
        """``terraform output -json`` as ``{name: {"value": …, "sensitive": …}}``."""
        return json.loads(self.run("output", "-json", capture=True).stdout or "{}")

    def validate(self) -> None:
        """``terraform validate`` (streamed)."""
        self.run("validate", *([] if self.color else ["-no-color"]))

    def test(self) -> None:
        """``terraform test`` (streamed)."""
        self.run("test", *([] if self.color else ["-no-color"]))

    def environment(self) -> dict[str, str]:
        """The variables every terraform command of this runner gets."""
        return {**terraform_environment(self.data_dir, self.provider_mirror), **self.extra_env}

    def run(
        self,
        subcommand: str,
        *args: str,
        capture: bool = False,
        ok_codes: Sequence[int] = (0,),
        keep_stdout: bool = False,
        hide_from: str | None = None,
    ) -> TerraformResult:
        """Run ``terraform <subcommand> <args>`` through python-terraform's ``cmd``.

        ``capture=True`` returns stdout (for -json output); otherwise output streams live, and
        ``keep_stdout=True`` also returns what was streamed. ``hide_from`` stops showing stdout
        from the first line that reads so (stderr is always shown).
        """
        argv = (self.binary, *subcommand.split(), *args)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        environment = self.environment()
        # python-terraform logs failures with the deprecated Logger.warn; we raise our own error.
        with _patched_environ(environment), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            if capture:
                code, out, err = self._terraform.cmd(subcommand, *args)
                result = TerraformResult(argv, code, out or "", _tail(err or ""))
            else:
                with _tee_std_streams(hide_from=hide_from) as (stdout_lines, stderr_tail):
                    code, _, _ = self._terraform.cmd(subcommand, *args, capture_output=False)
                stdout = "".join(stdout_lines) if keep_stdout else ""
                result = TerraformResult(argv, code, stdout, tuple(stderr_tail))
        if result.returncode not in ok_codes:
            raise command_error(result, self.root_dir)
        return result


@dataclass(frozen=True)
class PlanResult:
    """What ``terraform plan`` said: whether the saved plan changes anything, and its text."""

    has_changes: bool
    text: str


def strip_ansi(text: str) -> str:
    """``text`` without ANSI colour and cursor sequences."""
    return ANSI_ESCAPE.sub("", text)


def plan_text_from_output(output: str) -> str:
    """The plan as ``terraform show -no-color PLANFILE`` prints it, from ``plan``'s own output.

    ``plan`` prints, around the same rendering, what ``show`` does not: a progress line per data
    source and resource it reads before the plan, and after it the diagnostics (``Warning: …``,
    boxed in ``╷ … ╵`` when coloured) and, outside automation, a rule (``───``) and where it
    saved the plan. Those are dropped; the rest is byte for byte what ``show`` prints (a test
    compares the two on real plans of every kind).
    """
    lines = strip_ansi(output).splitlines()
    kept: list[str] = []
    in_diagnostic = False
    for line in lines:
        if line.startswith("╷"):
            in_diagnostic = True
            continue
        if in_diagnostic:
            in_diagnostic = not line.startswith("╵")
            continue
        if _RULE_LINE.match(line) or _DIAGNOSTIC_LINE.match(line):
            break  # diagnostics, "Saved the plan to: …" and how to apply it follow the plan
        if not _PROGRESS_LINE.match(line):
            kept.append(line)
    text = "\n".join(kept).rstrip()
    return f"\n{text.lstrip(chr(10))}\n" if text else ""


def command_error(result: TerraformResult, root_dir: Path) -> ToolingError:
    """A ToolingError naming the exit code, the command, where it ran and stderr's last lines."""
    command = shlex.join(result.argv)
    subcommand = result.argv[1] if len(result.argv) > 1 else "?"
    tail = "\n".join(f"    {line}" for line in result.stderr_tail) or "    (no stderr output)"
    stderr_text = "\n".join(result.stderr_tail)
    hint = next(
        (fix for needle, fix in KNOWN_FAILURES if needle in stderr_text),
        "read Terraform's message above, fix the cause and run the task again",
    )
    return ToolingError(
        f"terraform {subcommand} failed with exit code {result.returncode}\n"
        f"  command: {command}\n  in: {root_dir}\n  last lines of stderr:\n{tail}",
        hint=hint,
    )


def _tail(text: str) -> tuple[str, ...]:
    lines = [line for line in strip_ansi(text).splitlines() if line.strip()]
    return tuple(lines[-STDERR_TAIL_LINES:])


@contextlib.contextmanager
def _patched_environ(overrides: Mapping[str, str]) -> Iterator[None]:
    """Set env vars for the duration of one call (python-terraform copies os.environ)."""
    saved = {name: os.environ.get(name) for name in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _tee_std_streams(
    hide_from: str | None = None,
) -> Iterator[tuple[list[str], collections.deque[str]]]:
    """Swap sys.stdout/sys.stderr for pipes teed to the real streams; yield (every stdout line,
    stderr's last lines, ANSI codes stripped).

    python-terraform passes ``sys.stdout``/``sys.stderr`` themselves to the child when output is
    not captured; pipes with real file descriptors let us both show and remember the output,
    whatever the real streams are (a terminal, a CI log, pytest's capture).
    """
    stdout_lines: list[str] = []
    tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    real_out, real_err = sys.stdout, sys.stderr
    out_reader, out_writer = os.pipe()
    err_reader, err_writer = os.pipe()
    threads = [
        threading.Thread(
            target=_pump, args=(out_reader, real_out, stdout_lines, None, hide_from), daemon=True
        ),
        threading.Thread(target=_pump, args=(err_reader, real_err, None, tail), daemon=True),
    ]
    for thread in threads:
        thread.start()
    sys.stdout = os.fdopen(out_writer, "w", buffering=1, closefd=True)
    sys.stderr = os.fdopen(err_writer, "w", buffering=1, closefd=True)
    try:
        yield stdout_lines, tail
    finally:
        swapped = (sys.stdout, sys.stderr)
        sys.stdout, sys.stderr = real_out, real_err
        for stream in swapped:
            stream.close()  # EOF for the pump once the child's copies are closed too
        for thread in threads:
            thread.join()


def _pump(
    reader: int,
    target: IO[str],
    lines: list[str] | None,
    tail: collections.deque[str] | None,
    hide_from: str | None = None,
) -> None:
    """Copy lines from a pipe to ``target`` as they come, remembering them in ``lines`` (all)
    or ``tail`` (the last ones, without colour codes); stop showing at ``hide_from``."""
    showing = True
    with os.fdopen(reader, "r", encoding="utf-8", errors="replace") as stream:
        for line in stream:
            if hide_from is not None and strip_ansi(line).strip() == hide_from:
                showing = False
            if showing:
                target.write(line)
                target.flush()
            if lines is not None:
                lines.append(line)
            if tail is not None and line.strip():
                tail.append(strip_ansi(line).rstrip("\n"))
