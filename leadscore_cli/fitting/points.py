"""Whole points from the weights, and the points model written with them."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from leadscore_cli.binning import Binning
from leadscore_cli.errors import DataError
from leadscore_cli.fitting.columns import Column, column_spec, field_slug, id_spec
from leadscore_cli.fitting.features import Feature
from leadscore_cli.model.schema import (
    AllOf,
    Band,
    Condition,
    Leaf,
    Model,
    Rule,
    Tier,
)

TOTAL_POINTS = 100


def to_points(weights: list[np.ndarray], leads: list[np.ndarray]) -> tuple[list[np.ndarray], float]:
    """Whole points per bin: each rule's lowest is 0 and the best attainable total is 100.

    Bins no training lead fell in (an `other` or `missing` bin never seen) get the
    lead-weighted mean weight of their rule: with no evidence, neither good nor bad.
    Returns the points and how many log-odds one point is worth.
    """
    shifted = []
    for w, n in zip(weights, leads, strict=True):
        w = w.copy()
        seen = n > 0
        w[~seen] = np.average(w[seen], weights=n[seen])
        shifted.append(w - w.min())
    spans = np.array([s.max() for s in shifted])
    if spans.sum() <= 0:
        raise DataError("no column separates converted leads from the others")
    factor = TOTAL_POINTS / spans.sum()
    tops = largest_remainder(spans * factor, TOTAL_POINTS)
    points = []
    for s, top in zip(shifted, tops, strict=True):
        p = np.minimum(np.rint(s * factor), top)
        p[np.argmax(s)] = top
        points.append(p.astype(np.int64))
    return points, 1 / factor


def largest_remainder(values: np.ndarray, total: int) -> np.ndarray:
    """Round values to integers that add up to `total` (they already nearly do)."""
    floors = np.floor(values).astype(np.int64)
    short = total - int(floors.sum())
    order = np.argsort(-(values - floors), kind="stable")
    floors[order[:short]] += 1
    return floors


# --- the written model -----------------------------------------------------------------------


def feature_rules(feature: Feature, points: np.ndarray, description: str) -> list[Rule]:
    """`map` for categories, `bands` for numbers; dates (days before the as-of date) and
    numbers without cut points as condition rules, which is how the model format counts days."""
    column, binning = feature.column, feature.binning
    common = {"category": column.category, "description": description}
    if binning.kind == "category":
        assert binning.other is not None
        return [
            Rule(
                name=column.name,
                kind="map",
                field=column.name,
                mapping=tuple(
                    sorted(
                        (
                            (level, float(points[group]))
                            for level, group in zip(binning.levels, binning.groups, strict=True)
                        ),
                        key=lambda item: -item[1],
                    )
                ),
                default=float(points[binning.other]),
                missing=float(points[binning.missing]),
                **common,
            )
        ]
    if column.kind == "number" and binning.edges:
        bands = tuple(
            Band(points=float(points[i]), min=low, max=high)
            for i in range(binning.size - 1)
            for low, high in [binning.bounds(i)]
        )
        return [
            Rule(
                name=column.name,
                kind="bands",
                field=column.name,
                bands=bands,
                default=0.0,
                missing=float(points[binning.missing]),
                **common,
            )
        ]
    return condition_rules(feature, points, common)


def condition_rules(feature: Feature, points: np.ndarray, common: dict) -> list[Rule]:
    """One condition rule per bin worth points; the bins do not overlap, so a lead meets at
    most one of them (none when its bin is worth 0 points, which gets no rule)."""
    column, binning = feature.column, feature.binning
    rules = []
    for index in range(binning.size):
        if points[index] == 0:
            continue
        if index == binning.missing:
            suffix, when = "missing", Leaf(column.name, "is_null")
        else:
            suffix, when = range_condition(column, binning, index)
        rules.append(
            Rule(
                name=f"{column.name}_{suffix}",
                kind="when",
                points=float(points[index]),
                when=when,
                **common,
            )
        )
    return rules


def range_condition(column: Column, binning: Binning, index: int) -> tuple[str, Condition]:
    """The condition for one range bin; for dates in whole days before the as-of date."""
    low, high = binning.bounds(index)
    if column.kind == "number":  # no cut points: the bin is "any value"
        return "present", Leaf(column.name, "not_null")
    leaves: list[Condition] = []
    if low is not None:  # at least `low` days old: more than low - 1
        leaves.append(Leaf(column.name, "older_than_days", math.ceil(low) - 1))
    if high is not None:  # under `high` days old: at most high - 1
        leaves.append(Leaf(column.name, "within_days", math.ceil(high) - 1))
    if low is None and high is None:
        return "present", Leaf(column.name, "not_null")
    lo = "0" if low is None else f"{math.ceil(low)}"
    hi = "plus" if high is None else f"{math.ceil(high) - 1}"
    suffix = f"{lo}_{hi}_days"
    return suffix, leaves[0] if len(leaves) == 1 else AllOf(tuple(leaves))


def build_model(
    name: str,
    features: list[Feature],
    points: list[np.ndarray],
    tiers: tuple[Tier, ...] = (),
    id_column: Column | None = None,
) -> Model:
    rules: list[Rule] = []
    for feature, p in zip(features, points, strict=True):
        description = f"fitted: IV {feature.iv:.3f}"
        rules += feature_rules(feature, p, description)
    specs = [column_spec(f.column) for f in features]
    if id_column is not None:
        specs.append(id_spec(id_column))
    return Model(
        name=name,
        version="1",
        id_column=None if id_column is None else id_column.name,
        rules=tuple(rules),
        description="Points learned from history by leadscore fit",
        scale="clip",
        fields=tuple(s for s in specs if s is not None),
        tiers=tiers,
    )


def model_name(source_name: str) -> str:
    stem = Path(source_name).name.split(".")[0] if source_name != "<stdin>" else "stdin"
    return f"fit_{field_slug(stem)}"
