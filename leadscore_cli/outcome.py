"""Read the outcome column of history: did the lead convert?

An outcome is boolean-like (`true`/`false`, `yes`/`no`, `1`/`0`, any case, or a boolean
or 0/1 number column), or any column whose converting values are named with `--positive`
(a stage column read with `--positive "Closed Won"`: one or more values mean converted, any
other present value means not). A typed column is compared as the text a CSV would hold:
`--positive 1` matches a float or decimal 1.0. Missing values stay null, so every metric
leaves those leads out instead of counting them as lost.

The checks run in the same pass as the caller's work, so history is read once (after
`refuse_outcome_type`, which stops a list, struct or duration column before any read):

    refuse_outcome_type("converted", schema["converted"], source_name=name)
    y = outcome_expr("converted", schema["converted"], positive)
    checks = outcome_check_frame(frame, "converted", schema["converted"], positive)
    ...collect `checks` with the rest...
    counts = check_outcome("converted", checks_df, positive, source_name=name)
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from leadscore_cli.errors import DataError
from leadscore_cli.fields import as_text, has_text_form, stored_as
from leadscore_cli.model.schema import (
    DEFAULT_FALSE_VALUES,
    DEFAULT_NULL_VALUES,
    DEFAULT_TRUE_VALUES,
)
from leadscore_cli.summary import counted

__all__ = [
    "NULL_MARKERS",
    "OutcomeCounts",
    "check_named_outcome",
    "check_outcome",
    "outcome_check_frame",
    "outcome_expr",
    "outcome_markers",
    "raise_outcome_problems",
    "refuse_outcome_type",
    "require_column",
]

NULL_MARKERS = tuple(sorted({m.strip().lower() for m in (*DEFAULT_NULL_VALUES, "Select")}))
"""Outcome cells that mean "not known yet" (compared after trimming, ignoring case): the
usual placeholders and a CRM picklist's unset "Select"."""


OUTCOME_WORDS = frozenset(v.lower() for v in (*DEFAULT_TRUE_VALUES, *DEFAULT_FALSE_VALUES))


def outcome_markers(*more: Sequence[str]) -> tuple[str, ...]:
    """`NULL_MARKERS` plus the markers a model or `--null-value` adds: a cell every other
    column reads as missing must not make the outcome unreadable.

    A boolean word is never one of them: a model that reads `0` as missing in its fields
    must still read a 0/1 outcome, or every lead would look converted."""
    added = {m.strip().lower() for ms in more for m in ms}
    return tuple(sorted({*NULL_MARKERS, *added} - OUTCOME_WORDS))


@dataclass(frozen=True)
class OutcomeCounts:
    """How many leads converted, did not, or have no known outcome."""

    positives: int
    negatives: int
    missing: int

    @property
    def known(self) -> int:
        return self.positives + self.negatives

    @property
    def rate(self) -> float:
        return self.positives / self.known if self.known else 0.0


def without_positive(markers: Sequence[str], positive: Sequence[str] | None) -> list[str]:
    """A value named with --positive means converted, even if it is also a null marker."""
    wanted = {p.strip().lower() for p in positive or ()}
    return [m for m in markers if m not in wanted]


def normalised(
    column: str, dtype: pl.DataType | None, markers: Sequence[str] = NULL_MARKERS
) -> pl.Expr:
    """The outcome as trimmed lower-case text, null for missing markers."""
    if dtype == pl.Boolean:
        return pl.col(column).cast(pl.String)
    raw = pl.col(column)
    if dtype is not None and dtype != pl.String:  # 1.0 in a float column reads as `1`
        raw = as_text(dtype)(raw)
    text = raw.str.strip_chars().str.to_lowercase()
    return pl.when(text.is_in(list(markers))).then(None).otherwise(text)


def _present(
    column: str, dtype: pl.DataType | None, markers: Sequence[str] = NULL_MARKERS
) -> pl.Expr:
    raw = pl.col(column)
    if dtype is not None and dtype.is_float():
        return raw.is_not_null() & raw.is_not_nan()
    if dtype is not None and (dtype.is_numeric() or dtype == pl.Boolean):
        return raw.is_not_null()
    return normalised(column, dtype, markers).is_not_null()


def outcome_expr(
    column: str,
    dtype: pl.DataType | None,
    positive: Sequence[str] | None,
    markers: Sequence[str] = NULL_MARKERS,
) -> pl.Expr:
    """Boolean conversion flag; null where the outcome is missing or not recognised.

    With `positive`, a value converts when it equals one of them (trimmed, any case) and
    every other present value counts as not converted. Without it, true/t/yes/y/1 convert
    and false/f/no/n/0 do not; `check_outcome` rejects any other value.
    """
    if dtype == pl.Boolean and not positive:
        return pl.col(column)
    if dtype is not None and dtype.is_numeric() and not positive:
        raw = pl.col(column)
        return pl.when(raw == 1).then(True).when(raw == 0).then(False).otherwise(None)
    markers = without_positive(markers, positive)
    text = normalised(column, dtype, markers)
    if positive:
        wanted = sorted({p.strip().lower() for p in positive})
        present = _present(column, dtype, markers)
        return pl.when(present).then(text.is_in(wanted)).otherwise(None)
    return (
        pl.when(text.is_in(list(DEFAULT_TRUE_VALUES)))
        .then(True)
        .when(text.is_in(list(DEFAULT_FALSE_VALUES)))
        .then(False)
        .otherwise(None)
    )


