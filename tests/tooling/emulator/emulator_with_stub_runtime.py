"""The emulator (``tooling.emulator.server``) with a stand-in for the Lambda runtime.

Until the real runtime (issue 12, item 1) makes ``LambdaFunction.invoke`` run code, this test
launcher replaces it with a minimal one: the function's zip is unpacked once per code digest
and its handler is called in this process, in a thread. A handler that raises becomes
``FunctionError: Unhandled`` with Lambda's error document, as the real runtime answers.

Run as ``python tests/tooling/emulator/emulator_with_stub_runtime.py -H 127.0.0.1 -p PORT``.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import Any

_LOADED: dict[str, Any] = {}
_LOCK = threading.Lock()
_CODE_ROOT = Path(tempfile.mkdtemp(prefix="stub-lambda-"))


def _handler(function: Any) -> Any:
    module_name, _, attribute = str(function.handler).rpartition(".")
    cache_key = f"{function.code_digest}:{function.handler}"
    with _LOCK:
        if cache_key not in _LOADED:
            code_dir = _CODE_ROOT / str(function.code_digest).replace("/", "_")
            if not code_dir.is_dir():
                zipfile.ZipFile(io.BytesIO(function.code_bytes)).extractall(code_dir)
            source = code_dir / f"{module_name.replace('.', '/')}.py"
            spec = importlib.util.spec_from_file_location(f"stub_{len(_LOADED)}", source)
            assert spec is not None
            assert spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            _LOADED[cache_key] = getattr(module, attribute)
        return _LOADED[cache_key]


def _invoke(self: Any, body: str, request_headers: Any, response_headers: Any) -> bytes:
    del request_headers
    event = json.loads(body) if body else {}
    try:
        result = _handler(self)(event, None)
    except Exception as error:  # the runtime reports any handler error
        response_headers["x-amz-function-error"] = "Unhandled"
        document = {"errorMessage": str(error), "errorType": type(error).__name__}
        return json.dumps(document).encode()
    return json.dumps(result).encode()


def main() -> None:
    repo = Path(__file__).resolve().parents[3]
    sys.path.insert(0, str(repo))
    from moto.awslambda.models import LambdaFunction

    from tooling.emulator import server

    LambdaFunction.invoke = _invoke  # type: ignore[method-assign]
    server.main(sys.argv[1:])


if __name__ == "__main__":
    main()
