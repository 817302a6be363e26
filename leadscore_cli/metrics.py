"""Report metrics computed from small count tables, never from rows.

Every function here takes counts per distinct score (scores have two decimals, so at
most 10,001 values) or per bin, so a report costs the same memory for a thousand
leads or a hundred million. Arrays of distinct scores are in ascending order.

Definitions (also in docs/report.md):

* AUC: the Mann-Whitney statistic with ties counted as half, i.e. the chance that a
  random converted lead scores above a random other one:
  ``sum_i pos_i * (neg_below_i + neg_i / 2) / (P * N)``. Gini = 2 * AUC - 1.
* KS: the largest |TPR - FPR| over the cutoffs "score >= c", c a distinct score,
  compared exactly (|TP * N - FP * P|); on ties, the highest such c.
* Deciles: leads ranked by score, highest first; all leads with the same score share
  a decile, that of the first of them: ``decile = floor(10 * above / n) + 1`` where
  ``above`` counts leads with a strictly higher score. Heavy ties can leave a decile
  empty; no lead is ever split from its equals.
* PSI: ``sum (a - e) * ln(a / e)`` over bins, with shares smoothed by adding 0.5 to
  every bin's count, so an empty bin gives a finite value. A side with no leads at
  all has no distribution: its PSI is None (verdict "no data"), never a smoothed 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DECILES = 10
BAND_EDGES = tuple(range(0, 101, 10))
SMOOTHING = 0.5
STABLE_BELOW = 0.1
SHIFTED_ABOVE = 0.25
NO_DATA = "no data"
BOOTSTRAP_REPLICATES = 200
BOOTSTRAP_SEED = 20261101


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def rounded(value: float | None, digits: int = 6) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


# --- ranking quality ---------------------------------------------------------------


def counts_per_score(
    scores: np.ndarray, converted: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct scores (ascending) and the converted and other leads at each, from rows."""
    values, inverse = np.unique(np.asarray(scores, dtype=np.float64), return_inverse=True)
    flags = np.asarray(converted, dtype=bool)
    pos = np.bincount(inverse[flags], minlength=values.size).astype(np.int64)
    neg = np.bincount(inverse[~flags], minlength=values.size).astype(np.int64)
    return values, pos, neg


def auc_from_counts(positives: np.ndarray, negatives: np.ndarray) -> float | None:
    """Exact AUC with ties as half a win, from counts per distinct score (ascending)."""
    pos = np.asarray(positives, dtype=np.float64)
    neg = np.asarray(negatives, dtype=np.float64)
    total_pos, total_neg = pos.sum(), neg.sum()
    if total_pos == 0 or total_neg == 0:
        return None
    neg_below = np.cumsum(neg) - neg
    return float((pos * (neg_below + neg / 2)).sum() / (total_pos * total_neg))


def ks_from_counts(
    scores: np.ndarray, positives: np.ndarray, negatives: np.ndarray
) -> tuple[float | None, float | None]:
    """(KS, the cutoff score where it is reached) over cutoffs "score >= c".

    |TPR - FPR| is compared as the whole number |TP * N - FP * P| (the same over P * N),
    so equal gaps are equal and a tie goes to the highest cutoff, as documented; float
    division would make 1 - 2/3 and 1/3 differ.
    """
    pos = np.asarray(positives, dtype=np.int64)
    neg = np.asarray(negatives, dtype=np.int64)
    total_pos, total_neg = int(pos.sum()), int(neg.sum())
    if total_pos == 0 or total_neg == 0:
        return None, None
    tp = pos[::-1].cumsum()[::-1]  # positives at or above each score
    fp = neg[::-1].cumsum()[::-1]
    gap = np.abs(tp * total_neg - fp * total_pos)
    index = len(gap) - 1 - int(np.argmax(gap[::-1]))  # on ties, the highest cutoff
    return int(gap[index]) / (total_pos * total_neg), float(np.asarray(scores)[index])


def gini(auc: float | None) -> float | None:
    return None if auc is None else 2 * auc - 1


# --- deciles, gains and lift -------------------------------------------------------


