"""The emulator's Lambda runtime: moto's ``Invoke`` runs the deployed code, without Docker.

``install()`` replaces ``moto.awslambda.models.LambdaFunction.invoke`` (stock moto runs code
only in Docker and answers "error running docker" otherwise). A synchronous invocation
(``RequestResponse``) runs in a sandbox (:mod:`tooling.emulator.lambda_sandbox`) and answers the
payload, or ``X-Amz-Function-Error: Unhandled`` with Lambda's error document; ``Event`` goes to
the async queue (:mod:`tooling.emulator.lambda_async`); ``DryRun`` answers 204.

Per invocation the runtime

* builds the function's execution environment from what Terraform deployed (code sha256,
  handler, runtime, memory, timeout, variables, role, reserved concurrency, tracing);
* signs the function's AWS calls with temporary credentials of **its own execution role**:
  AssumeRole of the role in the function's account, done on moto's STS backend in-process
  (session name = function name), renewed 20 minutes before they expire. Requests signed with
  them are what IAM enforcement (``tooling/emulator/iam.py``) checks;
* writes the function's output to its log group ``/aws/lambda/<name>``, one stream per sandbox,
  with Lambda's ``INIT_START``/``START``/``END``/``REPORT`` lines, so the ordinary Logs API
  (GetLogEvents, FilterLogEvents, ``aws logs tail``) reads them;
* runs only code the developer built, unless told otherwise (:mod:`tooling.emulator.code_trust`).

Loaded only by :mod:`tooling.emulator.server` (it imports moto). API Gateway's proxy integration
calls the patched ``LambdaFunction.invoke`` like any synchronous Invoke.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import json
import logging
import math
import socket
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tooling.emulator import lambda_metrics, request_hooks
from tooling.emulator.code_trust import CodeTrust, UntrustedCodeError
from tooling.emulator.lambda_sandbox import (
    CodeCache,
    FunctionSpec,
    Interpreter,
    InterpreterResolver,
    Lease,
    Sandbox,
    SandboxPool,
    SandboxResult,
    UnsupportedRuntimeError,
    lambda_environment,
    remove_tree,
    sdk_directory,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from tooling.emulator.settings import RuntimeSettings

LOG = logging.getLogger("sfp.emulator.lambda")

SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
ASYNC_PAYLOAD_LIMIT = 1024 * 1024  # Lambda's async payload limit (256 KB before 2025)
LOG_TAIL_BYTES = 4096
CREDENTIAL_SECONDS = 3600
RENEW_BEFORE_SECONDS = 20 * 60
REAP_EVERY_SECONDS = 15.0
CODE_CACHE_DAYS = 14


@dataclass
class Invocation:
    """The outcome of one invocation, as the Invoke API and the async queue see it."""

    request_id: str
    status: str  # "ok" | "function_error" | "throttled"
    payload: bytes = b""
    function_error: str | None = None  # "Unhandled" on any function error
    error_type: str | None = None
    executed_version: str = "$LATEST"
    log_tail: str = ""
    duration_ms: float = 0.0

    @property
    def succeeded(self) -> bool:
        return self.status == "ok"


@dataclass
class _Credentials:
    environment: dict[str, str]
    expires: float
    access_key: str


@dataclass
class _LogBuffer:
    """Log events of one invocation, written to the function's stream at once."""

    events: list[tuple[int, str]] = field(default_factory=list)

    def add(self, text: str, timestamp: int | None = None) -> None:
        self.events.append((timestamp or _now_ms(), text if text.endswith("\n") else text + "\n"))

    def extend(self, lines: list[tuple[int, str]]) -> None:
        for timestamp, text in lines:
            self.add(text, timestamp)

    def tail(self) -> str:
        text = "".join(message for _, message in self.events)
        return text.encode()[-LOG_TAIL_BYTES:].decode("utf-8", errors="ignore")


