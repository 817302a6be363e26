"""Where a model's validation problems collect, and the value readers every table shares.

Each table's parser reads its values through these helpers, so a wrong value is
reported with its key path and the same wording wherever it appears.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from typing import Any

# Bounds that keep every sum and date computed from a model meaningful: a rule worth more
# than a million points, or a window longer than a century, is a typo.
MAX_POINTS = 1_000_000
MAX_DAYS = 36_500
NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Problems:
    """Collects validation problems with their key paths."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{path}: {message}" if path else message)

    def unknown_keys(self, table: Mapping[str, Any], allowed: tuple[str, ...], path: str) -> None:
        for key in table:
            if key not in allowed:
                self.add(join(path, key), f"unknown key{did_you_mean(key, allowed)}")


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def did_you_mean(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def points_problem(value: Any) -> str | None:
    """Why `value` cannot be a number of points, or None when it can."""
    if not is_number(value):
        return f"must be a number, not {value!r}"
    if abs(value) > MAX_POINTS:
        return f"must be between -{MAX_POINTS:,} and {MAX_POINTS:,}, not {value:g}"
    return None


def points_value(data: Mapping[str, Any], key: str, path: str, problems: Problems) -> float:
    """An optional points entry (a lookup's default or missing); 0 when absent or wrong."""
    value = data.get(key)
    if value is None:
        return 0.0
    problem = points_problem(value)
    if problem:
        problems.add(join(path, key), problem)
        return 0.0
    return float(value)


def table(data: Mapping[str, Any], key: str, problems: Problems, *, required: bool = False) -> dict:
    value = data.get(key)
    if value is None:
        if required:
            problems.add(key, "missing table (add a [" + key + "] section)")
        return {}
    if not isinstance(value, dict):
        problems.add(key, "must be a table")
        return {}
    return value


def text_value(
    data: Mapping[str, Any], key: str, path: str, problems: Problems, *, required: bool = False
) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            problems.add(join(path, key), "missing")
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add(join(path, key), "must be a non-empty string")
        return None
    return value


def number_value(data: Mapping[str, Any], key: str, path: str, problems: Problems) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if not is_number(value):
        problems.add(join(path, key), f"must be a number, not {value!r}")
        return None
    return float(value)


def string_list(value: Any, path: str, problems: Problems) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(path, "must be a list of strings")
        return ()
    return tuple(value)
