"""The `[[rules]]` array: conditions and their operands, lookups (map, bands) and decay."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import polars as pl

from leadscore_cli.model.problems import (
    MAX_DAYS,
    NAME_PATTERN,
    Problems,
    did_you_mean,
    is_number,
    join,
    meant,
    name_problem,
    number_value,
    points_problem,
    points_value,
    quoted_number,
    shown,
    text_value,
    unquoted,
)
from leadscore_cli.model.schema import (
    AGE_OPERATORS,
    NULL_OPERATORS,
    OPERATORS,
    ORDER_OPERATORS,
    RESERVED_CATEGORIES,
    TEXT_OPERATORS,
    TOTAL,
    AllOf,
    AnyOf,
    Band,
    Condition,
    Decay,
    Leaf,
    Not,
    Rule,
    category_column,
)

RULE_COMMON_KEYS = ("name", "category", "description", "decay")
WHEN_RULE_KEYS = (*RULE_COMMON_KEYS, "when", "points")
LOOKUP_RULE_KEYS = (*RULE_COMMON_KEYS, "field", "default", "missing", "case_sensitive")
LEAF_KEYS = ("field", "op", "value", "case_sensitive")
DECAY_KEYS = ("field", "half_life_days", "lifespan_days", "if_missing")
BAND_KEYS = ("min", "max", "points")
LEAF_AT_RULE_HINT = (
    ": a condition's field, op and value go inside when, as in "
    'when = { field = "visits", op = "gte", value = 5 }'
)
LOOKUP_POINTS_PROBLEM = (
    "a lookup rule gives the points its map or bands list, and default and missing for "
    "the rest: it has no points of its own"
)
# A date or date-time as TOML writes it: in quotes it is text, which no order compares.
ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+)?$")


def parse_rules(data: Any, problems: Problems) -> tuple[Rule, ...]:
    if data is None:
        problems.add("rules", "the model has no rules (add at least one [[rules]] table)")
        return ()
    if isinstance(data, dict):
        problems.add(
            "rules",
            "is one [rules] table: start each rule with a [[rules]] header, in double brackets",
        )
        return ()
    if not isinstance(data, list) or not data:
        problems.add("rules", "must be a non-empty array of [[rules]] tables")
        return ()
    rules: list[Rule] = []
    seen: set[str] = set()
    categories: dict[str, str] = {}  # lower case -> the category's first spelling
    for index, raw in enumerate(data):
        path = f"rules[{index}]"
        if not isinstance(raw, dict):
            problems.add(path, "must be a table")
            continue
        rule = parse_rule(raw, path, problems)
        if rule is None:
            continue
        if rule.name in seen:
            problems.add(join(path, "name"), f"duplicate rule name {rule.name!r}")
        seen.add(rule.name)
        first = categories.setdefault(rule.category.lower(), rule.category)
        if first != rule.category:
            problems.add(join(path, "category"), category_case_problem(rule.category, first))
        rules.append(rule)
    return tuple(rules)


def category_case_problem(category: str, first: str) -> str:
    """Two spellings of one category are two subtotals, capped and graded apart, in columns
    that spreadsheets and warehouses ignoring case take for one."""
    return (
        f"{category!r} differs from the category {first!r} only in case, so it would be a "
        f"category of its own (columns {category_column(first)} and "
        f"{category_column(category)}): write {shown(first)}"
    )


def parse_rule(raw: Mapping[str, Any], path: str, problems: Problems) -> Rule | None:
    name = text_value(raw, "name", path, problems, required=True)
    if name is not None and not NAME_PATTERN.match(name):
        problems.add(join(path, "name"), name_problem(name))
    category = raw.get("category", "fit")
    if not isinstance(category, str) or not NAME_PATTERN.match(category):
        problems.add(
            join(path, "category"),
            name_problem(category) if isinstance(category, str) else "must be a string",
        )
        category = "fit"
    elif category == TOTAL:
        problems.add(join(path, "category"), f"{TOTAL!r} is reserved for the cap on the total")
    elif category in RESERVED_CATEGORIES:
        problems.add(join(path, "category"), reserved_category_problem(category))
    kinds = [k for k in ("when", "map", "bands") if k in raw]
    if len(kinds) != 1:
        found = " and ".join(kinds) if kinds else "none"
        stray_leaf = not kinds and ("op" in raw or "value" in raw)
        problems.add(
            path,
            f"a rule needs exactly one of 'when', 'map' or 'bands' (found {found})"
            + (LEAF_AT_RULE_HINT if stray_leaf else ""),
        )
        leaf_keys = ("op", "value") if stray_leaf else ()
        problems.unknown_keys(
            raw,
            (*WHEN_RULE_KEYS, "map", "bands", "field", "default", "missing", *leaf_keys),
            path,
        )
        return None
    kind = kinds[0]
    if kind != "when" and "points" in raw:
        problems.add(join(path, "points"), LOOKUP_POINTS_PROBLEM)
        raw = {key: value for key, value in raw.items() if key != "points"}
    decay = parse_decay(raw["decay"], join(path, "decay"), problems) if "decay" in raw else None
    description = text_value(raw, "description", path, problems)
    common = {"name": name or "", "category": category, "decay": decay, "description": description}
    if kind == "when":
        problems.unknown_keys(raw, WHEN_RULE_KEYS, path)
        points = raw.get("points")
        problem = points_problem(points)
        if problem:
            problems.add(join(path, "points"), problem)
            points = 0.0
        when = parse_condition(raw["when"], join(path, "when"), problems)
        return Rule(kind="when", points=float(points), when=when, **common)

    problems.unknown_keys(raw, (*LOOKUP_RULE_KEYS, kind), path)
    field = text_value(raw, "field", path, problems, required=True)
    default = points_value(raw, "default", path, problems)
    missing = points_value(raw, "missing", path, problems)
    case_sensitive = raw.get("case_sensitive", False)
    if not isinstance(case_sensitive, bool):
        problems.add(join(path, "case_sensitive"), "must be true or false")
        case_sensitive = False
    lookup = {
        "field": field,
        "default": default,
        "missing": missing,
        "case_sensitive": case_sensitive,
    }
    if kind == "map":
        mapping = parse_map(raw["map"], join(path, "map"), case_sensitive, problems)
        return Rule(kind="map", mapping=mapping, **lookup, **common)
    return Rule(
        kind="bands",
        bands=parse_bands(raw["bands"], join(path, "bands"), problems),
        **lookup,
        **common,
    )


def reserved_category_problem(category: str) -> str:
    column = category_column(category)
    return (
        f"{category!r} is reserved: its subtotal column {column!r} is also the column "
        f"`score --previous` adds, so one would overwrite the other; name the category otherwise"
    )


def parse_map(
    data: Any, path: str, case_sensitive: bool, problems: Problems
) -> tuple[tuple[str, float], ...]:
    if not isinstance(data, dict) or not data:
        problems.add(path, "must be a non-empty table of value = points")
        return ()
    entries = []
    seen: dict[str, str] = {}
    for key, points in data.items():
        problem = points_problem(points)
        if problem:
            problems.add(join(path, key), f"points {problem}")
            continue
        normal = key.strip() if case_sensitive else key.strip().lower()
        if normal in seen:
            problems.add(
                join(path, key),
                f"same value as {shown(seen[normal])} once case and spaces are ignored",
            )
        seen[normal] = key
        entries.append((key, float(points)))
    return tuple(entries)


def parse_bands(data: Any, path: str, problems: Problems) -> tuple[Band, ...]:
    if not isinstance(data, list) or not data:
        problems.add(path, "must be a non-empty array of { min, max, points } tables")
        return ()
    bands: list[Band] = []
    sound: list[Band] = []  # bands without a problem of their own: only they can overlap
    for index, raw in enumerate(data):
        band_path = f"{path}[{index}]"
        if not isinstance(raw, dict):
            problems.add(band_path, "must be a table { min = ..., max = ..., points = ... }")
            continue
        problems.unknown_keys(raw, BAND_KEYS, band_path)
        points = raw.get("points")
        problem = points_problem(points)
        if problem:
            problems.add(join(band_path, "points"), problem)
            continue
        before = len(problems.items)
        low = number_value(raw, "min", band_path, problems)
        high = number_value(raw, "max", band_path, problems)
        if "min" not in raw and "max" not in raw:
            problems.add(band_path, "needs a min, a max, or both")
        if low is not None and high is not None and low >= high:
            problems.add(band_path, f"min ({shown(low)}) must be below max ({shown(high)})")
        band = Band(points=float(points), min=low, max=high)
        bands.append(band)
        if len(problems.items) == before:
            sound.append(band)
    ordered = sorted(sound, key=lambda b: -math.inf if b.min is None else b.min)
    for before, after in itertools.pairwise(ordered):
        before_end = math.inf if before.max is None else before.max
        after_start = -math.inf if after.min is None else after.min
        if after_start < before_end:
            problems.add(path, f"bands overlap: {band_label(before)} and {band_label(after)}")
    return tuple(bands)


def band_label(band: Band) -> str:
    low = "-inf" if band.min is None else shown(band.min)
    high = "inf" if band.max is None else shown(band.max)
    return f"[{low}, {high})"


def parse_decay(data: Any, path: str, problems: Problems) -> Decay | None:
    if not isinstance(data, dict):
        problems.add(path, "must be a table { field = ..., half_life_days = ... }")
        return None
    problems.unknown_keys(data, DECAY_KEYS, path)
    field = text_value(data, "field", path, problems, required=True)
    days = "a number of days"
    half_life = number_value(data, "half_life_days", path, problems, what=days)
    lifespan = number_value(data, "lifespan_days", path, problems, what=days)
    if ("half_life_days" in data) == ("lifespan_days" in data):
        problems.add(path, "needs exactly one of half_life_days or lifespan_days")
    for key, value in (("half_life_days", half_life), ("lifespan_days", lifespan)):
        if value is not None and value <= 0:
            problems.add(join(path, key), "must be above 0")
    if_missing = data.get("if_missing", "full")
    if if_missing not in ("full", "none"):
        problems.add(join(path, "if_missing"), f"must be 'full' or 'none', not {shown(if_missing)}")
        if_missing = "full"
    if field is None:
        return None
    return Decay(
        field=field, half_life_days=half_life, lifespan_days=lifespan, if_missing=if_missing
    )


def parse_condition(data: Any, path: str, problems: Problems) -> Condition:
    if not isinstance(data, dict):
        hint = " (for a list of conditions that must all hold, write { all = [...] })"
        problems.add(
            path,
            'must be a table such as { field = "visits", op = "gte", value = 5 }'
            + (hint if isinstance(data, list) else ""),
        )
        return AllOf(())
    composers = [key for key in ("all", "any", "not") if key in data]
    if not composers and (other := other_composer(data, path, problems)):
        composers = [other]
    if composers:
        key = composers[0]
        written = key if key in data else next(k for k in data if COMPOSER_WORDS.get(k.lower()))
        if len(data) != 1:
            others = ", ".join(k for k in data if k != written)
            problems.add(path, f"'{written}' must stand alone in its table (also found: {others})")
        if key == "not":
            return Not(parse_condition(data[written], join(path, written), problems))
        items = data[written]
        if not isinstance(items, list) or not items:
            problems.add(join(path, written), "must be a non-empty array of conditions")
            return AllOf(())
        parsed = tuple(
            parse_condition(item, f"{join(path, written)}[{i}]", problems)
            for i, item in enumerate(items)
        )
        return AllOf(parsed) if key == "all" else AnyOf(parsed)
    return parse_leaf(data, path, problems)


# How other tools and languages spell the model's compositions: `and = [...]` beside a
# condition is no leaf (it has no field or op), and one letter from `any`, its opposite.
COMPOSER_WORDS = {"and": "all", "or": "any"}


def other_composer(data: Mapping[str, Any], path: str, problems: Problems) -> str | None:
    """The composition a condition writes with another tool's word (`and`, `or`), reported
    with the model's word; None when it writes none. It is then read as that composition,
    so its conditions are checked too, instead of as a leaf that has no field or op."""
    for key in data:
        composer = COMPOSER_WORDS.get(str(key).lower())
        if composer is not None:
            problems.add(join(path, key), f"unknown key (did you mean '{composer}'?)")
            return composer
    return None


def leaves_with_paths(condition: Condition, path: str) -> Iterator[tuple[Leaf, str]]:
    """Each leaf of a parsed condition with the key path `parse_condition` read it at."""
    if isinstance(condition, Leaf):
        yield condition, path
    elif isinstance(condition, Not):
        yield from leaves_with_paths(condition.item, join(path, "not"))
    else:
        key = "all" if isinstance(condition, AllOf) else "any"
        for index, item in enumerate(condition.items):
            yield from leaves_with_paths(item, f"{join(path, key)}[{index}]")


def parse_leaf(data: Mapping[str, Any], path: str, problems: Problems) -> Condition:
    problems.unknown_keys(data, (*LEAF_KEYS, "all", "any", "not"), path)
    field = text_value(data, "field", path, problems, required=True)
    op = data.get("op")
    if not isinstance(op, str) or op not in OPERATORS:
        what = "missing" if op is None else f"unknown operator {shown(op)}"
        hint = "" if op is None else negation_hint(str(op)) or did_you_mean(str(op), OPERATORS)
        problems.add(join(path, "op"), f"{what}{hint} (expected one of {', '.join(OPERATORS)})")
        return AllOf(())
    case_sensitive = data.get("case_sensitive", False)
    if not isinstance(case_sensitive, bool):
        problems.add(join(path, "case_sensitive"), "must be true or false")
        case_sensitive = False
    value = data.get("value")
    before = len(problems.items)
    check_operand(op, value, join(path, "value"), problems)
    if len(problems.items) > before:  # a wrong value says nothing of the field's type
        return AllOf(())
    if op in ("in", "not_in") or (op in TEXT_OPERATORS[:3] and isinstance(value, list)):
        value = tuple(value) if isinstance(value, list) else value
    if op == "between" and isinstance(value, list):
        value = tuple(value)
    return Leaf(field=field or "", op=op, value=value, case_sensitive=case_sensitive)


# Operators that are each other's negation; any other is negated with `not`.
OPPOSITES = {"eq": "ne", "in": "not_in", "is_null": "not_null"}
NEGATED = re.compile(r"^(?:does_?not|doesnt|is_not|not)_(.+)$")


def negation_hint(op: str) -> str:
    """How to write a negated operator the model has no word for (`does not contain`): a
    near spelling of it is its opposite (`contains`), so the usual hint would mislead."""
    found = NEGATED.match(re.sub(r"[\s-]+", "_", op.strip().lower()))
    positive = meant(found[1], OPERATORS) if found else None
    if positive is None:
        return ""
    if positive in OPPOSITES:
        return f" (did you mean '{OPPOSITES[positive]}'?)"
    return (
        f" (to negate '{positive}', wrap the condition in not: "
        f"when = {{ not = {{ field = ..., op = '{positive}', value = ... }} }})"
    )


def is_days(value: Any) -> bool:
    """A window in whole days: ages are counted in calendar days, so 1.5 could only mean 1."""
    return is_number(value) and 0 <= value <= MAX_DAYS and float(value).is_integer()


def check_operand(op: str, value: Any, path: str, problems: Problems) -> None:
    """Check that a condition's value has the shape its operator needs."""
    expect: dict[str, tuple[Callable[[Any], bool], str]] = {
        "eq": (is_scalar, "a string, finite number or boolean"),
        "ne": (is_scalar, "a string, finite number or boolean"),
        "in": (is_scalar_list, "a non-empty list of strings, finite numbers or booleans"),
        "not_in": (is_scalar_list, "a non-empty list of strings, finite numbers or booleans"),
        "between": (
            lambda v: isinstance(v, list) and len(v) == 2 and all(is_orderable(x) for x in v),
            "a list of two numbers or dates [low, high]",
        ),
        "within_days": (is_days, f"a whole number of days (0 to {MAX_DAYS:,})"),
        "older_than_days": (is_days, f"a whole number of days (0 to {MAX_DAYS:,})"),
        "matches": (lambda v: isinstance(v, str), "a regular expression string"),
    }
    for text_op in TEXT_OPERATORS[:3]:
        expect[text_op] = (
            lambda v: (
                isinstance(v, str) or (is_scalar_list(v) and all(isinstance(x, str) for x in v))
            ),
            "a string or a list of strings",
        )
    for order_op in ORDER_OPERATORS[:4]:
        expect[order_op] = (is_orderable, "a number or a date")
    if op in NULL_OPERATORS:
        if value is not None:
            problems.add(path, f"'{op}' takes no value")
        return
    check, wanted = expect[op]
    if value is None:
        problems.add(path, f"missing: '{op}' needs {wanted}")
    elif not check(value):
        problems.add(path, f"'{op}' needs {wanted}, not {shown(value)}{operand_hint(op, value)}")
    elif isinstance(value, list) and len({value_kind(v) for v in value}) > 1:
        kinds = ", ".join(sorted({value_kind(v) for v in value}))
        problems.add(path, f"mixes {kinds}: every value of '{op}' must be of one kind")
    elif op == "between" and value[0] > value[1]:
        problems.add(path, f"low ({shown(value[0])}) is above high ({shown(value[1])})")
    elif escaped := escape_problem(value):
        problems.add(path, escaped)
    elif op == "matches":
        check_regex(value, path, problems)
    elif op in TEXT_OPERATORS:
        check_needles(op, value, path, problems)