def decile_of_scores(leads: np.ndarray) -> np.ndarray:
    """Decile (1 = best) of each distinct score, given leads per score in ascending order."""
    counts = np.asarray(leads, dtype=np.int64)
    total = counts.sum()
    if total == 0:
        return np.zeros(len(counts), dtype=np.int64)
    above = counts[::-1].cumsum()[::-1] - counts  # leads with a strictly higher score
    return np.minimum(above * DECILES // total + 1, DECILES)


def gains_table(
    scores: np.ndarray, positives: np.ndarray, negatives: np.ndarray
) -> list[dict[str, object]]:
    """Per decile: leads, conversions, rate, cumulative gain, lift and cumulative lift."""
    scores = np.asarray(scores, dtype=np.float64)
    pos = np.asarray(positives, dtype=np.int64)
    leads = pos + np.asarray(negatives, dtype=np.int64)
    total, converted_total = int(leads.sum()), int(pos.sum())
    base = ratio(converted_total, total)
    deciles = decile_of_scores(leads)
    rows: list[dict[str, object]] = []
    cum_leads = cum_converted = 0
    for decile in range(1, DECILES + 1):
        inside = (deciles == decile) & (leads > 0)
        n, conv = int(leads[inside].sum()), int(pos[inside].sum())
        cum_leads += n
        cum_converted += conv
        rate = ratio(conv, n)
        cum_rate = ratio(cum_converted, cum_leads)
        rows.append(
            {
                "decile": decile,
                "min_score": float(scores[inside].min()) if n else None,
                "max_score": float(scores[inside].max()) if n else None,
                "leads": n,
                "converted": conv,
                "rate": rounded(rate),
                "cum_leads": cum_leads,
                "cum_share_leads": rounded(ratio(cum_leads, total)),
                "cum_converted": cum_converted,
                "gain": rounded(ratio(cum_converted, converted_total)),
                "lift": rounded(rate / base) if rate is not None and base else None,
                "cum_lift": rounded(cum_rate / base) if cum_rate is not None and base else None,
            }
        )
    return rows


# --- score bands: histogram and calibration ----------------------------------------


def band_index(scores: np.ndarray) -> np.ndarray:
    """The 10-point band of each score: [0, 10), ..., [90, 100]; 100 joins the last."""
    values = np.asarray(scores, dtype=np.float64)
    return np.clip(np.floor(values / 10), 0, len(BAND_EDGES) - 2).astype(np.int64)


def band_counts(scores: np.ndarray, counts: np.ndarray) -> np.ndarray:
    return np.bincount(
        band_index(scores),
        weights=np.asarray(counts, dtype=np.float64),
        minlength=len(BAND_EDGES) - 1,
    ).astype(np.int64)


def calibration(
    scores: np.ndarray, positives: np.ndarray, negatives: np.ndarray
) -> dict[str, object]:
    """Observed conversion per 10-point band, and whether it never falls as scores rise."""
    scores = np.asarray(scores, dtype=np.float64)
    pos = np.asarray(positives, dtype=np.float64)
    leads = pos + np.asarray(negatives, dtype=np.float64)
    index = band_index(scores)
    bins = len(BAND_EDGES) - 1
    n = np.bincount(index, weights=leads, minlength=bins)
    conv = np.bincount(index, weights=pos, minlength=bins)
    weighted = np.bincount(index, weights=leads * scores, minlength=bins)
    bands = []
    for i in range(bins):
        bands.append(
            {
                "low": BAND_EDGES[i],
                "high": BAND_EDGES[i + 1],
                "leads": int(n[i]),
                "converted": int(conv[i]),
                "rate": rounded(ratio(conv[i], n[i])),
                "mean_score": rounded(ratio(weighted[i], n[i]), 2),
            }
        )
    rates = [b["rate"] for b in bands if b["rate"] is not None]
    drops = [f"{b['low']}-{b['high']}" for b, a in _falls(bands)]
    return {"bands": bands, "monotonic": not drops and len(rates) > 0, "drops": drops}


def _falls(bands: list[dict[str, object]]) -> list[tuple[dict, dict]]:
    """(band, previous non-empty band) pairs where the rate is lower than below it."""
    pairs = []
    previous: dict | None = None
    for band in bands:
        if band["rate"] is None:
            continue
        if previous is not None and band["rate"] < previous["rate"]:  # type: ignore[operator]
            pairs.append((band, previous))
        previous = band
    return pairs


# --- population stability ----------------------------------------------------------


@dataclass(frozen=True)
class Stability:
    """PSI of one variable: the total and each bin's part of it (None without leads)."""

    psi: float | None
    verdict: str
    bins: list[dict[str, object]]


def psi(labels: Sequence[str], expected: Sequence[int], actual: Sequence[int]) -> Stability:
    """PSI of `actual` (current counts) against `expected` (baseline), smoothed by 0.5.

    With no leads on one side there is nothing to compare: smoothing alone would turn an
    empty file into ten equal shares and call a broken export "stable"."""
    if not sum(expected) or not sum(actual):
        return Stability(psi=None, verdict=NO_DATA, bins=psi_bins(labels, expected, actual))
    exp = np.asarray(expected, dtype=np.float64) + SMOOTHING
    act = np.asarray(actual, dtype=np.float64) + SMOOTHING
    e, a = exp / exp.sum(), act / act.sum()
    parts = (a - e) * np.log(a / e)
    total = float(parts.sum())
    bins = psi_bins(labels, expected, actual, e.tolist(), a.tolist(), parts.tolist())
    return Stability(psi=round(total, 6), verdict=verdict(total), bins=bins)


def psi_bins(
    labels: Sequence[str],
    expected: Sequence[int],
    actual: Sequence[int],
    *figures: Sequence[float],
) -> list[dict[str, object]]:
    """Each bin's counts, and its smoothed shares and PSI part when there are any."""
    shares_b, shares_c, parts = figures or ([None] * len(labels),) * 3
    return [
        {
            "bin": label,
            "baseline": int(b),
            "current": int(c),
            "baseline_share": rounded(share_b),
            "current_share": rounded(share_c),
            "psi": rounded(part),
        }
        for label, b, c, share_b, share_c, part in zip(
            labels, expected, actual, shares_b, shares_c, parts, strict=True
        )
    ]


def verdict(value: float) -> str:
    """The usual reading: < 0.1 stable, 0.1 to 0.25 watch, > 0.25 shifted."""
    if value < STABLE_BELOW:
        return "stable"
    if value <= SHIFTED_ABOVE:
        return "watch"
    return "shifted"


# --- comparing two models on the same leads ----------------------------------------


def weighted_auc(index: np.ndarray, converted: np.ndarray, weights: np.ndarray, size: int):
    """AUC from cells (score index, outcome) with weights; index ranks scores ascending."""
    pos = np.bincount(index[converted], weights=weights[converted], minlength=size)
    neg = np.bincount(index[~converted], weights=weights[~converted], minlength=size)
    return auc_from_counts(pos, neg)


def bootstrap_auc_difference(
    index_a: np.ndarray,
    index_b: np.ndarray,
    converted: np.ndarray,
    counts: np.ndarray,
    *,
    replicates: int = BOOTSTRAP_REPLICATES,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float | None, float | None]:
    """95% percentile interval of AUC(b) - AUC(a), resampling leads with replacement.

    Leads are grouped in cells (score a, score b, outcome); one replicate draws as many
    leads as there are from the cells' shares (a multinomial draw, the same thing as
    resampling rows), so the pairing of the two scores on each lead is kept.
    """
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return None, None
    converted = np.asarray(converted, dtype=bool)
    size_a, size_b = int(index_a.max()) + 1, int(index_b.max()) + 1
    shares = counts / total
    rng = np.random.default_rng(seed)
    diffs = np.full(replicates, np.nan)
    for r in range(replicates):
        weights = rng.multinomial(total, shares).astype(np.float64)
        auc_a = weighted_auc(index_a, converted, weights, size_a)
        auc_b = weighted_auc(index_b, converted, weights, size_b)
        if auc_a is not None and auc_b is not None:
            diffs[r] = auc_b - auc_a
    if np.isnan(diffs).all():
        return None, None
    low, high = np.nanpercentile(diffs, [2.5, 97.5])
    return float(low), float(high)


def ab_verdict(difference: float | None, low: float | None, high: float | None) -> str:
    """A plain sentence: which model ranks converting leads higher, if the data can tell."""
    if difference is None or low is None or high is None:
        return "cannot compare: the outcome has a single class"
    if low > 0:
        return "the other model ranks converting leads better (the 95% interval is above 0)"
    if high < 0:
        return "the current model ranks converting leads better (the 95% interval is below 0)"
    return "no clear difference: the 95% interval of the AUC difference includes 0"
