"""Every per-column aggregation, collected in one batch from the typed count tables."""

from __future__ import annotations

from typing import Any

import polars as pl

from leadscore_cli.icp import min_support
from leadscore_cli.outcome import OutcomeCounts
from leadscore_cli.profiling.columns import (
    COUNT,
    CUM,
    DATE_TYPES,
    DIST,
    EMAIL_PATTERN,
    EXAMPLES,
    INVALID,
    KEY,
    MISSING,
    NUMBER_TYPES,
    OUT,
    ROW,
    TX,
    VALUE,
    ColumnFacts,
    collect_tables,
    named_like_id,
    trimmed,
)
from leadscore_cli.profiling.target import History, attribute_skip_reason, category_bins_frame

# Distinct over present values for a column named like an id to be checked for duplicates.
ID_COLUMN_SHARE = 0.5
TOP_VALUES = 5
QUANTILE_BINS = 10
OUTLIER_IQR = 3.0
SKEW_TOLERANCE = 1e-9  # ln(1+x) wins ties: equal skews are the same shape in both scales
FORMULA_PATTERN = r"^[=+\-@\t\r]"


def column_stats(
    columns: list[ColumnFacts],
    typed: dict[str, pl.LazyFrame],
    target: str | None,
    counts: OutcomeCounts | None,
    history: History | None,
) -> dict[str, dict[str, Any]]:
    """Collect every per-column aggregation in one batch: {column: {part: DataFrame}}."""
    support = min_support(counts.known) if counts is not None else 0
    plans: list[tuple[str, str, pl.LazyFrame]] = []
    for c in columns:
        frame = typed[c.name]
        if not c.supported:
            plans.append((c.name, "summary", frame.select(pl.col(COUNT).alias("nulls"))))
            continue
        for part, lazy in column_frames(c, frame).items():
            plans.append((c.name, part, lazy))
        attribute = target is not None and attribute_skip_reason(c, target) is None
        if attribute and c.type in ("string", "bool"):
            plans.append((c.name, "icp", category_bins_frame(frame, c, support)))
        if history is not None and counts is not None and c.name in history.by_field:
            plans.append((c.name, "rules", history.field_frame(frame, c.name)))
    results = collect_tables([lazy for _, _, lazy in plans])
    stats: dict[str, dict[str, Any]] = {c.name: {} for c in columns}
    for (name, part, _), result in zip(plans, results, strict=True):
        stats[name][part] = result.row(0, named=True) if part == "rules" else result
    return stats


def column_frames(c: ColumnFacts, frame: pl.LazyFrame) -> dict[str, pl.LazyFrame]:
    """The lazy aggregations that describe one column and find its problems.

    A count table has one row per raw value, so where reading a value only trims it and
    no value has surrounding spaces, its rows are already the distinct values: grouping
    again (costly for id-like columns) is skipped.
    """
    w = pl.col(COUNT)
    raw_text = pl.col(c.name).cast(pl.String)
    trimmed_only = c.text and c.type == "string" and c.spaced == 0
    as_read = trimmed_only or (not c.text and not c.in_model)
    summary = [w.filter(MISSING).sum().alias("nulls"), w.filter(INVALID).sum().alias("invalid")]
    if not as_read:
        summary.append(pl.col(VALUE).drop_nulls().n_unique().alias("distinct"))
    frames = {"summary": frame.select(*summary, *examples(raw_text, pl.col(INVALID)))}
    present = frame.filter(pl.col(VALUE).is_not_null())
    if as_read:
        values = present.select(VALUE, COUNT, ROW)
    else:
        values = present.group_by(VALUE).agg(w.sum(), pl.col(ROW).min())
    if not c.id_like:
        frames["top"] = values.sort([COUNT, ROW], descending=[True, False]).head(TOP_VALUES)
    if c.type in NUMBER_TYPES or c.type in DATE_TYPES:
        frames["values"] = value_stats(values, numeric=c.type in NUMBER_TYPES)
    if c.text:
        frames.update(text_frames(c, frame))
    if is_id_column(c):
        exact = not c.text or c.spaced == 0
        frames["duplicate_id"] = duplicates(frame, None if exact else trimmed(c))
    return frames


