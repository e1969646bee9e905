"""Durations as operators type them, ages as they read them."""

from __future__ import annotations

import datetime

import pytest

from tooling.core.errors import ToolingError
from tooling.ops.durations import format_age, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86400), ("1w", 604800), ("1h30m", 5400),
     (" 2H ", 7200), ("1h 5m", 3900)],
)  # fmt: skip
def test_durations_parse(text: str, seconds: int) -> None:
    assert parse_duration(text) == datetime.timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["10", "ten minutes", "-5m", "5x", "", "1.5h"])
def test_a_bad_duration_says_what_is_expected(text: str) -> None:
    with pytest.raises(ToolingError, match="is not a duration") as raised:
        parse_duration(text)
    assert "30s, 10m, 2h, 1d" in raised.value.hint


def test_zero_is_refused() -> None:
    with pytest.raises(ToolingError, match="is zero"):
        parse_duration("0m", flag="--since")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (59, "59s"), (60, "1m"), (3599, "59m"), (3600, "1h"), (3900, "1h 5m"),
     (86400, "1d"), (90000, "1d 1h"), (-5, "0s")],
)  # fmt: skip
def test_ages_read_to_two_units(seconds: int, text: str) -> None:
    assert format_age(datetime.timedelta(seconds=seconds)) == text
