"""The one error type the tooling raises for problems a user can fix."""

from __future__ import annotations


class ToolingError(Exception):
    """A failure with a message saying what is wrong and a hint saying how to fix it."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  → {self.hint}" if self.hint else self.message