class LambdaRuntime:
    """Sandboxes, credentials and logs for every function of the emulator."""

    def __init__(self, settings: RuntimeSettings, endpoint: str) -> None:
        self.settings = settings
        self.endpoint = endpoint
        settings.lambda_dir.mkdir(parents=True, exist_ok=True)
        self.code_cache = CodeCache(settings.lambda_dir / "code")
        self.code_cache.prune(CODE_CACHE_DAYS * 86400)
        self.sdk_dir = sdk_directory(settings.lambda_dir)
        self.pycache_dir = settings.lambda_dir / "pycache"
        self.tmp_root = Path(tempfile.mkdtemp(prefix="sfp-lambda-"))
        self.interpreters = InterpreterResolver(settings.interpreters)
        self.trust = CodeTrust(settings.code_policy, settings.trusted_zips)
        self.pool = SandboxPool(
            default_limit=settings.concurrency,
            idle_seconds=settings.idle_seconds,
            on_release=self._slot_released,
        )
        self.release_listeners: list[Callable[[], None]] = []
        self.status_providers: dict[str, Callable[[], Any]] = {}
        # Set by lambda_async.install(): (function, payload, source) -> request id.
        self.async_submit: Callable[..., str] | None = None
        self._credentials: dict[tuple[str, str, str], _Credentials] = {}
        self._credentials_lock = threading.Lock()
        self._logs_lock = threading.Lock()
        self._xray = _XRaySink()
        self._stopping = threading.Event()
        self._reaper = threading.Thread(target=self._reap_loop, name="sandbox-reaper", daemon=True)
        self._reaper.start()

    # --- public ---------------------------------------------------------------------------

    def invoke(
        self,
        function: Any,
        payload: bytes,
        *,
        request_id: str | None = None,
        wait: float | str | None = "auto",
    ) -> Invocation:
        """Run ``function`` (a moto LambdaFunction) once with ``payload``.

        ``wait`` is how long to wait for a free slot: ``"auto"`` = throttle at once when the
        function has reserved concurrency (as Lambda does), else wait up to its timeout for one
        of the emulator's sandboxes; None = never wait (the async queue retries later). The
        outcome is published as the function's ``AWS/Lambda`` metrics, as Lambda does.
        """
        invocation = self._invoke(function, payload, request_id=request_id, wait=wait)
        lambda_metrics.record_invocation(
            function.account_id,
            function.region,
            function.function_name,
            invocation.status,
            invocation.duration_ms,
        )
        return invocation

    def _invoke(
        self,
        function: Any,
        payload: bytes,
        *,
        request_id: str | None,
        wait: float | str | None,
    ) -> Invocation:
        spec = self.spec_for(function)
        request = request_id or str(uuid.uuid4())
        try:
            self.trust.check(spec.code_sha256, spec.name)
            interpreter = self.interpreters.resolve(spec.runtime)
        except (UntrustedCodeError, UnsupportedRuntimeError) as problem:
            error_type = (
                "Emulator.UntrustedCode"
                if isinstance(problem, UntrustedCodeError)
                else "Runtime.InvalidRuntime"
            )
            LOG.warning("sfp-emulator: %s", problem)
            document = {"errorType": error_type, "errorMessage": str(problem)}
            return self._failed(spec, request, document)
        if wait == "auto":
            wait = 0.0 if spec.reserved_concurrency is not None else spec.timeout_seconds
        lease = self.pool.lease(spec, wait=None if isinstance(wait, str) else wait)
        if lease is None:
            return Invocation(request, "throttled", executed_version=spec.version)
        logs = _LogBuffer()
        reusable = False
        try:
            sandbox = lease.sandbox
            if sandbox is None:
                sandbox, init_error = self._start_sandbox(spec, interpreter, lease, logs)
                if sandbox is None:
                    logs.add(f"START RequestId: {request} Version: {spec.version}")
                    logs.add(f"END RequestId: {request}")
                    logs.add(
                        f"REPORT RequestId: {request}\tDuration: 0.00 ms\tBilled Duration: 0 ms\t"
                        f"Memory Size: {spec.memory_mb} MB\tMax Memory Used: 0 MB\t"
                        f"Status: error\tError Type: {init_error.get('errorType')}"
                    )
                    self._write_logs(spec, init_error.get("_stream", ""), logs)
                    init_error.pop("_stream", None)
                    return self._failed(spec, request, init_error)
            invocation, reusable = self._run(spec, sandbox, request, payload, logs)
            return invocation
        finally:
            self.pool.release(lease, reusable=reusable)

    def spec_for(self, function: Any) -> FunctionSpec:
        """What shapes the execution environment, read from moto's function object."""
        from moto.utilities.utils import get_partition

        partition = get_partition(function.region)
        version = str(function.version)
        environment = tuple(
            sorted((str(k), str(v)) for k, v in (function.environment_vars or {}).items())
        )
        reserved = function.reserved_concurrency
        return FunctionSpec(
            arn=f"arn:{partition}:lambda:{function.region}:{function.account_id}:function:"
            f"{function.function_name}",
            name=function.function_name,
            account_id=function.account_id,
            region=function.region,
            handler=function.handler or "",
            runtime=function.run_time,
            code_sha256=getattr(function, "code_digest", "") or "",
            memory_mb=int(function.memory_size or 128),
            timeout_seconds=float(function.timeout or 3),
            role_arn=function.role,
            environment=environment,
            reserved_concurrency=None if reserved in (None, "") else int(reserved),
            tracing_active=(function.tracing_config or {}).get("Mode") == "Active",
            version="$LATEST" if version in ("$LATEST", "") else version,
            log_group=function.logs_group_name,
            code=getattr(function, "code_bytes", b"") or b"",
        )

    def has_capacity(self, function_key: str) -> bool:
        return self.pool.has_capacity(function_key)

    def status(self) -> dict[str, Any]:
        document: dict[str, Any] = {"functions": self.pool.snapshot()}
        for name, provider in self.status_providers.items():
            document[name] = provider()
        return document

    def shutdown(self) -> None:
        self._stopping.set()
        self.pool.shutdown()
        self._xray.close()
        remove_tree(self.tmp_root)

    # --- one invocation -------------------------------------------------------------------

    def _start_sandbox(
        self, spec: FunctionSpec, interpreter: Interpreter, lease: Lease, logs: _LogBuffer
    ) -> tuple[Sandbox | None, dict[str, Any]]:
        """Start a sandbox for a cold lease: (sandbox, {}) or (None, Lambda's init error)."""
        today = time.strftime("%Y/%m/%d", time.gmtime())
        stream = f"{today}/[{spec.version}]{uuid.uuid4().hex}"
        if not spec.code or not spec.code_sha256:
            return None, {
                "errorType": "Runtime.InvalidEntrypoint",
                "errorMessage": "the emulator runs functions deployed as zip archives only",
                "_stream": stream,
            }
        try:
            code_dir = self.code_cache.directory(spec.code_sha256, spec.code)
        except (ValueError, OSError, zipfile.BadZipFile) as problem:
            return None, {
                "errorType": "Runtime.InvalidEntrypoint",
                "errorMessage": f"the function's zip cannot be unpacked: {problem}",
                "_stream": stream,
            }
        credentials = self.credentials_for(spec)
        tmp_dir = self.tmp_root / uuid.uuid4().hex[:12]
        environment = lambda_environment(
            spec,
            code_dir=code_dir,
            sdk_dir=self.sdk_dir,
            interpreter=interpreter,
            log_stream=stream,
            credentials=credentials.environment,
            endpoint=self.endpoint,
            xray_address=self._xray.address,
            tmp_dir=tmp_dir,
        )
        sandbox = Sandbox(
            spec,
            interpreter=interpreter,
            code_dir=code_dir,
            sdk_dir=self.sdk_dir,
            pycache_dir=self.pycache_dir,
            tmp_dir=tmp_dir,
            environment=environment,
            log_stream=stream,
        )
        sandbox.credentials_key = credentials.access_key
        runtime_name = (spec.runtime or "python").replace("python", "python:")
        logs.add(
            f"INIT_START Runtime Version: {runtime_name}.sfp-emulator\t"
            f"Runtime Version ARN: none (local emulator)"
        )
        if not interpreter.matches_runtime:
            logs.add(f"sfp-emulator: {interpreter.describe()}")
        init = sandbox.start()
        logs.extend(init.lines)
        self.pool.started(lease, sandbox)
        if init.ok:
            return sandbox, {}
        error = dict(init.error or {"errorType": "Runtime.Unknown"})
        logs.add(
            f"INIT_REPORT Init Duration: {init.duration_ms:.2f} ms\tPhase: init\t"
            f"Status: error\tError Type: {error.get('errorType')}"
        )
        error["_stream"] = stream
        return None, error

    def _run(
        self,
        spec: FunctionSpec,
        sandbox: Sandbox,
        request_id: str,
        payload: bytes,
        logs: _LogBuffer,
    ) -> tuple[Invocation, bool]:
        """One invocation in a started sandbox: (outcome, whether the sandbox can serve again)."""
        credentials = self.credentials_for(spec)
        fresh: Mapping[str, str] = {}
        if credentials.access_key != sandbox.credentials_key:
            fresh = credentials.environment
            sandbox.credentials_key = credentials.access_key
        trace_id, segment = _trace_id(spec.tracing_active)
        cold_init = sandbox.init_duration_ms if sandbox.invocations == 0 else None
        logs.add(f"START RequestId: {request_id} Version: {spec.version}")
        result = sandbox.invoke(request_id, payload, trace_id=trace_id, credentials=fresh)
        logs.extend(result.lines)
        if result.kind == "timeout":
            stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:23]
            logs.add(
                f"{stamp}Z {request_id} Task timed out after {spec.timeout_seconds:.2f} seconds"
            )
        logs.add(f"END RequestId: {request_id}")
        logs.add(_report_line(spec, request_id, result, cold_init, trace_id, segment))
        self._write_logs(spec, sandbox.log_stream, logs)
        if result.ok:
            invocation = Invocation(
                request_id,
                "ok",
                (result.payload or "null").encode(),
                executed_version=spec.version,
                log_tail=logs.tail(),
                duration_ms=result.duration_ms,
            )
            return invocation, True
        error = result.error or {"errorType": "Runtime.Unknown"}
        invocation = Invocation(
            request_id,
            "function_error",
            json.dumps(error).encode(),
            function_error="Unhandled",
            error_type=str(error.get("errorType")),
            executed_version=spec.version,
            log_tail=logs.tail(),
            duration_ms=result.duration_ms,
        )
        return invocation, result.reusable

    def _failed(self, spec: FunctionSpec, request_id: str, error: dict[str, Any]) -> Invocation:
        document = {"errorMessage": error.get("errorMessage", ""), **error}
        document.setdefault("requestId", request_id)
        return Invocation(
            request_id,
            "function_error",
            json.dumps(document).encode(),
            function_error="Unhandled",
            error_type=str(document.get("errorType")),
            executed_version=spec.version,
        )

    # --- credentials, logs ----------------------------------------------------------------

    def credentials_for(self, spec: FunctionSpec) -> _Credentials:
        """Temporary credentials of the function's execution role (moto STS, in-process)."""
        from moto.sts.models import sts_backends
        from moto.utilities.utils import get_partition

        key = (spec.account_id, spec.role_arn, spec.name)
        partition = get_partition(spec.region)
        with self._credentials_lock:
            cached = self._credentials.get(key)
            backend = sts_backends[spec.account_id][partition]
            still_known = cached is not None and any(
                role.access_key_id == cached.access_key for role in backend.assumed_roles
            )
            if cached and still_known and cached.expires - time.time() > RENEW_BEFORE_SECONDS:
                return cached
            role = backend.assume_role(
                region_name=spec.region,
                role_session_name=spec.name[:64],
                role_arn=spec.role_arn,
                policy=None,  # type: ignore[arg-type]
                duration=CREDENTIAL_SECONDS,
                external_id=None,  # type: ignore[arg-type]
            )
            expires = role.expiration.replace(tzinfo=datetime.UTC).timestamp()
            environment = {
                "AWS_ACCESS_KEY_ID": role.access_key_id,
                "AWS_ACCESS_KEY": role.access_key_id,
                "AWS_SECRET_ACCESS_KEY": role.secret_access_key,
                "AWS_SESSION_TOKEN": role.session_token,
                # botocore re-reads the variables before this time (see the bootstrap).
                "AWS_CREDENTIAL_EXPIRATION": time.strftime(
                    "%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires)
                ),
            }
            fresh = _Credentials(environment, expires, role.access_key_id)
            self._credentials[key] = fresh
            return fresh

    def _write_logs(self, spec: FunctionSpec, stream: str, logs: _LogBuffer) -> None:
        """Append the events to the function's log group (created if missing, like Lambda)."""
        from moto.logs.models import logs_backends

        if not logs.events:
            return
        backend = logs_backends[spec.account_id][spec.region]
        with self._logs_lock:
            try:
                backend.ensure_log_group(spec.log_group)
                backend.ensure_log_stream(spec.log_group, stream)
                last = 0
                events = []
                for timestamp, message in logs.events:
                    last = max(last, timestamp)
                    events.append({"timestamp": last, "message": message})
                backend.put_log_events(spec.log_group, stream, events)
            except Exception:
                LOG.exception("sfp-emulator: could not write logs of %s", spec.name)

    # --- background -----------------------------------------------------------------------

    def _slot_released(self) -> None:
        for listener in list(self.release_listeners):
            listener()

    def _reap_loop(self) -> None:
        while not self._stopping.wait(REAP_EVERY_SECONDS):
            with contextlib.suppress(Exception):
                self.pool.reap()


