"""Population stability of the model's input columns between a baseline and now.

Bins come from the baseline, so both files are cut the same way:

* numbers and dates: the baseline's deciles (quantiles 0.1 ... 0.9, repeated values
  merged), bins closed on the left, plus a bin for missing values;
* text and yes/no values (compared trimmed and lower-cased, as rules compare them):
  each baseline value, plus `(unseen)` for values the baseline never had and
  `(missing)`; a column with more than MAX_CATEGORIES baseline values keeps its most
  frequent ones and puts every other value in `(other)`.

Everything is a lazy aggregation: the baseline's profile first (quantiles and value
counts), then one count per bin on the current file, in the same pass as the report for
a CSV, column by column for a Parquet file (see `report_drift.collect_with_columns`).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import polars as pl

from leadscore_cli.fields import parse_field, resolve_field_types
from leadscore_cli.metrics import Stability, psi
from leadscore_cli.model.schema import Model
from leadscore_cli.scoring.inputs import source_of

MAX_CATEGORIES = 30
QUANTILES = [q / 10 for q in range(1, 10)]
UNSEEN = "(unseen)"
OTHER = "(other)"
MISSING = "(missing)"
VALUE = "value"
BIN = "bin"


@dataclass(frozen=True)
class DriftColumn:
    """One model field to watch: how to read it and whether it is binned as a number."""

    field: str
    type: str

    @property
    def numeric(self) -> bool:
        return self.type in ("int", "float", "date", "datetime")

    @property
    def kind(self) -> str:
        return "numeric" if self.numeric else "categorical"


@dataclass(frozen=True)
class Profile:
    """The baseline's bins for one column."""

    column: DriftColumn
    breaks: list[float]
    categories: list[str]
    other: bool

    def labels(self) -> list[str]:
        if self.column.numeric:
            return [*numeric_labels(self.breaks, self.column.type), MISSING]
        return [*self.categories, OTHER if self.other else UNSEEN, MISSING]


def drift_columns(model: Model) -> list[DriftColumn]:
    """The fields the model's rules read (the id column says nothing about drift)."""
    types = resolve_field_types(model.rules, model.fields)
    return [DriftColumn(f, t) for f, t in types.items() if f != model.id_column]


def column_value(frame: pl.LazyFrame, model: Model, column: DriftColumn) -> pl.Expr | None:
    """The field read as the model reads it, made comparable: numbers as Float64, dates as
    days since 1970, text lower-cased. None when the file lacks the column."""
    schema = frame.collect_schema()
    name = column.field if column.field in schema else source_of(model, column.field)
    if name not in schema:
        return None
    parsed = parse_field(
        name, column.type, schema[name], model.field_spec(column.field), model.null_values
    ).value
    if column.type in ("date", "datetime"):
        return parsed.cast(pl.Date).cast(pl.Int32).cast(pl.Float64)
    if column.numeric:
        return parsed.cast(pl.Float64)
    text = parsed.cast(pl.String)
    return text.str.strip_chars().str.to_lowercase() if column.type == "string" else text


def profile_frame(frame: pl.LazyFrame, value: pl.Expr, column: DriftColumn) -> pl.LazyFrame:
    """Baseline aggregate: quantile breakpoints, or value counts (most frequent first)."""
    if column.numeric:
        return frame.select(value.drop_nulls().quantile(QUANTILES).alias(VALUE))
    return (
        frame.select(value.alias(VALUE))
        .drop_nulls()
        .group_by(VALUE)
        .agg(pl.len().alias("count"))
        .sort(["count", VALUE], descending=[True, False])
    )


def make_profile(column: DriftColumn, result: pl.DataFrame) -> Profile:
    if column.numeric:
        values = result[VALUE][0]
        breaks = sorted({float(v) for v in (values if values is not None else []) if v is not None})
        return Profile(column, breaks, [], False)
    values = [str(v) for v in result[VALUE].to_list()]
    return Profile(column, [], values[:MAX_CATEGORIES], len(values) > MAX_CATEGORIES)


def bin_expr(value: pl.Expr, profile: Profile) -> pl.Expr:
    """Each row's bin label under the baseline's profile."""
    labels = profile.labels()
    if profile.column.numeric:
        if profile.breaks:
            index = value.bin_intervals(profile.breaks, labels=False)
            label = index.replace_strict(
                list(range(len(labels) - 1)), labels[:-1], return_dtype=pl.String
            )
        else:
            label = pl.lit(labels[0])
        return pl.when(value.is_null()).then(pl.lit(MISSING)).otherwise(label)
    fallback = OTHER if profile.other else UNSEEN
    return (
        pl.when(value.is_null())
        .then(pl.lit(MISSING))
        .when(value.is_in(profile.categories))
        .then(value)
        .otherwise(pl.lit(fallback))
    )


def bin_count_frame(frame: pl.LazyFrame, value: pl.Expr, profile: Profile) -> pl.LazyFrame:
    """Leads per bin. The value is read once, then binned: `bin_expr` refers to it several
    times, and each reference would parse the column again."""
    values = frame.select(value.alias(VALUE))
    return values.group_by(bin_expr(pl.col(VALUE), profile).alias(BIN)).agg(pl.len().alias("count"))


def stability(profile: Profile, baseline: pl.DataFrame, current: pl.DataFrame) -> Stability:
    labels = profile.labels()
    return psi(labels, counts_by_label(baseline, labels), counts_by_label(current, labels))


def counts_by_label(counts: pl.DataFrame, labels: list[str]) -> list[int]:
    found = dict(zip(counts[BIN].to_list(), counts["count"].to_list(), strict=True))
    return [int(found.get(label, 0)) for label in labels]


def numeric_labels(breaks: list[float], ftype: str) -> list[str]:
    shown = [show_break(b, ftype) for b in breaks]
    if not shown:
        return ["(all)"]
    middle = [f"{low} to <{high}" for low, high in itertools.pairwise(shown)]
    return [f"<{shown[0]}", *middle, f">={shown[-1]}"]


def show_break(value: float, ftype: str) -> str:
    if ftype in ("date", "datetime"):
        return (dt.date(1970, 1, 1) + dt.timedelta(days=int(value))).isoformat()
    return f"{int(value):,}" if value.is_integer() else f"{value:,.10g}"
