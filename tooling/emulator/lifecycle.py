"""Lifecycle of the embedded AWS emulator: a moto server on loopback, run in the background.

``start`` launches ``moto_server`` detached (its own session, so it outlives the invoke process),
records its pid, port and a per-start *instance id* under ``.emulator/`` and returns only once the
server answers its health check. ``status`` and ``stop`` read the pid file; ``ensure_running``
is what ``deploy --env=local`` calls.

Moto keeps every resource in memory, so a restarted emulator is empty while a Terraform state
written against the previous one still lists everything. To notice that, each start stores its
instance id *inside* the emulator (an SSM parameter, see :data:`INSTANCE_PARAMETER`), and
:func:`reset_state_if_stale` compares it with the id recorded next to a state file. Keeping the
id in the emulator rather than only in a file means a moto restarted by hand, or wiped through
``/moto-api/reset``, is detected too. :func:`reset_stale_states` does that for every env that
was deployed to the same emulator, and says which ones it reset.

Each emulated env lives in its own moto account (:func:`tooling.core.envs.emulated_account_id`);
:func:`account_credentials` gives the credentials that reach an account.

Every location is a parameter of :class:`Emulator` so tests run their own server on a free port
with their own dirs; :func:`default_emulator` builds the project's one from config.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tooling.core import envs, paths
from tooling.core.console import say
from tooling.core.errors import ToolingError
from tooling.core.local_aws import (
    DEFAULT_PORT,
    DIR_ENV_VAR,
    FAKE_CREDENTIALS,
    HOST,
    MOTO_ACCOUNT_ID,
    PORT_ENV_VAR,
    TOOLING_SESSION_NAME,
    tooling_role_arn,
)

# The region the instance marker lives in.
MARKER_REGION = "us-east-1"
INSTANCE_PARAMETER = "/sfp-emulator/instance-id"
# Files written next to a Terraform state: the emulator instance that state was applied to (its
# id, alone, as always), and where that emulator listened and which moto account the env used.
STATE_MARKER_NAME = "emulator-instance"
TARGET_MARKER_NAME = "emulator-target.json"
# What a reset removes from a work dir: the state and the plans made against it. TF_DATA_DIR
# (.terraform) is kept: it is not tied to the emulator and costs time to rebuild.
STALE_PATTERNS = ("*.tfstate", "*.tfstate.backup", "*.tfstate.*.backup", "tfplan*", "plan.txt")
# The longest session moto hands out for the tooling's assumed role (AWS's maximum, 12 h):
# longer than any plan or apply.
SESSION_SECONDS = 43200

START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Emulator:
    """Where one emulator listens and keeps its files."""

    port: int = DEFAULT_PORT
    state_dir: Path = paths.EMULATOR_DIR
    host: str = HOST

    @property
    def endpoint(self) -> str:
        """Base URL of the server, what boto3 and Terraform get as their endpoint."""
        return f"http://{self.host}:{self.port}"

    @property
    def pid_file(self) -> Path:
        """JSON file recording the running server: pid, port, instance id."""
        return self.state_dir / "moto.pid.json"

    @property
    def log_file(self) -> Path:
        """The server's stdout+stderr (appended across starts)."""
        return self.state_dir / "moto.log"


@dataclass(frozen=True)
class EmulatorStatus:
    """What :func:`status` found."""

    running: bool
    endpoint: str
    pid: int | None = None
    instance_id: str | None = None
    log_file: Path | None = None
    # Envs whose Terraform state was applied to this instance ("local", "prod (emulated)").
    deployed_envs: tuple[str, ...] = ()

    def describe(self) -> str:
        """One human line for ``invoke emulator.status``."""
        if not self.running:
            return f"emulator: not running (would listen on {self.endpoint})"
        deployed = ", ".join(self.deployed_envs) or "none"
        return (
            f"emulator: running at {self.endpoint} (pid {self.pid}, instance {self.instance_id}, "
            f"log {self.log_file}); envs deployed to it: {deployed}"
        )


