"""Durations as operators type them (``--since=10m``) and ages as they read them (``3h 5m``).

Hand-written: the grammar is a few units, and the libraries that parse durations either take
ISO 8601 (``PT10M``, not what anyone types at 3 a.m.) or pull in a date-parsing dependency.
"""

from __future__ import annotations

import datetime
import re

from tooling.core.errors import ToolingError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"(\d+)\s*([smhdw])")
_WHOLE = re.compile(r"^\s*(?:\d+\s*[smhdw]\s*)+$")


def parse_duration(text: str, *, flag: str = "--since") -> datetime.timedelta:
    """``30s``, ``10m``, ``2h``, ``1d``, ``1w``, ``1h30m`` → a timedelta (> 0)."""
    cleaned = text.strip().lower()
    if not _WHOLE.match(cleaned):
        raise ToolingError(
            f"{flag}={text!r} is not a duration",
            hint="use numbers with a unit: 30s, 10m, 2h, 1d, 1w, or combined like 1h30m",
        )
    seconds = sum(int(number) * _UNITS[unit] for number, unit in _PART.findall(cleaned))
    if seconds <= 0:
        raise ToolingError(f"{flag}={text!r} is zero", hint="give a duration above zero, e.g. 10m")
    return datetime.timedelta(seconds=seconds)


def format_age(age: datetime.timedelta) -> str:
    """``45s``, ``12m``, ``3h 5m``, ``2d 4h``: how long ago, to the two largest units."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    minutes, _ = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
