"""Turn raw export columns into typed values, tolerant of what CRM exports contain.

A field's type is declared in `[fields]` or inferred from how the rules use it
(`gte 5` needs a number, `within_days` a date, `contains` text), so a minimal
model works without a `[fields]` section. Parsing never drops a row: values
that cannot be read are flagged so the run can stop with a clear message (or
become null when the field says `on_invalid = "null"`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl

from leadscore_cli.model.schema import (
    AGE_OPERATORS,
    NULL_OPERATORS,
    ORDER_OPERATORS,
    TEXT_OPERATORS,
    AllOf,
    AnyOf,
    Condition,
    FieldSpec,
    FieldType,
    Leaf,
    Not,
    Rule,
)

# What a use of a field needs; a declared type satisfies some of these.
NEEDS_BY_TYPE: dict[str, str] = {
    "string": "text",
    "int": "number",
    "float": "number",
    "bool": "bool",
    "date": "date",
    "datetime": "date",
}
TYPE_FOR_NEED: dict[str, FieldType] = {
    "text": "string",
    "number": "float",
    "bool": "bool",
    "date": "date",
}
AUTO_DATETIME_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y/%m/%d",
)
NUMBER_JUNK = r"[\s$€£¥₹,_']"


def iter_leaves(condition: Condition) -> Iterator[Leaf]:
    if isinstance(condition, Leaf):
        yield condition
    elif isinstance(condition, AllOf | AnyOf):
        for item in condition.items:
            yield from iter_leaves(item)
    elif isinstance(condition, Not):
        yield from iter_leaves(condition.item)


def value_need(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, tuple | list) and value:
        return value_need(value[0])
    return "text"


def leaf_need(leaf: Leaf) -> str | None:
    if leaf.op in NULL_OPERATORS:
        return None
    if leaf.op in AGE_OPERATORS:
        return "date"
    if leaf.op in TEXT_OPERATORS:
        return "text"
    if leaf.op in ORDER_OPERATORS:
        need = value_need(leaf.value)
        return "date" if need in ("date", "text") else need
    return value_need(leaf.value)


def field_uses(rules: tuple[Rule, ...]) -> Iterator[tuple[str, str | None, str]]:
    """Yield (field, need, where) for every place a rule reads a field."""
    for index, rule in enumerate(rules):
        where = f"rules[{index}]"
        if rule.when is not None:
            for leaf in iter_leaves(rule.when):
                yield leaf.field, leaf_need(leaf), f"{where}.when ({leaf.op})"
        if rule.kind == "map" and rule.field:
            yield rule.field, None, f"{where}.map"
        if rule.kind == "bands" and rule.field:
            yield rule.field, "number", f"{where}.bands"
        if rule.decay is not None:
            yield rule.decay.field, "date", f"{where}.decay"


def resolve_field_types(
    rules: tuple[Rule, ...], fields: tuple[FieldSpec, ...]
) -> dict[str, FieldType]:
    """Decide each used field's type; raise ValueError([messages]) on conflicting uses."""
    declared = {spec.name: spec.type for spec in fields}
    needs: dict[str, dict[str, str]] = {}
    for name, need, where in field_uses(rules):
        needs.setdefault(name, {})
        if need is not None:
            needs[name].setdefault(need, where)
    problems: list[str] = []
    types: dict[str, FieldType] = {}
    for name, by_need in needs.items():
        ftype = declared.get(name)
        if ftype is not None:
            have = NEEDS_BY_TYPE[ftype]
            for need, where in by_need.items():
                if need != have:
                    problems.append(
                        f"{where}: field {name!r} is declared {ftype} "
                        f"but this use needs a {need} value"
                    )
            types[name] = ftype
        elif len(by_need) > 1:
            uses = ", ".join(f"{need} in {where}" for need, where in by_need.items())
            problems.append(f"fields.{name}: used as {uses}; declare its type in [fields.{name}]")
        else:
            need = next(iter(by_need), "text")
            types[name] = TYPE_FOR_NEED[need]
    if problems:
        raise ValueError(problems)
    return types


@dataclass(frozen=True)
class ParsedField:
    """Expressions for one field: its typed value and a flag for unreadable cells."""

    name: str
    value: pl.Expr
    invalid: pl.Expr | None  # None when the field cannot hold unreadable values


