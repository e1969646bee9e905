"""Which function code the emulator agrees to run.

Code a function runs executes as the developer, with the developer's files and network. Anyone
who can reach the emulator's port (other users of a shared machine: it listens on loopback,
which every local user can reach) could upload a zip and invoke it. So by default
(``SFP_EMULATOR_LAMBDA_CODE=dist``) the emulator runs only code whose sha256 is that of the zip
``invoke build`` wrote (``dist/handler.zip`` of the checkout the emulator runs from) or of a zip
named in ``SFP_EMULATOR_TRUSTED_CODE``; every hash such a file had while the emulator ran stays
trusted (a rebuild before the redeploy does not lock out the deployed code).
``SFP_EMULATOR_LAMBDA_CODE=any`` runs whatever is deployed.
"""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING

from tooling.emulator.settings import CODE_POLICY_ENV_VAR, TRUSTED_CODE_ENV_VAR

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path


class UntrustedCodeError(Exception):
    """The function's code is not a zip the developer built."""


class CodeTrust:
    """Decides whether code with a given sha256 may run."""

    def __init__(self, policy: str, trusted_zips: Iterable[Path]) -> None:
        self.policy = policy
        self.trusted_zips = tuple(trusted_zips)
        self._known: set[str] = set()
        self._seen: dict[Path, tuple[int, int, str]] = {}
        self._lock = threading.Lock()

    def check(self, sha256: str, function_name: str) -> None:
        """Raise :class:`UntrustedCodeError` (saying what to do) unless the code may run."""
        if self.policy == "any":
            return
        current = self._refresh()
        if sha256 in self._known:
            return
        built = ", ".join(f"{path} ({digest[:12]}…)" for path, digest in current) or "none built"
        raise UntrustedCodeError(
            f"function {function_name}'s code (sha256 {sha256[:12]}…) is not a zip built here "
            f"[{built}]: with {CODE_POLICY_ENV_VAR}=dist the emulator runs only the built "
            f"dist/ zip or zips named in {TRUSTED_CODE_ENV_VAR}. Build and deploy again "
            f"(`invoke build deploy --env=local`), or restart the emulator with "
            f"{CODE_POLICY_ENV_VAR}=any to run any uploaded code (it runs as you)."
        )

    def _refresh(self) -> list[tuple[Path, str]]:
        """Hash the trusted zips that changed since last time; remember every hash."""
        current: list[tuple[Path, str]] = []
        with self._lock:
            for path in self.trusted_zips:
                try:
                    stat = path.stat()
                except OSError:
                    continue
                seen = self._seen.get(path)
                if seen is None or seen[:2] != (stat.st_mtime_ns, stat.st_size):
                    digest = hashlib.sha256(path.read_bytes()).hexdigest()
                    seen = (stat.st_mtime_ns, stat.st_size, digest)
                    self._seen[path] = seen
                    self._known.add(digest)
                current.append((path, seen[2]))
        return current
