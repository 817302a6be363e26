"""How well scores predict the outcome: conversion by score, tier and grade, lead
velocity, and the A/B comparison of two models on the same leads."""

from __future__ import annotations

import numpy as np
import polars as pl

from leadscore_cli.metrics import (
    BOOTSTRAP_REPLICATES,
    BOOTSTRAP_SEED,
    ab_verdict,
    auc_from_counts,
    bootstrap_auc_difference,
    calibration,
    gains_table,
    gini,
    ks_from_counts,
    ratio,
    rounded,
)
from leadscore_cli.model.schema import Model
from leadscore_cli.report_distribution import counts_by, per_score
from leadscore_cli.report_frame import COUNT, DAYS, SB, TB, G, ReportOptions, S, T, Y
from leadscore_cli.summary import counted, noun_for, quantile_from_counts


def outcome_section(
    cells: pl.DataFrame,
    options: ReportOptions,
    tiers: list[str],
    grades: list[str],
    warnings: list[str],
) -> dict:
    """Every outcome figure over one population: the leads with a score and a known outcome."""
    known = cells.filter(pl.col(Y).is_not_null() & pl.col(S).is_not_null())
    positives = int(known.filter(pl.col(Y))[COUNT].sum())
    total = int(known[COUNT].sum())
    missing = int(cells.filter(pl.col(Y).is_null())[COUNT].sum())
    unscored = int(cells.filter(pl.col(Y).is_not_null() & pl.col(S).is_null())[COUNT].sum())
    if unscored:
        warnings.append(
            f"{counted(unscored, 'lead')} with a known outcome "
            f"{noun_for(unscored, 'has', 'have')} no readable score: "
            f"{noun_for(unscored, 'it is', 'they are')} left out of every outcome figure"
        )
    if total == 0:
        warnings.append(
            f"outcome column {options.outcome!r} has no known outcome among the scored leads: "
            "AUC, Gini and KS cannot be computed"
        )
    elif positives == total or positives == 0:
        warnings.append(
            f"outcome column {options.outcome!r} has a single class among "
            f"{counted(total, 'known outcome')}: AUC, Gini and KS cannot be computed"
        )
    scores = per_score(known)
    values = scores[S].to_numpy()
    pos, neg = scores["pos"].to_numpy(), scores["neg"].to_numpy()
    auc = auc_from_counts(pos, neg)
    ks, ks_score = ks_from_counts(values, pos, neg)
    return {
        "column": options.outcome,
        "positive": list(options.positive),
        "known": total,
        "converted": positives,
        "missing": missing,
        "unscored": unscored,
        "base_rate": rounded(ratio(positives, total)),
        "auc": rounded(auc),
        "gini": rounded(gini(auc)),
        "ks": rounded(ks),
        "ks_score": ks_score,
        "by_tier": rates_by(known, T, "tier", tiers),
        "by_grade": rates_by(known, G, "grade", grades),
        "deciles": gains_table(values, pos, neg),
        "calibration": calibration(values, pos, neg),
        "velocity": None,
    }


def rates_by(known: pl.DataFrame, column: str, label: str, order: list[str]) -> list[dict]:
    leads = counts_by(known, [column])
    converted = counts_by(known.filter(pl.col(Y)), [column])
    rows = []
    for key in order:
        n, conv = leads.get((key,), 0), converted.get((key,), 0)
        rows.append({label: key, "leads": n, "converted": conv, "rate": rounded(ratio(conv, n))})
    return rows