def null_markers(spec: FieldSpec | None, model_nulls: tuple[str, ...]) -> list[str]:
    extra = spec.null_values if spec else ()
    return sorted({m.strip().lower() for m in (*model_nulls, *extra)})


def parse_field(
    column: str,
    ftype: FieldType,
    source_dtype: pl.DataType,
    spec: FieldSpec | None,
    model_nulls: tuple[str, ...],
) -> ParsedField:
    """Build the expressions that read `column` as `ftype`, whatever the input stored."""
    raw = pl.col(column)
    if source_dtype == pl.String:
        return parse_text_column(raw, column, ftype, spec, null_markers(spec, model_nulls))
    return cast_typed_column(raw, column, ftype, source_dtype)


def parse_text_column(
    raw: pl.Expr, column: str, ftype: FieldType, spec: FieldSpec | None, markers: list[str]
) -> ParsedField:
    stripped = raw.str.strip_chars()
    cleaned = (
        pl.when(stripped.str.to_lowercase().is_in(markers) | (stripped == ""))
        .then(None)
        .otherwise(stripped)
    )
    if ftype == "string":
        return ParsedField(column, cleaned, None)
    if ftype in ("int", "float"):
        digits = cleaned.str.replace_all(NUMBER_JUNK, "")
        negative = digits.str.starts_with("(") & digits.str.ends_with(")")
        digits = (
            pl.when(negative)
            .then(pl.concat_str(pl.lit("-"), digits.str.strip_chars("()")))
            .otherwise(digits)
        )
        number = digits.cast(pl.Float64, strict=False)
        valid = number.is_finite()
        if ftype == "int":
            valid = valid & (number == number.floor())
        value = pl.when(valid).then(number).otherwise(None)
    elif ftype == "bool":
        lowered = cleaned.str.to_lowercase()
        true_values = list(spec.true_values) if spec else list(FieldSpec("", "").true_values)
        false_values = list(spec.false_values) if spec else list(FieldSpec("", "").false_values)
        value = (
            pl.when(lowered.is_in(true_values))
            .then(True)
            .when(lowered.is_in(false_values))
            .then(False)
            .otherwise(None)
        )
    else:
        formats = (spec.format,) if spec and spec.format else AUTO_DATETIME_FORMATS
        parsed = [cleaned.str.to_datetime(fmt, strict=False) for fmt in formats]
        stamp = parsed[0] if len(parsed) == 1 else pl.coalesce(parsed)
        value = stamp.dt.date() if ftype == "date" else stamp
    invalid = cleaned.is_not_null() & value.is_null()
    return ParsedField(column, value, invalid)


def cast_typed_column(
    raw: pl.Expr, column: str, ftype: FieldType, source_dtype: pl.DataType
) -> ParsedField:
    """Columns Parquet already typed: cast, and refuse casts that cannot mean anything."""
    if ftype == "string":
        return ParsedField(column, raw.cast(pl.String).str.strip_chars(), None)
    if ftype in ("int", "float"):
        if not (source_dtype.is_numeric() or source_dtype in (pl.Boolean, pl.Null)):
            raise TypeError(
                f"column {column!r} holds {source_dtype}, the model reads it as {ftype}"
            )
        number = raw.cast(pl.Float64)
        value = pl.when(number.is_finite()).then(number).otherwise(None)
        return ParsedField(column, value, raw.is_not_null() & value.is_null())
    if ftype == "bool":
        if not (source_dtype == pl.Boolean or source_dtype.is_integer() or source_dtype == pl.Null):
            raise TypeError(f"column {column!r} holds {source_dtype}, the model reads it as bool")
        return ParsedField(column, raw.cast(pl.Boolean), None)
    if not (source_dtype.is_temporal() or source_dtype == pl.Null):
        raise TypeError(f"column {column!r} holds {source_dtype}, the model reads it as {ftype}")
    if ftype == "date":
        value = raw.cast(pl.Date) if source_dtype != pl.Time else None
        if value is None:
            raise TypeError(f"column {column!r} holds times of day, the model reads it as date")
        return ParsedField(column, value, None)
    return ParsedField(column, raw.cast(pl.Datetime("us")), None)