# What TOML reads `\b` and `\f` as in a double-quoted string: characters no export cell
# holds, where the author meant a regex word boundary or the letters of a path.
READ_ESCAPES = {"\b": "\\b", "\f": "\\f"}


def escape_problem(value: Any) -> str | None:
    """Why a text value holds a character TOML made of an escape, with the text to write."""
    for text in value if isinstance(value, list) else [value]:
        found = [w for c, w in READ_ESCAPES.items() if isinstance(text, str) and c in text]
        if found:
            for char, written in READ_ESCAPES.items():
                text = text.replace(char, written)
            return (
                f"in double quotes TOML reads {found[0]} as a control character that no cell "
                f"holds: write the text in single quotes, where a backslash stays one ('{text}')"
            )
    return None


# The operator that takes a list where these take one value.
LIST_OPERATORS = {"eq": "in", "ne": "not_in"}


def operand_hint(op: str, value: Any) -> str:
    """How to write a refused value the way its operator takes it, when that is clear."""
    if op in LIST_OPERATORS and isinstance(value, list):
        return f" (to compare with a list, use op = '{LIST_OPERATORS[op]}')"
    if op == "eq" and isinstance(value, dt.date):
        day = shown(value)
        return f" (for one day, use op = 'between' with value = [{day}, {day}])"
    if op in ORDER_OPERATORS:
        values = value if isinstance(value, list) else [value]
        quoted = [v for v in values if isinstance(v, str) and ISO_DAY.match(v.strip())]
        if quoted:
            return f" (write a date without quotes, as TOML dates are: {quoted[0].strip()})"
    if op in (*ORDER_OPERATORS, *AGE_OPERATORS):  # value = "5", or ["10", "50"]
        values = value if isinstance(value, list) else [value]
        numbers = [quoted_number(v) for v in values]
        if isinstance(value, list) and None not in numbers:
            return f" (write {shown(numbers)}, numbers without quotes)"
        return next((unquoted(v) for v in values if unquoted(v)), "")
    return ""