def _now_ms() -> int:
    return int(time.time() * 1000)


def _trace_id(sampled: bool) -> tuple[str, str]:
    root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    segment = uuid.uuid4().hex[:16]
    return f"Root={root};Parent={segment};Sampled={1 if sampled else 0}", segment


def _report_line(
    spec: FunctionSpec,
    request_id: str,
    result: SandboxResult,
    init_ms: float | None,
    trace_id: str,
    segment: str,
) -> str:
    line = (
        f"REPORT RequestId: {request_id}\tDuration: {result.duration_ms:.2f} ms\t"
        f"Billed Duration: {math.ceil(result.duration_ms)} ms\tMemory Size: {spec.memory_mb} MB\t"
        f"Max Memory Used: {result.max_memory_mb} MB\t"
    )
    if init_ms is not None:
        line += f"Init Duration: {init_ms:.2f} ms\t"
    if result.kind == "timeout":
        line += "Status: timeout"
    elif result.kind in ("oom", "crash"):
        line += f"Status: error\tError Type: {(result.error or {}).get('errorType')}"
    if spec.tracing_active:
        root = trace_id.split(";")[0].removeprefix("Root=")
        line += f"\nXRAY TraceId: {root}\tSegmentId: {segment}\tSampled: true\t"
    return line


class _XRaySink:
    """A UDP port standing in for the X-Ray daemon: segments are received and dropped, so
    tracing code runs as on Lambda without sending anything anywhere."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._socket.getsockname()[1]}"
        thread = threading.Thread(target=self._drain, name="xray-sink", daemon=True)
        thread.start()

    def _drain(self) -> None:
        while True:
            try:
                self._socket.recv(65536)
            except OSError:
                return

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._socket.close()


# --- moto integration ------------------------------------------------------------------------

_RUNTIME: LambdaRuntime | None = None


def runtime() -> LambdaRuntime:
    """The installed runtime (an error before :func:`install`)."""
    if _RUNTIME is None:
        raise RuntimeError("the emulator's Lambda runtime is not installed")
    return _RUNTIME


def lookup_function(account_id: str, region: str, name: str) -> Any | None:
    """The moto function named ``name`` (name or ARN), or None when it does not exist."""
    from moto.awslambda.models import lambda_backends

    try:
        return lambda_backends[account_id][region].get_function(name)
    except Exception:
        return None


def client_error(code: str, message: str, status: int = 400) -> Exception:
    """A Lambda API error moto serializes as AWS does (JSON ``__type`` + message)."""
    from moto.awslambda.exceptions import LambdaClientError

    error = LambdaClientError(code, message)
    error.code = status
    return error


def install(settings: RuntimeSettings, endpoint: str) -> LambdaRuntime:
    """Make moto's Invoke run function code; serve ``/moto-api/sfp/lambda``: GET = status,
    DELETE (``?function=NAME``) = stop idle sandboxes, so the next invocations start cold."""
    global _RUNTIME
    import atexit

    from moto.awslambda.models import LambdaFunction

    _RUNTIME = LambdaRuntime(settings, endpoint)
    atexit.register(_RUNTIME.shutdown)

    def invoke(
        self: LambdaFunction, body: Any, request_headers: Any, response_headers: Any
    ) -> bytes:
        payload = body.encode() if isinstance(body, str) else bytes(body or b"")
        if not payload.strip():
            payload = b"{}"
        try:
            json.loads(payload)
        except ValueError as error:
            raise client_error(
                "InvalidRequestContentException", f"Could not parse request body into json: {error}"
            ) from error
        kind = _header(request_headers, "X-Amz-Invocation-Type") or "RequestResponse"
        current = runtime()
        if kind == "Event":
            if len(payload) > ASYNC_PAYLOAD_LIMIT:
                raise client_error(
                    "RequestTooLargeException",
                    f"Request must be smaller than {ASYNC_PAYLOAD_LIMIT} bytes for the async "
                    "Invoke operation",
                    413,
                )
            if current.async_submit is None:
                raise client_error("ServiceException", "async invocation is not installed", 500)
            current.async_submit(self, payload, "lambda:Invoke")
            return b""
        if kind == "DryRun":
            return b""
        if len(payload) > SYNC_PAYLOAD_LIMIT:
            raise client_error(
                "RequestTooLargeException",
                f"Request must be smaller than {SYNC_PAYLOAD_LIMIT} bytes for the Invoke operation",
                413,
            )
        invocation = current.invoke(self, payload)
        if invocation.status == "throttled":
            raise client_error("TooManyRequestsException", "Rate Exceeded.", 429)
        if invocation.function_error:
            response_headers["x-amz-function-error"] = invocation.function_error
        response_headers["x-amz-executed-version"] = invocation.executed_version
        response_headers["x-amz-log-result"] = base64.b64encode(
            invocation.log_tail.encode()
        ).decode()
        return invocation.payload

    def control(request: Any, *_: Any) -> request_hooks.Answer:
        if request.method.upper() == "DELETE":
            name = request.args.get("function", "")
            stopped = runtime().pool.retire(f":function:{name}:" if name else "")
            return request_hooks.json_answer(200, {"stopped": stopped})
        return request_hooks.json_answer(200, runtime().status())

    LambdaFunction.invoke = invoke  # type: ignore[method-assign,assignment]
    request_hooks.add_route("/lambda$", control)
    return _RUNTIME


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    value = headers.get(name) or headers.get(name.lower())
    return str(value) if value else None