def default_emulator(port: int | str | None = None, state_dir: Path | None = None) -> Emulator:
    """The project's emulator: ``port`` (invoke config ``emulator.port``) unless
    ``SFP_EMULATOR_PORT`` is set, which wins so CI and tests can move it; likewise the dir."""
    raw_port = os.environ.get(PORT_ENV_VAR, "").strip() or port or DEFAULT_PORT
    try:
        number = int(raw_port)
    except (TypeError, ValueError):
        number = -1
    if not 0 < number < 65536:
        raise ToolingError(
            f"emulator port {raw_port!r} is not a TCP port number",
            hint=f"set {PORT_ENV_VAR} (or emulator.port in invoke.yaml) to e.g. {DEFAULT_PORT}",
        )
    raw_dir = os.environ.get(DIR_ENV_VAR, "").strip()
    directory = Path(raw_dir).expanduser() if raw_dir else (state_dir or paths.EMULATOR_DIR)
    return Emulator(port=number, state_dir=directory.resolve())


def free_port(host: str = HOST) -> int:
    """A TCP port that was free a moment ago (bind to port 0 and let the kernel choose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def moto_command(emulator: Emulator) -> list[str]:
    """The command line that runs moto server for ``emulator`` with this Python.

    ``tooling.emulator.server`` is moto server with the project's fixes for moto quirks
    applied first (see that module); its options are moto server's own.
    """
    launcher = [sys.executable, "-m", "tooling.emulator.server"]
    return [*launcher, "-H", emulator.host, "-p", str(emulator.port)]


def start(emulator: Emulator, timeout: float = START_TIMEOUT_SECONDS) -> EmulatorStatus:
    """Start moto server in the background unless ours already runs; return once it is healthy.

    Raises ToolingError when the port is held by something else, or when the server does not
    come up (quoting the end of its log).
    """
    current = status(emulator)
    if current.running:
        return current
    if _port_in_use(emulator):
        raise _port_taken_error(emulator)
    emulator.state_dir.mkdir(parents=True, exist_ok=True)
    with emulator.log_file.open("ab") as log:
        # start_new_session: its own process group, so Ctrl-C in invoke or the end of the invoke
        # process does not take the emulator with it.
        process = subprocess.Popen(
            moto_command(emulator),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            # `-m tooling.emulator.server` resolves from the repo root, venv install or not.
            cwd=paths.REPO_ROOT,
        )
    deadline = time.monotonic() + timeout
    while not _healthy(emulator):
        if process.poll() is not None or time.monotonic() > deadline:
            _terminate(process.pid)
            raise ToolingError(
                f"moto server did not become healthy on {emulator.endpoint} "
                f"(exit code {process.poll()})",
                hint=f"see {emulator.log_file}:\n{_log_tail(emulator.log_file)}",
            )
        time.sleep(_POLL_SECONDS)
    instance_id = uuid.uuid4().hex
    try:
        _write_instance_marker(emulator, instance_id)
    except Exception:
        # Never leave a detached server without a pid file: later starts could not claim it.
        _terminate(process.pid)
        raise
    emulator.pid_file.write_text(
        json.dumps({"pid": process.pid, "port": emulator.port, "instance_id": instance_id}) + "\n"
    )
    return EmulatorStatus(True, emulator.endpoint, process.pid, instance_id, emulator.log_file)


def status(emulator: Emulator, work_root: Path | None = None) -> EmulatorStatus:
    """Whether *our* server (the pid in the pid file) is alive and answering on its port, and
    which envs (work dirs under ``work_root``, default ``.work``) are deployed to it."""
    record = _read_pid_file(emulator)
    pid = record.get("pid") if record else None
    if (
        isinstance(pid, int)
        and record.get("port") == emulator.port
        and _alive(pid)
        and _healthy(emulator)
    ):
        instance = record.get("instance_id")
        deployed = tuple(
            envs.label_of_work_dir(work_dir)
            for work_dir, marker in _state_markers(work_root or paths.WORK_DIR)
            if marker.get("endpoint") == emulator.endpoint
            and marker.get("instance_id") == instance
            and _has_state(work_dir)
        )
        return EmulatorStatus(True, emulator.endpoint, pid, instance, emulator.log_file, deployed)
    return EmulatorStatus(False, emulator.endpoint)


def stop(emulator: Emulator, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
    """Stop our server (SIGTERM, then SIGKILL after ``timeout``). True when one was stopped.

    Only the pid recorded in our pid file is signalled, never a process found by name.
    """
    record = _read_pid_file(emulator)
    pid = record.get("pid") if record else None
    stopped = False
    if isinstance(pid, int) and _alive(pid) and _is_moto(pid):
        _terminate(pid, timeout)
        stopped = True
    emulator.pid_file.unlink(missing_ok=True)
    return stopped


def ensure_running(emulator: Emulator | None = None) -> str:
    """Start the emulator when it is not running; return its endpoint URL."""
    chosen = emulator or default_emulator()
    start(chosen)
    return chosen.endpoint


def instance_id(emulator: Emulator) -> str:
    """The id of the emulator's current in-memory world, read from the emulator itself.

    When the marker is missing (moto restarted outside the tooling, or reset), a new id is
    created: whatever state referred to the old world is stale either way.
    """
    client = _ssm_client(emulator)
    try:
        response = client.get_parameter(Name=INSTANCE_PARAMETER)
        return str(response["Parameter"]["Value"])
    except client.exceptions.ParameterNotFound:
        fresh = uuid.uuid4().hex
        _write_instance_marker(emulator, fresh)
        return fresh


def reset_state_if_stale(
    emulator: Emulator, work_dir: Path, account_id: str = MOTO_ACCOUNT_ID
) -> bool:
    """Drop the Terraform state (and saved plans) in ``work_dir`` when it was written against
    another emulator instance, or another account; record the current ones there. True when
    something was reset.

    The provider cache / TF_DATA_DIR is kept: it is not tied to the emulator and costs time to
    rebuild.
    """
    current = {
        "instance_id": instance_id(emulator),
        "endpoint": emulator.endpoint,
        "account_id": account_id,
    }
    recorded = _read_marker(work_dir)
    same_world = recorded.get("instance_id") == current["instance_id"]
    if same_world and recorded.get("account_id", MOTO_ACCOUNT_ID) == account_id:
        if recorded != current:  # an older marker format: record the full one
            _write_marker(work_dir, current)
        return False
    removed = _drop_state(work_dir)
    _write_marker(work_dir, current)
    return removed


def reset_stale_states(
    emulator: Emulator,
    work_dir: Path,
    *,
    account_id: str = MOTO_ACCOUNT_ID,
    work_root: Path | None = None,
) -> list[str]:
    """:func:`reset_state_if_stale` for ``work_dir``, and for every other env deployed to the
    same emulator endpoint before it restarted; say which envs were reset and return them.

    A restart (or a wipe) empties the emulator for *every* env deployed to it, so each of their
    states is stale at once; resetting them together lets one message name them all. Envs
    deployed to another endpoint (another emulator) are left alone.
    """
    root = work_root or work_dir.parent
    current = instance_id(emulator)
    reset: list[str] = []
    for other, marker in _state_markers(root):
        if (
            other != work_dir
            and marker.get("endpoint") == emulator.endpoint
            and marker.get("instance_id") != current
            and _drop_state(other)
        ):
            _write_marker(other, {**marker, "instance_id": current})
            reset.append(envs.label_of_work_dir(other))
    if reset_state_if_stale(emulator, work_dir, account_id):
        reset.insert(0, envs.label_of_work_dir(work_dir))
    if reset:
        say(
            f"» the emulator at {emulator.endpoint} is not the one these envs were deployed to "
            f"(it restarted or was reset, and keeps resources in memory only): reset the "
            f"Terraform state of {', '.join(reset)}; each is created from scratch on its next "
            "deploy"
        )
    return reset


def fake_aws_environment(
    emulator: Emulator, region: str, credentials: dict[str, str] | None = None
) -> dict[str, str]:
    """Environment variables that point boto3 and the Terraform AWS provider at the emulator,
    signed with ``credentials`` (default: the fake ones, moto's default account)."""
    return {
        **(credentials or FAKE_CREDENTIALS),
        "AWS_ENDPOINT_URL": emulator.endpoint,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }


def account_credentials(emulator: Emulator, account_id: str) -> dict[str, str]:
    """Credentials (as env vars) whose calls land in moto account ``account_id``.

    moto picks the account of a request from its access key: the fake key reaches the default
    account; keys from an STS AssumeRole of a role ARN in another account reach that account
    (moto/sts/models.py ``assume_role`` / moto/iam/models.py ``get_account_id_from``). The role
    need not exist, and the tooling's calls are never checked against IAM.
    """
    if account_id == MOTO_ACCOUNT_ID:
        return dict(FAKE_CREDENTIALS)
    response = _client(emulator, "sts").assume_role(
        RoleArn=tooling_role_arn(account_id),
        RoleSessionName=TOOLING_SESSION_NAME,
        DurationSeconds=SESSION_SECONDS,
    )
    issued = response["Credentials"]
    return {
        **FAKE_CREDENTIALS,
        "AWS_ACCESS_KEY_ID": issued["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": issued["SecretAccessKey"],
        "AWS_SESSION_TOKEN": issued["SessionToken"],
    }


# --- internals -------------------------------------------------------------------------------


def _ssm_client(emulator: Emulator) -> Any:
    return _client(emulator, "ssm")


def _client(emulator: Emulator, service: str) -> Any:
    """A boto3 client of the emulator in moto's default account (one session per process)."""
    with _SESSION_LOCK:  # a boto3 Session is not safe for concurrent client creation
        return _session().client(service, endpoint_url=emulator.endpoint, region_name=MARKER_REGION)


_SESSION_LOCK = threading.Lock()


@functools.cache
def _session() -> Any:
    import boto3  # boto3 costs ~0.3 s to import; only needed here

    return boto3.Session(
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=MARKER_REGION,
    )


def _read_marker(work_dir: Path) -> dict[str, str]:
    """The emulator a work dir's state belongs to (``{}`` when none is recorded)."""
    try:
        instance = (work_dir / STATE_MARKER_NAME).read_text().strip()
    except OSError:
        return {}
    if not instance:
        return {}
    try:
        target = json.loads((work_dir / TARGET_MARKER_NAME).read_text())
    except (OSError, ValueError):
        target = {}
    details = {str(k): str(v) for k, v in target.items()} if isinstance(target, dict) else {}
    return {**details, "instance_id": instance}


def _write_marker(work_dir: Path, marker: dict[str, str]) -> None:
    work_dir.mkdir(parents=True, exist_ok=True)
    details = {key: value for key, value in marker.items() if key != "instance_id"}
    (work_dir / TARGET_MARKER_NAME).write_text(json.dumps(details, sort_keys=True) + "\n")
    (work_dir / STATE_MARKER_NAME).write_text(marker["instance_id"] + "\n")


def _state_markers(work_root: Path) -> list[tuple[Path, dict[str, str]]]:
    """Every work dir under ``work_root`` that records an emulator, with what it records."""
    if not work_root.is_dir():
        return []
    return [
        (marker.parent, _read_marker(marker.parent))
        for marker in sorted(work_root.glob(f"*/{STATE_MARKER_NAME}"))
    ]


def _has_state(work_dir: Path) -> bool:
    return any(path.is_file() for path in work_dir.glob("*.tfstate"))


def _drop_state(work_dir: Path) -> bool:
    """Remove the state and plans of a work dir; True when there was any."""
    stale = [
        path for pattern in STALE_PATTERNS for path in work_dir.glob(pattern) if path.is_file()
    ]
    for path in stale:
        path.unlink()
    return bool(stale)


def _write_instance_marker(emulator: Emulator, value: str) -> None:
    _ssm_client(emulator).put_parameter(
        Name=INSTANCE_PARAMETER, Value=value, Type="String", Overwrite=True
    )


def _read_pid_file(emulator: Emulator) -> dict[str, Any] | None:
    try:
        data = json.loads(emulator.pid_file.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) still answers kill(0).
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _is_moto(pid: int) -> bool:
    """Guard against a recycled pid: only signal a process whose command line is ours."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        command = cmdline.read_bytes()
        return b"moto" in command or b"tooling.emulator.server" in command
    except OSError:
        return True  # no /proc (macOS): trust the pid file, which only we write


def _terminate(pid: int, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(_POLL_SECONDS)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _reap(pid)


def _reap(pid: int) -> None:
    # Only our own children can be reaped; for a server started by an earlier invoke process
    # this is a no-op (its parent is gone, init reaps it).
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _port_in_use(emulator: Emulator) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((emulator.host, emulator.port)) == 0


def _healthy(emulator: Emulator) -> bool:
    """moto's dashboard answers at /moto-api/; anything else on the port is not our emulator."""
    try:
        with urllib.request.urlopen(f"{emulator.endpoint}/moto-api/", timeout=2) as response:  # noqa: S310 - loopback http URL we built
            return response.status == 200 and b"moto" in response.read(65536).lower()
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _port_taken_error(emulator: Emulator) -> ToolingError:
    what = (
        "a moto server the tooling did not start (no matching pid file)"
        if _healthy(emulator)
        else "something that is not a moto server"
    )
    return ToolingError(
        f"port {emulator.port} on {emulator.host} is already in use by {what}",
        hint=(
            f"stop that process, or choose another port: export {PORT_ENV_VAR}=<port> "
            "(or set emulator.port in invoke.yaml)"
        ),
    )


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
