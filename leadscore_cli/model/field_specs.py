"""The `[fields]` table: how each column of the export is read, and its null markers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from leadscore_cli.model.problems import (
    Problems,
    did_you_mean,
    join,
    shown,
    string_list,
    text_value,
)
from leadscore_cli.model.schema import (
    DEFAULT_FALSE_VALUES,
    DEFAULT_NULL_VALUES,
    DEFAULT_TRUE_VALUES,
    FIELD_TYPES,
    FieldSpec,
)

FIELD_KEYS = (
    "source",
    "type",
    "null_values",
    "format",
    "true_values",
    "false_values",
    "on_invalid",
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
                f"unknown type {shown(ftype)}{did_you_mean(ftype, FIELD_TYPES)} "
                f"(expected one of {', '.join(FIELD_TYPES)})",
            )
            ftype = None
        fmt = text_value(spec, "format", path, problems)
        if fmt is not None and ftype not in ("date", "datetime"):
            problems.add(
                join(path, "format"), only_for(ftype, 'type = "date" (or "datetime")', path)
            )
        elif fmt is not None:
            fault = format_fault(fmt)
            if fault:
                problems.add(join(path, "format"), f"{shown(fmt)} cannot read dates: {fault}")
        for key in ("true_values", "false_values"):
            if key in spec and ftype not in (None, "bool"):
                problems.add(join(path, key), only_for(ftype, 'type = "bool"', path))
        on_invalid = spec.get("on_invalid", "error")
        if on_invalid not in ("error", "null"):
            problems.add(
                join(path, "on_invalid"), f"must be 'error' or 'null', not {shown(on_invalid)}"
            )
            on_invalid = "error"
        true_values = lowered(spec, "true_values", path, problems, DEFAULT_TRUE_VALUES)
        false_values = lowered(spec, "false_values", path, problems, DEFAULT_FALSE_VALUES)
        check_true_false_overlap(spec, path, true_values, false_values, problems)
        specs.append(
            FieldSpec(
                name=name,
                source=source,
                type=ftype,
                null_values=string_list(spec["null_values"], join(path, "null_values"), problems)
                if "null_values" in spec
                else (),
                format=fmt,
                true_values=true_values,
                false_values=false_values,
                on_invalid=on_invalid,
            )
        )
    return null_values, tuple(specs)


def format_fault(fmt: str) -> str | None:
    """Why polars refuses the date format `fmt` outright (an hour without its minutes),
    or None. Checked here, such a format fails `validate`, not a run halfway."""
    try:
        pl.select(pl.lit("", dtype=pl.String).str.to_datetime(fmt, strict=False))
    except pl.exceptions.PolarsError as exc:
        reason = str(exc).splitlines()[0].removeprefix("Invalid format string:").strip()
        return reason[:1].lower() + reason[1:]
    return None


def only_for(ftype: str | None, wanted: str, path: str) -> str:
    """Why a key that reads one type of value does nothing on this field."""
    if ftype is None:
        return f"only applies to a field declared {wanted}: add that line to [{path}]"
    return f"only applies to a field declared {wanted}, and this one is {ftype}"


def lowered(
    spec: Mapping[str, Any], key: str, path: str, problems: Problems, default: tuple[str, ...]
) -> tuple[str, ...]:
    if key not in spec:
        return default
    return tuple(v.strip().lower() for v in string_list(spec[key], join(path, key), problems))


def check_true_false_overlap(
    spec: Mapping[str, Any],
    path: str,
    true_values: tuple[str, ...],
    false_values: tuple[str, ...],
    problems: Problems,
) -> None:
    """A spelling in both lists would silently read as true: cells are compared with them
    ignoring case and surrounding spaces, and true is tested first."""
    key, other = (
        ("false_values", "true_values")
        if "false_values" in spec
        else ("true_values", "false_values")
    )
    listed = spec.get(key)
    given = [v for v in listed if isinstance(v, str)] if isinstance(listed, list) else []
    if other in spec:
        where, fix = other, ""
    else:
        defaults = DEFAULT_TRUE_VALUES if other == "true_values" else DEFAULT_FALSE_VALUES
        where, fix = f"the default {other} ({', '.join(defaults)})", f"; set {other} without it"
    for value in dict.fromkeys(v for v in false_values if v in true_values):
        written = next((v for v in given if v.strip().lower() == value), value)
        problems.add(
            join(path, key),
            f"{shown(written)} is also in {where} once case and surrounding spaces are ignored, "
            f"so a cell holding it would read as true{fix}",
        )
