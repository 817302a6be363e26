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
    chance,
    figures,
    range_binning,
)
from leadscore_cli.fitting.columns import Column
from leadscore_cli.fitting.history import Dropped, FitOptions, History
from leadscore_cli.icp import (
    WEAK_IV,
    Bin,
    leakage_reason,
    min_support,
)

DUPLICATE_CORRELATION = 0.9  # |correlation| of two columns' WoE values that makes them twins
CHANCE_P = 0.01  # a column whose bins differ less surely than this is dropped as weak

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
    (with many small bins, first names say, the IV of pure noise is large); and the bins."""
    binning = feature.binning
    if binning.kind == "category":  # test the levels before grouping: grouping looked at y
        binning = Binning("category", binning.levels, tuple(range(len(binning.levels))))
    codes = binning.assign(feature.column.values[train])
    leads, converted = bin_counts(codes, y[train], binning.size)
    return chance(leads, converted), int((leads > 0).sum())


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
