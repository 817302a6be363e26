"""Bins for a points model: every value a lead can hold falls in exactly one bin.

A bin is what one `map` key or one `bands` range of a fitted rule scores, so the bins
are chosen for that: categories keep the levels with enough support and pool the rest in
an `other` bin (which also scores values never seen in history); numbers are cut where a
small decision tree on the outcome cuts them, at readable edges, and made monotonic when
that loses little information. Missing values always have their own bin.

Everything here is plain numpy on one column at a time; `leadscore_cli.fitting` reads the
columns and decides which ones to keep.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.tree import DecisionTreeClassifier

from leadscore_cli.chance import chance
from leadscore_cli.icp import ANY_VALUE, MISSING, OTHER, Bin, woe_bins

MAX_RANGES = 8  # numeric bins besides the missing one
LEAF_SHARE = 0.1  # a numeric bin holds at least this share of the present values
MONOTONIC_KEEP = 0.7  # make bins monotonic when that keeps this share of the IV
MERGE_P = 0.05  # neighbouring ranges whose rates differ less surely than this are merged
GROUP_P = 0.05  # the same for categories, neighbours in order of conversion rate


@dataclass(frozen=True)
class Binning:
    """How one feature's values map to bins.

    Categories: level i falls in bin `groups[i]` (levels that convert alike share a bin),
    then come the `other` bin and the `missing` bin.
    Ranges: bins 0..E are (-inf, e0), [e0, e1), ... [eE-1, inf) for E `edges`, then `missing`.
    """

    kind: str  # "category" or "range"
    levels: tuple[str, ...] = ()
    groups: tuple[int, ...] = ()
    edges: tuple[float, ...] = ()

    @property
    def size(self) -> int:
        if self.kind == "category":
            return (max(self.groups) + 1 if self.groups else 0) + 2
        return len(self.edges) + 2

    @property
    def missing(self) -> int:
        return self.size - 1

    @property
    def other(self) -> int | None:
        return self.size - 2 if self.kind == "category" else None

    def assign(self, values: np.ndarray) -> np.ndarray:
        """Bin index of each value (None / NaN: the missing bin)."""
        if self.kind == "category":
            lookup = dict(zip(self.levels, self.groups, strict=True))
            other, missing = self.size - 2, self.missing
            codes = [missing if v is None else lookup.get(v, other) for v in values.tolist()]
            return np.asarray(codes, dtype=np.int64)
        numbers = values.astype(np.float64)
        codes = np.searchsorted(np.asarray(self.edges, dtype=np.float64), numbers, side="right")
        return np.where(np.isnan(numbers), self.missing, codes).astype(np.int64)

    def labels(self) -> list[str]:
        if self.kind == "category":
            named = [
                ", ".join(
                    level for level, g in zip(self.levels, self.groups, strict=True) if g == i
                )
                for i in range(self.size - 2)
            ]
            return [*named, OTHER, MISSING]
        return [*range_labels(self.edges), MISSING]

    def bounds(self, index: int) -> tuple[float | None, float | None]:
        """(min, max) of a range bin; None for an open end."""
        low = self.edges[index - 1] if index > 0 else None
        high = self.edges[index] if index < len(self.edges) else None
        return low, high


def range_labels(edges: Sequence[float]) -> list[str]:
    if not edges:
        return [ANY_VALUE]
    text = [edge_text(e) for e in edges]
    labels = [f"< {text[0]}"]
    labels += [f"[{low}, {high})" for low, high in itertools.pairwise(text)]
    return [*labels, f">= {text[-1]}"]


def edge_text(edge: float) -> str:
    """An edge as the written model's bands hold it: 1933000, not 1.933e+06."""
    return str(int(edge)) if edge.is_integer() and abs(edge) < 1e15 else repr(edge)


def category_binning(values: np.ndarray, min_count: int, y: np.ndarray | None = None) -> Binning:
    """Levels with at least `min_count` leads, most frequent first (ties by name); with an
    outcome, levels that convert alike are grouped into one bin."""
    present = [v for v in values.tolist() if v is not None]
    levels, counts = np.unique(np.asarray(present, dtype=object), return_counts=True)
    kept = [(str(level), int(n)) for level, n in zip(levels, counts, strict=True) if n >= min_count]
    kept.sort(key=lambda item: (-item[1], item[0]))
    names = tuple(level for level, _ in kept)
    binning = Binning("category", levels=names, groups=tuple(range(len(names))))
    return binning if y is None else group_levels(binning, values, y)


def group_levels(binning: Binning, values: np.ndarray, y: np.ndarray) -> Binning:
    """ChiMerge on levels ordered by conversion rate: fewer, surer bins (titles fall into
    seniority groups, say) than one bin per level."""
    codes = binning.assign(values)
    leads, converted = bin_counts(codes, y, binning.size)
    count = len(binning.levels)
    if count < 3:
        return binning
    order = sorted(range(count), key=lambda i: (converted[i] / leads[i], i))
    runs = [[i] for i in order]  # consecutive levels in rate order, merged as we go
    while len(runs) > 1:
        totals = [(leads[r].sum(), converted[r].sum()) for r in runs]
        pvalues = [
            chance(
                np.array([totals[i][0], totals[i + 1][0]]),
                np.array([totals[i][1], totals[i + 1][1]]),
            )
            for i in range(len(runs) - 1)
        ]
        worst = int(np.argmax(pvalues))
        if pvalues[worst] <= GROUP_P:
            break
        runs[worst : worst + 2] = [runs[worst] + runs[worst + 1]]
    first = {min(r): r for r in runs}  # number groups by their most frequent level
    groups = [0] * count
    for number, key in enumerate(sorted(first)):
        for level in first[key]:
            groups[level] = number
    return Binning("category", levels=binning.levels, groups=tuple(groups))


