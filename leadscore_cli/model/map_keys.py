"""Map keys checked against the type their field is read as.

A map's keys are TOML keys, always text, compared with the field's typed value: a key
that no value of that type is written as never matches, and every lead holding the
value the author meant silently gets the default instead.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from leadscore_cli.model.problems import Problems, shown, shown_key
from leadscore_cli.model.schema import (
    DEFAULT_FALSE_VALUES,
    DEFAULT_TRUE_VALUES,
    FieldSpec,
    FieldType,
    Rule,
)

# A day as exports write it: year first, then month and day, optionally with a time after.
DAY_KEY = re.compile(r"^([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})(?:[T ].*)?$")
# What tolerant number parsing drops from a cell: a key written with it is shown without.
NUMBER_JUNK = re.compile(r"[,_' $€£¥₹]")


def check_map_keys(
    rules: tuple[Rule, ...],
    fields: tuple[FieldSpec, ...],
    types: dict[str, FieldType],
    problems: Problems,
) -> None:
    """Report every map key that never equals a value of its field's type."""
    for index, rule in enumerate(rules):
        ftype = types.get(rule.field or "")
        if rule.kind != "map" or ftype is None:
            continue
        spec = next((spec for spec in fields if spec.name == rule.field), None)
        if ftype == "bool":
            check_same_booleans(rule, spec, f"rules[{index}].map", problems)
        for key, _ in rule.mapping:
            if problem := key_type_problem(key, ftype, spec):
                problems.add(
                    f"rules[{index}].map.{shown_key(key)}",
                    f"{shown(key)} never matches: field {rule.field!r} is read as {ftype}, "
                    + problem,
                )


def check_same_booleans(rule: Rule, spec: FieldSpec | None, path: str, problems: Problems) -> None:
    """Two keys spelling one value (`yes` and `true`): only the first would count, as
    two text keys that differ only in case, which are refused too."""
    first: dict[str, str] = {}
    for key, _ in rule.mapping:
        value = boolean_key(key, spec)
        if value is None:
            continue
        if value in first:
            problems.add(
                f"{path}.{shown_key(key)}",
                f"same value as {shown(first[value])}: the field reads both as {value}",
            )
        else:
            first[value] = key


def key_type_problem(key: str, ftype: FieldType, spec: FieldSpec | None) -> str | None:
    """Why a map key never equals a value of type `ftype`, with the key to write instead."""
    text = key.strip()
    if ftype in ("int", "float"):
        number = number_key(text)
        if number is not None and math.isfinite(number):
            return None
        if number is not None:  # a cell is never NaN or infinite: those are unreadable
            return "and a key on it must be a finite number"
        plain = number_key(NUMBER_JUNK.sub("", text))
        instead = f" (write {shown(plain)})" if plain is not None else ""
        return f"and a key on it must be a plain number{instead}"
    if ftype == "bool":  # read like its cells (see scoring.rules.map_subject)
        if boolean_key(key, spec) is not None:
            return None
        return "whose keys are true, false or a spelling of its true_values or false_values"
    if ftype in ("date", "datetime"):
        day = iso_day(text)
        if day is not None and day.isoformat() == text:
            return None
        instead = f" (write {day.isoformat()})" if day is not None else ""
        return f"whose keys are days written YYYY-MM-DD{instead}"
    return None


def boolean_key(key: str, spec: FieldSpec | None) -> str | None:
    """A map key on a bool field as the value it spells, `"true"` or `"false"`, read like a
    cell (the field's true_values/false_values, ignoring case and spaces) or written as
    `true`/`false`; None for any other key, which no value matches."""
    true_values = spec.true_values if spec else DEFAULT_TRUE_VALUES
    false_values = spec.false_values if spec else DEFAULT_FALSE_VALUES
    text = key.strip().lower()
    for value, spellings in (("true", true_values), ("false", false_values)):
        if text in {s.strip().lower() for s in spellings}:
            return value
    return text if text in ("true", "false") else None


def number_key(text: str) -> float | None:
    """The number a key is, as scoring reads it (Python's float syntax), or None."""
    try:
        return float(text)
    except ValueError:
        return None


def iso_day(text: str) -> dt.date | None:
    """The calendar day a key names in a form the export may use (`2026/3/4` too)."""
    found = DAY_KEY.match(text)
    if found is None:
        return None
    try:
        return dt.date(*(int(part) for part in found.groups()))
    except ValueError:
        return None
