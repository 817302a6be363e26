"""`leadscore threshold`: per-cutoff figures, strategies, recommended tiers, written models.

The history below is small enough to work out by hand; every expected figure is
derived in the comments next to it, never copied from a run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import math
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadscore_cli.errors import EXIT_DATA, EXIT_OUTPUT, EXIT_USAGE, DataError
from leadscore_cli.model import load_model, parse_model
from leadscore_cli.model.schema import Tier
from leadscore_cli.model.writer import dumps_model
from leadscore_cli.thresholds import (
    MIN_TIER_SHARE,
    CutoffTable,
    best_ks,
    by_recall,
    by_target_rate,
    recommend_tiers,
)
from tests.conftest import B2B_MODEL, EXAMPLE_MODELS, SAMPLE

MODEL_TEXT = """
[model]
name = "tiny"
version = "2.0.0"
id_column = "lead_id"

[tiers]
hot = 60
warm = 30
cold = 0

[handoff]
tiers = ["hot", "warm"]

[[rules]]
name = "exec"
category = "fit"
points = 35
when = { field = "title", op = "eq", value = "ceo" }

[[rules]]
name = "demo"
category = "engagement"
points = 20
when = { field = "demo", op = "eq", value = true }
"""

# (score, leads, converted): 400 leads, 60 converted (base rate 0.15), 340 not
GROUPS = [(90, 20, 16), (70, 40, 20), (50, 60, 12), (30.5, 80, 8), (10, 200, 4)]
START = dt.date(2026, 1, 1)
DAYS = 56  # created 2026-01-01 .. 2026-02-25: 8 weeks


def history(groups=GROUPS, *, days: int = DAYS) -> pl.DataFrame:
    """A file `score` could have written: scores, subtotals, an outcome and a date."""
    rows = []
    for score, leads, converted in groups:
        for i in range(leads):
            n = len(rows)
            rows.append(
                {
                    "lead_id": f"H{n:04d}",
                    "score": float(score),
                    "score_fit": float(score) / 2,
                    "score_engagement": float(score) / 2,
                    "converted": "true" if i < converted else "false",
                    "created_date": (START + dt.timedelta(days=n % days)).isoformat(),
                }
            )
    return pl.DataFrame(rows)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    """(history.csv, model.toml); the history lacks `title` and `demo`, so it cannot be
    scored: every run on it reads the scores it holds."""
    source = tmp_path / "history.csv"
    history().write_csv(source)
    model = tmp_path / "model.toml"
    model.write_text(MODEL_TEXT)
    return source, model


def threshold_json(run, *args) -> dict:
    result = run("threshold", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def row_at(report: dict, cutoff: int) -> dict:
    row = next(r for r in report["table"] if r["cutoff"] == cutoff)
    assert row == report["table"][cutoff]  # one row per cutoff 0..100, in order
    return row


def assert_clean_failure(result, code: int, *needles: str) -> None:
    assert result.exit_code == code, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("leadscore: ")
    for needle in needles:
        assert needle in result.stderr, result.stderr


# ------------------------------------------------------ hand-computed figures

# At or above each cutoff (score >= c); 30.5 counts for c <= 30 only:
#   c in 0..10:   400 leads, 60 conv: recall 1,      rate .15, FPR 340/340
#   c in 11..30:  200 leads, 56 conv: recall 56/60,  rate .28, FPR 144/340
#   c in 31..50:  120 leads, 48 conv: recall .8,     rate .4,  FPR 72/340
#   c in 51..70:   60 leads, 36 conv: recall .6,     rate .6,  FPR 24/340
#   c in 71..90:   20 leads, 16 conv: recall 16/60,  rate .8,  FPR 4/340
#   c in 91..100:   0 leads:          recall 0,      rate -,   FPR 0
EXPECTED = {
    # cutoff: (leads, converted, recall, precision, lift, F1, KS); lift = rate / .15,
    # F1 = 2PR / (P + R), KS = recall - FPR. At 11: 2 * .28 * .9333 / 1.2133 = .4308 and
    # .9333 - .4235 = .5098; at 71: 2 * .8 * .2667 / 1.0667 = .4 and .2667 - .0118 = .2549
    0: (400, 60, 1.0, 0.15, 1.0, 0.260870, 0.0),
    10: (400, 60, 1.0, 0.15, 1.0, 0.260870, 0.0),
    11: (200, 56, 0.933333, 0.28, 1.866667, 0.430769, 0.509804),
    30: (200, 56, 0.933333, 0.28, 1.866667, 0.430769, 0.509804),
    31: (120, 48, 0.8, 0.4, 2.666667, 0.533333, 0.588235),
    50: (120, 48, 0.8, 0.4, 2.666667, 0.533333, 0.588235),
    51: (60, 36, 0.6, 0.6, 4.0, 0.6, 0.529412),
    70: (60, 36, 0.6, 0.6, 4.0, 0.6, 0.529412),
    71: (20, 16, 0.266667, 0.8, 5.333333, 0.4, 0.254902),
    90: (20, 16, 0.266667, 0.8, 5.333333, 0.4, 0.254902),
    91: (0, 0, 0.0, None, None, 0.0, 0.0),
    100: (0, 0, 0.0, None, None, 0.0, 0.0),
}


def test_per_cutoff_figures_by_hand(run, files):
    source, model = files
    report = threshold_json(run, source, "-m", model, "--outcome", "converted")
    assert (report["rows"], report["positives"], report["negatives"]) == (400, 60, 340)
    assert report["base_rate"] == pytest.approx(0.15)
    assert len(report["table"]) == 101
    assert report["warnings"] == []  # 60 positives and 340 negatives: both at least 40
    for cutoff, (leads, converted, recall, precision, lift, f1, ks) in EXPECTED.items():
        row = row_at(report, cutoff)
        assert (row["leads"], row["converted"]) == (leads, converted), cutoff
        assert row["share"] == pytest.approx(leads / 400, abs=1e-6)
        assert row["recall"] == pytest.approx(recall, abs=2e-6)
        assert row["f1"] == pytest.approx(f1, abs=2e-6)
        assert row["ks"] == pytest.approx(ks, abs=2e-6)
        if precision is None:
            assert row["precision"] is None and row["lift"] is None
        else:
            assert row["precision"] == pytest.approx(precision, abs=2e-6)
            assert row["lift"] == pytest.approx(lift, abs=2e-6)


def test_default_strategy_is_max_ks_highest_cutoff_on_ties(run, files):
    source, model = files
    report = threshold_json(run, source, "-m", model, "--outcome", "converted")
    # KS: 0, .5098 (11-30), .5882 (31-50), .5294 (51-70), .2549 (71-90): best on 31..50
    assert report["strategy"] == "max_ks"
    assert report["recommended"]["cutoff"] == 50
    assert report["recommended"]["ks"] == pytest.approx(0.588235, abs=2e-6)


@pytest.mark.parametrize(
    ("args", "cutoff"),
    [
        # lowest cutoff whose rate at or above is >= R: .4 first reached at 31 (inclusive)
        (("--target-rate", "0.4"), 31),
        (("--target-rate", "0.41"), 51),
        (("--target-rate", "0.15"), 0),
        # highest cutoff still capturing >= R of conversions: .8 holds up to 50
        (("--recall", "0.8"), 50),
        (("--recall", "0.81"), 30),  # 56/60 = .933
        (("--recall", "1"), 10),
        # lowest cutoff sending at most N leads (one period without --per): 120 <= 120 at 31
        (("--capacity", "120"), 31),
        (("--capacity", "119"), 51),
        # 56 days = 8 weeks: 15 a week = 120 in all; 14.9 a week = 119.2 in all
        (("--capacity", "15", "--per", "week", "--date-column", "created_date"), 31),
        (("--capacity", "14.9", "--per", "week", "--date-column", "created_date"), 51),
        # 56 days / 1 = 56 periods: 2.5 a day = 140 in all, so 120 fits and 200 does not
        (("--capacity", "2.5", "--per", "day", "--date-column", "created_date"), 31),
        # 56 days / (365.25 / 12) = 1.8398 months: 60 a month = 110.4 in all -> 60 leads at 51
        (("--capacity", "60", "--per", "month", "--date-column", "created_date"), 51),
    ],
)
def test_strategies_pick_the_cutoff_worked_out_by_hand(run, files, args, cutoff):
    source, model = files
    report = threshold_json(run, source, "-m", model, "--outcome", "converted", *args)
    assert report["recommended"]["cutoff"] == cutoff
    assert report["warnings"] == []


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--target-rate", "0.335"), "converting at 33.5% or more"),
        (("--target-rate", "0.4"), "converting at 40% or more"),
        (("--recall", "0.805"), "capturing 80.5% of conversions"),
    ],
)
def test_the_strategy_line_shows_the_rate_as_given(run, files, args, said):
    source, model = files
    result = run("threshold", source, "-m", model, "--outcome", "converted", *args)
    assert result.exit_code == 0, result.stderr
    assert said in " ".join(result.stderr.split())


def test_capacity_periods_in_the_report(run, files):
    source, model = files
    common = (source, "-m", model, "--outcome", "converted", "--date-column", "created_date")
    week = threshold_json(run, *common, "--capacity", "15", "--per", "week")
    assert week["periods"] == pytest.approx(8.0)
    assert week["strategy"] == "capacity" and week["strategy_value"] == 15
    month = threshold_json(run, *common, "--capacity", "60", "--per", "month")
    assert month["periods"] == pytest.approx(56 / (365.25 / 12), abs=1e-4)


def test_capacity_history_shorter_than_a_period_counts_one(run, tmp_path):
    source = tmp_path / "short.csv"
    history(days=3).write_csv(source)  # three days, less than a week
    model = tmp_path / "model.toml"
    model.write_text(MODEL_TEXT)
    report = threshold_json(
        run,
        source,
        "-m",
        model,
        "--outcome",
        "converted",
        "--capacity",
        "120",
        "--per",
        "week",
        "--date-column",
        "created_date",
    )
    assert report["periods"] == 1.0
    assert report["recommended"]["cutoff"] == 31


def test_unreachable_target_is_a_warning_not_a_cutoff(run, files):
    source, model = files
    report = threshold_json(
        run, source, "-m", model, "--outcome", "converted", "--target-rate", "0.9"
    )
    # the best rate is .8 (71..90), so no cutoff reaches .9
    assert report["recommended"] is None
    assert any("no cutoff" in w for w in report["warnings"])


def test_no_separation_recommends_no_cutoff_and_writes_no_model(run, files, tmp_path):
    _source, model = files
    # converters score lowest: at every cutoff a smaller share of them passes than of the
    # others (KS <= 0), so "largest KS" would be a cutoff above every lead (KS 0 there)
    backwards = [(90, 100, 0), (50, 100, 10), (10, 100, 60)]
    reversed_history = tmp_path / "reversed.csv"
    history(backwards).write_csv(reversed_history)
    report = threshold_json(run, reversed_history, "-m", model, "--outcome", "converted")
    assert report["recommended"] is None
    assert any("no cutoff separates converters" in w for w in report["warnings"])
    # KS is signed here: at 51..90, 0 of 70 converters pass against 100 of 230 others
    assert row_at(report, 60)["ks"] == pytest.approx(-100 / 230, abs=2e-6)
    new_model = tmp_path / "new.toml"
    result = run(
        "threshold", reversed_history, "-m", model, "--outcome", "converted", "--write", new_model
    )
    assert_clean_failure(result, EXIT_DATA, "no cutoff")
    assert f"{reversed_history}: no tiers to write: no cutoff separates converters" in (
        result.stderr
    )
    assert not new_model.exists()
    # every lead at one score: KS is 0 at every cutoff
    tied = tmp_path / "tied.csv"
    history([(55, 40, 20)]).write_csv(tied)
    assert threshold_json(run, tied, "-m", model, "--outcome", "converted")["recommended"] is None


def test_capacity_below_every_sending_cutoff_says_it_sends_none(run, files):
    source, model = files
    # the fewest leads any cutoff sends are the 20 at 71..90; a capacity of 10 finds 91
    report = threshold_json(run, source, "-m", model, "--outcome", "converted", "--capacity", "10")
    assert report["recommended"]["cutoff"] == 91
    assert report["recommended"]["leads"] == 0
    assert any("cutoff 90 sends 20" in w and "sends none" in w for w in report["warnings"])


def table_of(buckets: list[tuple[int, int, int]]) -> CutoffTable:
    return CutoffTable.from_buckets(
        pl.DataFrame(buckets, schema=["bucket", "leads", "converted"], orient="row")
    )


def test_strategies_compare_exact_figures_not_rounded_ones():
    # P = 1,000, N = 3,001. Cutoffs 11..20: TP 600, FP 1,000; 1..10: TP 601, FP 1,003.
    # KS * P * N: 600 * 3001 - 1000 * 1000 = 800,600 against 601 * 3001 - 1003 * 1000 =
    # 800,601: both .266778 to 6 decimals, but 1..10 is larger, so the highest of them wins
    ks = table_of([(20, 1600, 600), (10, 4, 1), (0, 2397, 399)])
    assert best_ks(ks) == 10
    # at 0..50, 1,999,999 of 4,000,000 leads convert: .49999975, .5 to 6 decimals but
    # below it; 51..60 convert at 1
    rates = table_of([(60, 10, 10), (50, 3_999_990, 1_999_989)])
    assert by_target_rate(rates, 0.5) == 51
    # recall at 1..50 is 3,999,999 / 4,000,000 (1.0 to 6 decimals): all of it only at 0
    recalls = table_of([(50, 4_000_000, 3_999_999), (0, 10, 1)])
    assert by_recall(recalls, 1.0) == 0


def test_terminal_report(run, files):
    source, model = files
    result = run("threshold", source, "-m", model, "--outcome", "converted")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "400 leads with a known outcome: 60 converted (base rate 15.0%)" in result.stderr
    assert "Recommended cutoff: 50" in result.stderr


def test_positive_value_reads_a_stage_column(run, tmp_path):
    frame = history().with_columns(
        pl.when(pl.col("converted") == "true")
        .then(pl.lit("Closed Won"))
        .otherwise(pl.lit("Closed Lost"))
        .alias("stage")
    )
    source = tmp_path / "history.csv"
    frame.write_csv(source)
    model = tmp_path / "model.toml"
    model.write_text(MODEL_TEXT)
    by_flag = threshold_json(run, source, "-m", model, "--outcome", "converted")
    by_stage = threshold_json(
        run, source, "-m", model, "--outcome", "stage", "--positive", "closed won"
    )
    assert by_stage["table"] == by_flag["table"]
    assert by_stage["positives"] == 60


def test_sample_history_with_a_stage_outcome(run):
    # the sample is a raw export: it is scored first; 573 leads reached Closed Won
    by_stage = threshold_json(
        run,
        SAMPLE,
        "-m",
        B2B_MODEL,
        "--outcome",
        "stage",
        "--positive",
        "Closed Won",
        "--as-of",
        "2026-11-01",
    )
    assert (by_stage["rows"], by_stage["positives"]) == (5000, 573)
    ks = [row["ks"] for row in by_stage["table"]]
    assert by_stage["recommended"]["cutoff"] == max(
        c for c, value in enumerate(ks) if value == max(ks)
    )


# ------------------------------------------------------------------ --tiers

# every score 0..100 holds 10 leads; conversion is a step: 8/10 from 70, 5/10 from 40, 1/10
STEP = [(b, 10, 8 if b >= 70 else 5 if b >= 40 else 1) for b in range(101)]


def test_tiers_find_the_steps(run, tmp_path):
    source = tmp_path / "history.csv"
    history(STEP).write_csv(source)
    model = tmp_path / "model.toml"
    model.write_text(MODEL_TEXT)
    report = threshold_json(run, source, "-m", model, "--outcome", "converted", "--tiers", "2")
    # cutting at the steps leaves no variance inside a tier, the most two cuts can explain;
    # no other pair of cutoffs gives tiers of constant rate
    tiers = [(t["name"], t["min_score"], t["leads"], t["converted"]) for t in report["tiers"]]
    assert tiers == [("hot", 70, 310, 248), ("warm", 40, 300, 150), ("cold", 0, 400, 40)]
    assert [t["rate"] for t in report["tiers"]] == [0.8, 0.5, 0.1]
    assert sum(t["share"] for t in report["tiers"]) == pytest.approx(1.0)


def test_fewer_tiers_keep_the_model_top_and_bottom_names(run, tmp_path):
    source = tmp_path / "history.csv"
    history(STEP).write_csv(source)
    model = tmp_path / "model.toml"
    model.write_text(MODEL_TEXT)
    report = threshold_json(run, source, "-m", model, "--outcome", "converted", "--tiers", "1")
    # one cutoff, two tiers: the model's top and bottom names stay, warm has no place
    assert [t["name"] for t in report["tiers"]] == ["hot", "cold"]
    assert report["warnings"] == [
        "--tiers 1 makes 2 tiers and the model has 3: hot and cold keep their names; "
        "warm is dropped"
    ]
    # one cut: between-tier sum of squares n1*n2/N*(r1-r2)^2 is largest at 40 (the bigger
    # step): 610*400/1010*(398/610-.1)^2 = 73.7 against 310*700/1010*(.8-190/700)^2 = 60.0
    assert report["tiers"][0]["min_score"] == 40


def tiers_of(buckets: list[tuple[int, int, int]], k: int) -> list[tuple[int, int, int]]:
    table = CutoffTable.from_buckets(
        pl.DataFrame(buckets, schema=["bucket", "leads", "converted"], orient="row")
    )
    picks = recommend_tiers(table, k, [f"t{i}" for i in range(k + 1)])
    return [(p.min_score, p.leads, p.converted) for p in picks]


def best_split(buckets: list[tuple[int, int, int]], k: int) -> float | None:
    """Brute force over every set of k cutoffs: the largest between-tier sum of squares
    with strictly falling rates and every tier at least 2% of leads."""
    leads = [0] * 101
    conv = [0] * 101
    for bucket, n, c in buckets:
        leads[bucket] += n
        conv[bucket] += c
    total, positives = sum(leads), sum(conv)
    base = positives / total
    minimum = max(1, math.ceil(MIN_TIER_SHARE * total))
    best = None
    for cuts in itertools.combinations(range(1, 101), k):
        edges = [0, *cuts, 101]
        value, rates, ok = 0.0, [], True
        for low, high in itertools.pairwise(edges):
            n, c = sum(leads[low:high]), sum(conv[low:high])
            if n < minimum:
                ok = False
                break
            rates.append(c / n)
            value += n * (c / n - base) ** 2
        if ok and all(a < b for a, b in itertools.pairwise(rates)):  # bottom tier first
            best = value if best is None else max(best, value)
    return best


def split_value(tiers: list[tuple[int, int, int]]) -> float:
    total = sum(n for _, n, _ in tiers)
    base = sum(c for _, _, c in tiers) / total
    return sum(n * (c / n - base) ** 2 for _, n, c in tiers)


def test_tiers_respect_the_two_percent_floor():
    # 100 buckets of 10 leads converting 2 each, and 15 leads at 100 that all convert:
    # alone, the top bucket is 15/1015 = 1.5% of leads, under the floor of ceil(20.3) = 21.
    buckets = [(b, 10, 2) for b in range(100)] + [(100, 15, 15)]
    # the smallest allowed top tier adds bucket 99: 25 leads, 17 converted; any larger
    # top tier dilutes it (n1*n2/N*(r1-r2)^2: 5.62 for 25 leads, 3.97 for 35)
    assert tiers_of(buckets, 1) == [(99, 25, 17), (0, 990, 198)]


def test_tiers_have_strictly_falling_rates_when_the_best_cut_would_not():
    # conversion is U-shaped: .5 below 30, .1 from 30 to 69, .8 from 70. Cutting at 30 and
    # 70 would explain everything, but the bottom tier would convert more than the middle.
    buckets = [(b, 10, 5 if b < 30 else 1 if b < 70 else 8) for b in range(101)]
    tiers = tiers_of(buckets, 2)
    rates = [c / n for _, n, c in tiers]
    assert rates[0] > rates[1] > rates[2]
    assert all(n >= 21 for _, n, _ in tiers)  # 2% of 1010 leads, rounded up
    assert [low for low, _, _ in tiers][-1] == 0
    assert split_value(tiers) == pytest.approx(best_split(buckets, 2))


def test_tiers_find_a_feasible_split_the_greedy_state_would_miss():
    # 78 leads: [34, 101) 36 leads 29 conv (.81), [15, 34) 24 leads 14 conv (.58), [0, 15)
    # 18 leads 6 conv (.33). Keeping only the best path per lower bound loses it: the best
    # two tiers above 15 end in bucket 16 alone (10 leads, 1 conv: .1), which converts less
    # than the bottom tier's .33, so no third tier fits below it.
    buckets = [(94, 28, 21), (16, 10, 1), (33, 14, 13), (48, 8, 8), (14, 18, 6)]
    tiers = tiers_of(buckets, 2)
    assert [(n, c) for _, n, c in tiers] == [(36, 29), (24, 14), (18, 6)]
    assert split_value(tiers) == pytest.approx(best_split(buckets, 2))


def test_tiers_that_cannot_fall_are_an_error():
    # two buckets converting at the same rate can never make two tiers with falling rates
    with pytest.raises(DataError, match="falling conversion rates"):
        tiers_of([(20, 50, 10), (80, 50, 10)], 1)


def test_tiers_option_through_the_cli_fails_cleanly(run, tmp_path):
    source = tmp_path / "history.csv"
    history([(20, 50, 10), (80, 50, 10)]).write_csv(source)
    model = tmp_path / "model.toml"
    model.write_text(MODEL_TEXT)
    result = run("threshold", source, "-m", model, "--outcome", "converted", "--tiers", "1")
    assert_clean_failure(result, EXIT_DATA, "the scores do not separate converters")
    assert f"{source}: no 1 cutoff" in result.stderr  # the history it could not split


# --------------------------------------------------------------- properties

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

bucket_lists = st.lists(
    st.tuples(st.integers(0, 100), st.integers(1, 40), st.integers(0, 40)).map(
        lambda t: (t[0], t[1], min(t[1], t[2]))
    ),
    min_size=1,
    max_size=12,
    unique_by=lambda t: t[0],
)


@SETTINGS
@given(buckets=bucket_lists)
def test_leads_and_recall_never_rise_with_the_cutoff(buckets):
    frame = pl.DataFrame(buckets, schema=["bucket", "leads", "converted"], orient="row")
    table = CutoffTable.from_buckets(frame)
    assert table.total == sum(n for _, n, _ in buckets)
    assert table.positives == sum(c for _, _, c in buckets)
    for low, high in itertools.pairwise(range(101)):
        assert table.leads[low] >= table.leads[high]
        assert table.converted[low] >= table.converted[high]
    if table.positives == 0 or table.negatives == 0:
        return
    rows = table.rows()
    for before, after in itertools.pairwise(rows):
        assert before.recall >= after.recall
        assert before.leads >= after.leads
    for row in rows:
        assert -1.0 <= row.ks <= 1.0
        assert 0.0 <= row.recall <= 1.0
        assert row.precision is None or 0.0 <= row.precision <= 1.0
        assert 0.0 <= row.f1 <= 1.0
    # every lead at or above 0, and a cutoff above every lead
    assert rows[0].recall == 1.0 and rows[0].ks == 0.0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    buckets=st.lists(
        st.tuples(st.integers(0, 100), st.integers(1, 30), st.integers(0, 30)).map(
            lambda t: (t[0], t[1], min(t[1], t[2]))
        ),
        min_size=2,
        max_size=6,
        unique_by=lambda t: t[0],
    ),
    k=st.integers(1, 2),
)
def test_recommended_tiers_are_the_best_feasible_split(buckets, k):
    best = best_split(buckets, k)
    if best is None:
        with pytest.raises(DataError):
            tiers_of(buckets, k)
        return
    tiers = tiers_of(buckets, k)
    assert len(tiers) == k + 1 and tiers[-1][0] == 0
    rates = [c / n for _, n, c in tiers]
    assert all(a > b for a, b in itertools.pairwise(rates))
    assert sum(n for _, n, _ in tiers) == sum(n for _, n, _ in buckets)
    assert split_value(tiers) == pytest.approx(best)


# ------------------------------------------------------------ written models

FULL_MODEL = """
[model]
name = "full"
version = "3.1.4"
description = "every feature once"
id_column = "id"
scale = "rescale"

