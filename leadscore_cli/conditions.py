"""Compile rule conditions into polars boolean expressions.

Null handling is two-valued on purpose: a comparison with a missing value is
false (only `is_null` fires on it), so `all`/`any`/`not` never propagate
nulls and a rule either fires or it does not.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import polars as pl

from leadscore_cli.model.schema import AllOf, AnyOf, Condition, FieldType, Leaf, Not

ValueColumn = Callable[[str], str]  # field name -> name of its typed column


def compile_condition(
    condition: Condition,
    value_of: ValueColumn,
    types: dict[str, FieldType],
    as_of: dt.date,
) -> pl.Expr:
    """Return a never-null boolean expression for `condition`."""
    if isinstance(condition, AllOf):
        if not condition.items:
            return pl.lit(True)
        parts = [compile_condition(c, value_of, types, as_of) for c in condition.items]
        return pl.all_horizontal(parts)
    if isinstance(condition, AnyOf):
        parts = [compile_condition(c, value_of, types, as_of) for c in condition.items]
        return pl.any_horizontal(parts)
    if isinstance(condition, Not):
        return compile_condition(condition.item, value_of, types, as_of).not_()
    value = pl.col(value_of(condition.field))
    return compile_leaf(condition, value, types[condition.field], as_of).fill_null(False)


def normalise_text(value: object, case_sensitive: bool) -> str:
    text = str(value).strip()
    return text if case_sensitive else text.lower()


def to_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def literal_for(value: object, ftype: FieldType, case_sensitive: bool) -> object:
    """Convert a model value to the type of the field it is compared with."""
    if ftype == "string":
        return normalise_text(value, case_sensitive)
    if ftype in ("int", "float"):
        return float(value)  # type: ignore[arg-type]
    if ftype in ("date", "datetime"):
        return to_date(value)
    return value


def compile_leaf(leaf: Leaf, value: pl.Expr, ftype: FieldType, as_of: dt.date) -> pl.Expr:
    op = leaf.op
    if op == "is_null":
        return value.is_null()
    if op == "not_null":
        return value.is_not_null()
    if ftype in ("date", "datetime"):
        value = value.cast(pl.Date)
        if op == "within_days":
            return value >= pl.lit(as_of - dt.timedelta(days=float(leaf.value)))
        if op == "older_than_days":
            return value < pl.lit(as_of - dt.timedelta(days=float(leaf.value)))
    subject = value
    if ftype == "string" and not leaf.case_sensitive:
        subject = value.str.to_lowercase()
    if op == "matches":
        flags = "" if leaf.case_sensitive else "(?i)"
        return value.str.contains(flags + str(leaf.value))
    if op in ("contains", "starts_with", "ends_with"):
        needles = leaf.value if isinstance(leaf.value, tuple | list) else (leaf.value,)
        texts = [normalise_text(n, leaf.case_sensitive) for n in needles]
        if op == "contains":
            pattern = "|".join(re.escape(t) for t in texts)
            return subject.str.contains(pattern)
        test = subject.str.starts_with if op == "starts_with" else subject.str.ends_with
        return pl.any_horizontal([test(t) for t in texts])
    if op in ("in", "not_in"):
        members = [literal_for(v, ftype, leaf.case_sensitive) for v in leaf.value]
        hit = subject.is_in(pl.Series(members, dtype=member_dtype(ftype)).implode())
        return hit if op == "in" else hit.not_()
    if op == "between":
        low, high = (literal_for(v, ftype, leaf.case_sensitive) for v in leaf.value)
        return subject.is_between(pl.lit(low), pl.lit(high), closed="both")
    literal = pl.lit(literal_for(leaf.value, ftype, leaf.case_sensitive))
    comparisons = {
        "eq": subject.eq,
        "ne": subject.ne,
        "gt": subject.gt,
        "gte": subject.ge,
        "lt": subject.lt,
        "lte": subject.le,
    }
    return comparisons[op](literal)


def member_dtype(ftype: FieldType) -> pl.DataType:
    return {
        "string": pl.String(),
        "int": pl.Float64(),
        "float": pl.Float64(),
        "bool": pl.Boolean(),
        "date": pl.Date(),
        "datetime": pl.Date(),
    }[ftype]
