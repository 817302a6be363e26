"""Scoring leads with the written model: holdout AUC, KS and top-decile lift, and tiers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from leadscore_cli.errors import DataError
from leadscore_cli.fitting.history import History
from leadscore_cli.metrics import auc_from_counts, counts_per_score, gains_table, ks_from_counts
from leadscore_cli.model.schema import Model
from leadscore_cli.score_run import invalid_values_check
from leadscore_cli.scoring import plan_scoring
from leadscore_cli.scoring.columns import SCORE
from leadscore_cli.thresholds import (
    CutoffTable,
    TierPick,
    TiersDoNotFit,
    bucket_counts,
    default_tier_names,
    recommend_tiers,
)

TIER_CUTOFFS = 3


@dataclass
class Metrics:
    auc: float
    ks: float
    lift: float  # conversion rate in the top decile over the base rate, as `report` has it
    leads: int
    converted: int

    def rounded(self) -> dict[str, float | int]:
        return {
            "auc": round(self.auc, 4),
            "ks": round(self.ks, 4),
            "lift": round(self.lift, 4),
            "leads": self.leads,
            "converted": self.converted,
        }


def engine_scores(
    frame: pl.DataFrame, model: Model, as_of: dt.date, source_name: str
) -> np.ndarray:
    """Scores exactly as `score` computes them (it is the same engine)."""
    plan = plan_scoring(frame.lazy(), model, as_of=as_of, source_name=source_name)
    output, stats = pl.collect_all([plan.output.select(SCORE), plan.stats])
    invalid_values_check(plan, source_name)([stats])
    return output[SCORE].to_numpy().astype(np.float64)


def metrics(scores: np.ndarray, y: np.ndarray) -> Metrics:
    """AUC, KS and top-decile lift exactly as `report` computes them (`leadscore_cli.metrics`:
    ties share a decile), so both commands give the same figures for the same scores.

    `y` must hold converted and other leads (see `holdout_metrics`).
    """
    values, pos, neg = counts_per_score(scores, y)
    auc = auc_from_counts(pos, neg)
    ks, _ = ks_from_counts(values, pos, neg)
    lift = gains_table(values, pos, neg)[0]["lift"]
    if auc is None or ks is None or not isinstance(lift, float):
        raise ValueError("metrics need converted and other leads")
    return Metrics(auc=auc, ks=ks, lift=lift, leads=int(y.size), converted=int(y.sum()))


def propose_tiers(scores: np.ndarray, y: np.ndarray) -> tuple[list[TierPick], str | None]:
    """Four tiers when the scores support them, else as many as they do (fewer cutoffs,
    down to one), with why there are fewer; DataError when not even two tiers fit."""
    frame = pl.DataFrame({"score": scores, "y": y}).lazy()
    table = CutoffTable.from_buckets(bucket_counts(frame, "score", "y").collect())
    why_fewer: str | None = None
    for cutoffs in range(TIER_CUTOFFS, 0, -1):
        try:
            tiers = recommend_tiers(table, cutoffs, default_tier_names(cutoffs + 1))
        except TiersDoNotFit as exc:
            if cutoffs == 1:
                raise
            why_fewer = exc.reason
            continue
        if why_fewer is None:
            return tiers, None
        names = ", ".join(t.name for t in tiers)
        return tiers, f"{len(tiers)} tiers proposed ({names}), as {why_fewer}"
    raise AssertionError("unreachable: one cutoff either fits or raises")


def holdout_metrics(scores: np.ndarray, history: History) -> Metrics:
    y = history.y[history.holdout]
    if y.all() or not y.any():
        raise DataError(
            "the holdout has converted leads only or none; use a larger --holdout",
            path=history.name,
        )
    return metrics(scores[history.holdout], y)
