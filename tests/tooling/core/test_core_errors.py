from __future__ import annotations

from tooling.core.errors import ToolingError


def test_error_message_carries_the_fix_hint():
    # GIVEN an error with a hint
    error = ToolingError("terraform is not installed", hint="install Terraform 1.11")
    # WHEN it is shown to the user
    shown = str(error)
    # THEN both what is wrong and how to fix it are in the text
    assert shown == "terraform is not installed\n  → install Terraform 1.11"


def test_error_without_hint_is_just_the_message():
    assert str(ToolingError("unknown env 'qa'")) == "unknown env 'qa'"
