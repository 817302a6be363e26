"""Where a model's validation problems collect, and the value readers every table shares.

Each table's parser reads its values through these helpers, so a wrong value is
reported with its key path and the same wording wherever it appears.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

# Bounds that keep every sum and date computed from a model meaningful: a rule worth more
# than a million points, or a window longer than a century, is a typo.
MAX_POINTS = 1_000_000
MAX_DAYS = 36_500
# Windows reach back up to a century before the as-of date, which is never earlier than this.
EARLIEST_AS_OF = dt.date(1900, 1, 1)
NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def name_problem(name: str) -> str:
    """Why a name (rule, category, tier) is refused, with a name that would do: names
    become column names and SQL identifiers, so they keep to ASCII."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ascii_letters(c) for c in decomposed if not unicodedata.combining(c))
    suggestion = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", plain)).strip("_")
    if suggestion[:1].isdigit():
        suggestion = "_" + suggestion
    instead = f" (e.g. {shown(suggestion)})" if suggestion else ""
    return (
        f"{shown(name)} must be ASCII letters (a-z, A-Z), digits and underscores, "
        f"not starting with a digit{instead}"
    )


def ascii_letters(char: str) -> str:
    """A character as ASCII where case folding makes it so (`ß` is `ss`), else itself."""
    folded = char.casefold()
    return folded if not char.isascii() and folded.isascii() else char


