"""Lambda sandboxes without moto: code cache, interpreter choice, isolation, limits, the pool."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import sys
import time
import zipfile
from typing import TYPE_CHECKING

import pytest

from tooling.emulator.lambda_sandbox import (
    CodeCache,
    FunctionSpec,
    Interpreter,
    InterpreterResolver,
    Sandbox,
    SandboxPool,
    UnsupportedRuntimeError,
    extract_zip,
    lambda_environment,
    python_version,
    sdk_directory,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

HANDLER = """
import json, os, subprocess, sys, time
print("init output")
VARIABLES = (
    "GREETING", "AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME", "_X_AMZN_TRACE_ID", "AWS_ACCESS_KEY_ID"
)

def handler(event, context):
    print("event", json.dumps(event))
    if event.get("raise"):
        raise ValueError("asked to fail\\nsecond line")
    if event.get("sleep"):
        if event.get("child"):
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
            with open(event["child"], "w") as f:
                f.write(str(child.pid))
        time.sleep(event["sleep"])
    if event.get("allocate_mb"):
        block = bytearray(event["allocate_mb"] * 1024 * 1024)
        block[::4096] = b"x" * len(block[::4096])
    if event.get("unserializable"):
        return {"value": object()}
    importable = {}
    for name in ("boto3", "botocore", "moto", "tooling", "pytest", "invoke"):
        try:
            __import__(name)
            importable[name] = True
        except ImportError:
            importable[name] = False
    return {
        "importable": importable,
        "path": sys.path[:2],
        "request_id": context.aws_request_id,
        "remaining": context.get_remaining_time_in_millis(),
        "memory": context.memory_limit_in_mb,
        "variables": {k: os.environ.get(k) for k in VARIABLES},
        "cwd": os.getcwd(),
    }