def range_binning(values: np.ndarray, y: np.ndarray, min_count: int) -> Binning:
    """Supervised cut points from a small tree, at readable edges, monotonic when it pays."""
    present = ~np.isnan(values)
    x, target = values[present], y[present]
    if x.size == 0 or np.unique(x).size < 2 or np.unique(target).size < 2:
        return Binning("range")
    leaf = max(min_count, math.ceil(LEAF_SHARE * x.size))
    if x.size < 2 * leaf:
        return Binning("range")
    tree = DecisionTreeClassifier(
        criterion="log_loss", max_leaf_nodes=MAX_RANGES, min_samples_leaf=leaf, random_state=0
    )
    # The tree sees each value's rank, not the value: its cuts depend on the order alone,
    # and scikit-learn reads values as float32, which overflows beyond 3.4e38 and merges
    # large values that differ.
    distinct, rank = np.unique(x, return_inverse=True)
    tree.fit(rank.reshape(-1, 1).astype(np.float64), target)
    cuts = sorted(t for t in tree.tree_.threshold if t != -2.0)  # -2: a leaf
    edges = tuple(readable_edge(distinct, distinct[math.floor(t)]) for t in cuts)
    binning = Binning("range", edges=tuple(sorted(set(edges))))
    return monotonic(merge_similar(binning, values, y), values, y)


def readable_edge(distinct: np.ndarray, threshold: float) -> float:
    """The roundest number in (a, b], a and b the observed values either side of the cut.

    Any such edge splits the history exactly as the tree did; the roundest one reads best.
    """
    position = int(np.searchsorted(distinct, threshold, side="right"))
    low, high = float(distinct[position - 1]), float(distinct[position])
    scale = max(abs(low), abs(high))
    top = math.floor(math.log10(scale)) if scale > 0 else 0
    for digits in range(top, top - 16, -1):
        step = 10.0**digits
        candidate = (math.floor(low / step) + 1) * step
        candidate = round(candidate, max(0, -digits))
        if low < candidate <= high:
            return float(candidate)
    return high


def bin_counts(codes: np.ndarray, y: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Leads and conversions per bin."""
    leads = np.bincount(codes, minlength=size)
    converted = np.bincount(codes, weights=y.astype(np.float64), minlength=size).astype(np.int64)
    return leads, converted


def figures(binning: Binning, codes: np.ndarray, y: np.ndarray) -> list[Bin]:
    """WoE, IV and rates per non-empty bin (the same figures `profile` reports)."""
    leads, converted = bin_counts(codes, y, binning.size)
    positives = int(y.sum())
    negatives = int(y.size - positives)
    rows = [
        (label, int(n), int(c))
        for label, n, c in zip(binning.labels(), leads, converted, strict=True)
    ]
    return woe_bins(rows, positives, negatives)


def information_value(binning: Binning, codes: np.ndarray, y: np.ndarray) -> float:
    return float(sum(b.iv for b in figures(binning, codes, y)))


def monotonic(binning: Binning, values: np.ndarray, y: np.ndarray) -> Binning:
    """Merge neighbouring ranges until conversion only rises (or only falls) with the value,
    when that keeps MONOTONIC_KEEP of the information value; else keep the shape the data has
    (company size, say, peaks in the middle)."""
    if len(binning.edges) < 2:
        return binning
    before = information_value(binning, binning.assign(values), y)
    best: Binning | None = None
    for rising in (True, False):
        merged = merge_violations(binning, values, y, rising)
        iv = information_value(merged, merged.assign(values), y)
        if iv >= MONOTONIC_KEEP * before and (
            best is None or iv > information_value(best, best.assign(values), y)
        ):
            best = merged
    return best or binning


def merge_similar(binning: Binning, values: np.ndarray, y: np.ndarray) -> Binning:
    """Merge the neighbouring ranges least surely different until all differ (ChiMerge):
    a tree also cuts where the outcome only wobbles by chance."""
    edges = list(binning.edges)
    while edges:
        current = Binning("range", edges=tuple(edges))
        leads, converted = bin_counts(current.assign(values), y, current.size)
        pvalues = [chance(leads[i : i + 2], converted[i : i + 2]) for i in range(len(edges))]
        worst = int(np.argmax(pvalues))
        if pvalues[worst] <= MERGE_P:
            break
        edges.pop(worst)
    return Binning("range", edges=tuple(edges))


def merge_violations(binning: Binning, values: np.ndarray, y: np.ndarray, rising: bool) -> Binning:
    """Pool adjacent violators: drop the edge between two ranges that break the order."""
    edges = list(binning.edges)
    while edges:
        current = Binning("range", edges=tuple(edges))
        leads, converted = bin_counts(current.assign(values), y, current.size)
        rates = converted[:-1] / np.maximum(leads[:-1], 1)
        steps = np.diff(rates) if rising else -np.diff(rates)
        if (steps >= 0).all():
            break
        edges.pop(int(np.argmin(steps)))
    return Binning("range", edges=tuple(edges))
