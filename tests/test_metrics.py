"""Report metrics against small examples computed by hand (the arithmetic is in comments)."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from leadscore_cli.drift import (
    MISSING,
    OTHER,
    UNSEEN,
    DriftColumn,
    bin_count_frame,
    make_profile,
    profile_frame,
    stability,
)
from leadscore_cli.metrics import (
    ab_verdict,
    auc_from_counts,
    bootstrap_auc_difference,
    calibration,
    decile_of_scores,
    gains_table,
    gini,
    ks_from_counts,
    psi,
    verdict,
)

# Three distinct scores, ascending; converted and other leads at each.
SCORES = np.array([1.0, 2.0, 3.0])
POS = np.array([1, 1, 1])
NEG = np.array([1, 2, 0])


def brute_auc(scores: np.ndarray, pos: np.ndarray, neg: np.ndarray) -> float:
    """Every (converted, other) pair: 1 when the converted scores higher, 1/2 on a tie."""
    p = np.repeat(scores, pos)
    n = np.repeat(scores, neg)
    wins = (p[:, None] > n[None, :]).sum() + 0.5 * (p[:, None] == n[None, :]).sum()
    return float(wins / (len(p) * len(n)))


def test_auc_counts_ties_as_half():
    # pos@1: 0 below + 1 tie/2 = 0.5; pos@2: 1 below + 2 ties/2 = 2; pos@3: 3 below = 3.
    # (0.5 + 2 + 3) / (3 * 3) = 5.5 / 9
    assert auc_from_counts(POS, NEG) == pytest.approx(5.5 / 9)
    assert gini(5.5 / 9) == pytest.approx(2 * 5.5 / 9 - 1)


def test_auc_matches_pairwise_count_on_random_counts():
    rng = np.random.default_rng(1)
    scores = np.arange(30, dtype=float)
    pos, neg = rng.integers(0, 5, 30), rng.integers(0, 9, 30)
    assert auc_from_counts(pos, neg) == pytest.approx(brute_auc(scores, pos, neg))


def test_auc_single_class_is_undefined():
    assert auc_from_counts(np.array([0, 0]), np.array([1, 2])) is None
    assert ks_from_counts(SCORES, np.array([0, 0, 0]), NEG) == (None, None)


def test_ks_ties_go_to_the_highest_cutoff_exactly():
    # scores 10, 20, 30, 40, 30, 30 converted t, f, t, f, f, t: the gaps at 20 (1 - 2/3)
    # and at 40 (1/3 - 0) are equal, and the highest cutoff is the one named
    scores = np.array([10.0, 20.0, 30.0, 40.0])
    ks, at = ks_from_counts(scores, np.array([1, 0, 2, 0]), np.array([0, 1, 1, 1]))
    assert ks == pytest.approx(1 / 3)
    assert at == 40.0


def test_ks_is_largest_gap_over_cutoffs():
    # score >= 3: TPR 1/3, FPR 0/3; >= 2: 2/3, 2/3; >= 1: 1, 1. KS = 1/3 at 3.
    ks, at = ks_from_counts(SCORES, POS, NEG)
    assert ks == pytest.approx(1 / 3)
    assert at == 3.0


def test_deciles_keep_ties_together():
    # 20 leads: score 10 x4, 5 x6, 0 x10 (ascending arrays: 0, 5, 10).
    # 10: 0 above -> decile 1; 5: 4 above -> floor(40/20)+1 = 3; 0: 10 above -> 6.
    assert decile_of_scores(np.array([10, 6, 4])).tolist() == [6, 3, 1]


def test_gains_and_lift_by_decile():
    # Same leads, converted 1 of 10 at 0, 2 of 6 at 5, 3 of 4 at 10: 6 of 20, base 0.3.
    rows = gains_table(np.array([0.0, 5.0, 10.0]), np.array([1, 2, 3]), np.array([9, 4, 1]))
    by = {r["decile"]: r for r in rows}
    assert [r["decile"] for r in rows] == list(range(1, 11))
    assert by[1]["leads"] == 4 and by[1]["rate"] == 0.75
    assert by[1]["lift"] == pytest.approx(0.75 / 0.3)  # 2.5
    assert by[1]["gain"] == 0.5  # 3 of 6 conversions
    assert by[2]["leads"] == 0 and by[2]["rate"] is None and by[2]["cum_lift"] == 2.5
    assert by[3]["lift"] == pytest.approx((2 / 6) / 0.3)
    assert by[3]["cum_lift"] == pytest.approx((5 / 10) / 0.3)
    assert by[3]["gain"] == pytest.approx(5 / 6, abs=1e-6)
    assert by[6]["lift"] == pytest.approx(0.1 / 0.3, abs=1e-6)
    assert by[6]["cum_lift"] == 1.0 and by[6]["gain"] == 1.0
    assert by[10]["cum_leads"] == 20 and by[10]["cum_share_leads"] == 1.0


def test_calibration_flags_a_falling_band():
    scores = np.array([5.0, 15.0, 25.0, 100.0])
    rising = calibration(scores, np.array([1, 2, 3, 4]), np.array([9, 8, 7, 6]))
    assert rising["monotonic"] and rising["drops"] == []
    assert rising["bands"][-1]["leads"] == 10  # 100 falls in the last band, 90-100
    falling = calibration(scores, np.array([1, 5, 3, 4]), np.array([9, 5, 7, 6]))
    assert not falling["monotonic"] and falling["drops"] == ["20-30"]


def test_psi_with_an_empty_bin_and_an_unseen_category():
    # Baseline a 50, b 50, (unseen) 0; current a 30, b 50, (unseen) 20.
    # +0.5 per bin: baseline (50.5, 50.5, 0.5)/101.5, current (30.5, 50.5, 20.5)/101.5.
    # a: (30.5-50.5)/101.5 * ln(30.5/50.5); b: 0; unseen: (20/101.5) * ln(20.5/0.5).
    expected = (-20 / 101.5) * math.log(30.5 / 50.5) + (20 / 101.5) * math.log(41)
    result = psi(["a", "b", UNSEEN], [50, 50, 0], [30, 50, 20])
    assert result.psi == pytest.approx(expected, abs=1e-6)  # 0.8311
    assert result.verdict == "shifted"
    assert result.bins[2]["baseline"] == 0 and math.isfinite(result.bins[2]["psi"])
    assert psi(["a", "b"], [5, 5], [5, 5]).psi == 0.0


def test_verdict_bounds():
    assert verdict(0.0999) == "stable"
    assert verdict(0.1) == "watch"
    assert verdict(0.25) == "watch"
    assert verdict(0.2501) == "shifted"


def test_column_bins_from_the_baseline():
    """Text: baseline values + (unseen) + (missing); numbers: baseline deciles."""
    base = pl.LazyFrame({"v": ["A", "a", "b", None]})
    now = pl.LazyFrame({"v": ["a", "z", "Z", None, None]})
    column = DriftColumn("v", "string")
    value = pl.col("v").str.to_lowercase()
    profile = make_profile(column, profile_frame(base, value, column).collect())
    assert profile.labels() == ["a", "b", UNSEEN, MISSING]
    counts = bin_count_frame(now, value, profile).collect()
    result = stability(profile, bin_count_frame(base, value, profile).collect(), counts)
    assert [b["current"] for b in result.bins] == [1, 0, 2, 2]
    assert [b["baseline"] for b in result.bins] == [2, 1, 0, 1]

    numbers = DriftColumn("n", "float")
    base_n = pl.LazyFrame({"n": [float(i) for i in range(1, 11)]})
    num = make_profile(numbers, profile_frame(base_n, pl.col("n"), numbers).collect())
    assert len(num.labels()) == len(num.breaks) + 2  # below, between, at/above, missing
    shifted = pl.LazyFrame({"n": [100.0] * 5})
    binned = bin_count_frame(shifted, pl.col("n"), num).collect()
    assert binned.to_dicts() == [{"bin": num.labels()[-2], "count": 5}]


def test_bins_read_each_value_once():
    """Binning refers to the value several times; parsing the column for each reference
    made `report --baseline` several times slower."""
    column = DriftColumn("n", "float")
    base = pl.LazyFrame({"n": [f" {i} " for i in range(20)]})
    value = pl.col("n").str.strip_chars().cast(pl.Float64)
    profile = make_profile(column, profile_frame(base, value, column).collect())
    assert bin_count_frame(base, value, profile).explain().count("strip_chars") == 1


def test_many_categories_share_an_other_bin():
    column = DriftColumn("v", "string")
    base = pl.LazyFrame({"v": [f"x{i}" for i in range(40)]})
    profile = make_profile(column, profile_frame(base, pl.col("v"), column).collect())
    assert profile.other and profile.labels()[-2] == OTHER and len(profile.categories) == 30


def test_bootstrap_is_seeded_and_paired():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 20, 300)
    b = rng.integers(0, 20, 300)
    y = rng.random(300) < 0.3
    counts = np.ones(300, dtype=np.int64)
    first = bootstrap_auc_difference(a, b, y, counts, replicates=50, seed=7)
    assert first == bootstrap_auc_difference(a, b, y, counts, replicates=50, seed=7)
    assert first[0] < first[1]
    same = bootstrap_auc_difference(a, a, y, counts, replicates=20, seed=7)
    assert same == (0.0, 0.0)  # the same scores on every resample: no difference


def test_ab_verdict_reads_the_interval():
    assert "other model" in ab_verdict(0.05, 0.01, 0.09)
    assert "current model" in ab_verdict(-0.05, -0.09, -0.01)
    assert "no clear difference" in ab_verdict(0.01, -0.02, 0.03)