class Problems:
    """Collects validation problems with their key paths."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{path}: {message}" if path else message)

    def unknown_keys(self, table: Mapping[str, Any], allowed: tuple[str, ...], path: str) -> None:
        for key in table:
            if key not in allowed:
                hint = did_you_mean(key, allowed) or misplaced_hint(key, path, table)
                self.add(join(path, key), f"unknown key{hint}")


# Keys of [model], and the tables at the top of the document: found in another table,
# such a key was most likely written below that table's header, which TOML reads as
# part of the table.
MODEL_KEYS = ("name", "version", "description", "id_column", "scale")
TOP_KEYS = ("model", "fields", "rules", "caps", "tiers", "grading", "handoff")
# Keys only a rule has: outside [[rules]], a rule was written without its own header,
# below another table's (its name and field too, beside them).
RULE_ONLY_KEYS = ("when", "points", "map", "bands", "decay", "category")
IN_TABLE = "in TOML a key belongs to the [table] whose header is above it"


def misplaced_hint(key: str, path: str, siblings: Mapping[str, Any] | None = None) -> str:
    """Where a key that belongs to another table goes, or "" for any other key."""
    table = path.split(".")[0].split("[")[0]
    rule_keys = [k for k in (siblings or {}) if k in RULE_ONLY_KEYS]
    if table != "rules" and (key in RULE_ONLY_KEYS or rule_keys):
        return (
            f" ({IN_TABLE}: {key!r} is a rule's key, and each rule starts with a [[rules]] "
            "header of its own: add one above the rule)"
        )
    if key in MODEL_KEYS and table != "model":
        home = "under [model]"
    elif key in TOP_KEYS and path:
        home = "at the top level, above the first [table]"
    else:
        return ""
    return f" ({IN_TABLE}: {key!r} goes {home})"


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# Words from spreadsheets, SQL and other scoring tools (HubSpot's "is known", "is any
# of") that name a key or operator of the model: no spelling is near its model word
# (`>=` and `gte` share no letter), and a near spelling can mean the opposite (`is_not`
# is one letter from `is_null`, `and` from `any`). A word with several meanings lists
# them all: the first one valid where it was written is suggested.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "operator": ("op",),
    "condition": ("when",),
    "conditions": ("when",),
    "criteria": ("when",),
    "if": ("when",),
    "values": ("value", "map"),
    "column": ("field",),
    "property": ("field",),
    "attribute": ("field",),
    "score": ("points",),
    "weight": ("points",),
    "mapping": ("map",),
    "lookup": ("map",),
    "ranges": ("bands",),
    "range": ("bands",),
    "buckets": ("bands",),
    "else": ("default",),
    "otherwise": ("default",),
    "and": ("all",),
    "or": ("any",),
    "=": ("eq",),
    "==": ("eq",),
    "is": ("eq",),
    "equals": ("eq",),
    "equal": ("eq",),
    "is_equal_to": ("eq",),
    "!=": ("ne",),
    "<>": ("ne",),
    "is_not": ("ne",),
    "not_equals": ("ne",),
    "does_not_equal": ("ne",),
    "is_not_equal_to": ("ne",),
    ">": ("gt",),
    "greater_than": ("gt",),
    "is_greater_than": ("gt",),
    "is_after": ("gt",),
    ">=": ("gte",),
    "at_least": ("gte",),
    "is_greater_than_or_equal_to": ("gte",),
    "<": ("lt",),
    "less_than": ("lt",),
    "is_less_than": ("lt",),
    "is_before": ("lt",),
    "<=": ("lte",),
    "at_most": ("lte",),
    "is_less_than_or_equal_to": ("lte",),
    "is_between": ("between",),
    "one_of": ("in",),
    "is_one_of": ("in",),
    "is_any_of": ("in",),
    "any_of": ("in", "any"),
    "is_none_of": ("not_in",),
    "none_of": ("not_in",),
    "is_not_any_of": ("not_in",),
    "begins_with": ("starts_with",),
    "contain": ("contains",),
    "match": ("matches",),
    "regex": ("matches",),
    "is_empty": ("is_null",),
    "is_unknown": ("is_null",),
    "is_missing": ("is_null",),
    "is_not_empty": ("not_null",),
    "is_known": ("not_null",),
    "has_value": ("not_null",),
    "exists": ("not_null",),
    "in_last_days": ("within_days",),
    "in_the_last": ("within_days",),
    "less_than_days_ago": ("within_days",),
    "more_than_days_ago": ("older_than_days",),
}


def did_you_mean(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """ " (did you mean 'x'?)" for the choice `word` most likely means, or ""."""
    choice = meant(word, choices)
    return f" (did you mean '{choice}'?)" if choice is not None else ""


def meant(word: str, choices: tuple[str, ...] | list[str]) -> str | None:
    """The choice `word` most likely means: the same word in another case, a synonym,
    or a near spelling; None when none is near."""
    names = [str(choice) for choice in choices]
    lowered = str(word).strip().lower()
    synonyms = SYNONYMS.get(re.sub(r"[\s-]+", "_", lowered), ())
    close = difflib.get_close_matches(lowered, [name.lower() for name in names], n=1, cutoff=0.6)
    same = [name for name in names if name.lower() == lowered]
    synonym = [name for name in synonyms if name in names]
    near = [name for name in names if close and name.lower() == close[0]]
    return next(iter(same + synonym + near), None)


BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
# Characters a TOML literal string ('...') cannot hold: a basic string ("...") escapes them.
# Longest value a message shows whole.
MAX_SHOWN = 200
NOT_LITERAL = re.compile(r"['\x00-\x08\x0a-\x1f\x7f]")


def shown(value: Any) -> str:
    """A value as TOML writes it (`true`, `2026-03-04`, `'(a)\\1'`, `[1, 'b']`), for
    messages: what the user wrote, not how Python prints it. A long text or list is cut
    (a regex of 60,000 alternatives, a list of thousands of accounts), so that the
    message stays one line a terminal can show."""
    full = shown_whole(value)
    if len(full) <= MAX_SHOWN:
        return full
    if isinstance(value, str):
        return f"{shown_text(value[: MAX_SHOWN // 2])}… ({len(value):,} characters)"
    if isinstance(value, list | tuple):
        head: list[str] = []
        for item in value:
            head.append(shown(item))
            if sum(len(h) + 2 for h in head) > MAX_SHOWN // 2:
                break
        return f"[{', '.join(head)}, … ({len(value):,} values)]"
    return full[:MAX_SHOWN] + "…"


def shown_whole(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, str):
        return shown_text(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(shown(item) for item in value) + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        items = (f"{shown_key(key)} = {shown(item)}" for key, item in value.items())
        return "{ " + ", ".join(items) + " }"
    return repr(value)


def shown_text(text: str) -> str:
    """A literal string when TOML can write it so (backslashes as typed), else a basic one."""
    if not NOT_LITERAL.search(text):
        return f"'{text}'"
    return json.dumps(text, ensure_ascii=False)


def shown_key(key: str) -> str:
    return key if BARE_KEY.match(key) else shown_text(key)


def shown_number(value: float) -> str:
    """A number with thousands separators, as the bounds it is compared with are shown."""
    if isinstance(value, int) or (value.is_integer() and abs(value) < 1e16):
        return f"{int(value):,}"
    return f"{value:,}" if abs(value) < 1e16 else shown(value)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def quoted_number(value: Any) -> float | None:
    """The number a text value writes in quotes ("10", "1,000"), which TOML reads as text;
    None for any other value."""
    if not isinstance(value, str):
        return None
    try:
        number = float(value.strip().replace(",", "").replace("_", ""))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def unquoted(value: Any) -> str:
    """ " (write 10, without quotes)" for a number written in quotes, else ""."""
    number = quoted_number(value)
    return f" (write {shown(number)}, without quotes)" if number is not None else ""


def points_problem(value: Any) -> str | None:
    """Why `value` cannot be a number of points, or None when it can."""
    if value is None:
        return "missing"
    if not is_number(value):
        return f"must be a number, not {shown(value)}{unquoted(value)}"
    if abs(value) > MAX_POINTS:
        return f"must be between -{MAX_POINTS:,} and {MAX_POINTS:,}, not {shown_number(value)}"
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


def number_value(
    data: Mapping[str, Any], key: str, path: str, problems: Problems, *, what: str = "a number"
) -> float | None:
    """An optional number (None when absent or wrong); `what` names it in the message."""
    value = data.get(key)
    if value is None:
        return None
    if not is_number(value):
        problems.add(join(path, key), f"must be {what}, not {shown(value)}{unquoted(value)}")
        return None
    return float(value)


def string_list(value: Any, path: str, problems: Problems) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(path, "must be a list of strings")
        return ()
    return tuple(value)