def outcome_check_frame(
    frame: pl.LazyFrame,
    column: str,
    dtype: pl.DataType | None,
    positive: Sequence[str] | None,
    *,
    weight: str | None = None,
    markers: Sequence[str] = NULL_MARKERS,
) -> pl.LazyFrame:
    """One row to collect with the caller's work: classes, missing and unreadable values.

    `weight` names a column of row counts, for a frame that holds distinct values.
    """
    flag = outcome_expr(column, dtype, positive, markers)
    present = _present(column, dtype, without_positive(markers, positive))
    unreadable = present & flag.is_null()
    w = pl.col(weight).cast(pl.Int64) if weight else pl.lit(1, pl.Int64)

    def total(condition: pl.Expr) -> pl.Expr:
        return (condition.fill_null(False).cast(pl.Int64) * w).sum()

    return frame.select(
        total(unreadable).alias("unreadable"),
        pl.col(column).cast(pl.String).filter(unreadable).first().alias("example"),
        total(flag).alias("positives"),
        total(flag.not_()).alias("negatives"),
        total(present.not_()).alias("missing"),
    )


def refuse_outcome_type(
    column: str, dtype: pl.DataType, *, source_name: str | None, role: str = "outcome"
) -> None:
    """Stop before any data is read on a Parquet column whose values have no text (lists,
    structs, durations): none of them can say converted or not, even with --positive."""
    if has_text_form(dtype):
        return
    raise DataError(
        f"{role} column {column!r} holds {stored_as(dtype)}, not values that say whether a "
        "lead converted (true/false, yes/no, 1/0, or values named with --positive)",
        path=source_name,
    )


def raise_outcome_problems(
    check: pl.DataFrame, column: str, source_name: str | None, *, role: str = "outcome"
) -> None:
    """Stop on a column that is not boolean-like (and no --positive said how to read it)."""
    unreadable = int(check["unreadable"][0] or 0)
    if unreadable:
        example = check["example"][0]
        raise DataError(
            f"{role} column {column!r} is not boolean-like "
            f"({unreadable_values(unreadable, example)} not true/false, yes/no or 1/0); "
            "name the value(s) that mean converted with --positive VALUE (repeatable)",
            path=source_name,
        )


def unreadable_values(count: int, example: object) -> str:
    """`1 value, 'maybe', is` or `3 values, such as 'maybe', are`: the start of a sentence."""
    if count == 1:
        return f"1 value, {example!r}, is"
    return f"{counted(count, 'value')}, such as {example!r}, are"


def check_outcome(
    column: str,
    check: pl.DataFrame,
    positive: Sequence[str] | None,
    *,
    source_name: str | None,
    role: str = "outcome",
) -> OutcomeCounts:
    """Counts from `outcome_check_frame`; DataError when the column cannot be an outcome.

    It cannot be one when a present value is not boolean-like (and no `positive` names the
    converting values), or when it leaves a single class: nothing to compare with.
    """
    raise_outcome_problems(check, column, source_name, role=role)
    counts = OutcomeCounts(
        positives=int(check["positives"][0] or 0),
        negatives=int(check["negatives"][0] or 0),
        missing=int(check["missing"][0] or 0),
    )
    if counts.positives and counts.negatives:
        return counts
    if not counts.known:
        detail = "it has no values"
    elif counts.known == 1:
        counts_as = "counts" if counts.positives else "does not count"
        detail = f"its 1 known value {counts_as} as converted"
    elif counts.positives:
        detail = f"all {counts.known:,} known values count as converted"
    else:
        detail = f"none of its {counts.known:,} known values counts as converted"
    if positive and counts.known:
        detail += f" (--positive {', '.join(repr(p) for p in positive)})"
    raise DataError(
        f"{role} column {column!r} has a single class: {detail}; converted and other "
        "leads are needed to compare them",
        path=source_name,
    )


def check_named_outcome(
    column: str,
    check: pl.DataFrame,
    positive: Sequence[str] | None,
    *,
    source_name: str | None,
    role: str = "outcome",
) -> None:
    """The check for commands that can show a single class (grade's rates, report).

    A boolean-like outcome where nobody converted yet is plausible history, but
    `--positive` values that match no lead, or every lead, are a typo or the wrong
    column: those stop the run as they do in threshold, profile and fit.
    """
    if positive:
        check_outcome(column, check, positive, source_name=source_name, role=role)
    else:
        raise_outcome_problems(check, column, source_name, role=role)


def require_column(
    column: str, available: Sequence[str], *, option: str, source_name: str | None
) -> None:
    """DataError naming the closest columns when `column` is not in the data."""
    if column in available:
        return
    close = difflib.get_close_matches(column, list(available), n=3, cutoff=0.5)
    hint = f" (closest: {', '.join(repr(c) for c in close)})" if close else ""
    raise DataError(f"{option} column {column!r} is not in the data{hint}", path=source_name)