def check_needles(op: str, value: str | list[str], path: str, problems: Problems) -> None:
    """Needles keep their spaces (`"vp "` is not `"vp"`), but cells are trimmed: an empty
    needle is in every text, and one a trimmed cell cannot start or end with never is."""
    for needle in value if isinstance(value, list) else [value]:
        if not needle:
            problems.add(
                path,
                f"{shown(needle)} is in every text, so '{op}' fires on every present value "
                f'(test for a present value with op = "not_null")',
            )
        elif op == "starts_with" and needle != needle.lstrip():
            problems.add(
                path,
                f"{shown(needle)} starts with a space, and cells are trimmed: "
                "'starts_with' never finds it",
            )
        elif op == "ends_with" and needle != needle.rstrip():
            problems.add(
                path,
                f"{shown(needle)} ends with a space, and cells are trimmed: "
                "'ends_with' never finds it",
            )


def value_kind(value: Any) -> str:
    """What a condition value compares as: a field reads every value of a list one way."""

    if isinstance(value, bool):
        return "booleans"
    if isinstance(value, int | float):
        return "numbers"
    if isinstance(value, dt.datetime):
        return "date-times"
    if isinstance(value, dt.date):
        return "dates"
    return "texts"


def is_scalar(value: Any) -> bool:
    """A value a cell can equal: a cell is never NaN or infinite (those are unreadable),
    so `eq = nan` would never fire and `ne = inf` fire on every lead."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str | int)  # bool is an int


def is_scalar_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(is_scalar(v) for v in value)


def is_orderable(value: Any) -> bool:

    return is_number(value) or isinstance(value, dt.date)


def check_regex(pattern: str, path: str, problems: Problems) -> None:
    """Validate with the engine that will run the pattern (Rust regex), not Python's `re`."""
    try:
        pl.select(pl.lit("").str.contains(pattern))
    except Exception as exc:  # polars raises ComputeError with the regex parser's text
        detail = [line.strip() for line in str(exc).splitlines()]
        reason = next((line for line in detail if line.startswith("error:")), detail[0])
        if "size limit" in reason:  # words or names listed in one alternation
            reason = reason.rstrip(".") + (
                "; to match any of many texts, list them with `contains`, which has no such limit"
            )
        problems.add(path, f"invalid regular expression {shown(pattern)}: {reason}")