def text_frames(c: ColumnFacts, frame: pl.LazyFrame) -> dict[str, pl.LazyFrame]:
    """Findings only text cells can have: markers, formulas, numbers as text, emails."""
    w = pl.col(COUNT)
    present = pl.col(MISSING).not_()
    frames = {
        "markers": frame.filter(MISSING)
        .group_by(trimmed(c).alias(KEY))
        .agg(w.sum())
        .sort([COUNT, KEY], descending=[True, False], nulls_last=False),
        "formula": flagged(
            frame,
            c,
            present & pl.col(c.name).str.contains(FORMULA_PATTERN),
            trimmed(c).cast(pl.Float64, strict=False).is_null(),
        ),
    }
    if c.type in NUMBER_TYPES:
        plain = trimmed(c).cast(pl.Float64, strict=False)
        frames["number_as_text"] = flagged(frame, c, pl.col(VALUE).is_not_null(), plain.is_null())
    if c.email:
        malformed = trimmed(c).str.contains(EMAIL_PATTERN).not_()
        frames["malformed_email"] = flagged(frame, c, present, malformed)
        key = None if c.cased == 0 else trimmed(c).str.to_lowercase()
        frames["duplicate_email"] = duplicates(frame, key)
    if c.type == "string" and not c.id_like and not c.email:
        frames["spelling"] = spellings(frame, c)
    return frames


def examples(values: pl.Expr, where: pl.Expr) -> list[pl.Expr]:
    """The first few values where `where` holds, and their 1-based row numbers."""
    return [
        values.filter(where)
        .sort_by(pl.col(ROW).filter(where))
        .head(EXAMPLES)
        .implode()
        .alias("examples"),
        (pl.col(ROW).filter(where).sort().head(EXAMPLES) + 1).implode().alias("rows"),
    ]


def flagged(
    frame: pl.LazyFrame, c: ColumnFacts, first: pl.Expr, then: pl.Expr | None = None
) -> pl.LazyFrame:
    """Cells where `first` and then `then` hold (the cheap test first, on every value; the
    costly one only on what is left): their count, first values and rows."""
    rows = frame.filter(first)
    if then is not None:
        rows = rows.filter(then)
    everything = pl.lit(True)
    return rows.select(
        pl.col(COUNT).sum().alias("count"), *examples(pl.col(c.name).cast(pl.String), everything)
    )


def duplicates(frame: pl.LazyFrame, key: pl.Expr | None) -> pl.LazyFrame:
    """Rows that repeat a value seen on an earlier row, and the values repeated most.

    Without `key` values are compared as they are: each row of the count table is then
    already one value, with its count.
    """
    w = pl.col(COUNT)
    present = frame.filter(pl.col(MISSING).not_())
    if key is None:
        repeated = present.select(pl.col(frame.collect_schema().names()[0]).alias(KEY), w, ROW)
    else:
        repeated = present.group_by(key.alias(KEY)).agg(w.sum(), pl.col(ROW).min())
    repeated = repeated.filter(w > 1)
    order = [w, pl.col(ROW)]
    top = pl.col(KEY).sort_by(order, descending=[True, False]).head(EXAMPLES)
    rows = pl.col(ROW).sort_by(order, descending=[True, False]).head(EXAMPLES) + 1
    return repeated.select(
        (w - 1).sum().alias("count"),
        pl.len().cast(pl.Int64).alias("values"),
        top.cast(pl.String).implode().alias("examples"),
        rows.implode().alias("rows"),
    )


def spellings(frame: pl.LazyFrame, c: ColumnFacts) -> pl.LazyFrame:
    """Categories written several ways once case and surrounding spaces are ignored."""
    w = pl.col(COUNT)
    raw = pl.col(c.name)
    per_spelling = (
        frame.filter(pl.col(MISSING).not_())
        .group_by(raw)
        .agg(w.sum(), pl.col(ROW).min())
        .with_columns(raw.str.strip_chars().str.to_lowercase().alias(KEY))
    )
    order = [w, pl.col(ROW)]
    per_key = (
        per_spelling.group_by(KEY)
        .agg(
            raw.sort_by(order, descending=[True, False]).head(4).alias("spellings"),
            pl.len().alias("ways"),
            w.sum().alias("total"),
            w.max().alias("top"),
            pl.col(ROW).min(),
        )
        .filter(pl.col("ways") > 1)
    )
    best = [pl.col("total"), pl.col(ROW)]
    return per_key.select(
        (pl.col("total") - pl.col("top")).sum().alias("count"),
        pl.len().cast(pl.Int64).alias("values"),
        pl.col("spellings").sort_by(best, descending=[True, False]).head(EXAMPLES).alias("lists"),
    ).select("count", "values", pl.col("lists").implode())


