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
  command line and the tail of stderr.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shlex
import sys
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
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

# Substrings of Terraform's stderr → what the user should do about it.
KNOWN_FAILURES: tuple[tuple[str, str], ...] = (
    (
        "Failed to query available provider packages",
        "the provider could not be installed: set TERRAFORM_PROVIDER_MIRROR to a filesystem "
        "mirror that holds it, or allow access to registry.terraform.io",
    ),
    (
        "No valid credential sources found",
        "configure AWS credentials (AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
        "or an assumed role) for this env",
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
    """The env vars every Terraform command gets: non-interactive, per-root data dir, CLI config.

    Without a mirror an existing user CLI config (TF_CLI_CONFIG_FILE) is kept — it may hold
    registry credentials; a missing one (a common leftover) is replaced by ours.
    """
    environment = {
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "TF_DATA_DIR": str(data_dir),
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

    def init_args(self, *, backend: bool = True, backend_config: Sequence[str] = ()) -> list[str]:
        """``terraform init`` argv (after the subcommand)."""
        args = [*self._common(), "-reconfigure"]
        if not backend:
            args.append("-backend=false")
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

    def init(self, *, backend: bool = True, backend_config: Sequence[str] = ()) -> None:
        """``terraform init`` (streamed), one at a time per plugin cache."""
        with plugin_cache_lock():
            self.run("init", *self.init_args(backend=backend, backend_config=backend_config))

    def plan(self, plan_file: Path, variables: Mapping[str, str], *, destroy: bool = False) -> bool:
        """Save a plan to ``plan_file`` (streamed); True when it has changes."""
        result = self.run(
            "plan",
            *self.plan_args(plan_file, variables, destroy=destroy),
            ok_codes=(0, PLAN_HAS_CHANGES),
        )
        return result.returncode == PLAN_HAS_CHANGES

    def apply_saved_plan(self, plan_file: Path) -> None:
        """Apply exactly the saved plan (streamed)."""
        if not plan_file.is_file():
            raise ToolingError(f"no saved plan at {plan_file}", hint="run `invoke plan` first")
        self.run("apply", *self.apply_args(plan_file))

    def show_json(self, plan_file: Path | None = None) -> dict[str, Any]:
        """``terraform show -json`` of a plan file (or the state) as a dict."""
        args = ["-json"] + ([str(plan_file)] if plan_file else [])
        return json.loads(self.run("show", *args, capture=True).stdout)

    def show_text(self, plan_file: Path) -> str:
        """``terraform show -no-color`` of a plan file: the human-readable plan."""
        return self.run("show", "-no-color", str(plan_file), capture=True).stdout

    def show_plan(self, plan_file: Path) -> tuple[dict[str, Any], str]:
        """:meth:`show_json` and :meth:`show_text` of one plan, run side by side.

        Each ``terraform show`` spends ~3 s loading the AWS provider's schema, so the two run
        concurrently. The environment and warning filters are set once around both: the
        per-call patches inside :meth:`run` then only re-set identical values, so the threads
        cannot leave each other's changes behind.
        """
        with (
            _patched_environ(self.environment()),
            warnings.catch_warnings(),
            ThreadPoolExecutor(max_workers=2) as pool,
        ):
            warnings.simplefilter("ignore", DeprecationWarning)
            as_json = pool.submit(self.show_json, plan_file)
            as_text = pool.submit(self.show_text, plan_file)
            return as_json.result(), as_text.result()

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
        self, subcommand: str, *args: str, capture: bool = False, ok_codes: Sequence[int] = (0,)
    ) -> TerraformResult:
        """Run ``terraform <subcommand> <args>`` through python-terraform's ``cmd``.

        ``capture=True`` returns stdout (for -json output); otherwise output streams live.
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
                with _tee_std_streams() as stderr_tail:
                    code, _, _ = self._terraform.cmd(subcommand, *args, capture_output=False)
                result = TerraformResult(argv, code, "", tuple(stderr_tail))
        if result.returncode not in ok_codes:
            raise command_error(result, self.root_dir)
        return result


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
    lines = [line for line in text.splitlines() if line.strip()]
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
def _tee_std_streams() -> Iterator[collections.deque[str]]:
    """Swap sys.stdout/sys.stderr for pipes teed to the real streams; yield stderr's tail.

    python-terraform passes ``sys.stdout``/``sys.stderr`` themselves to the child when output is
    not captured; pipes with real file descriptors let us both show and remember the output,
    whatever the real streams are (a terminal, a CI log, pytest's capture).
    """
    tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    real_out, real_err = sys.stdout, sys.stderr
    out_reader, out_writer = os.pipe()
    err_reader, err_writer = os.pipe()
    threads = [
        threading.Thread(target=_pump, args=(out_reader, real_out, None), daemon=True),
        threading.Thread(target=_pump, args=(err_reader, real_err, tail), daemon=True),
    ]
    for thread in threads:
        thread.start()
    sys.stdout = os.fdopen(out_writer, "w", buffering=1, closefd=True)
    sys.stderr = os.fdopen(err_writer, "w", buffering=1, closefd=True)
    try:
        yield tail
    finally:
        swapped = (sys.stdout, sys.stderr)
        sys.stdout, sys.stderr = real_out, real_err
        for stream in swapped:
            stream.close()  # EOF for the pump once the child's copies are closed too
        for thread in threads:
            thread.join()


def _pump(reader: int, target: IO[str], tail: collections.deque[str] | None) -> None:
    """Copy lines from a pipe to ``target`` as they come, remembering them in ``tail``."""
    with os.fdopen(reader, "r", encoding="utf-8", errors="replace") as stream:
        for line in stream:
            target.write(line)
            target.flush()
            if tail is not None and line.strip():
                tail.append(line.rstrip("\n"))
