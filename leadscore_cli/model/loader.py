"""Read a TOML model and validate all of it at once.

Every problem is collected with its key path (`rules[3].when.op: ...`) so a
user fixes a model in one round trip instead of one error per run.
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from leadscore_cli.errors import ModelError
from leadscore_cli.model.schema import (
    AGE_OPERATORS,
    DEFAULT_FALSE_VALUES,
    DEFAULT_NULL_VALUES,
    DEFAULT_TRUE_VALUES,
    EQUALITY_OPERATORS,
    FIELD_TYPES,
    NULL_OPERATORS,
    OPERATORS,
    ORDER_OPERATORS,
    SCALES,
    TEXT_OPERATORS,
    TOTAL,
    AllOf,
    AnyOf,
    Band,
    Condition,
    Decay,
    FieldSpec,
    GradeBand,
    Grading,
    Leaf,
    Limits,
    Model,
    Not,
    Rule,
    Tier,
    added_columns,
)

TOP_KEYS = ("model", "fields", "rules", "caps", "tiers", "grading", "handoff")
MODEL_KEYS = ("name", "version", "description", "id_column", "scale")
FIELD_KEYS = (
    "source",
    "type",
    "null_values",
    "format",
    "true_values",
    "false_values",
    "on_invalid",
)
RULE_COMMON_KEYS = ("name", "category", "description", "decay")
WHEN_RULE_KEYS = (*RULE_COMMON_KEYS, "when", "points")
LOOKUP_RULE_KEYS = (*RULE_COMMON_KEYS, "field", "default", "missing", "case_sensitive")
LEAF_KEYS = ("field", "op", "value", "case_sensitive")
DECAY_KEYS = ("field", "half_life_days", "lifespan_days", "if_missing")
BAND_KEYS = ("min", "max", "points")
LIMIT_KEYS = ("min", "max")
# Bounds that keep every sum and date computed from a model meaningful: a rule worth more
# than a million points, or a window longer than a century, is a typo.
MAX_POINTS = 1_000_000
MAX_DAYS = 36_500
GRADING_KEYS = ("categories", "bands", "plus_minus", "scale")
HANDOFF_KEYS = ("tiers",)
DEFAULT_GRADE_BANDS = (("A", 80.0), ("B", 60.0), ("C", 40.0), ("D", 20.0), ("F", 0.0))
NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
GRADE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


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


def load_model(path: str | Path) -> Model:
    """Read and validate a model file; raise ModelError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # editors such as Notepad add a BOM
    except FileNotFoundError:
        raise ModelError("no such model file", path=path) from None
    except IsADirectoryError:
        raise ModelError("is a directory, not a model file", path=path) from None
    except PermissionError:
        raise ModelError("permission denied", path=path) from None
    except UnicodeDecodeError as exc:
        raise ModelError(f"not UTF-8 text (byte {exc.start})", path=path) from None
    return parse_model(text, source=path)


