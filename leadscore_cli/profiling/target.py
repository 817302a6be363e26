"""What a target adds: the ideal customer profile's bins, and a model's rules replayed on
history."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import polars as pl

from leadscore_cli.fields import resolve_field_types
from leadscore_cli.icp import (
    MISSING as MISSING_BIN,
)
from leadscore_cli.icp import (
    OTHER,
    Attribute,
    Icp,
    build_icp,
    make_attribute,
    rule_columns,
    rule_fields,
    rule_sums,
    woe_bins,
)
from leadscore_cli.model.schema import Model
from leadscore_cli.outcome import OutcomeCounts
from leadscore_cli.profiling.columns import (
    BIN,
    DATE_TYPES,
    KEY,
    KNOWN,
    LABEL,
    NEG,
    NUMBER_TYPES,
    POS,
    ROW,
    VALUE,
    ColumnFacts,
    collect_tables,
)
from leadscore_cli.profiling.results import format_value
from leadscore_cli.scoring.columns import value_column


@dataclass
class History:
    """A model's rules to replay on history, split by how they can be replayed."""

    model: Model
    as_of: dt.date

    def __post_init__(self) -> None:
        self.types = resolve_field_types(self.model.rules, self.model.fields)
        self.by_field: dict[str, list[int]] = {}
        self.row_rules: list[int] = []
        for index, rule in enumerate(self.model.rules):
            fields = rule_fields(rule)
            if len(fields) == 1:
                self.by_field.setdefault(next(iter(fields)), []).append(index)
            else:
                self.row_rules.append(index)

    def field_frame(self, typed: pl.LazyFrame, field_name: str) -> pl.LazyFrame:
        """Sums for the rules that read only `field_name`, from its distinct values."""
        indexes = self.by_field[field_name]
        known = pl.col(POS) + pl.col(NEG)
        return (
            typed.filter(known > 0)
            .with_columns(pl.col(VALUE).alias(value_column(field_name)))
            .with_columns(rule_columns(self.model, indexes, self.types, self.as_of))
            .select(rule_sums(indexes, pl.col(POS), known))
        )


def attribute_skip_reason(c: ColumnFacts, target: str) -> str | None:
    """Why a column is not an ICP attribute, or None when it is one."""
    if c.name == target:
        return "the target"
    if not c.supported or c.type == "other":
        return "unsupported type"
    if c.type == "empty":
        return "no values"
    if c.id_like:
        return "id-like: nearly every value is distinct"
    if c.email:
        return "email addresses (one per lead)"
    return None


def category_bins_frame(frame: pl.LazyFrame, c: ColumnFacts, support: int) -> pl.LazyFrame:
    """Leads and conversions per category (case and spaces ignored, shown in the most common
    spelling); categories under `support` leads are grouped into (other)."""
    known = pl.col(KNOWN)
    label = pl.col(VALUE).cast(pl.String)
    key = label.str.to_lowercase() if c.type == "string" else label
    rows = frame.with_columns((pl.col(POS) + pl.col(NEG)).alias(KNOWN)).filter(known > 0)
    per_label = rows.group_by(key.alias(KEY), label.alias(LABEL)).agg(
        known.sum(), pl.col(POS).sum(), pl.col(ROW).min()
    )
    per_key = per_label.group_by(KEY).agg(
        pl.col(LABEL).sort_by([known, pl.col(ROW)], descending=[True, False]).first(),
        known.sum(),
        pl.col(POS).sum(),
        pl.col(ROW).min(),
    )
    bin_label = (
        pl.when(pl.col(KEY).is_null())
        .then(pl.lit(MISSING_BIN))
        .when(known >= support)
        .then(pl.col(LABEL))
        .otherwise(pl.lit(OTHER))
    )
    return (
        per_key.group_by(bin_label.alias(BIN))
        .agg(known.sum(), pl.col(POS).sum(), pl.col(ROW).min())
        .sort(
            [pl.col(BIN).is_in([OTHER, MISSING_BIN]), pl.col(BIN) == MISSING_BIN, known, ROW],
            descending=[False, False, True, False],
        )
    )


def quantile_breaks(values: pl.DataFrame | None) -> list[Any]:
    """Distinct decile values, ascending: the breakpoints of up to 10 quantile bins."""
    if values is None or not values.height:
        return []
    deciles = values["deciles"][0]
    if deciles is None:
        return []
    return sorted({v for v in deciles.to_list() if v is not None})


def quantile_bins_frame(frame: pl.LazyFrame, breaks: list[Any]) -> pl.LazyFrame:
    """Leads and conversions per quantile bin; missing values form their own bin (null)."""
    known = pl.col(POS) + pl.col(NEG)
    binned = pl.col(VALUE).bin_intervals(breaks, labels=False)
    return (
        frame.filter(known > 0)
        .group_by(binned.alias(BIN))
        .agg(known.sum().alias(KNOWN), pl.col(POS).sum())
        .sort(BIN, nulls_last=True)
    )


def interval_labels(breaks: list[Any], ftype: str) -> list[str]:
    """`< a`, `[a, b)`, ..., `>= z` for the bins `bin_intervals` numbers 0, 1, ..."""
    shown = [format_value(b, ftype) for b in breaks]
    middle = [f"[{a}, {b})" for a, b in itertools.pairwise(shown)]
    return [f"< {shown[0]}", *middle, f">= {shown[-1]}"]


def target_profile(
    columns: list[ColumnFacts],
    typed: dict[str, pl.LazyFrame],
    stats: dict[str, dict[str, Any]],
    target: str,
    positive: list[str] | None,
    counts: OutcomeCounts,
) -> Icp:
    """Bin every attribute, compute lift, WoE and IV, and rank the attributes."""
    positives, negatives = counts.positives, counts.negatives
    rows = counts.known
    base = positives / rows
    skipped: list[dict[str, str]] = []
    binned: list[tuple[ColumnFacts, str, list[tuple[str, int, int]]]] = []
    numeric: list[tuple[ColumnFacts, list[Any]]] = []
    for c in columns:
        reason = attribute_skip_reason(c, target)
        if reason is not None:
            skipped.append({"column": c.name, "reason": reason})
        elif "icp" in stats[c.name]:
            table = stats[c.name]["icp"]
            counts_ = [
                (str(label), int(n), int(pos))
                for label, n, pos in table.select(BIN, KNOWN, POS).iter_rows()
            ]
            binned.append((c, "category", counts_))
        elif c.type in NUMBER_TYPES or c.type in DATE_TYPES:
            numeric.append((c, quantile_breaks(stats[c.name].get("values"))))
    frames = [quantile_bins_frame(typed[c.name], breaks) for c, breaks in numeric if breaks]
    results = iter(collect_tables(frames)) if frames else iter(())
    for c, breaks in numeric:
        if not breaks:
            binned.append((c, "quantile", [(MISSING_BIN, rows, positives)]))
            continue
        labels = interval_labels(breaks, c.type)
        counts_ = [
            (MISSING_BIN if index is None else labels[index], int(n), int(pos))
            for index, n, pos in next(results).select(BIN, KNOWN, POS).iter_rows()
        ]
        binned.append((c, "quantile", counts_))
    attributes: list[Attribute] = [
        make_attribute(c.name, c.type, kind, woe_bins(bins, positives, negatives), base, rows)
        for c, kind, bins in binned
    ]
    return build_icp(target, positive, (positives, negatives, counts.missing), attributes, skipped)
