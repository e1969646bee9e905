"""Execution environments for the emulator's Lambda runtime: code, interpreter, child processes.

What Lambda gives a Python function, reproduced with plain processes (no Docker):

* **code** — the deployed zip, unzipped once per code sha256 into a read-only directory
  (:class:`CodeCache`), like ``/var/task``;
* **SDK** — a directory exposing only boto3, botocore, s3transfer, jmespath, urllib3, dateutil
  and six from the emulator's environment (:func:`sdk_directory`), like ``/var/runtime``; the
  emulator's other packages (moto, the tooling…) are not importable;
* **interpreter** — the one matching the function's runtime (``python3.12``) when it runs on
  this machine, else the emulator's own, and the log says so (:class:`InterpreterResolver`);
* **sandbox** — a child process ``python -I -S -u`` running :mod:`lambda_bootstrap` in its own
  session (:class:`Sandbox`): the function's timeout kills its process group; its memory
  setting is enforced on the process's resident set (sampled every 50 ms while it runs, and its
  peak, ``VmHWM``, checked after each invocation); stdout and stderr become log lines;
* **pool** — warm sandboxes reused, one per concurrent invocation, bounded by the function's
  reserved concurrency or by a per-function default (:class:`SandboxPool`).

Nothing here imports moto: :mod:`tooling.emulator.lambda_runtime` feeds it plain values.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import json
import logging
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tooling.emulator.lambda_bootstrap import INIT_REQUEST_ID

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

LOG = logging.getLogger("sfp.emulator.lambda")

BOOTSTRAP = Path(__file__).with_name("lambda_bootstrap.py")
# What the Lambda Python runtime provides besides the standard library (/var/runtime).
SDK_PACKAGES: tuple[str, ...] = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "urllib3",
    "dateutil",
    "six",
)
# Lambda's on-demand init phase may take up to 10 s on top of the invocation's own timeout.
INIT_GRACE_SECONDS = 10.0
MEMORY_SAMPLE_SECONDS = 0.05
# CloudWatch Logs keeps at most 256 KiB per event; Lambda splits longer lines.
MAX_LOG_LINE_BYTES = 256 * 1024 - 26
_MIB = 1024 * 1024


class UnsupportedRuntimeError(Exception):
    """The function's runtime is not a Python runtime: the emulator cannot run it."""


@dataclass(frozen=True)
class FunctionSpec:
    """Everything about a deployed function that shapes its execution environment."""

    arn: str  # unqualified
    name: str
    account_id: str
    region: str
    handler: str
    runtime: str | None
    code_sha256: str  # hex
    memory_mb: int
    timeout_seconds: float
    role_arn: str
    environment: tuple[tuple[str, str], ...] = ()
    reserved_concurrency: int | None = None
    tracing_active: bool = False
    version: str = "$LATEST"
    log_group: str = ""
    code: bytes = field(default=b"", repr=False, compare=False)

    @property
    def key(self) -> str:
        """Sandboxes are pooled per function (and version)."""
        return f"{self.arn}:{self.version}"

    @property
    def qualified_arn(self) -> str:
        return f"{self.arn}:{self.version}"

    @property
    def fingerprint(self) -> tuple[Any, ...]:
        """A sandbox built for another fingerprint (new code or configuration) is not reused."""
        return (
            self.code_sha256,
            self.handler,
            self.runtime,
            self.memory_mb,
            self.timeout_seconds,
            self.role_arn,
            self.environment,
            self.tracing_active,
        )


@dataclass(frozen=True)
class Interpreter:
    """The Python that runs a function, and what the function's log says about it."""

    path: str
    version: str
    runtime: str | None
    matches_runtime: bool

    def describe(self) -> str:
        if self.matches_runtime:
            return f"Python {self.version} ({self.path}) for runtime {self.runtime}"
        return (
            f"no working {self.runtime} on this machine's PATH: running with Python {self.version} "
            f"({self.path}) instead; code relying on {self.runtime}-only features or on native "
            "extensions built for it may behave differently than on AWS"
        )


