"""Figures that describe a scoring run, computed from small aggregates.

The run streams its rows to the output and only keeps a count per distinct
score (at most 10,001 values at two decimals), so histogram, mean and exact
quartiles cost no memory that grows with the input.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import polars as pl

from leadscore_cli.model.schema import Model

HISTOGRAM_EDGES = tuple(range(0, 101, 10))


def noun_for(count: float, noun: str, plural: str | None = None) -> str:
    """The noun a count takes: singular for exactly one (`plural` when not just + s)."""
    return noun if count == 1 else plural or noun + "s"


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`1 lead`, `5,000 leads`: a count with its noun."""
    return f"{count:,} {noun_for(count, noun, plural)}"


@dataclass
class RuleFiring:
    name: str
    category: str
    fired: int
    share: float


@dataclass
class ScoreSummary:
    model: str
    model_version: str
    input: str
    output: str
    as_of: str
    rows_scored: int
    rows_written: int
    mean: float | None
    quartiles: dict[str, float | None]
    histogram: list[dict[str, float | int]]
    tiers: dict[str, int]
    rules: list[RuleFiring]
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    handoff: dict | None = None
    changes: dict | None = None  # with --previous: see nightly.changes_since

    def to_dict(self) -> dict:
        return asdict(self)


def quantile_from_counts(values: list[float], counts: list[int], q: float) -> float | None:
    """Linear-interpolated quantile (numpy's default) from sorted values and their counts."""
    total = sum(counts)
    if total == 0:
        return None
    position = q * (total - 1)
    below, above = int(position), min(int(position) + 1, total - 1)
    low_value = high_value = None
    seen = 0
    for value, count in zip(values, counts, strict=True):
        if low_value is None and below < seen + count:
            low_value = value
        if above < seen + count:
            high_value = value
            break
        seen += count
    assert low_value is not None and high_value is not None
    return round(low_value + (high_value - low_value) * (position - below), 4)


def score_histogram(values: list[float], counts: list[int]) -> list[dict[str, float | int]]:
    """Ten bins of ten points; the last bin includes 100."""
    bins = [0] * (len(HISTOGRAM_EDGES) - 1)
    for value, count in zip(values, counts, strict=True):
        bins[min(int(value // 10), len(bins) - 1)] += count
    return [
        {"low": low, "high": high, "count": n}
        for low, high, n in zip(HISTOGRAM_EDGES, HISTOGRAM_EDGES[1:], bins, strict=False)
    ]


def tier_counts(model: Model, values: list[float], counts: list[int]) -> dict[str, int]:
    if not model.tiers:
        return {}
    result = {tier.name: 0 for tier in model.tiers}
    for value, count in zip(values, counts, strict=True):
        tier = next((t.name for t in model.tiers if value >= t.min_score), model.tiers[-1].name)
        result[tier] += count
    return result


def summarise(
    model: Model,
    stats: pl.DataFrame,
    score_counts: pl.DataFrame,
    *,
    input_name: str,
    output_name: str,
    as_of: dt.date,
    top: int | None,
) -> ScoreSummary:
    ordered = score_counts.drop_nulls("score").sort("score")
    values = ordered["score"].to_list()
    counts = ordered["count"].to_list()
    rows = int(stats["rows"][0])
    total = sum(counts)
    mean = (
        round(sum(v * c for v, c in zip(values, counts, strict=True)) / total, 4) if total else None
    )
    rules = [
        RuleFiring(
            name=rule.name,
            category=rule.category,
            fired=int(stats[f"fired:{i}"][0]),
            share=round(int(stats[f"fired:{i}"][0]) / rows, 4) if rows else 0.0,
        )
        for i, rule in enumerate(model.rules)
    ]
    return ScoreSummary(
        model=model.name,
        model_version=model.version,
        input=input_name,
        output=output_name,
        as_of=as_of.isoformat(),
        rows_scored=rows,
        rows_written=rows if top is None else min(rows, top),
        mean=mean,
        quartiles={
            "min": values[0] if values else None,
            "q1": quantile_from_counts(values, counts, 0.25),
            "median": quantile_from_counts(values, counts, 0.5),
            "q3": quantile_from_counts(values, counts, 0.75),
            "max": values[-1] if values else None,
        },
        histogram=score_histogram(values, counts),
        tiers=tier_counts(model, values, counts),
        rules=rules,
    )


def changes_text(changes: dict) -> str:
    """`Since the last run: 120 new, 99 gone, 2,345 scores changed; tier moves: mql->sql 12`"""
    text = (
        f"Since the last run: {changes['new']:,} new, {changes['gone']:,} gone, "
        f"{counted(changes['score_changed'], 'score')} changed"
    )
    moves = changes["tier_moves"]
    if moves:
        text += "; tier moves: " + ", ".join(f"{m} {n:,}" for m, n in moves.items())
    return text
