"""Read the outcome column of history: did the lead convert?

An outcome is boolean-like (true/false, yes/no, 1/0, any case) or a stage
column read with `--positive "Closed Won"` (one or more values mean converted,
any other value means not). Missing values are left out of every metric.
The check runs in the same pass as the work, so history is read once.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from leadscore_cli.errors import DataError
from leadscore_cli.model.schema import (
    DEFAULT_FALSE_VALUES,
    DEFAULT_NULL_VALUES,
    DEFAULT_TRUE_VALUES,
)

NULL_MARKERS = sorted({m.strip().lower() for m in DEFAULT_NULL_VALUES})


def normalised(column: str, dtype: pl.DataType | None) -> pl.Expr:
    """The outcome as trimmed lower-case text, null for missing markers."""
    text = pl.col(column).cast(pl.String).str.strip_chars().str.to_lowercase()
    if dtype == pl.Boolean:
        text = pl.col(column).cast(pl.String)
    return pl.when(text.is_in(NULL_MARKERS)).then(None).otherwise(text)


def outcome_expr(column: str, dtype: pl.DataType | None, positive: Sequence[str] | None) -> pl.Expr:
    """Boolean conversion flag; null where the outcome is missing or not recognised."""
    if dtype == pl.Boolean:
        return pl.col(column)
    text = normalised(column, dtype)
    if positive:
        wanted = [p.strip().lower() for p in positive]
        return pl.when(text.is_null()).then(None).otherwise(text.is_in(wanted))
    return (
        pl.when(text.is_in(list(DEFAULT_TRUE_VALUES)))
        .then(True)
        .when(text.is_in(list(DEFAULT_FALSE_VALUES)))
        .then(False)
        .otherwise(None)
    )


def outcome_check_frame(
    frame: pl.LazyFrame, column: str, dtype: pl.DataType | None, positive: Sequence[str] | None
) -> pl.LazyFrame:
    """One row: values that are neither missing nor readable, with an example, and classes."""
    text = normalised(column, dtype)
    flag = outcome_expr(column, dtype, positive)
    unreadable = text.is_not_null() & flag.is_null()
    return frame.select(
        unreadable.sum().alias("unreadable"),
        pl.col(column).cast(pl.String).filter(unreadable).first().alias("example"),
        flag.sum().alias("positives"),
        (~flag).sum().alias("negatives"),
    )


def raise_outcome_problems(check: pl.DataFrame, column: str, source_name: str) -> None:
    """Stop on a column that is not boolean-like (and no --positive said how to read it)."""
    if int(check["unreadable"][0] or 0):
        raise DataError(
            f"outcome column {column!r} is not boolean-like (found {check['example'][0]!r}); "
            f"name the converted values with --positive, e.g. --positive {check['example'][0]!r}",
            path=source_name,
        )
