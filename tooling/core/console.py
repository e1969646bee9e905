"""Progress messages for people."""

from __future__ import annotations

import sys


def say(message: str) -> None:
    """Progress for people, on stderr so machine-readable stdout (``--json``) stays parseable."""
    print(message, file=sys.stderr, flush=True)