def velocity(counts: pl.DataFrame, options: ReportOptions, tiers: list[str]) -> dict:
    """Median whole days from created to converted, per tier, over converted leads."""
    negative = int(counts.filter(pl.col(DAYS) < 0)[COUNT].sum())
    valid = counts.filter(pl.col(DAYS) >= 0)

    def median(frame: pl.DataFrame) -> tuple[int, float | None]:
        grouped = frame.group_by(DAYS).agg(pl.col(COUNT).sum()).sort(DAYS)
        values, n = grouped[DAYS].to_list(), grouped[COUNT].to_list()
        return sum(n), quantile_from_counts(values, n, 0.5)

    overall_n, overall = median(valid)
    by_tier = []
    for tier in tiers:
        n, value = median(valid.filter(pl.col(T) == tier))
        by_tier.append({"tier": tier, "converted": n, "median_days": value})
    return {
        "created_column": options.created_column,
        "converted_at_column": options.converted_at_column,
        "converted": overall_n,
        "median_days": overall,
        "by_tier": by_tier,
        "negative_left_out": negative,
    }


# --- A/B ---------------------------------------------------------------------------


def comparison(
    cells: pl.DataFrame,
    model: Model | None,
    other: Model,
    tiers: list[str],
    current: dict | None = None,
) -> dict:
    """Both models on the same leads: ranking quality, tiers, and the AUC difference."""
    if current is None:
        assert model is not None
        current = model_identity(model)
    who = model_identity(other)
    known = cells.filter(
        pl.col(Y).is_not_null() & pl.col(S).is_not_null() & pl.col(SB).is_not_null()
    )
    sides = [
        model_side(cells, known, S, T, tiers, "current", current),
        model_side(cells, known, SB, TB, [t.name for t in other.tiers], "other", who),
    ]
    paired = (
        known.group_by(S, SB, Y)
        .agg(pl.col(COUNT).sum())
        .sort(S, SB, Y)  # a fixed cell order, so the seeded draws give the same interval
    )
    low = high = None
    if paired.height:
        index_a = np.unique(paired[S].to_numpy(), return_inverse=True)[1]
        index_b = np.unique(paired[SB].to_numpy(), return_inverse=True)[1]
        low, high = bootstrap_auc_difference(
            index_a, index_b, paired[Y].to_numpy(), paired[COUNT].to_numpy()
        )
    auc_a, auc_b = sides[0]["auc"], sides[1]["auc"]
    difference = None if auc_a is None or auc_b is None else auc_b - auc_a
    return {
        "models": sides,
        "auc_difference": rounded(difference),
        "interval": [rounded(low), rounded(high)],
        "replicates": BOOTSTRAP_REPLICATES,
        "seed": BOOTSTRAP_SEED,
        "verdict": ab_verdict(difference, low, high),
    }


def model_identity(model: Model) -> dict:
    """Name, version and file: a model and its edit (say, with new tiers from
    `threshold --write`) often share a name and version, and only the file tells them apart."""
    file = None if model.source is None else str(model.source)
    return {"name": model.name, "version": model.version, "file": file}


def model_side(
    cells: pl.DataFrame,
    known: pl.DataFrame,
    score: str,
    tier: str,
    tiers: list[str],
    role: str,
    who: dict,
) -> dict:
    """One model's figures: volume over all `cells`, the rest over the `known` leads
    (a known outcome and both models' scores), the same leads for both models."""
    scores = per_score(known, score)
    values = scores[score].to_numpy()
    pos, neg = scores["pos"].to_numpy(), scores["neg"].to_numpy()
    auc = auc_from_counts(pos, neg)
    ks, _ = ks_from_counts(values, pos, neg)
    top = gains_table(values, pos, neg)[0]
    total = int(cells[COUNT].sum())
    volume = counts_by(cells, [tier])
    leads = counts_by(known, [tier])
    converted = counts_by(known.filter(pl.col(Y)), [tier])
    rows = []
    for name in tiers:
        n, conv = leads.get((name,), 0), converted.get((name,), 0)
        count = volume.get((name,), 0)
        rows.append(
            {
                "tier": name,
                "count": count,
                "share": rounded(ratio(count, total)),
                "leads": n,
                "converted": conv,
                "rate": rounded(ratio(conv, n)),
            }
        )
    return {
        "role": role,
        **who,
        "auc": rounded(auc),
        "gini": rounded(gini(auc)),
        "ks": rounded(ks),
        "top_decile_lift": top["lift"],
        "tiers": rows,
    }