def parse_model(text: str, *, source: Path | None = None) -> Model:
    """Parse TOML text into a validated Model."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(f"TOML syntax error: {exc}", path=source) from None
    return model_from_dict(data, source=source)


def model_from_dict(data: Mapping[str, Any], *, source: Path | None = None) -> Model:
    """Validate a decoded TOML document; the single place a Model is built from data."""
    problems = Problems()
    problems.unknown_keys(data, TOP_KEYS, "")
    meta = table(data, "model", problems, required=True)
    problems.unknown_keys(meta, MODEL_KEYS, "model")
    name = text_value(meta, "name", "model", problems, required=True) or "unnamed"
    version = meta.get("version", "0")
    if is_number(version):
        version = str(version)
    if not isinstance(version, str):
        problems.add("model.version", 'must be a string such as "1.0.0"')
        version = "0"
    description = text_value(meta, "description", "model", problems) or ""
    id_column = text_value(meta, "id_column", "model", problems)
    scale = meta.get("scale", "clip")
    if scale not in SCALES:
        problems.add("model.scale", f"must be one of {', '.join(SCALES)}, not {scale!r}")
        scale = "clip"

    null_values, fields = parse_fields(table(data, "fields", problems), problems)
    rules = parse_rules(data.get("rules"), problems)
    categories = tuple(dict.fromkeys(rule.category for rule in rules))
    caps = parse_caps(table(data, "caps", problems), categories, problems)
    tiers = parse_tiers(data.get("tiers"), problems)
    grading = parse_grading(data.get("grading"), categories, problems)
    handoff = parse_handoff(data.get("handoff"), tiers, problems)
    check_field_usage(rules, fields, problems)
    check_output_names(fields, rules, categories, problems)

    if problems.items:
        raise ModelError("invalid model", path=source, problems=problems.items)
    model = Model(
        name=name,
        version=version,
        description=description,
        id_column=id_column,
        scale=scale,
        null_values=null_values,
        fields=fields,
        rules=rules,
        caps=caps,
        tiers=tiers,
        grading=grading,
        handoff=handoff,
        source=source,
    )
    low, high = model.attainable_range()
    if scale == "rescale" and high <= low:
        raise ModelError(
            f"model.scale: rescale needs points that can vary, but every lead gets {low:g}",
            path=source,
        )
    return model


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


def check_output_names(
    fields: tuple[FieldSpec, ...],
    rules: tuple[Rule, ...],
    categories: tuple[str, ...],
    problems: Problems,
) -> None:
    """A field named like a column the output adds would be overwritten by it: its data
    lost, and the scored file could not be scored again. Read it under another name."""
    from leadscore_cli.fields import iter_leaves

    added = added_columns(categories)
    declared = {spec.name for spec in fields}
    for spec in fields:
        if spec.name in added:
            problems.add(
                f"fields.{spec.name}",
                f"{spec.name!r} is a column leadscore adds to the output, so the export's "
                f"{spec.source!r} would be lost: name the field otherwise "
                f"([fields.crm_{spec.name}] with source = {spec.source!r})",
            )
    reported: set[str] = set()
    for index, rule in enumerate(rules):
        names = {leaf.field for leaf in iter_leaves(rule.when)} if rule.when is not None else set()
        names |= {n for n in (rule.field, rule.decay.field if rule.decay else None) if n}
        for name in sorted(names & added - declared - reported):
            reported.add(name)
            problems.add(
                f"rules[{index}]",
                f"reads {name!r}, a column leadscore adds to the output: read the export's "
                f"column under another name ([fields.crm_{name}] with source = {name!r})",
            )


def parse_fields(
    data: Mapping[str, Any], problems: Problems
) -> tuple[tuple[str, ...], tuple[FieldSpec, ...]]:
    null_values = DEFAULT_NULL_VALUES
    specs: list[FieldSpec] = []
    sources: dict[str, str] = {}
    for name, spec in data.items():
        path = f"fields.{name}"
        if name == "null_values":
            null_values = string_list(spec, path, problems)
            continue
        if not isinstance(spec, dict):
            hint = did_you_mean(name, ["null_values"]) if isinstance(spec, list) else ""
            problems.add(
                path,
                'must be a table such as { source = "Annual Revenue", type = "float" }' + hint,
            )
            continue
        problems.unknown_keys(spec, FIELD_KEYS, path)
        source = text_value(spec, "source", path, problems) or name
        if source in sources:
            problems.add(
                join(path, "source"),
                f"column {source!r} is already read as field {sources[source]!r}",
            )
        sources[source] = name
        ftype = spec.get("type")
        if ftype is not None and ftype not in FIELD_TYPES:
            problems.add(
                join(path, "type"),
                f"unknown type {ftype!r}{did_you_mean(ftype, FIELD_TYPES)} "
                f"(expected one of {', '.join(FIELD_TYPES)})",
            )
            ftype = None
        fmt = text_value(spec, "format", path, problems)
        if fmt is not None and ftype not in ("date", "datetime"):
            problems.add(join(path, "format"), "only applies to fields of type date or datetime")
        on_invalid = spec.get("on_invalid", "error")
        if on_invalid not in ("error", "null"):
            problems.add(join(path, "on_invalid"), f"must be 'error' or 'null', not {on_invalid!r}")
            on_invalid = "error"
        specs.append(
            FieldSpec(
                name=name,
                source=source,
                type=ftype,
                null_values=string_list(spec["null_values"], join(path, "null_values"), problems)
                if "null_values" in spec
                else (),
                format=fmt,
                true_values=lowered(spec, "true_values", path, problems, DEFAULT_TRUE_VALUES),
                false_values=lowered(spec, "false_values", path, problems, DEFAULT_FALSE_VALUES),
                on_invalid=on_invalid,
            )
        )
    return null_values, tuple(specs)


def lowered(
    spec: Mapping[str, Any], key: str, path: str, problems: Problems, default: tuple[str, ...]
) -> tuple[str, ...]:
    if key not in spec:
        return default
    return tuple(v.strip().lower() for v in string_list(spec[key], join(path, key), problems))


def parse_rules(data: Any, problems: Problems) -> tuple[Rule, ...]:
    if data is None:
        problems.add("rules", "the model has no rules (add at least one [[rules]] table)")
        return ()
    if not isinstance(data, list) or not data:
        problems.add("rules", "must be a non-empty array of [[rules]] tables")
        return ()
    rules: list[Rule] = []
    seen: set[str] = set()
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
        rules.append(rule)
    return tuple(rules)


def parse_rule(raw: Mapping[str, Any], path: str, problems: Problems) -> Rule | None:
    name = text_value(raw, "name", path, problems, required=True)
    if name is not None and not NAME_PATTERN.match(name):
        problems.add(join(path, "name"), f"{name!r} must be letters, digits and underscores")
    category = raw.get("category", "fit")
    if not isinstance(category, str) or not NAME_PATTERN.match(category):
        problems.add(
            join(path, "category"), f"{category!r} must be letters, digits and underscores"
        )
        category = "fit"
    elif category == TOTAL:
        problems.add(join(path, "category"), f"{TOTAL!r} is reserved for the cap on the total")
    kinds = [k for k in ("when", "map", "bands") if k in raw]
    if len(kinds) != 1:
        found = " and ".join(kinds) if kinds else "none"
        problems.add(path, f"a rule needs exactly one of 'when', 'map' or 'bands' (found {found})")
        problems.unknown_keys(
            raw, (*WHEN_RULE_KEYS, "map", "bands", "field", "default", "missing"), path
        )
        return None
    kind = kinds[0]
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
                join(path, key), f"same value as {seen[normal]!r} once case and spaces are ignored"
            )
        seen[normal] = key
        entries.append((key, float(points)))
    return tuple(entries)


def parse_bands(data: Any, path: str, problems: Problems) -> tuple[Band, ...]:
    if not isinstance(data, list) or not data:
        problems.add(path, "must be a non-empty array of { min, max, points } tables")
        return ()
    bands: list[Band] = []
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
        low = number_value(raw, "min", band_path, problems)
        high = number_value(raw, "max", band_path, problems)
        if low is None and high is None:
            problems.add(band_path, "needs a min, a max, or both")
        if low is not None and high is not None and low >= high:
            problems.add(band_path, f"min ({low:g}) must be below max ({high:g})")
        bands.append(Band(points=float(points), min=low, max=high))
    ordered = sorted(bands, key=lambda b: -math.inf if b.min is None else b.min)
    for before, after in itertools.pairwise(ordered):
        before_end = math.inf if before.max is None else before.max
        after_start = -math.inf if after.min is None else after.min
        if after_start < before_end:
            problems.add(path, f"bands overlap: {band_label(before)} and {band_label(after)}")
    return tuple(bands)


def band_label(band: Band) -> str:
    low = "-inf" if band.min is None else f"{band.min:g}"
    high = "inf" if band.max is None else f"{band.max:g}"
    return f"[{low}, {high})"


def parse_decay(data: Any, path: str, problems: Problems) -> Decay | None:
    if not isinstance(data, dict):
        problems.add(path, "must be a table { field = ..., half_life_days = ... }")
        return None
    problems.unknown_keys(data, DECAY_KEYS, path)
    field = text_value(data, "field", path, problems, required=True)
    half_life = number_value(data, "half_life_days", path, problems)
    lifespan = number_value(data, "lifespan_days", path, problems)
    if (half_life is None) == (lifespan is None):
        problems.add(path, "needs exactly one of half_life_days or lifespan_days")
    for key, value in (("half_life_days", half_life), ("lifespan_days", lifespan)):
        if value is not None and value <= 0:
            problems.add(join(path, key), "must be above 0")
    if_missing = data.get("if_missing", "full")
    if if_missing not in ("full", "none"):
        problems.add(join(path, "if_missing"), f"must be 'full' or 'none', not {if_missing!r}")
        if_missing = "full"
    if field is None:
        return None
    return Decay(
        field=field, half_life_days=half_life, lifespan_days=lifespan, if_missing=if_missing
    )


def parse_condition(data: Any, path: str, problems: Problems) -> Condition:
    if not isinstance(data, dict):
        problems.add(path, 'must be a table such as { field = "visits", op = "gte", value = 5 }')
        return AllOf(())
    composers = [key for key in ("all", "any", "not") if key in data]
    if composers:
        key = composers[0]
        if len(data) != 1:
            others = ", ".join(k for k in data if k != key)
            problems.add(path, f"'{key}' must stand alone in its table (also found: {others})")
        if key == "not":
            return Not(parse_condition(data["not"], join(path, "not"), problems))
        items = data[key]
        if not isinstance(items, list) or not items:
            problems.add(join(path, key), "must be a non-empty array of conditions")
            return AllOf(())
        parsed = tuple(
            parse_condition(item, f"{join(path, key)}[{i}]", problems)
            for i, item in enumerate(items)
        )
        return AllOf(parsed) if key == "all" else AnyOf(parsed)
    return parse_leaf(data, path, problems)


def parse_leaf(data: Mapping[str, Any], path: str, problems: Problems) -> Condition:
    problems.unknown_keys(data, (*LEAF_KEYS, "all", "any", "not"), path)
    field = text_value(data, "field", path, problems, required=True)
    op = data.get("op")
    if not isinstance(op, str) or op not in OPERATORS:
        problems.add(
            join(path, "op"),
            f"unknown operator {op!r}{did_you_mean(str(op), OPERATORS)} "
            f"(expected one of {', '.join(OPERATORS)})",
        )
        return AllOf(())
    case_sensitive = data.get("case_sensitive", False)
    if not isinstance(case_sensitive, bool):
        problems.add(join(path, "case_sensitive"), "must be true or false")
        case_sensitive = False
    value = data.get("value")
    check_operand(op, value, join(path, "value"), problems)
    if op in ("in", "not_in") or (op in TEXT_OPERATORS[:3] and isinstance(value, list)):
        value = tuple(value) if isinstance(value, list) else value
    if op == "between" and isinstance(value, list):
        value = tuple(value)
    return Leaf(field=field or "", op=op, value=value, case_sensitive=case_sensitive)


SCALAR_TYPES = (str, int, float, bool)


def is_days(value: Any) -> bool:
    return is_number(value) and 0 <= value <= MAX_DAYS


def check_operand(op: str, value: Any, path: str, problems: Problems) -> None:
    """Check that a condition's value has the shape its operator needs."""
    expect: dict[str, tuple[Callable[[Any], bool], str]] = {
        "eq": (lambda v: isinstance(v, SCALAR_TYPES), "a string, number or boolean"),
        "ne": (lambda v: isinstance(v, SCALAR_TYPES), "a string, number or boolean"),
        "in": (is_scalar_list, "a non-empty list of strings, numbers or booleans"),
        "not_in": (is_scalar_list, "a non-empty list of strings, numbers or booleans"),
        "between": (
            lambda v: isinstance(v, list) and len(v) == 2 and all(is_orderable(x) for x in v),
            "a list of two numbers or dates [low, high]",
        ),
        "within_days": (is_days, f"a number of days (0 to {MAX_DAYS:,})"),
        "older_than_days": (is_days, f"a number of days (0 to {MAX_DAYS:,})"),
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
        problems.add(path, f"'{op}' needs {wanted}, not {value!r}")
    elif isinstance(value, list) and len({value_kind(v) for v in value}) > 1:
        kinds = ", ".join(sorted({value_kind(v) for v in value}))
        problems.add(path, f"mixes {kinds}: every value of '{op}' must be of one kind")
    elif op == "between" and value[0] > value[1]:
        problems.add(path, f"low ({value[0]}) is above high ({value[1]})")
    elif op == "matches":
        check_regex(value, path, problems)


def value_kind(value: Any) -> str:
    """What a condition value compares as: a field reads every value of a list one way."""
    import datetime as dt

    if isinstance(value, bool):
        return "booleans"
    if isinstance(value, int | float):
        return "numbers"
    if isinstance(value, dt.datetime):
        return "date-times"
    if isinstance(value, dt.date):
        return "dates"
    return "texts"


def is_scalar_list(value: Any) -> bool:
    return (
        isinstance(value, list) and bool(value) and all(isinstance(v, SCALAR_TYPES) for v in value)
    )


def is_orderable(value: Any) -> bool:
    import datetime as dt

    return is_number(value) or isinstance(value, dt.date)


def check_regex(pattern: str, path: str, problems: Problems) -> None:
    """Validate with the engine that will run the pattern (Rust regex), not Python's `re`."""
    try:
        pl.select(pl.lit("").str.contains(pattern))
    except Exception as exc:  # polars raises ComputeError with the regex parser's text
        detail = [line.strip() for line in str(exc).splitlines()]
        reason = next((line for line in detail if line.startswith("error:")), detail[0])
        problems.add(path, f"invalid regular expression {pattern!r}: {reason}")


def parse_caps(data: Mapping[str, Any], categories: tuple[str, ...], problems: Problems):
    caps: list[tuple[str, Limits]] = []
    allowed = (*categories, TOTAL)
    for name, raw in data.items():
        path = f"caps.{name}"
        if name not in allowed:
            problems.add(path, f"no rule has category {name!r}{did_you_mean(name, allowed)}")
            continue
        if not isinstance(raw, dict):
            problems.add(path, "must be a table { min = ..., max = ... }")
            continue
        problems.unknown_keys(raw, LIMIT_KEYS, path)
        low = number_value(raw, "min", path, problems)
        high = number_value(raw, "max", path, problems)
        if low is not None and high is not None and low > high:
            problems.add(path, f"min ({low:g}) is above max ({high:g})")
        caps.append((name, Limits(min=low, max=high)))
    return tuple(caps)


def parse_tiers(data: Any, problems: Problems) -> tuple[Tier, ...]:
    if data is None:
        return ()
    if not isinstance(data, dict) or not data:
        problems.add("tiers", "must be a table of tier = lowest score, e.g. sql = 75")
        return ()
    tiers: list[Tier] = []
    before_tiers = len(problems.items)  # problems found elsewhere must not hide this check
    for name, low in data.items():
        path = f"tiers.{name}"
        if not NAME_PATTERN.match(name):
            problems.add(path, "tier names must be letters, digits and underscores")
        if not is_number(low):
            problems.add(path, f"must be a number (the tier's lowest score), not {low!r}")
            continue
        if not 0 <= low <= 100:
            problems.add(path, f"{low} is outside the 0-100 score scale")
        tiers.append(Tier(name=name, min_score=float(low)))
    for before, after in itertools.pairwise(tiers):
        if after.min_score >= before.min_score:
            problems.add(
                f"tiers.{after.name}",
                f"tiers must be listed from highest to lowest with strictly falling scores "
                f"({after.min_score:g} is not below {before.name} = {before.min_score:g})",
            )
    if tiers and tiers[-1].min_score != 0 and len(problems.items) == before_tiers:
        problems.add(
            f"tiers.{tiers[-1].name}",
            f"the lowest tier must start at 0 so every lead gets a tier (add e.g. cold = 0 "
            f"after {tiers[-1].name})",
        )
    return tuple(tiers)


def parse_grading(data: Any, categories: tuple[str, ...], problems: Problems) -> Grading | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        problems.add("grading", "must be a table")
        return None
    problems.unknown_keys(data, GRADING_KEYS, "grading")
    cats = data.get("categories", ["fit"])
    if isinstance(cats, str):
        cats = [cats]
    cat_tuple = string_list(cats, "grading.categories", problems)
    for cat in cat_tuple:
        if cat not in categories:
            problems.add(
                "grading.categories", f"no rule has category {cat!r}{did_you_mean(cat, categories)}"
            )
    scale = data.get("scale", "percent")
    if scale not in ("percent", "points"):
        problems.add("grading.scale", f"must be 'percent' or 'points', not {scale!r}")
        scale = "percent"
    raw_bands = data.get("bands", dict(DEFAULT_GRADE_BANDS))
    bands: list[GradeBand] = []
    if not isinstance(raw_bands, dict) or not raw_bands:
        problems.add("grading.bands", "must be a table of letter = lowest value, e.g. A = 80")
    else:
        for letter, low in raw_bands.items():
            if not GRADE_PATTERN.match(letter):
                problems.add(
                    f"grading.bands.{letter}",
                    "a grade is a letter, optionally followed by letters or digits (e.g. A, B2)",
                )
            if not is_number(low):
                problems.add(f"grading.bands.{letter}", f"must be a number, not {low!r}")
                continue
            bands.append(GradeBand(letter=letter, min_score=float(low)))
    for before, after in itertools.pairwise(bands):
        if after.min_score >= before.min_score:
            problems.add(
                f"grading.bands.{after.letter}",
                "bands must be listed from best to worst with strictly falling cutoffs",
            )
    plus_minus = data.get("plus_minus", False)
    if not isinstance(plus_minus, bool):
        problems.add("grading.plus_minus", "must be true or false")
        plus_minus = False
    return Grading(categories=cat_tuple, bands=tuple(bands), plus_minus=plus_minus, scale=scale)


def parse_handoff(data: Any, tiers: tuple[Tier, ...], problems: Problems) -> tuple[str, ...]:
    if data is None:
        return ()
    if not isinstance(data, dict):
        problems.add("handoff", "must be a table { tiers = [...] }")
        return ()
    problems.unknown_keys(data, HANDOFF_KEYS, "handoff")
    names = string_list(data.get("tiers", []), "handoff.tiers", problems)
    known = tuple(t.name for t in tiers)
    for name in names:
        if name not in known:
            problems.add("handoff.tiers", f"unknown tier {name!r}{did_you_mean(name, known)}")
    return names


def check_field_usage(rules: tuple[Rule, ...], fields: tuple[FieldSpec, ...], problems: Problems):
    """Check that each field is used in ways its (declared or inferred) type allows."""
    from leadscore_cli.fields import resolve_field_types

    try:
        resolve_field_types(rules, fields)
    except ValueError as exc:
        for line in exc.args[0]:
            problems.add("", line)


__all__ = [
    "AGE_OPERATORS",
    "EQUALITY_OPERATORS",
    "ModelError",
    "Problems",
    "did_you_mean",
    "load_model",
    "model_from_dict",
    "parse_model",
]
