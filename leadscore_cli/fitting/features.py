"""Choosing features: bin every column on the training leads and keep the ones a model
should use, saying why each other column went (leakage, weak, near-duplicate, limit)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from leadscore_cli.binning import (
    Binning,
    bin_counts,
    category_binning,
    figures,
    range_binning,
)
from leadscore_cli.chance import CHANCE_P, column_chance
from leadscore_cli.fitting.columns import Column
from leadscore_cli.fitting.history import Dropped, FitOptions, History
from leadscore_cli.icp import (
    WEAK_IV,
    Bin,
    leakage_reason,
    min_support,
)

DUPLICATE_CORRELATION = 0.9  # |correlation| of two columns' WoE values that makes them twins

OUTCOME_LIKE_NAME = re.compile(
    r"(^|_)(stage|status|won|lost|closed?|deal|deals|opportunity|opportunities|lifecycle"
    r"|disposition|outcome|result|converted|conversion|customer|churn|churned)(_|$)"
)


@dataclass
class Feature:
    """A column kept for the model: its bins and what the training leads say about them."""

    column: Column
    binning: Binning
    codes: np.ndarray  # bin of every lead
    bins: list[Bin]  # figures on the training leads (non-empty bins)
    iv: float


def bin_column(column: Column, y: np.ndarray, train: np.ndarray) -> Feature:
    """Bins from the training leads only; codes for every lead."""
    support = min_support(int(train.sum()))
    if column.kind in ("category", "bool"):
        binning = category_binning(column.values[train], support, y[train])
    else:
        binning = range_binning(column.values[train], y[train], support)
    codes = binning.assign(column.values)
    bins = figures(binning, codes[train], y[train])
    return Feature(column, binning, codes, bins, float(sum(b.iv for b in bins)))


def select_features(history: History, options: FitOptions) -> tuple[list[Feature], list[Dropped]]:
    """Bin every column and keep the ones a model should use; say why each other went."""
    train, y = history.train, history.y
    base_rate = float(y[train].mean())
    rows = int(train.sum())
    dropped: list[Dropped] = []
    kept: list[Feature] = []
    for column in history.columns:
        feature = bin_column(column, y, train)
        if OUTCOME_LIKE_NAME.search(column.name):
            dropped.append(
                Dropped(
                    column.source,
                    "leakage",
                    f"outcome-like column (records what happened after the lead came in; "
                    f"IV {feature.iv:.2f})",
                )
            )
            continue
        binning = "category" if feature.binning.kind == "category" else "quantile"
        leak = leakage_reason(column.name, binning, feature.bins, base_rate, rows)
        if leak:
            dropped.append(Dropped(column.source, "leakage", leak))
        elif feature.iv < WEAK_IV:
            dropped.append(
                Dropped(column.source, "weak", f"IV {feature.iv:.3f} is below {WEAK_IV:g}")
            )
        elif (test := feature_chance(feature, y, train))[0] > CHANCE_P:
            p, bins = test
            dropped.append(
                Dropped(
                    column.source,
                    "weak",
                    f"IV {feature.iv:.3f} over {bins} bins is what chance gives (p = {p:.2f})",
                )
            )
        else:
            kept.append(feature)
    kept.sort(key=lambda f: (-f.iv, f.column.name))
    kept, twins = drop_duplicates(kept, train)
    dropped += twins
    if options.max_features is not None and len(kept) > options.max_features:
        for feature in kept[options.max_features :]:
            dropped.append(
                Dropped(
                    feature.column.source,
                    "limit",
                    f"--max-features {options.max_features} keeps the strongest by IV "
                    f"(IV {feature.iv:.3f})",
                )
            )
        kept = kept[: options.max_features]
    return kept, dropped


def feature_chance(feature: Feature, y: np.ndarray, train: np.ndarray) -> tuple[float, int]:
    """How likely the training leads would show this much difference between bins by chance
    (with many small bins, first names say, the IV of pure noise is large); and the bins.

    The bins fit chose looked at the outcome (levels grouped, ranges cut where conversion
    differs most), so the test runs on bins that did not: the levels before grouping, and
    the deciles of a number or date.
    """
    values = feature.column.values[train]
    if feature.binning.kind == "category":
        levels = feature.binning.levels
        binning = Binning("category", levels, tuple(range(len(levels))))
    else:
        binning = Binning("range", edges=decile_edges(values))
    leads, converted = bin_counts(binning.assign(values), y[train], binning.size)
    ordered = None
    if binning.kind == "range":  # the last bin holds the missing values
        ordered = np.arange(leads.size) < leads.size - 1
    return column_chance(leads, converted, ordered=ordered), int((leads > 0).sum())


def decile_edges(values: np.ndarray) -> tuple[float, ...]:
    """The distinct values at positions floor(i * (n - 1) / 10), i = 1..9, of the sorted
    present values: the edges of the up to 10 quantile bins `profile` shows."""
    present = np.sort(values[~np.isnan(values)])
    if present.size == 0:
        return ()
    positions = [i * (present.size - 1) // 10 for i in range(1, 10)]
    return tuple(sorted({float(present[p]) for p in positions}))


def woe_values(feature: Feature, train: np.ndarray) -> np.ndarray:
    """Each training lead's bin WoE: what makes two columns carry the same signal."""
    by_label = {b.label: b.woe for b in feature.bins}
    table = np.asarray([by_label.get(label, 0.0) for label in feature.binning.labels()])
    return table[feature.codes[train]]


def drop_duplicates(
    features: list[Feature], train: np.ndarray
) -> tuple[list[Feature], list[Dropped]]:
    """Of two columns whose WoE values correlate above the limit, keep the stronger."""
    kept: list[tuple[Feature, np.ndarray]] = []
    dropped: list[Dropped] = []
    for feature in features:  # strongest first
        values = woe_values(feature, train)
        twin = None
        for other, other_values in kept:
            if values.std() == 0 or other_values.std() == 0:
                continue
            r = float(np.corrcoef(values, other_values)[0, 1])
            if abs(r) > DUPLICATE_CORRELATION:
                twin = (other, r)
                break
        if twin is None:
            kept.append((feature, values))
        else:
            other, r = twin
            dropped.append(
                Dropped(
                    feature.column.source,
                    "duplicate",
                    f"near-duplicate of {other.column.source!r} (WoE correlation {r:.2f}, "
                    f"IV {feature.iv:.3f} vs {other.iv:.3f})",
                )
            )
    return [f for f, _ in kept], dropped