def value_stats(values: pl.LazyFrame, *, numeric: bool) -> pl.LazyFrame:
    """Range, quartiles, deciles (for ICP bins) and, for numbers, mean and extreme outliers,
    from distinct values and their counts.

    A quantile q is the value at position floor(q * (n - 1)) of the sorted values (0-based),
    computed in integers: the breakpoints `Expr.bin_quantiles` would place.
    """
    v = pl.col(VALUE)
    w = pl.col(COUNT)
    total = w.sum()
    ordered = values.sort(VALUE).with_columns(w.cum_sum().alias(CUM))

    def at(k: int, m: int, expr: pl.Expr = v) -> pl.Expr:
        return expr.filter(pl.col(CUM) > (k * (total - 1)) // m).first()

    exprs = [
        total.alias("total"),
        v.first().alias("min"),
        v.last().alias("max"),
        at(1, 4).alias("q1"),
        at(2, 4).alias("median"),
        at(3, 4).alias("q3"),
        pl.concat_list([at(i, QUANTILE_BINS) for i in range(1, QUANTILE_BINS)]).alias("deciles"),
    ]
    if not numeric:
        return ordered.select(exprs)
    raw = v.cast(pl.Float64)
    log_skew = quartile_skew(*(at(k, 4, raw.log1p()) for k in (1, 2, 3)))
    raw_skew = quartile_skew(*(at(k, 4, raw) for k in (1, 2, 3)))
    logged = (v.first() >= 0) & (log_skew.abs() <= raw_skew.abs() + SKEW_TOLERANCE)
    ordered = ordered.with_columns(pl.when(logged).then(v.log1p()).otherwise(v).alias(TX))
    t = pl.col(TX)
    q1, q3, mid = at(1, 4, t), at(3, 4, t), at(2, 4, t)
    spread = OUTLIER_IQR * (q3 - q1)
    ordered = ordered.with_columns(
        (((t < q1 - spread) | (t > q3 + spread)) & (q3 > q1)).alias(OUT),
        (t - mid).abs().alias(DIST),
        (q1 - spread).alias("low_t"),
        (q3 + spread).alias("high_t"),
        logged.alias("logged"),
    )
    out = pl.col(OUT)
    back = {
        name: pl.when(pl.col("logged"))
        .then(pl.col(f"{name}_t").exp() - 1)
        .otherwise(pl.col(f"{name}_t"))
        for name in ("low", "high")
    }
    extreme = [pl.col(DIST).filter(out)]
    return ordered.select(
        *exprs,
        ((v.cast(pl.Float64) * w).sum() / total).alias("mean"),
        w.filter(out).sum().alias("outliers"),
        back["low"].first().alias("low_fence"),
        back["high"].first().alias("high_fence"),
        v.filter(out).sort_by(extreme, descending=True).head(EXAMPLES).implode().alias("examples"),
        (pl.col(ROW).filter(out).sort_by(extreme, descending=True).head(EXAMPLES) + 1)
        .implode()
        .alias("rows"),
    )


def quartile_skew(q1: pl.Expr, median: pl.Expr, q3: pl.Expr) -> pl.Expr:
    """Bowley's skewness, (q3 + q1 - 2 median) / (q3 - q1): 0 when the quartiles sit evenly
    around the median, towards 1 for a long upper tail; 0 when q1 = q3."""
    return pl.when(q3 > q1).then((q3 + q1 - 2 * median) / (q3 - q1)).otherwise(0.0)


def is_id_column(c: ColumnFacts) -> bool:
    """The model's id column, or a column named like one (lead_id, Record ID) whose values
    are mostly distinct; a foreign key such as account_id repeats by design."""
    mostly_distinct = c.present > 0 and c.raw_distinct >= ID_COLUMN_SHARE * c.present
    return c.model_id or (named_like_id(c) and mostly_distinct)
