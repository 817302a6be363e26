"""The distribution section: how the leads spread over scores, tiers and grades.

It also holds the readers of the cell table (`per_score`, `counts_by`) that the
outcome, drift and comparison sections are computed with.
"""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl

from leadscore_cli.metrics import BAND_EDGES, band_counts, ratio, rounded
from leadscore_cli.report_frame import COUNT, G, S, T, Y
from leadscore_cli.summary import quantile_from_counts


def per_score(cells: pl.DataFrame, score: str = S) -> pl.DataFrame:
    """Leads, converted and not converted per distinct score, ascending (null scores out)."""
    return (
        cells.filter(pl.col(score).is_not_null())
        .group_by(score)
        .agg(
            pl.col(COUNT).sum().alias("leads"),
            pl.col(COUNT).filter(pl.col(Y) == True).sum().alias("pos"),  # noqa: E712
            pl.col(COUNT).filter(pl.col(Y) == False).sum().alias("neg"),  # noqa: E712
        )
        .sort(score)
    )


def distribution(cells: pl.DataFrame, tiers: list[str], grades: list[str]) -> dict:
    scores = per_score(cells)
    values, counts = scores[S].to_list(), scores["leads"].to_list()
    total = sum(counts)
    histogram = score_bands(values, counts, total)
    mean = sum(v * c for v, c in zip(values, counts, strict=True)) / total if total else None
    return {
        "scored": total,
        "mean": rounded(mean, 4),
        "median": quantile_from_counts(values, counts, 0.5),
        "histogram": histogram,
        "tiers": shares(cells, T, "tier", tiers),
        "grades": shares(cells, G, "grade", grades),
        "matrix": matrix(cells, tiers, grades),
    }


def score_bands(values: list[float], counts: list[int], total: int) -> list[dict]:
    """Ten 10-point bins, cut as calibration and the score PSI cut them: a score outside
    0-100 (an edited file) counts in the nearest end bin, never in the other end."""
    found = band_counts(np.asarray(values, dtype=np.float64), np.asarray(counts))
    return [
        {"low": low, "high": high, "count": int(n), "share": rounded(ratio(int(n), total))}
        for (low, high), n in zip(itertools.pairwise(BAND_EDGES), found, strict=True)
    ]


def shares(cells: pl.DataFrame, column: str, label: str, order: list[str]) -> list[dict]:
    found = counts_by(cells, [column])
    total = int(cells[COUNT].sum())
    return [share_row({label: key}, found.get((key,), 0), total) for key in order]


def matrix(cells: pl.DataFrame, tiers: list[str], grades: list[str]) -> list[dict]:
    found = counts_by(cells, [G, T])
    total = int(cells[COUNT].sum())
    return [
        share_row({"grade": g, "tier": t}, found.get((g, t), 0), total)
        for g in grades
        for t in tiers
    ]


def share_row(keys: dict, count: int, total: int) -> dict:
    return keys | {"count": count, "share": rounded(ratio(count, total))}


def counts_by(cells: pl.DataFrame, keys: list[str]) -> dict[tuple, int]:
    grouped = cells.group_by(keys).agg(pl.col(COUNT).sum())
    return {tuple(row[:-1]): int(row[-1]) for row in grouped.iter_rows()}


def order_by_score(cells: pl.DataFrame, column: str) -> list[str]:
    """Tiers of a file scored elsewhere, top first: by their lowest score, highest first."""
    grouped = (
        cells.filter(pl.col(column).is_not_null())
        .group_by(column)
        .agg(pl.col(S).min().alias("low"), pl.col(S).max().alias("high"))
        .sort(["low", "high", column], descending=[True, True, False], nulls_last=True)
    )
    return grouped[column].to_list()


def sorted_grades(cells: pl.DataFrame) -> list[str]:
    """Grades of a file graded elsewhere: A+ A A- B+ ... (letter, then +, plain, -)."""
    found = cells[G].drop_nulls().unique().to_list()
    return sorted(found, key=lambda g: (g.rstrip("+-"), {"+": 0, "-": 2}.get(g[-1:], 1)))