class InterpreterResolver:
    """Finds, once per runtime, the interpreter a function runs with."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        self._overrides = dict(overrides or {})
        self._cache: dict[str | None, Interpreter] = {}
        self._lock = threading.Lock()

    def resolve(self, runtime: str | None) -> Interpreter:
        with self._lock:
            if runtime not in self._cache:
                self._cache[runtime] = self._find(runtime)
            return self._cache[runtime]

    def _find(self, runtime: str | None) -> Interpreter:
        wanted = python_version(runtime)
        local = ".".join(str(part) for part in sys.version_info[:3])
        if wanted is None:
            if runtime:
                raise UnsupportedRuntimeError(
                    f"runtime {runtime!r}: the emulator runs Python functions only"
                )
            return Interpreter(sys.executable, local, runtime, matches_runtime=False)
        candidates = [self._overrides.get(runtime or ""), shutil.which(runtime or "")]
        for candidate in candidates:
            if not candidate:
                continue
            version = _probe(candidate)
            if version and tuple(int(x) for x in version.split(".")[:2]) == wanted:
                return Interpreter(candidate, version, runtime, matches_runtime=True)
        if sys.version_info[:2] == wanted:
            return Interpreter(sys.executable, local, runtime, matches_runtime=True)
        return Interpreter(sys.executable, local, runtime, matches_runtime=False)


def python_version(runtime: str | None) -> tuple[int, int] | None:
    """``python3.12`` → (3, 12); anything else → None."""
    if not runtime or not runtime.startswith("python"):
        return None
    major, _, minor = runtime.removeprefix("python").partition(".")
    if not (major.isdigit() and minor.isdigit()):
        return None
    return int(major), int(minor)


def _probe(candidate: str) -> str | None:
    """The version an interpreter reports when run as a sandbox runs it (isolated), or None when
    it does not run (e.g. a pyenv shim for a version that is not selected)."""
    try:
        completed = subprocess.run(
            [candidate, "-I", "-S", "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True,
            text=True,
            timeout=20,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    version = completed.stdout.strip()
    return version if completed.returncode == 0 and version.count(".") == 2 else None


def sdk_directory(root: Path) -> Path:
    """A directory holding symlinks to exactly the SDK packages of this environment.

    Named after the environment, so emulators from several virtualenvs can share ``root``.
    """
    tag = hashlib.sha256(sys.prefix.encode()).hexdigest()[:12]
    target = root / f"sdk-{tag}"
    entries: dict[str, Path] = {}
    for name in SDK_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None:
            continue  # not installed: the function sees it missing, as with a custom runtime
        if spec.submodule_search_locations:
            entries[name] = Path(next(iter(spec.submodule_search_locations)))
        elif spec.origin:
            entries[Path(spec.origin).name] = Path(spec.origin)
    target.mkdir(parents=True, exist_ok=True)
    for entry, source in entries.items():
        link = target / entry
        if link.is_symlink() and link.readlink() == source:
            continue
        temporary = target / f".{entry}.{uuid.uuid4().hex}"
        temporary.symlink_to(source)
        temporary.replace(link)
    return target


class CodeCache:
    """Deployed zips, unzipped once per code sha256 into read-only directories under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def directory(self, sha256: str, archive: bytes) -> Path:
        """The directory holding ``archive`` unzipped (extracted on first use)."""
        target = self.root / sha256
        with self._guard:
            lock = self._locks.setdefault(sha256, threading.Lock())
        with lock:
            if target.is_dir():
                os.utime(target)  # last use, for pruning
                return target
            actual = hashlib.sha256(archive).hexdigest()
            if actual != sha256:
                raise ValueError(f"code sha256 {actual} does not match the function's {sha256}")
            self.root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{sha256[:12]}-", dir=self.root))
            try:
                extract_zip(archive, staging)
                make_read_only(staging)
                staging.replace(target)
            except BaseException:
                remove_tree(staging)
                raise
            return target

    def prune(self, older_than_seconds: float) -> list[Path]:
        """Remove code directories not used for ``older_than_seconds`` (and leftover stagings)."""
        removed: list[Path] = []
        if not self.root.is_dir():
            return removed
        cutoff = time.time() - older_than_seconds
        for entry in self.root.iterdir():
            with contextlib.suppress(OSError):
                if entry.is_dir() and entry.stat().st_mtime < cutoff:
                    remove_tree(entry)
                    removed.append(entry)
        return removed