[fields]
null_values = ["", "none"]

[fields.revenue]
source = "Annual Revenue"
type = "float"
on_invalid = "null"

[fields.seen]
type = "date"
format = "%d/%m/%Y"

[fields.paid]
true_values = ["paid"]
false_values = ["unpaid"]

[caps.fit]
min = -10
max = 40.5

[tiers]
top = 80
middle = 42.5
bottom = 0

[grading]
categories = ["fit", "intent"]
bands = { A = 30, B = 10, F = 0 }
plus_minus = true
scale = "points"

[handoff]
tiers = ["top"]

[[rules]]
name = "exec"
category = "fit"
points = 20
description = "signs"
when = { all = [
    { field = "title", op = "matches", value = "ceo|cfo", case_sensitive = true },
    { not = { field = "title", op = "in", value = ["intern", "student"] } },
] }

[[rules]]
name = "revenue"
category = "fit"
field = "revenue"
bands = [{ max = 1e6, points = -5 }, { min = 1e6, max = 5e7, points = 10 }, { min = 5e7, points = 25 }]
default = 0
missing = -1.5

[[rules]]
name = "industry"
category = "intent"
field = "industry"
map = { software = 15, "financial services" = 7.5 }
default = 1
missing = -2
case_sensitive = true

[[rules]]
name = "recent"
category = "intent"
points = 12
when = { any = [{ field = "seen", op = "within_days", value = 30 }, { field = "paid", op = "eq", value = true }] }
decay = { field = "seen", half_life_days = 14.5, if_missing = "none" }
"""  # noqa: E501


@pytest.mark.parametrize(
    "model", [*EXAMPLE_MODELS, "full"], ids=lambda m: m if isinstance(m, str) else m.name
)
def test_dumped_models_read_back_equal(tmp_path, model):
    if model == "full":
        path = tmp_path / "full.toml"
        path.write_text(FULL_MODEL)
        model = path
    loaded = load_model(model)
    text = dumps_model(loaded, header="written by a test\nsecond line")
    assert text.startswith("# written by a test\n# second line\n")
    assert parse_model(text) == loaded


def scoring_export(tmp_path: Path) -> Path:
    """A raw export for MODEL_TEXT: scores 55 (ceo + demo), 35 (ceo), 20 (demo), 0."""
    source = tmp_path / "leads.csv"
    pl.DataFrame(
        {
            "lead_id": ["A", "B", "C", "D"],
            "title": ["ceo", "ceo", "analyst", "analyst"],
            "demo": ["yes", "no", "yes", "no"],
        }
    ).write_csv(source)
    return source


def test_write_gives_a_complete_model_that_scores_unchanged(run, files, tmp_path):
    source, model = files
    before = model.read_bytes()
    new = tmp_path / "model_v2.toml"
    report = threshold_json(run, source, "-m", model, "--outcome", "converted", "--write", new)
    assert report["written"] == str(new)
    assert model.read_bytes() == before  # the model read is left alone
    written = load_model(new)
    original = load_model(model)
    # max KS picked 50: it becomes the top tier; warm (30) stays below it, cold at 0
    expected_tiers = (Tier("hot", 50.0), Tier("warm", 30.0), Tier("cold", 0.0))
    assert written == dataclasses.replace(original, tiers=expected_tiers)
    assert written.handoff == ("hot", "warm")
    assert parse_model(dumps_model(written)) == written

    export = scoring_export(tmp_path)
    outputs = {}
    for name, path in (("old", model), ("new", new)):
        out = tmp_path / f"{name}.csv"
        result = run("score", export, "-m", path, "-o", out, "-q", "--as-of", "2026-11-01")
        assert result.exit_code == 0, result.stderr
        outputs[name] = pl.read_csv(out)
    old, fresh = outputs["old"], outputs["new"]
    assert fresh["score"].to_list() == old["score"].to_list() == [55, 35, 20, 0]
    assert old["tier"].to_list() == ["warm", "warm", "cold", "cold"]  # hot from 60
    assert fresh["tier"].to_list() == ["hot", "warm", "cold", "cold"]  # hot from 50


def test_write_says_which_tiers_the_new_cutoff_drops(run, files, tmp_path):
    source, model = files
    new = tmp_path / "m.toml"
    args = ("threshold", source, "-m", model, "--outcome", "converted", "--recall", "0.9")
    result = run(*args, "--write", new)
    assert result.exit_code == 0, result.stderr
    # 90% of converters need every lead from 30 up: hot moves to 30, where warm started
    assert load_model(new).tiers == (Tier("hot", 30.0), Tier("cold", 0.0))
    message = " ".join(result.stderr.split())
    assert "drops tier(s) warm (30)" in message
    assert "[handoff] no longer lists warm" in message
    report = threshold_json(run, *args[1:], "--write", tmp_path / "again.toml")
    assert any("warm (30)" in warning for warning in report["warnings"])
    quiet = run(*args, "--write", tmp_path / "quiet.toml", "-q")
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_write_with_tiers_names_them_from_the_model(run, tmp_path):
    source = tmp_path / "history.csv"
    history(STEP).write_csv(source)
    model = tmp_path / "model.toml"
    model.write_text(MODEL_TEXT)
    new = tmp_path / "out" / "m.toml"
    new.parent.mkdir()
    result = run(
        "threshold",
        source,
        "-m",
        model,
        "--outcome",
        "converted",
        "--tiers",
        "2",
        "--write",
        new,
        "-q",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    written = load_model(new)
    assert written.tiers == (Tier("hot", 70.0), Tier("warm", 40.0), Tier("cold", 0.0))
    header = new.read_text().splitlines()[0]
    assert header.startswith("# Tiers recommended by `leadscore threshold`")
    assert "--tiers 2," in header and "max_ks" not in header  # the tiers came from --tiers
    export = scoring_export(tmp_path)
    out = tmp_path / "scored.csv"
    assert run("score", export, "-m", new, "-o", out, "-q").exit_code == 0
    assert pl.read_csv(out)["tier"].to_list() == ["warm", "cold", "cold", "cold"]


def test_write_to_stdout_gives_the_model_alone(run, files):
    source, model = files
    args = ("threshold", source, "-m", model, "--outcome", "converted", "--write", "-")
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    assert parse_model(result.stdout).tiers[0].min_score == 50  # the largest KS, by hand
    assert "to <stdout>" in result.stderr
    # --json would print its object into the same stream as the model
    assert_clean_failure(run(*args, "--json"), EXIT_USAGE, "--json", "--write -")


def test_write_to_the_model_read_is_refused(run, files, tmp_path):
    source, model = files
    before = model.read_bytes()
    spelled_otherwise = tmp_path / "sub" / ".." / model.name
    (tmp_path / "sub").mkdir()
    for target in (model, spelled_otherwise):
        result = run("threshold", source, "-m", model, "--outcome", "converted", "--write", target)
        assert_clean_failure(result, EXIT_OUTPUT, "refusing to write over the model", "--in-place")
        assert model.read_bytes() == before


def test_write_to_the_history_read_is_refused(run, files, tmp_path):
    """--write names a file the run reads: the export is never replaced by a model."""
    source, model = files
    before = source.read_bytes()
    for flags in (["--write", source], ["--write", tmp_path / "." / source.name, "--tiers", "2"]):
        result = run("threshold", source, "-m", model, "--outcome", "converted", *flags)
        assert_clean_failure(result, EXIT_OUTPUT, "refusing to write over the input file")
        assert source.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.csv", "model.toml"]


def test_in_place_rewrites_the_model(run, files):
    source, model = files
    result = run("threshold", source, "-m", model, "--outcome", "converted", "--in-place", "-q")
    assert result.exit_code == 0, result.stderr
    assert load_model(model).tiers == (Tier("hot", 50.0), Tier("warm", 30.0), Tier("cold", 0.0))
    both = run(
        "threshold",
        source,
        "-m",
        model,
        "--outcome",
        "converted",
        "--in-place",
        "--write",
        model.parent / "x.toml",
    )
    assert both.exit_code == EXIT_USAGE
    assert not (model.parent / "x.toml").exists()


# -------------------------------------------------------------------- errors


def test_missing_outcome_column_names_the_closest(run, files):
    source, model = files
    result = run("threshold", source, "-m", model, "--outcome", "convertd")
    assert_clean_failure(result, EXIT_DATA, "'convertd'", "did you mean 'converted'")


def test_outcome_that_is_not_boolean_like_suggests_positive(run, tmp_path):
    frame = history().with_columns(
        pl.when(pl.col("converted") == "true")
        .then(pl.lit("Won"))
        .otherwise(pl.lit("Lost"))
        .alias("stage")
    )
    source = tmp_path / "history.csv"
    frame.write_csv(source)
    model = tmp_path / "model.toml"
    model.write_text(MODEL_TEXT)
    result = run("threshold", source, "-m", model, "--outcome", "stage")
    assert_clean_failure(result, EXIT_DATA, "'stage'", "--positive", "boolean-like")
    fixed = threshold_json(run, source, "-m", model, "--outcome", "stage", "--positive", "Won")
    assert fixed["positives"] == 60


@pytest.mark.parametrize(("value", "missing"), [("false", "positive"), ("true", "negative")])
def test_single_class_outcome(run, tmp_path, value, missing):
    source = tmp_path / "history.csv"
    history().with_columns(pl.lit(value).alias("converted")).write_csv(source)
    model = tmp_path / "model.toml"
    model.write_text(MODEL_TEXT)
    result = run("threshold", source, "-m", model, "--outcome", "converted")
    assert_clean_failure(result, EXIT_DATA, "'converted'", f"no {missing}")


def test_few_positives_warn_on_stderr_and_in_json(run, tmp_path):
    # half the history: 30 positives and 170 negatives
    half = [(score, leads // 2, conv // 2) for score, leads, conv in GROUPS]
    source = tmp_path / "history.csv"
    history(half).write_csv(source)
    model = tmp_path / "model.toml"
    model.write_text(MODEL_TEXT)
    text = run("threshold", source, "-m", model, "--outcome", "converted")
    assert text.exit_code == 0
    assert "warning" in text.stderr and "30 positive" in text.stderr
    quiet = run("threshold", source, "-m", model, "--outcome", "converted", "-q")
    assert quiet.exit_code == 0 and quiet.stderr == ""  # -q: nothing on success
    report = threshold_json(run, source, "-m", model, "--outcome", "converted")
    assert report["positives"] == 30
    assert any("fewer than 40" in w for w in report["warnings"])
    # the same figures as the full history: rates are ratios of halved counts
    assert report["recommended"]["cutoff"] == 50


def test_unreadable_scores_in_the_history_stop_the_run(run, files, tmp_path):
    source, model = files
    broken = tmp_path / "broken.csv"
    pl.read_csv(source, infer_schema=False).with_columns(
        pl.when(pl.col("lead_id") == "H0007").then(pl.lit("high")).otherwise("score").alias("score")
    ).write_csv(broken)
    result = run("threshold", broken, "-m", model, "--outcome", "converted")
    # read as null it would quietly drop out of every figure
    assert_clean_failure(result, EXIT_DATA, "'score'", "'high'", "row 8")


def test_leads_left_out_are_counted_and_blank_scores_warned(run, files, tmp_path):
    source, model = files
    frame = pl.read_csv(source, infer_schema=False)
    gaps = tmp_path / "gaps.csv"
    frame.with_columns(
        # H0000 (score 90, converted): no outcome; H0001 (90, converted): no score
        pl.when(pl.col("lead_id") == "H0000").then(None).otherwise("converted").alias("converted"),
        pl.when(pl.col("lead_id") == "H0001").then(None).otherwise("score").alias("score"),
    ).write_csv(gaps)
    report = threshold_json(run, gaps, "-m", model, "--outcome", "converted")
    assert (report["rows"], report["positives"], report["missing"], report["unscored"]) == (
        398,
        58,
        1,
        1,
    )
    assert any("1 lead with a known outcome has no score" in w for w in report["warnings"])
    text = run("threshold", gaps, "-m", model, "--outcome", "converted")
    assert "398 leads with a known outcome" in text.stderr
    assert "1 lead with no known outcome left out" in text.stderr
    whole = threshold_json(run, source, "-m", model, "--outcome", "converted")
    assert (whole["missing"], whole["unscored"]) == (0, 0)


def test_nan_scores_in_the_history_stop_the_run(run, files, tmp_path):
    source, model = files
    broken = tmp_path / "broken.parquet"
    pl.read_csv(source).with_columns(
        pl.when(pl.col("lead_id") == "H0007").then(float("nan")).otherwise("score").alias("score")
    ).write_parquet(broken)
    result = run("threshold", broken, "-m", model, "--outcome", "converted")
    assert_clean_failure(result, EXIT_DATA, "'score'", "'NaN'", "row 8")


@pytest.mark.parametrize(
    "args",
    [
        ["--target-rate", "0.3", "--recall", "0.5"],
        ["--recall", "0.5", "--capacity", "10"],
        ["--target-rate", "1.5"],
        ["--capacity", "0"],
        ["--capacity", "nan"],  # it would match no cutoff, and NaN is no JSON
        ["--capacity", "inf"],
        ["--capacity", "10", "--per", "week"],  # --per needs --date-column
        ["--per", "week", "--date-column", "created_date"],  # and --capacity
        ["--tiers", "0"],
    ],
)
def test_usage_errors(run, files, args):
    source, model = files
    result = run("threshold", source, "-m", model, "--outcome", "converted", *args)
    assert result.exit_code == EXIT_USAGE, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


# ------------------------------------------------------ --tiers and the model's names

FOUR_TIERS = MODEL_TEXT.replace(
    "[tiers]\nhot = 60\nwarm = 30\ncold = 0\n",
    "[tiers]\nsql = 70\nmql = 45\nnurture = 20\ncold = 0\n",
).replace('tiers = ["hot", "warm"]', 'tiers = ["sql"]')
# every score 0..100 holds 10 leads; conversion rises with the score, so many tiers fit
GRADUAL = [(b, 10, b // 11) for b in range(101)]


def write_tiers(run, tmp_path: Path, k: int, model_text: str = FOUR_TIERS):
    source = tmp_path / "history.csv"
    history(GRADUAL).write_csv(source)
    model = tmp_path / "model.toml"
    model.write_text(model_text)
    new = tmp_path / f"tiers{k}.toml"
    report = threshold_json(
        run, source, "-m", model, "--outcome", "converted", "--tiers", k, "--write", new
    )
    return report, load_model(new)


def test_fewer_tiers_drop_the_lowest_names_and_say_so(run, tmp_path):
    report, written = write_tiers(run, tmp_path, 3)  # as many tiers: every name, quietly
    assert [t.name for t in written.tiers] == ["sql", "mql", "nurture", "cold"]
    assert written.handoff == ("sql",)
    assert report["warnings"] == []

    report, written = write_tiers(run, tmp_path, 2)
    assert [t.name for t in written.tiers] == ["sql", "mql", "cold"]
    assert [t["name"] for t in report["tiers"]] == ["sql", "mql", "cold"]
    assert written.handoff == ("sql",)
    assert report["warnings"] == [
        "--tiers 2 makes 3 tiers and the model has 4: sql, mql and cold keep their names; "
        "nurture is dropped"
    ]


def test_more_tiers_keep_the_names_and_name_the_new_ones(run, tmp_path):
    report, written = write_tiers(run, tmp_path, 5)
    names = ["sql", "mql", "nurture", "tier4", "tier5", "cold"]
    assert [t.name for t in written.tiers] == names
    assert [t.min_score for t in written.tiers] == sorted(
        (t.min_score for t in written.tiers), reverse=True
    )
    assert written.handoff == ("sql",)
    assert report["warnings"] == [
        "--tiers 5 makes 6 tiers and the model has 4: sql, mql, nurture and cold keep "
        "their names; the new tiers are named tier4 and tier5"
    ]


def test_tiers_say_what_the_handoff_loses(run, tmp_path):
    text = FOUR_TIERS.replace('tiers = ["sql"]', 'tiers = ["sql", "nurture"]')
    report, written = write_tiers(run, tmp_path, 1, text)
    assert [t.name for t in written.tiers] == ["sql", "cold"]
    assert written.handoff == ("sql",)
    assert report["warnings"][1] == "the written model's [handoff] no longer lists nurture"
    assert not any("start at or above" in w or "use --tiers" in w for w in report["warnings"])

    only_mql = FOUR_TIERS.replace('tiers = ["sql"]', 'tiers = ["mql"]')
    report, written = write_tiers(run, tmp_path, 1, only_mql)
    assert written.handoff == ()
    assert report["warnings"][1] == (
        "the written model's [handoff] no longer lists mql (none is left, so it defaults "
        "to the top tier, sql)"
    )


@given(
    model_names=st.lists(
        st.sampled_from(["sql", "mql", "nurture", "hot", "tier2", "tier3", "cold"]),
        max_size=5,
        unique=True,
    ),
    k=st.integers(1, 7),
)
def test_tier_names_keep_the_model_names_the_count_allows(model_names, k):
    from leadscore_cli.thresholds import tier_names

    naming = tier_names(model_names, k)
    names = naming.names
    assert len(names) == k + 1 == len(set(names))
    if not model_names:
        return
    upper = model_names[:-1]
    assert names[-1] == model_names[-1]
    assert names[: min(k, len(upper))] == upper[:k]
    assert naming.dropped == upper[k:]
    assert naming.added == names[len(upper) : k]
    assert not set(naming.added) & set(model_names)
    assert (naming.note(model_names, k) is None) == (len(model_names) == k + 1)


def test_a_parquet_file_scored_by_another_model_is_scored_again(run, tmp_path):
    """Another model's scores must not become this model's cutoffs."""
    from tests.conftest import AS_OF, SIMPLE_MODEL

    scored = tmp_path / "scored.parquet"
    result = run("score", SAMPLE, "-m", SIMPLE_MODEL, "-o", scored, "--as-of", AS_OF, "-q")
    assert result.exit_code == 0, result.stderr
    args = ("-m", B2B_MODEL, "--outcome", "converted", "--as-of", AS_OF)
    fresh = threshold_json(run, SAMPLE, *args)
    again = threshold_json(run, scored, *args)
    assert (again["table"], again["recommended"]) == (fresh["table"], fresh["recommended"])
    assert any("scored again" in w for w in again["warnings"])
    own = tmp_path / "own.parquet"
    run("score", SAMPLE, "-m", B2B_MODEL, "-o", own, "--as-of", AS_OF, "-q")
    assert threshold_json(run, own, *args)["warnings"] == fresh["warnings"]  # its own: read


def test_positive_that_matches_nothing_is_named_in_the_error(run, files):
    source, model = files
    result = run(
        "threshold", source, "-m", model, "--outcome", "converted", "--positive", "Closed-Won"
    )
    assert_clean_failure(result, EXIT_DATA, "no positive", "--positive 'Closed-Won'")


@pytest.mark.parametrize(("per", "said"), [((), "in all"), (("--per", "week"), "per week")])
def test_capacity_says_over_what_it_counts(run, files, per, said):
    source, model = files
    dates = ("--date-column", "created_date") if per else ()
    args = ("threshold", source, "-m", model, "--outcome", "converted", "--capacity", "20")
    result = run(*args, *per, *dates)
    assert result.exit_code == 0, result.stderr
    assert f"at most 20 leads {said})" in " ".join(result.stderr.split())


def test_the_date_column_is_parsed_once_for_all_its_figures():
    """--capacity --per reads --date-column's first and last date and its unreadable
    values: five figures of one parse, not a parse each (81 s instead of 11 s at 5M)."""
    from leadscore_cli.fields import parse_field
    from leadscore_cli.threshold_run import date_range

    model = parse_model(MODEL_TEXT)
    frame = pl.LazyFrame({"created_date": ["2026-01-01", "2026-03-05", "soon", None]})
    plan = date_range(frame, model, "created_date", frame.collect_schema(), "h.csv")
    spec = model.field_spec("created_date")
    once = frame.select(parse_field("created_date", "date", pl.String, spec, ()).value)
    assert plan.explain().count("strptime") == once.explain().count("strptime") > 0
    row = plan.collect().row(0, named=True)
    assert (row["first"], row["last"]) == (dt.date(2026, 1, 1), dt.date(2026, 3, 5))
    assert (row["unreadable"], row["example"], row["row"]) == (1, "soon", 2)
