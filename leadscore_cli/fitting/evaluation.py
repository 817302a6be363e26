"""Scoring leads with the written model: holdout AUC, KS and top-decile lift, and tiers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score, roc_curve

from leadscore_cli.errors import DataError
from leadscore_cli.fitting.history import History
from leadscore_cli.model.schema import Model
from leadscore_cli.score_run import invalid_values_check
from leadscore_cli.scoring import plan_scoring
from leadscore_cli.scoring.columns import SCORE
from leadscore_cli.thresholds import (
    CutoffTable,
    TierPick,
    bucket_counts,
    default_tier_names,
    recommend_tiers,
)

TIER_CUTOFFS = 3
TOP_SHARE = 0.1  # lift is measured in the top decile


@dataclass
class Metrics:
    auc: float
    ks: float
    lift: float  # conversion rate in the top decile over the base rate
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
    """AUC, KS and top-decile lift of scores (ties share the top decile fairly)."""
    fpr, tpr, _ = roc_curve(y, scores)
    return Metrics(
        auc=float(roc_auc_score(y, scores)),
        ks=float(np.max(tpr - fpr)),
        lift=top_lift(scores, y, TOP_SHARE),
        leads=int(y.size),
        converted=int(y.sum()),
    )


def top_lift(scores: np.ndarray, y: np.ndarray, share: float) -> float:
    """Conversion rate of the top `share` of leads over the base rate; a tie that straddles
    the boundary counts in proportion."""
    want = share * y.size
    values, inverse = np.unique(-scores, return_inverse=True)  # best first
    leads = np.bincount(inverse, minlength=values.size).astype(np.float64)
    converted = np.bincount(inverse, weights=y.astype(np.float64), minlength=values.size)
    taken = np.minimum(leads, np.maximum(0.0, want - (np.cumsum(leads) - leads)))
    rate = float((converted * taken / leads).sum() / want)
    return rate / float(y.mean())


def propose_tiers(scores: np.ndarray, y: np.ndarray) -> list[TierPick]:
    frame = pl.DataFrame({"score": scores, "y": y}).lazy()
    table = CutoffTable.from_buckets(bucket_counts(frame, "score", "y").collect())
    return recommend_tiers(table, TIER_CUTOFFS, default_tier_names(TIER_CUTOFFS + 1))


def holdout_metrics(scores: np.ndarray, history: History) -> Metrics:
    y = history.y[history.holdout]
    if y.all() or not y.any():
        raise DataError(
            "the holdout has converted leads only or none; use a larger --holdout",
            path=history.name,
        )
    return metrics(scores[history.holdout], y)