def extract_zip(archive: bytes, target: Path) -> None:
    """Unzip ``archive`` into ``target``, keeping file modes; refuse paths leaving ``target``."""
    root = target.resolve()
    with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
        for member in bundle.infolist():
            destination = (root / member.filename).resolve()
            if destination != root and root not in destination.parents:
                raise ValueError(f"zip member {member.filename!r} would land outside the code dir")
            mode = (member.external_attr >> 16) & 0o7777
            kind = (member.external_attr >> 16) & 0o170000
            if member.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            if kind == stat.S_IFLNK:
                link_target = bundle.read(member).decode()
                resolved = (destination.parent / link_target).resolve()
                if resolved != root and root not in resolved.parents:
                    raise ValueError(f"zip symlink {member.filename!r} points outside the code dir")
                destination.symlink_to(link_target)
                continue
            with bundle.open(member) as source, destination.open("wb") as sink:
                shutil.copyfileobj(source, sink)
            executable = bool(mode & 0o111)
            destination.chmod(0o755 if executable else 0o644)


def make_read_only(directory: Path) -> None:
    """Like /var/task: files and directories lose their write bits."""
    for path in sorted(directory.rglob("*"), reverse=True):
        if path.is_symlink():
            continue
        current = stat.S_IMODE(path.stat().st_mode)
        path.chmod(current & ~0o222)
    directory.chmod(stat.S_IMODE(directory.stat().st_mode) & ~0o222)


def remove_tree(directory: Path) -> None:
    """rmtree that first gives back the write bits :func:`make_read_only` took."""

    def retry(function: Callable[..., Any], path: str, _: Any) -> None:
        with contextlib.suppress(OSError):
            Path(path).parent.chmod(0o755)
            Path(path).chmod(0o755)
            function(path)

    shutil.rmtree(directory, onerror=retry)


def lambda_environment(
    spec: FunctionSpec,
    *,
    code_dir: Path,
    sdk_dir: Path,
    interpreter: Interpreter,
    log_stream: str,
    credentials: Mapping[str, str],
    endpoint: str,
    xray_address: str,
    tmp_dir: Path,
) -> dict[str, str]:
    """The process environment of a sandbox: the function's variables, then Lambda's reserved
    ones over them (a function cannot override those), pointed at the emulator."""
    host, _, port = xray_address.partition(":")
    reserved = {
        "_HANDLER": spec.handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_REGION": spec.region,
        "AWS_DEFAULT_REGION": spec.region,
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_XRAY_DAEMON_ADDRESS": xray_address,
        "_AWS_XRAY_DAEMON_ADDRESS": host,
        "_AWS_XRAY_DAEMON_PORT": port,
        "LAMBDA_TASK_ROOT": str(code_dir),
        "LAMBDA_RUNTIME_DIR": str(sdk_dir),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PATH": os.pathsep.join(
            [str(Path(interpreter.path).parent), "/usr/local/bin", "/usr/bin", "/bin"]
        ),
        # The emulator, and nothing of the developer's own AWS setup (profiles, config files).
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "TMPDIR": str(tmp_dir),
        **credentials,
    }
    return {**dict(spec.environment), **reserved}


@dataclass
class SandboxResult:
    """What one invocation in a sandbox produced."""

    kind: str  # "result" | "error" | "timeout" | "oom" | "crash"
    payload: str | None = None  # JSON text of the handler's return value
    error: dict[str, Any] | None = None  # Lambda's error document
    duration_ms: float = 0.0
    max_memory_mb: int = 0
    lines: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.kind == "result"

    @property
    def reusable(self) -> bool:
        """Timeouts, memory kills and crashes end the execution environment."""
        return self.kind in ("result", "error")


@dataclass
class InitResult:
    ok: bool
    duration_ms: float
    error: dict[str, Any] | None = None
    lines: list[tuple[int, str]] = field(default_factory=list)