"""


def make_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def make_spec(code: bytes, **overrides: object) -> FunctionSpec:
    values: dict[str, object] = {
        "arn": "arn:aws:lambda:us-east-1:123456789012:function:probe",
        "name": "probe",
        "account_id": "123456789012",
        "region": "us-east-1",
        "handler": "app.handler",
        "runtime": "python3.12",
        "code_sha256": hashlib.sha256(code).hexdigest(),
        "memory_mb": 256,
        # Generous: on a loaded 2-core machine an import can take seconds (the timeout tests
        # set their own).
        "timeout_seconds": 60.0,
        "role_arn": "arn:aws:iam::123456789012:role/probe",
        "environment": (("GREETING", "hello"), ("AWS_REGION", "eu-west-3")),
        "log_group": "/aws/lambda/probe",
        "code": code,
    }
    values.update(overrides)
    return FunctionSpec(**values)  # type: ignore[arg-type]


LOCAL = Interpreter(sys.executable, "3.x", "python3.12", matches_runtime=False)


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[object]:
    """Factory: start a sandbox for a spec (stopped at the end of the test)."""
    started: list[Sandbox] = []
    cache = CodeCache(tmp_path / "code")
    sdk = sdk_directory(tmp_path)

    def start(spec: FunctionSpec) -> tuple[Sandbox, object]:
        code_dir = cache.directory(spec.code_sha256, spec.code)
        tmp_dir = tmp_path / f"tmp-{len(started)}"
        environment = lambda_environment(
            spec,
            code_dir=code_dir,
            sdk_dir=sdk,
            interpreter=LOCAL,
            log_stream="stream",
            credentials={"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE"},
            endpoint="http://127.0.0.1:9",
            xray_address="127.0.0.1:2000",
            tmp_dir=tmp_dir,
        )
        sandbox = Sandbox(
            spec,
            interpreter=LOCAL,
            code_dir=code_dir,
            sdk_dir=sdk,
            pycache_dir=tmp_path / "pycache",
            tmp_dir=tmp_dir,
            environment=environment,
            log_stream="stream",
        )
        started.append(sandbox)
        return sandbox, sandbox.start()

    yield start
    for sandbox in started:
        sandbox.stop()


def test_the_function_sees_only_its_code_and_the_sdk(launch) -> None:
    # GIVEN a sandbox for a function whose variables try to override a reserved one
    sandbox, init = launch(make_spec(make_zip({"app.py": HANDLER})))
    assert init.ok
    # WHEN it is invoked
    result = sandbox.invoke("req-1", b'{"a": 1}', trace_id="Root=1-abc")
    # THEN the handler ran in the code dir, with boto3 but none of the emulator's packages
    assert result.kind == "result", result
    body = json.loads(result.payload)
    assert body["importable"] == {
        "boto3": True,
        "botocore": True,
        "moto": False,
        "tooling": False,
        "pytest": False,
        "invoke": False,
    }
    assert body["path"] == [str(sandbox.code_dir), str(sandbox.sdk_dir)]
    assert body["cwd"] == str(sandbox.code_dir)
    # AND it got Lambda's context and environment: its own variables, the reserved ones winning
    assert body["request_id"] == "req-1"
    assert 0 < body["remaining"] <= 60_000
    assert body["memory"] == "256"
    assert body["variables"] == {
        "GREETING": "hello",
        "AWS_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": "probe",
        "_X_AMZN_TRACE_ID": "Root=1-abc",
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLE",
    }
    # AND its output became log lines: init output at init, the event line at invocation
    assert [text for _, text in init.lines] == ["init output"]
    assert [text for _, text in result.lines] == ['event {"a": 1}']


def test_an_exception_becomes_lambdas_error_document_and_one_log_event(launch) -> None:
    sandbox, _ = launch(make_spec(make_zip({"app.py": HANDLER})))
    # WHEN the handler raises
    result = sandbox.invoke("req-2", b'{"raise": true}')
    # THEN the error document names the type and message, with the handler's frames only
    assert result.kind == "error"
    assert result.error["errorType"] == "ValueError"
    assert result.error["errorMessage"] == "asked to fail\nsecond line"
    assert result.error["requestId"] == "req-2"
    assert any("app.py" in frame for frame in result.error["stackTrace"])
    assert not any("lambda_bootstrap" in frame for frame in result.error["stackTrace"])
    # AND the runtime logged it as ONE event (newlines turned into carriage returns)
    errors = [text for _, text in result.lines if text.startswith("[ERROR]")]
    assert len(errors) == 1
    assert errors[0].startswith("[ERROR] ValueError: asked to fail\rsecond line\rTraceback")
    # AND the sandbox stays warm for the next invocation
    assert result.reusable
    assert sandbox.invoke("req-3", b"{}").kind == "result"


def test_a_result_that_is_not_json_is_a_marshal_error(launch) -> None:
    sandbox, _ = launch(make_spec(make_zip({"app.py": HANDLER})))
    result = sandbox.invoke("req-4", b'{"unserializable": true}')
    assert result.kind == "error"
    assert result.error["errorType"] == "Runtime.MarshalError"


@pytest.mark.parametrize(
    ("files", "handler", "error_type"),
    [
        ({"app.py": "import not_there\n"}, "app.handler", "Runtime.ImportModuleError"),
        ({"app.py": "def other(e, c):\n    pass\n"}, "app.handler", "Runtime.HandlerNotFound"),
        ({"app.py": "def handler(e, c)\n"}, "app.handler", "Runtime.UserCodeSyntaxError"),
        ({"app.py": "raise KeyError('BUCKET')\n"}, "app.handler", "KeyError"),
        ({"app.py": ""}, "nodot", "Runtime.MalformedHandlerName"),
    ],
)
def test_init_failures_carry_lambdas_error_types(launch, files, handler, error_type) -> None:
    # GIVEN code that cannot initialise WHEN the sandbox starts THEN init fails with Lambda's type
    sandbox, init = launch(make_spec(make_zip(files), handler=handler))
    assert not init.ok
    assert init.error["errorType"] == error_type
    assert not sandbox.alive


def test_the_timeout_kills_the_whole_process_group(launch, tmp_path: Path) -> None:
    # GIVEN a function with a 1 s timeout that starts a child process and sleeps
    sandbox, _ = launch(make_spec(make_zip({"app.py": HANDLER}), timeout_seconds=1.0))
    marker = tmp_path / "child.pid"
    started = time.monotonic()
    result = sandbox.invoke("req-5", json.dumps({"sleep": 30, "child": str(marker)}).encode())
    # THEN it is stopped at the timeout with Lambda's message, and so is its child
    assert result.kind == "timeout"
    assert time.monotonic() - started < 5
    assert result.error == {
        "errorMessage": "RequestId: req-5 Error: Task timed out after 1.00 seconds",
        "errorType": "Sandbox.Timedout",
    }
    assert not sandbox.alive
    child = int(marker.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _running(child):
        time.sleep(0.05)
    assert not _running(child)


def _running(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]  # noqa: PTH123, SIM115
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="memory is read from /proc")  # noqa: PTH110
def test_memory_over_the_setting_ends_the_sandbox(launch) -> None:
    # GIVEN a 128 MB function WHEN it allocates 200 MB
    sandbox, _ = launch(make_spec(make_zip({"app.py": HANDLER}), memory_mb=128))
    result = sandbox.invoke("req-6", b'{"allocate_mb": 200}')
    # THEN the invocation fails as out of memory and the sandbox is gone
    assert result.kind == "oom"
    assert result.error["errorType"] == "Runtime.OutOfMemory"
    assert result.max_memory_mb > 128
    assert not sandbox.alive


def test_the_code_cache_unzips_once_read_only_and_checks_the_hash(tmp_path: Path) -> None:
    code = make_zip({"app.py": "x = 1\n", "pkg/mod.py": "y = 2\n"})
    digest = hashlib.sha256(code).hexdigest()
    cache = CodeCache(tmp_path / "code")
    first = cache.directory(digest, code)
    (first / "pkg" / "mod.py").chmod(0o644)
    (first / "pkg" / "mod.py").write_text("changed = True\n")  # would be overwritten on re-extract
    assert cache.directory(digest, code) == first
    assert (first / "pkg" / "mod.py").read_text() == "changed = True\n"
    assert not stat.S_IMODE((first / "app.py").stat().st_mode) & 0o222
    with pytest.raises(ValueError, match="does not match"):
        cache.directory("0" * 64, code)


@pytest.mark.parametrize("name", ["../escape.py", "/abs.py", "a/../../escape.py"])
def test_zip_members_cannot_leave_the_code_dir(tmp_path: Path, name: str) -> None:
    target = tmp_path / "code"
    target.mkdir()
    with pytest.raises(ValueError, match="outside"):
        extract_zip(make_zip({name: "boom"}), target)
    assert not (tmp_path / "escape.py").exists()


def test_the_sdk_dir_exposes_exactly_the_runtimes_packages(tmp_path: Path) -> None:
    sdk = sdk_directory(tmp_path)
    names = {path.name for path in sdk.iterdir()}
    assert names == {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six.py"}


def test_runtime_names_map_to_python_versions() -> None:
    assert python_version("python3.12") == (3, 12)
    assert python_version("python3.9") == (3, 9)
    assert python_version("nodejs20.x") is None
    assert python_version(None) is None


def test_a_missing_or_broken_runtime_interpreter_falls_back_and_says_so(tmp_path: Path) -> None:
    # GIVEN "python3.99" mapped to a script that fails (like a pyenv shim of another version)
    broken = tmp_path / "python3.99"
    broken.write_text("#!/bin/sh\nexit 127\n")
    broken.chmod(0o755)
    resolver = InterpreterResolver({"python3.99": str(broken)})
    # WHEN the interpreter is resolved THEN the emulator's own Python runs it, and says why
    chosen = resolver.resolve("python3.99")
    assert chosen.path == sys.executable
    assert not chosen.matches_runtime
    assert "no working python3.99" in chosen.describe()


def test_a_working_runtime_interpreter_is_used(tmp_path: Path) -> None:
    # GIVEN the running Python's own runtime name mapped to its executable
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    chosen = InterpreterResolver({runtime: sys.executable}).resolve(runtime)
    assert chosen.matches_runtime
    assert chosen.version.startswith(f"{sys.version_info.major}.{sys.version_info.minor}.")


def test_non_python_runtimes_are_refused() -> None:
    with pytest.raises(UnsupportedRuntimeError, match="Python functions only"):
        InterpreterResolver().resolve("nodejs20.x")


class FakeSandbox:
    """Enough of a Sandbox for the pool."""

    def __init__(self, spec: FunctionSpec) -> None:
        self.id = os.urandom(4).hex()
        self.fingerprint = spec.fingerprint
        self.last_used = time.monotonic()
        self.stopped = False
        self.alive = True

    def stop(self) -> None:
        self.stopped = True
        self.alive = False


def test_the_pool_reuses_warm_sandboxes_and_bounds_concurrency() -> None:
    pool = SandboxPool(default_limit=2, idle_seconds=60)
    spec = make_spec(b"code")
    # GIVEN two concurrent leases (the limit) WHEN a third is asked without waiting
    first, second = pool.lease(spec, wait=None), pool.lease(spec, wait=None)
    assert first
    assert second
    assert first.cold
    assert second.cold
    assert pool.lease(spec, wait=None) is None  # THEN it is throttled
    assert not pool.has_capacity(spec.key)
    # WHEN one finishes THEN its sandbox is handed out warm to the next invocation
    sandbox = FakeSandbox(spec)
    pool.started(first, sandbox)
    pool.release(first, reusable=True)
    again = pool.lease(spec, wait=None)
    assert again is not None
    assert again.sandbox is sandbox


def test_reserved_concurrency_bounds_the_pool_and_zero_always_throttles() -> None:
    pool = SandboxPool(default_limit=4, idle_seconds=60)
    one = make_spec(b"code", reserved_concurrency=1)
    assert pool.lease(one, wait=None) is not None
    assert pool.lease(one, wait=0.05) is None
    assert pool.lease(make_spec(b"code", name="z", reserved_concurrency=0), wait=None) is None


def test_new_code_or_configuration_retires_warm_sandboxes() -> None:
    pool = SandboxPool(default_limit=2, idle_seconds=60)
    old = make_spec(b"code")
    lease = pool.lease(old, wait=None)
    sandbox = FakeSandbox(old)
    pool.started(lease, sandbox)
    pool.release(lease, reusable=True)
    # WHEN the function's timeout changes THEN the next lease is cold and the old sandbox stops
    changed = make_spec(b"code", timeout_seconds=9.0)
    fresh = pool.lease(changed, wait=None)
    assert fresh is not None
    assert fresh.cold
    assert sandbox.stopped


def test_idle_sandboxes_are_reaped_and_broken_ones_are_not_kept() -> None:
    pool = SandboxPool(default_limit=2, idle_seconds=10)
    spec = make_spec(b"code")
    warm, broken = pool.lease(spec, wait=None), pool.lease(spec, wait=None)
    idle_sandbox, broken_sandbox = FakeSandbox(spec), FakeSandbox(spec)
    pool.started(warm, idle_sandbox)
    pool.started(broken, broken_sandbox)
    pool.release(warm, reusable=True)
    pool.release(broken, reusable=False)
    assert broken_sandbox.stopped
    assert pool.reap(now=time.monotonic() + 5) == []
    assert pool.reap(now=time.monotonic() + 11) == [idle_sandbox]


def test_retire_stops_the_idle_sandboxes_of_the_named_functions() -> None:
    pool = SandboxPool(default_limit=2, idle_seconds=60)
    one, other = make_spec(b"a"), make_spec(b"b", arn="arn:aws:lambda:us-east-1:1:function:other")
    sandboxes = []
    for spec in (one, other):
        lease = pool.lease(spec, wait=None)
        sandbox = FakeSandbox(spec)
        pool.started(lease, sandbox)
        pool.release(lease, reusable=True)
        sandboxes.append(sandbox)
    assert pool.retire(":function:other:") == 1
    assert [s.stopped for s in sandboxes] == [False, True]
    assert pool.retire() == 1


def test_an_interpreter_that_cannot_start_is_an_init_error(tmp_path: Path) -> None:
    spec = make_spec(make_zip({"app.py": HANDLER}))
    missing = Interpreter(str(tmp_path / "no-python"), "3.12.0", "python3.12", True)
    sandbox = Sandbox(
        spec,
        interpreter=missing,
        code_dir=tmp_path,
        sdk_dir=tmp_path,
        pycache_dir=tmp_path / "pycache",
        tmp_dir=tmp_path / "tmp",
        environment={},
        log_stream="stream",
    )
    init = sandbox.start()
    assert not init.ok
    assert init.error["errorType"] == "Runtime.ExitError"
    assert "cannot start" in init.error["errorMessage"]