class Sandbox:
    """One execution environment: a child process serving one invocation at a time."""

    def __init__(
        self,
        spec: FunctionSpec,
        *,
        interpreter: Interpreter,
        code_dir: Path,
        sdk_dir: Path,
        pycache_dir: Path,
        tmp_dir: Path,
        environment: Mapping[str, str],
        log_stream: str,
    ) -> None:
        self.spec = spec
        self.interpreter = interpreter
        self.code_dir = code_dir
        self.sdk_dir = sdk_dir
        self.pycache_dir = pycache_dir
        self.tmp_dir = tmp_dir
        self.environment = dict(environment)
        self.log_stream = log_stream
        self.id = uuid.uuid4().hex[:12]
        self.fingerprint = spec.fingerprint
        self.created = time.monotonic()
        self.last_used = self.created
        self.invocations = 0
        self.init_duration_ms: float | None = None
        # The access key of the role credentials this sandbox's environment holds.
        self.credentials_key: str | None = None
        self._token = f"\x1esfp-end-{uuid.uuid4().hex}"
        self._process: subprocess.Popen[bytes] | None = None
        self._request_fd = -1
        self._response_fd = -1
        self._lines: list[tuple[int, str]] = []
        self._lines_lock = threading.Lock()
        self._ended: dict[str, threading.Event] = {}
        self._reader: threading.Thread | None = None
        self._dead = False
        self._peak_at_kill_mb = 0  # the peak read just before a memory kill

    # --- lifecycle -----------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def alive(self) -> bool:
        return not self._dead and self._process is not None and self._process.poll() is None

    def start(self) -> InitResult:
        """Start the process and import the handler (Lambda's init phase)."""
        started = time.monotonic()
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        command = [
            self.interpreter.path,
            "-I",
            "-S",
            "-u",
            "-X",
            f"pycache_prefix={self.pycache_dir}",
            str(BOOTSTRAP),
            str(request_read),
            str(response_write),
            str(self.code_dir),
            str(self.sdk_dir),
            self.spec.handler,
            self._token,
        ]
        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=self.code_dir,
                env=self.environment,
                pass_fds=(request_read, response_write),
                start_new_session=True,  # its own process group: a timeout kills all of it
            )
        except OSError as error:
            self._dead = True
            for fd in (request_write, response_read):
                os.close(fd)
            return InitResult(
                False,
                (time.monotonic() - started) * 1000,
                {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": f"cannot start {self.interpreter.path}: {error}",
                },
            )
        finally:
            os.close(request_read)
            os.close(response_write)
        self._request_fd, self._response_fd = request_write, response_read
        os.set_blocking(self._request_fd, False)
        self._reader = threading.Thread(
            target=self._read_output, name=f"sandbox-{self.id}-log", daemon=True
        )
        self._reader.start()
        deadline = started + INIT_GRACE_SECONDS + self.spec.timeout_seconds
        init_ended = self._ended.setdefault(INIT_REQUEST_ID, threading.Event())
        message = self._receive(deadline, watch_memory=False)
        duration = (time.monotonic() - started) * 1000
        self.init_duration_ms = duration
        # The reader thread may still be reading the init's output: wait for its end marker.
        init_ended.wait(2.0)
        self._ended.pop(INIT_REQUEST_ID, None)
        if message is not None and message.get("type") == "ready":
            return InitResult(True, duration, lines=self.take_lines())
        if message is None:
            reason = "timed out" if self.alive else self._exit_reason()
            error = {
                "errorMessage": f"Error: Runtime exited with error: {reason} during init",
                "errorType": "Runtime.ExitError" if not self.alive else "Runtime.InitTimeout",
            }
        else:
            error = message.get("error") or {"errorType": "Runtime.Unknown"}
        self.stop()
        return InitResult(False, duration, error, lines=self.take_lines())

    def stop(self) -> None:
        """Kill the process group and release the pipes."""
        self._dead = True
        process = self._process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        for fd in (self._request_fd, self._response_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._request_fd = self._response_fd = -1
        if self._reader is not None:
            self._reader.join(timeout=2)
        if process is not None and process.stdout is not None:
            with contextlib.suppress(OSError):
                process.stdout.close()
        if self.tmp_dir.exists():
            remove_tree(self.tmp_dir)

    # --- invocations ---------------------------------------------------------------------

    def invoke(
        self,
        request_id: str,
        payload: bytes,
        *,
        trace_id: str = "",
        credentials: Mapping[str, str] | None = None,
    ) -> SandboxResult:
        """Run one invocation; the function's timeout and memory limit are enforced here."""
        started = time.monotonic()
        self.last_used = started
        self.invocations += 1
        deadline = started + self.spec.timeout_seconds
        ended = self._ended.setdefault(request_id, threading.Event())
        self._reset_peak_memory()
        self._peak_at_kill_mb = 0
        request = {
            "request_id": request_id,
            "payload": payload.decode("utf-8"),
            "deadline_ms": int((time.time() + self.spec.timeout_seconds) * 1000),
            "function_arn": self.spec.qualified_arn
            if self.spec.version != "$LATEST"
            else self.spec.arn,
            "trace_id": trace_id,
            "credentials": dict(credentials or {}),
        }
        outcome: str | None = None
        message: dict[str, Any] | None = None
        if not self._send(request, deadline):
            outcome = "timeout" if self.alive else "crash"
        else:
            message = self._receive(deadline, watch_memory=True)
            if message is None:
                outcome = self._why_no_answer()
        duration = (time.monotonic() - started) * 1000
        peak = self._peak_memory_mb() or self._peak_at_kill_mb
        if outcome is None and peak > self.spec.memory_mb:
            outcome = "oom"
        if outcome is not None:
            self.stop()
            result = SandboxResult(
                outcome,
                error=self._fatal_error(outcome, request_id),
                duration_ms=duration,
                max_memory_mb=peak,
            )
        elif message is not None and message.get("type") == "result":
            ended.wait(2.0)
            result = SandboxResult("result", payload=message.get("payload"))
        else:
            ended.wait(2.0)
            error = (message or {}).get("error") or {"errorType": "Runtime.Unknown"}
            result = SandboxResult("error", error=error)
        result.duration_ms = duration
        result.max_memory_mb = peak or result.max_memory_mb
        result.lines = self.take_lines()
        self._ended.pop(request_id, None)
        self.last_used = time.monotonic()
        return result

    def take_lines(self) -> list[tuple[int, str]]:
        """The output lines (epoch ms, text) collected since the last call."""
        with self._lines_lock:
            lines, self._lines = self._lines, []
        return lines

    def rss_kb(self) -> int:
        return _status_kb(self.pid, "VmRSS") if self.alive else 0

    # --- internals -----------------------------------------------------------------------

    def _why_no_answer(self) -> str:
        if self._dead:
            return "oom"  # the watchdog killed it
        if self.alive:
            return "timeout"
        return "crash"

    def _fatal_error(self, outcome: str, request_id: str) -> dict[str, Any]:
        if outcome == "timeout":
            return {
                "errorMessage": f"RequestId: {request_id} Error: Task timed out after "
                f"{self.spec.timeout_seconds:.2f} seconds",
                "errorType": "Sandbox.Timedout",
            }
        if outcome == "oom":
            return {
                "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: "
                "signal: killed",
                "errorType": "Runtime.OutOfMemory",
            }
        return {
            "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: "
            f"{self._exit_reason()}",
            "errorType": "Runtime.ExitError",
        }

    def _exit_reason(self) -> str:
        code = self._process.poll() if self._process else None
        if code is None:
            return "unknown"
        if code < 0:
            return f"signal: {signal.Signals(-code).name.removeprefix('SIG').lower()}"
        return f"exit status {code}"

    def _send(self, message: dict[str, Any], deadline: float) -> bool:
        """Write one frame before ``deadline`` (the pipe is non-blocking: a stuck child cannot
        hang the emulator)."""
        data = _frame(message)
        view = memoryview(data)
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self.alive:
                return False
            _, writable, _ = select.select([], [self._request_fd], [], min(remaining, 0.5))
            if not writable:
                continue
            try:
                written = os.write(self._request_fd, view)
            except BlockingIOError:
                continue
            except OSError:
                return False
            view = view[written:]
        return True

    def _receive(self, deadline: float, *, watch_memory: bool) -> dict[str, Any] | None:
        """Read one frame before ``deadline``; None on timeout, exit or memory kill."""
        buffer = bytearray()
        needed = 4
        header_done = False
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select(
                [self._response_fd], [], [], min(remaining, MEMORY_SAMPLE_SECONDS)
            )
            if not ready:
                if watch_memory and self._over_memory():
                    self._dead = True
                    # Read the peak now: once killed, /proc no longer reports it.
                    self._peak_at_kill_mb = self._peak_memory_mb()
                    if self.pid:
                        with contextlib.suppress(ProcessLookupError, PermissionError):
                            os.killpg(self.pid, signal.SIGKILL)
                    return None
                if not self.alive:
                    # Drain what a dying process may still have written.
                    ready = [self._response_fd]
                else:
                    continue
            try:
                chunk = os.read(self._response_fd, max(needed - len(buffer), 1))
            except OSError:
                return None
            if not chunk:
                return None
            buffer += chunk
            if not header_done and len(buffer) >= 4:
                needed = 4 + int.from_bytes(buffer[:4], "big")
                header_done = True
            if header_done and len(buffer) >= needed:
                return json.loads(bytes(buffer[4:needed]).decode("utf-8"))

    def _over_memory(self) -> bool:
        return _status_kb(self.pid, "VmRSS") > self.spec.memory_mb * 1024

    def _reset_peak_memory(self) -> None:
        if self.pid:
            with contextlib.suppress(OSError):
                Path(f"/proc/{self.pid}/clear_refs").write_text("5")

    def _peak_memory_mb(self) -> int:
        peak = _status_kb(self.pid, "VmHWM")
        return -(-peak // 1024) if peak else 0

    def _read_output(self) -> None:
        """Turn the child's stdout+stderr into log lines; notice end-of-invocation markers."""
        process = self._process
        if process is None or process.stdout is None:
            return
        fd = process.stdout.fileno()
        token = self._token.encode("ascii")
        pending = bytearray()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                if pending:
                    self._add_line(bytes(pending))
                return
            pending += chunk
            while True:
                newline = pending.find(b"\n")
                marker = pending.find(token)
                if marker != -1 and (newline == -1 or marker < newline):
                    end = pending.find(b"\n", marker)
                    if end == -1:
                        break  # the marker's line is not complete yet
                    if marker:
                        self._add_line(bytes(pending[:marker]))
                    request_id = pending[marker + len(token) : end].decode().strip()
                    del pending[: end + 1]
                    self._ended.setdefault(request_id, threading.Event()).set()
                    continue
                if newline == -1:
                    while len(pending) > MAX_LOG_LINE_BYTES:
                        self._add_line(bytes(pending[:MAX_LOG_LINE_BYTES]))
                        del pending[:MAX_LOG_LINE_BYTES]
                    break
                self._add_line(bytes(pending[:newline]))
                del pending[: newline + 1]

    def _add_line(self, raw: bytes) -> None:
        text = raw.decode("utf-8", errors="replace")
        with self._lines_lock:
            self._lines.append((int(time.time() * 1000), text))


def _frame(message: dict[str, Any]) -> bytes:
    data = json.dumps(message).encode("utf-8")
    return len(data).to_bytes(4, "big") + data


def _status_kb(pid: int | None, field_name: str) -> int:
    """A ``/proc/<pid>/status`` memory field in KiB (0 where /proc is not available)."""
    if not pid:
        return 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return 0


@dataclass
class Lease:
    """A slot of a function's concurrency; ``sandbox`` is None when a new one must start."""

    key: str
    sandbox: Sandbox | None

    @property
    def cold(self) -> bool:
        return self.sandbox is None


@dataclass
class _Slots:
    idle: list[Sandbox] = field(default_factory=list)
    busy: int = 0
    limit: int = 1
    running: dict[str, Sandbox] = field(default_factory=dict)


class SandboxPool:
    """Warm sandboxes per function, one per concurrent invocation, bounded per function."""

    def __init__(
        self,
        *,
        default_limit: int,
        idle_seconds: float,
        on_release: Callable[[], None] | None = None,
    ) -> None:
        self.default_limit = default_limit
        self.idle_seconds = idle_seconds
        self._slots: dict[str, _Slots] = {}
        self._cond = threading.Condition()
        self._on_release = on_release
        self._closed = False

    @staticmethod
    def limit_of(spec: FunctionSpec, default: int) -> int:
        """Reserved concurrency when set (0 = always throttled), else the emulator's default."""
        if spec.reserved_concurrency is not None:
            return max(0, int(spec.reserved_concurrency))
        return default

    def lease(self, spec: FunctionSpec, *, wait: float | None) -> Lease | None:
        """A slot for one invocation of ``spec``: a warm sandbox when one is idle. None when the
        function is at its limit and no slot freed within ``wait`` seconds (None = don't wait)."""
        deadline = None if wait is None else time.monotonic() + wait
        stale: list[Sandbox] = []
        try:
            with self._cond:
                slots = self._slots.setdefault(spec.key, _Slots())
                slots.limit = self.limit_of(spec, self.default_limit)
                stale = [s for s in slots.idle if s.fingerprint != spec.fingerprint or not s.alive]
                slots.idle = [s for s in slots.idle if s not in stale]
                while True:
                    if slots.busy < slots.limit and not self._closed:
                        slots.busy += 1
                        sandbox = slots.idle.pop() if slots.idle else None
                        if sandbox is not None:
                            slots.running[sandbox.id] = sandbox
                        return Lease(spec.key, sandbox)
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is None or remaining <= 0:
                        return None
                    self._cond.wait(remaining)
        finally:
            for sandbox in stale:
                sandbox.stop()

    def started(self, lease: Lease, sandbox: Sandbox) -> None:
        """Record the sandbox a cold lease started."""
        lease.sandbox = sandbox
        with self._cond:
            self._slots[lease.key].running[sandbox.id] = sandbox

    def release(self, lease: Lease, *, reusable: bool) -> None:
        """Give the slot back; the sandbox stays warm when it can serve again."""
        sandbox = lease.sandbox
        drop = sandbox is not None and not (reusable and sandbox.alive)
        with self._cond:
            slots = self._slots[lease.key]
            slots.busy -= 1
            if sandbox is not None:
                slots.running.pop(sandbox.id, None)
                if not drop:
                    if self._closed:
                        drop = True
                    else:
                        slots.idle.append(sandbox)
            self._cond.notify_all()
        if drop and sandbox is not None:
            sandbox.stop()
        if self._on_release is not None:
            self._on_release()

    def has_capacity(self, key: str) -> bool:
        with self._cond:
            slots = self._slots.get(key)
            return slots is None or slots.busy < slots.limit

    def reap(self, now: float | None = None) -> list[Sandbox]:
        """Stop sandboxes idle for longer than ``idle_seconds``."""
        moment = time.monotonic() if now is None else now
        expired: list[Sandbox] = []
        with self._cond:
            for slots in self._slots.values():
                keep = []
                for sandbox in slots.idle:
                    too_old = moment - sandbox.last_used > self.idle_seconds
                    (expired if too_old or not sandbox.alive else keep).append(sandbox)
                slots.idle = keep
        for sandbox in expired:
            sandbox.stop()
        return expired

    def retire(self, key_part: str = "") -> int:
        """Stop the idle sandboxes of functions whose key contains ``key_part`` (all when
        empty); the next invocation of those functions is a cold start."""
        with self._cond:
            dropped: list[Sandbox] = []
            for key, slots in self._slots.items():
                if key_part in key:
                    dropped += slots.idle
                    slots.idle = []
        for sandbox in dropped:
            sandbox.stop()
        return len(dropped)

    def shutdown(self) -> None:
        with self._cond:
            self._closed = True
        self.retire()

    def snapshot(self) -> list[dict[str, Any]]:
        """Per function: limit, busy slots, and every live sandbox (pid, RSS, invocations)."""
        with self._cond:
            items = [
                (key, slots.limit, slots.busy, [*slots.running.values(), *slots.idle])
                for key, slots in self._slots.items()
            ]
        return [
            {
                "function": key,
                "limit": limit,
                "busy": busy,
                "sandboxes": [
                    {
                        "id": sandbox.id,
                        "pid": sandbox.pid,
                        "rss_kb": sandbox.rss_kb(),
                        "invocations": sandbox.invocations,
                        "log_stream": sandbox.log_stream,
                        "interpreter": sandbox.interpreter.version,
                    }
                    for sandbox in sandboxes
                    if sandbox.alive
                ],
            }
            for key, limit, busy, sandboxes in items
        ]
