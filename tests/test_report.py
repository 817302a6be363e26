"""`leadscore report` through the CLI: JSON schema, formats, drift gate and A/B."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from leadscore_cli.cli.app import app
from leadscore_cli.errors import EXIT_DATA, EXIT_DRIFT, EXIT_USAGE
from leadscore_cli.metrics import auc_from_counts
from tests.conftest import AS_OF, B2B_MODEL, SAMPLE, SIMPLE_MODEL

TOP_KEYS = {
    "schema_version",
    "generated_by",
    "input",
    "rows",
    "model",
    "scores",
    "as_of",
    "distribution",
    "outcome",
    "drift",
    "comparison",
    "warnings",
}
OUTCOME_KEYS = {
    "column",
    "positive",
    "known",
    "converted",
    "missing",
    "unscored",
    "base_rate",
    "auc",
    "gini",
    "ks",
    "ks_score",
    "by_tier",
    "by_grade",
    "deciles",
    "calibration",
    "velocity",
}
DECILE_KEYS = {
    "decile",
    "min_score",
    "max_score",
    "leads",
    "converted",
    "rate",
    "cum_leads",
    "cum_share_leads",
    "cum_converted",
    "gain",
    "lift",
    "cum_lift",
}
DRIFT_KEYS = {
    "baseline",
    "baseline_rows",
    "score",
    "columns",
    "columns_missing",
    "columns_missing_baseline",
    "tiers",
    "fail_on_drift",
    "failed",
}


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> str:
    """The shipped sample scored once with the B2B model."""
    out = tmp_path_factory.mktemp("scored") / "scored.parquet"
    result = invoke("score", SAMPLE, "-m", B2B_MODEL, "-o", out, "--as-of", AS_OF, "-q")
    assert result.exit_code == 0, result.stderr
    return str(out)


@pytest.fixture(scope="module")
def full(scored) -> dict:
    result = invoke(
        "report",
        scored,
        "-m",
        B2B_MODEL,
        "--outcome",
        "converted",
        "--format",
        "json",
        "--baseline",
        scored,
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_json_schema(full, scored):
    assert set(full) == TOP_KEYS
    assert full["schema_version"] == 1
    assert full["rows"] == 5000 and full["scores"] == "read"
    assert full["model"] == {"name": "b2b-saas", "version": "1.0.0"}
    dist = full["distribution"]
    assert set(dist) == {"scored", "mean", "median", "histogram", "tiers", "grades", "matrix"}
    assert sum(b["count"] for b in dist["histogram"]) == 5000
    assert [t["tier"] for t in dist["tiers"]] == ["sql", "mql", "nurture", "cold"]
    assert [g["grade"] for g in dist["grades"]] == ["A", "B", "C", "D", "F"]
    assert len(dist["matrix"]) == 20 and sum(c["count"] for c in dist["matrix"]) == 5000
    tiers = pl.read_parquet(scored)["tier"].cast(pl.String).value_counts()
    assert {t["tier"]: t["count"] for t in dist["tiers"]} == dict(tiers.iter_rows())
    outcome = full["outcome"]
    assert set(outcome) == OUTCOME_KEYS
    assert all(set(d) == DECILE_KEYS for d in outcome["deciles"])
    assert sum(d["leads"] for d in outcome["deciles"]) == outcome["known"] == 5000
    assert outcome["deciles"][-1]["gain"] == 1.0
    assert outcome["gini"] == pytest.approx(2 * outcome["auc"] - 1, abs=3e-6)
    assert set(full["drift"]) == DRIFT_KEYS
    assert full["comparison"] is None and full["warnings"] == []


def test_auc_agrees_with_mann_whitney_on_the_rows(full, scored):
    """Mann-Whitney U from average ranks over all rows: the textbook form of AUC."""
    frame = pl.read_parquet(scored).select(
        pl.col("score").rank("average").alias("rank"), pl.col("converted") == "true"
    )
    pos = frame.filter(pl.col("converted"))
    n_pos, n_neg = pos.height, frame.height - pos.height
    u = pos["rank"].sum() - n_pos * (n_pos + 1) / 2
    assert full["outcome"]["auc"] == pytest.approx(u / (n_pos * n_neg), abs=1e-6)
    scores = pl.read_parquet(scored)["score"].to_numpy()
    converted = pl.read_parquet(scored)["converted"].to_numpy() == "true"
    distinct, index = np.unique(scores, return_inverse=True)
    pos_counts = np.bincount(index[converted], minlength=len(distinct))
    neg_counts = np.bincount(index[~converted], minlength=len(distinct))
    assert auc_from_counts(pos_counts, neg_counts) == pytest.approx(u / (n_pos * n_neg))


def test_raw_export_is_scored_on_the_fly(full):
    result = invoke(
        "report",
        SAMPLE,
        "-m",
        B2B_MODEL,
        "--outcome",
        "converted",
        "--format",
        "json",
        "--as-of",
        AS_OF,
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["scores"] == "scored" and data["as_of"] == AS_OF
    assert data["distribution"] == full["distribution"]
    assert data["outcome"] == full["outcome"]


def test_without_a_model_reads_the_files_columns(scored):
    result = invoke("report", scored, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["model"] is None and data["outcome"] is None
    assert [t["tier"] for t in data["distribution"]["tiers"]] == ["sql", "mql", "nurture", "cold"]
    assert data["distribution"]["grades"] == []  # `score` writes no grade column


def test_terminal_report_goes_to_stdout_and_fits_80_columns(scored):
    result = invoke("report", scored, "-m", B2B_MODEL, "--outcome", "converted")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    for heading in ("Score histogram", "Conversion by tier", "Gains and lift", "Calibration"):
        assert heading in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    quiet = invoke("report", scored, "-m", B2B_MODEL, "-q")
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""


def test_markdown_and_terminal_files(scored, tmp_path):
    md = tmp_path / "report.md"
    result = invoke(
        "report",
        scored,
        "-m",
        B2B_MODEL,
        "--outcome",
        "converted",
        "--format",
        "markdown",
        "-o",
        md,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    text = md.read_text()
    assert text.startswith("# Lead score report")
    assert "| decile | scores | leads | rate | gain | lift | cum lift |" in text
    txt = tmp_path / "report.txt"
    assert invoke("report", scored, "-m", B2B_MODEL, "-o", txt, "-q").exit_code == 0
    assert "Score histogram" in txt.read_text() and "\x1b[" not in txt.read_text()


@pytest.mark.parametrize(
    ("name", "start"),
    [("r.json", '{\n  "schema_version"'), ("r.html", "<!DOCTYPE html>"), ("r.md", "# Lead")],
)
def test_output_extension_chooses_the_format_unless_given(scored, tmp_path, name, start):
    out = tmp_path / name
    assert invoke("report", scored, "-o", out, "-q").exit_code == 0
    assert out.read_text().startswith(start)
    assert invoke("report", scored, "-o", out, "-q", "--format", "terminal").exit_code == 0
    assert out.read_text().startswith("Lead score report")


def test_json_prints_the_report_on_stdout_as_for_the_other_commands(scored, tmp_path):
    as_json = json.loads(invoke("report", scored, "--format", "json").stdout)
    for quiet in ([], ["-q"]):
        by_flag = invoke("report", scored, "--json", *quiet)
        assert by_flag.exit_code == 0, by_flag.stderr
        assert json.loads(by_flag.stdout) == as_json
    page = tmp_path / "r.html"  # the file in its own format, the JSON on stdout, even with -q
    beside = invoke("report", scored, "--json", "-o", page, "-q")
    assert beside.exit_code == 0, beside.stderr
    assert page.read_text().startswith("<!DOCTYPE html>")
    assert json.loads(beside.stdout) == as_json
    clash = invoke("report", scored, "--json", "--format", "html")
    assert clash.exit_code == 2
    assert "--json" in clash.stderr and "-o FILE" in clash.stderr and clash.stdout == ""


# Loadable references only: the inlined plotly.js legitimately contains URL strings
# (in comments, licence headers and code for features this page never uses), so the test
# looks for what a browser would fetch, not for every "http" substring.
REMOTE_LOADS = (
    r"<script[^>]*\ssrc\s*=",
    r"<link[^>]*\shref\s*=\s*[\"']?(https?:)?//",
    r"<img[^>]*\ssrc\s*=\s*[\"']?(https?:)?//",
    r"<iframe",
    r"@import\s+url\(",
    r"@import\s+[\"']",
    r"url\(\s*[\"']?(https?:)?//",
)


def test_html_is_self_contained_with_every_chart(scored, tmp_path):
    page = tmp_path / "report.html"
    result = invoke(
        "report",
        scored,
        "-m",
        B2B_MODEL,
        "--outcome",
        "converted",
        "--baseline",
        scored,
        "--format",
        "html",
        "-o",
        page,
    )
    assert result.exit_code == 0, result.stderr
    text = page.read_text()
    for pattern in REMOTE_LOADS:
        assert not re.search(pattern, text, re.IGNORECASE), pattern
    for chart in ("chart-histogram", "chart-gains", "chart-tiers", "chart-psi"):
        assert f'id="{chart}"' in text
        assert f'"{chart}"' in text.split(f'id="{chart}"', 1)[1]  # Plotly.newPlot(id, ...)
    assert text.count("Plotly.newPlot") == 4
    assert "plotly.js" in text.lower()  # the library itself is inline


def drifted_copy(scored: str, tmp_path) -> str:
    """The scored sample with the top scorers removed and half the industries renamed."""
    frame = pl.read_parquet(scored)
    frame = frame.filter(pl.col("score") < 30).with_columns(
        pl.when(pl.int_range(pl.len()) % 2 == 0)
        .then(pl.lit("aerospace"))
        .otherwise(pl.col("industry"))
        .alias("industry")
    )
    out = tmp_path / "drifted.parquet"
    frame.write_parquet(out)
    return str(out)


def test_drift_gate_exits_7_after_writing_the_report(scored, tmp_path):
    current = drifted_copy(scored, tmp_path)
    out = tmp_path / "drift.json"
    result = invoke(
        "report",
        current,
        "-m",
        B2B_MODEL,
        "--baseline",
        scored,
        "--fail-on-drift",
        "0.2",
        "--format",
        "json",
        "-o",
        out,
    )
    assert result.exit_code == EXIT_DRIFT, result.stderr
    assert result.stderr.splitlines()[-1].startswith("leadscore: drift: ")
    data = json.loads(out.read_text())
    drift = data["drift"]
    assert drift["failed"] and drift["score"]["psi"] > 0.25
    assert drift["score"]["verdict"] == "shifted"
    industry = next(c for c in drift["columns"] if c["column"] == "industry")
    unseen = next(b for b in industry["bins"] if b["bin"] == "(unseen)")
    assert unseen["baseline"] == 0 and unseen["current"] > 0
    assert industry["verdict"] == "shifted"
    sql = next(t for t in drift["tiers"] if t["tier"] == "sql")
    assert sql["current"] == 0 and sql["change"] < 0


def test_drift_gate_passes_on_the_same_data(scored, full):
    result = invoke(
        "report", scored, "-m", B2B_MODEL, "--baseline", scored, "--fail-on-drift", "0.1", "-q"
    )
    assert result.exit_code == 0, result.stderr
    drift = full["drift"]
    assert drift["score"]["psi"] == 0.0 and drift["failed"] is False
    assert all(c["psi"] == 0.0 and c["verdict"] == "stable" for c in drift["columns"])
    assert "lead_id" not in {c["column"] for c in drift["columns"]}


def test_ab_simple_against_b2b(tmp_path):
    args = (
        "report",
        SAMPLE,
        "-m",
        SIMPLE_MODEL,
        "--compare-model",
        B2B_MODEL,
        "--outcome",
        "converted",
        "--as-of",
        AS_OF,
        "--format",
        "json",
    )
    first = invoke(*args)
    assert first.exit_code == 0, first.stderr
    comparison = json.loads(first.stdout)["comparison"]
    current, other = comparison["models"]
    assert (current["name"], other["name"]) == ("starter", "b2b-saas")
    assert other["auc"] > current["auc"]
    assert comparison["auc_difference"] == pytest.approx(other["auc"] - current["auc"], abs=1e-6)
    low, high = comparison["interval"]
    assert 0 < low < comparison["auc_difference"] < high
    assert comparison["verdict"].startswith("the other model ranks")
    assert [t["tier"] for t in current["tiers"]] == ["mql", "cold"]
    assert sum(t["count"] for t in other["tiers"]) == 5000
    assert json.loads(invoke(*args).stdout)["comparison"] == comparison  # seeded


def test_velocity_and_positive_values(tmp_path):
    data = tmp_path / "history.csv"
    pl.DataFrame(
        {
            "score": [90.0, 80.0, 85.0, 10.0, 20.0, 5.0],
            "tier": ["hot", "hot", "hot", "cold", "cold", "cold"],
            "stage": ["Won", "Won", "Lost", "Won", "Lost", "Won"],
            "created": ["2026-01-01"] * 6,
            "closed": ["2026-01-03", "2026-01-05", "", "2026-01-21", "", "2026-01-31"],
        }
    ).write_csv(data)
    result = invoke(
        "report",
        data,
        "--outcome",
        "stage",
        "--positive",
        "won",
        "--created-column",
        "created",
        "--converted-at-column",
        "closed",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    outcome = json.loads(result.stdout)["outcome"]
    assert outcome["converted"] == 4 and outcome["known"] == 6
    speed = outcome["velocity"]
    assert {t["tier"]: t["median_days"] for t in speed["by_tier"]} == {"hot": 3.0, "cold": 25.0}
    assert speed["median_days"] == 12.0  # days 2, 4, 20, 30


@pytest.mark.parametrize(
    "args",
    [
        ("--fail-on-drift", "0.2"),
        ("--format", "pdf"),
        ("--positive", "yes"),
        ("--compare-model", SIMPLE_MODEL),
    ],
)
def test_usage_errors(scored, args):
    result = invoke("report", scored, "-m", B2B_MODEL, *args)
    assert result.exit_code == EXIT_USAGE, result.stderr
    assert result.stdout == "" and result.stderr.startswith("leadscore: usage error:")


@pytest.mark.parametrize("limit", ["nan", "inf", "-0.1"])
def test_fail_on_drift_must_be_a_finite_limit(scored, limit):
    # NaN would never trip the gate; NaN and inf would make the JSON report invalid
    result = invoke("report", scored, "--baseline", scored, "--fail-on-drift", limit)
    assert result.exit_code == EXIT_USAGE, result.stderr
    assert result.stdout == "" and "--fail-on-drift" in result.stderr


def test_input_and_baseline_cannot_both_be_stdin(scored):
    text = pl.read_parquet(scored).write_csv()
    result = CliRunner().invoke(app, ["report", "-", "--baseline", "-"], input=text)
    assert result.exit_code == EXIT_USAGE, result.stderr
    assert "stdin" in result.stderr and result.stdout == ""


def test_raw_export_without_a_model_is_a_usage_error():
    result = invoke("report", SAMPLE)
    assert result.exit_code == EXIT_USAGE
    assert "give -m MODEL" in result.stderr


def test_outcome_that_is_not_boolean_like_needs_positive(scored):
    result = invoke("report", scored, "-m", B2B_MODEL, "--outcome", "stage")
    assert result.exit_code == EXIT_DATA, result.stderr
    assert "--positive" in result.stderr and result.stdout == ""
    # the count is of leads, not of the distinct (score, tier, grade, stage) cells
    stage = pl.read_parquet(scored)["stage"].str.strip_chars().str.to_lowercase()
    readable = ["true", "false", "t", "f", "yes", "no", "y", "n", "1", "0", ""]
    leads = int((stage.is_not_null() & ~stage.is_in(readable)).sum())
    assert leads > 1000
    assert f"({leads:,} values, such as" in result.stderr


def test_not_boolean_like_counts_leads_by_hand(tmp_path):
    data = tmp_path / "scored.csv"
    pl.DataFrame(
        {
            "score": [50.0] * 6,
            "tier": ["hot"] * 6,
            "stage": ["Won", "Won", "Lost", "Won", "Lost", "yes"],
        }
    ).write_csv(data)
    result = invoke("report", data, "--outcome", "stage")
    assert result.exit_code == EXIT_DATA, result.stderr
    # five leads, but only two distinct values: Won and Lost
    assert "(5 values, such as" in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("positive", "detail"),
    [
        (("Closed-Won",), "none of its 5,000 known values counts as converted"),
        (
            ("Closed Won", "Closed Lost", "Open", "Nurturing"),
            "all 5,000 known values count as converted",
        ),
    ],
    ids=["none", "all"],
)
def test_positive_that_matches_no_lead_or_every_lead_stops_the_report(scored, positive, detail):
    # as in threshold, profile and fit: a typo such as Closed-Won is not history
    args = [a for value in positive for a in ("--positive", value)]
    result = invoke(
        "report", scored, "-m", B2B_MODEL, "--outcome", "stage", *args, "--format", "json"
    )
    assert result.exit_code == EXIT_DATA, result.stderr
    assert result.stdout == ""
    assert "'stage'" in result.stderr and detail in result.stderr
    assert f"--positive {', '.join(repr(p) for p in positive)}" in result.stderr


def test_scored_csv_without_a_model_orders_tiers_by_score(scored, tmp_path):
    csv = tmp_path / "scored.csv"
    pl.read_parquet(scored).with_columns(pl.col("tier").cast(pl.String)).write_csv(csv)
    result = invoke("report", csv, "--outcome", "converted", "--format", "json")
    assert result.exit_code == 0, result.stderr
    outcome = json.loads(result.stdout)["outcome"]
    assert [t["tier"] for t in outcome["by_tier"]] == ["sql", "mql", "nurture", "cold"]


def report_json(*args: object) -> dict:
    result = invoke("report", *args, "--outcome", "converted", "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_parquet_scored_by_another_model_is_scored_again(scored):
    # the file's footer records b2b-saas: its scores must not pass for the simple model's
    fresh = report_json(SAMPLE, "-m", SIMPLE_MODEL)
    again = report_json(scored, "-m", SIMPLE_MODEL)
    assert again["scores"] == "scored"
    assert again["outcome"]["auc"] == fresh["outcome"]["auc"]
    assert again["outcome"]["deciles"] == fresh["outcome"]["deciles"]
    assert any("b2b-saas" in w and "scored again" in w for w in again["warnings"])
    same = report_json(scored, "-m", B2B_MODEL)
    assert same["scores"] == "read" and same["warnings"] == []


def test_compare_model_on_a_file_scored_by_the_other_model(scored):
    fresh = report_json(SAMPLE, "-m", SIMPLE_MODEL, "--compare-model", B2B_MODEL)
    again = report_json(scored, "-m", SIMPLE_MODEL, "--compare-model", B2B_MODEL)
    assert again["comparison"] == fresh["comparison"]
    assert again["comparison"]["auc_difference"] > 0


def test_baseline_scored_by_another_model_is_scored_again(scored):
    fresh = report_json(SAMPLE, "-m", SIMPLE_MODEL, "--baseline", SAMPLE)
    again = report_json(SAMPLE, "-m", SIMPLE_MODEL, "--baseline", scored)
    assert again["drift"]["score"] == fresh["drift"]["score"]
    assert any(scored in w and "scored again" in w for w in again["warnings"])


def test_baseline_of_another_model_is_flagged_without_a_model(scored, tmp_path):
    other = tmp_path / "simple.parquet"
    edited_model = tmp_path / "b2b_edited.toml"
    edited_model.write_text(B2B_MODEL.read_text() + "\n# an edit\n")
    edited = tmp_path / "edited.parquet"
    for model, out in ((SIMPLE_MODEL, other), (edited_model, edited)):
        result = invoke("score", SAMPLE, "-m", model, "-o", out, "--as-of", AS_OF, "-q")
        assert result.exit_code == 0, result.stderr

    def warnings(baseline) -> list[str]:
        result = invoke("report", scored, "--baseline", baseline, "--format", "json")
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)["warnings"]

    assert any(
        "starter 1.0.0" in w and "b2b-saas 1.0.0" in w and "two models" in w
        for w in warnings(other)
    )
    assert any("one edit of b2b-saas 1.0.0" in w for w in warnings(edited))
    assert warnings(scored) == []
    terminal = invoke("report", scored, "--baseline", other)
    assert "two models" in " ".join(terminal.stdout.split())


def test_outcome_figures_are_over_leads_with_a_score(tmp_path):
    data = tmp_path / "scored.csv"
    pl.DataFrame(
        {
            "score": ["90", "80", "", "abc", "40", "30", "20", "10", "50", "60"],
            "tier": ["hot", "hot", "hot", "cold", "cold", "cold", "cold", "cold", "hot", "hot"],
            "converted": ["t", "t", "t", "t", "f", "f", "f", "", "f", "t"],
        }
    ).write_csv(data)
    result = invoke("report", data, "--outcome", "converted", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    outcome = report["outcome"]
    # 10 rows: 1 without an outcome, 2 with an outcome but no score, 7 in every figure
    assert (outcome["known"], outcome["missing"], outcome["unscored"]) == (7, 1, 2)
    assert outcome["converted"] == 3 and outcome["base_rate"] == pytest.approx(3 / 7)
    assert sum(d["leads"] for d in outcome["deciles"]) == outcome["known"]
    assert sum(d["converted"] for d in outcome["deciles"]) == outcome["converted"]
    assert sum(t["leads"] for t in outcome["by_tier"]) == outcome["known"]
    assert any(
        "2 leads with a known outcome have no readable score" in w for w in report["warnings"]
    )
    text = invoke("report", data, "--outcome", "converted")
    assert "2 left out (no readable score)" in " ".join(text.stdout.split())


def test_nan_and_infinite_scores_are_left_out_not_ranked_first(tmp_path):
    data = tmp_path / "scored.parquet"
    pl.DataFrame(
        {
            "score": [float("nan"), float("inf"), 90.0, 80.0, 20.0, 10.0],
            "converted": ["f", "f", "t", "t", "f", "f"],
        }
    ).write_parquet(data)
    result = invoke("report", data, "--outcome", "converted", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    outcome = report["outcome"]
    # the two converters score highest among the 4 readable scores: a perfect ranking
    assert (outcome["known"], outcome["unscored"], outcome["auc"]) == (4, 2, 1.0)
    assert report["distribution"]["scored"] == 4


def test_compared_models_are_measured_on_the_same_leads(tmp_path):
    scored_csv = tmp_path / "scored.csv"
    result = invoke("score", SAMPLE, "-m", B2B_MODEL, "-o", scored_csv, "--as-of", AS_OF, "-q")
    assert result.exit_code == 0, result.stderr
    blanked = pl.read_csv(scored_csv, infer_schema=False).with_columns(
        pl.when(pl.int_range(pl.len()) < 50).then(None).otherwise(pl.col("score")).alias("score")
    )
    blanked.write_csv(scored_csv)
    report = report_json(scored_csv, "-m", B2B_MODEL, "--compare-model", SIMPLE_MODEL)
    assert report["outcome"]["known"] == 4950 and report["outcome"]["unscored"] == 50
    for side in report["comparison"]["models"]:
        assert sum(t["leads"] for t in side["tiers"]) == 4950


def test_ks_score_is_the_highest_cutoff_on_ties(tmp_path):
    data = tmp_path / "scored.csv"
    data.write_text("score,converted\n10,t\n20,f\n30,t\n40,f\n30,f\n30,t\n")
    result = invoke("report", data, "--outcome", "converted", "--format", "json")
    assert result.exit_code == 0, result.stderr
    outcome = json.loads(result.stdout)["outcome"]
    assert outcome["ks"] == pytest.approx(1 / 3, abs=1e-6) and outcome["ks_score"] == 40.0


def test_calibration_claims_no_rise_that_is_not_there(tmp_path):
    data = tmp_path / "scored.csv"
    # every band converts at 1/2: monotonic (the rate never falls), but it does not rise
    data.write_text("score,converted\n5,t\n6,f\n55,t\n56,f\n95,t\n96,f\n")
    result = invoke("report", data, "--outcome", "converted")
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "Conversion never falls from one band to the next higher one." in text
    assert "rises" not in text


def test_drift_bin_shares_are_the_smoothed_shares_psi_uses(full):
    bins = full["drift"]["score"]["bins"]
    total = sum(b["current"] for b in bins) + 0.5 * len(bins)
    for b in bins:
        assert b["current_share"] == pytest.approx((b["current"] + 0.5) / total, abs=1e-6)
        assert b["baseline_share"] == pytest.approx((b["baseline"] + 0.5) / total, abs=1e-6)


def test_compared_models_may_name_an_export_column_differently(tmp_path):
    """b2b reads "Annual Revenue" as annual_revenue; a copy of it reads it as revenue."""
    text = B2B_MODEL.read_text()
    assert '[fields.annual_revenue]\nsource = "Annual Revenue"' in text
    renamed = tmp_path / "renamed.toml"
    renamed.write_text(
        text.replace("[fields.annual_revenue]", "[fields.revenue]").replace(
            'field = "annual_revenue"', 'field = "revenue"'
        )
    )
    both = report_json(SAMPLE, "-m", renamed, "--compare-model", B2B_MODEL)
    swapped = report_json(SAMPLE, "-m", B2B_MODEL, "--compare-model", renamed)
    assert both["comparison"]["auc_difference"] == 0  # the same points, read either way
    assert swapped["comparison"]["auc_difference"] == 0


def test_a_tiny_interval_bound_keeps_its_sign():
    from leadscore_cli.cli.render_report import signed_auc

    assert signed_auc(-0.00048) == "-0.00048"  # not -0.000 beside "below 0"
    assert (signed_auc(-0.017), signed_auc(0.0), signed_auc(0.0123)) == (
        "-0.017",
        "+0.000",
        "+0.012",
    )


@pytest.mark.parametrize("outcomes", ["blank", "one class"])
def test_outcome_warning_says_whether_there_are_known_outcomes(
    scored, tmp_path, outcomes: str
) -> None:
    """With no known outcome at all there is no class to speak of: the warning says so,
    instead of "a single class among 0 known outcomes"."""
    value = None if outcomes == "blank" else "no"
    path = tmp_path / "leads.parquet"
    pl.read_parquet(scored).with_columns(
        pl.lit(value, dtype=pl.String).alias("converted")
    ).write_parquet(path)
    result = invoke("report", path, "--outcome", "converted", "--format", "json")
    assert result.exit_code == 0, result.stderr
    warnings = json.loads(result.stdout)["warnings"]
    if outcomes == "blank":
        assert "'converted' has no known outcome among the scored leads" in " ".join(warnings)
        assert not any("single class" in w for w in warnings)
    else:
        assert any("single class among 5,000 known outcomes" in w for w in warnings)


def test_a_baseline_on_stdin_beside_a_parquet_input(scored) -> None:
    """Comparing the models two Parquet files record must not read stdin a second time."""
    data = Path(scored).read_bytes()
    result = CliRunner().invoke(
        app, ["report", scored, "--baseline", "-", "--format", "json"], input=data
    )
    assert result.exit_code == 0, result.stderr
    drift = json.loads(result.stdout)["drift"]
    assert drift["baseline_rows"] == 5000 and drift["score"]["psi"] == 0


@pytest.mark.parametrize("empty_side", ["current", "baseline"])
def test_drift_against_a_file_with_no_leads_is_not_called_stable(tmp_path, empty_side):
    """Smoothing would give an empty export ten equal shares and a small PSI: an empty
    nightly export must not pass the drift gate as "stable"."""
    full = tmp_path / "full.csv"
    full.write_text("score,tier\n" + "".join(f"{s},cold\n" for s in range(0, 100, 7)))
    empty = tmp_path / "empty.csv"
    empty.write_text("score,tier\n")
    current, baseline = (empty, full) if empty_side == "current" else (full, empty)
    out = tmp_path / "drift.json"
    args = ("report", current, "--baseline", baseline, "--format", "json", "-o", out)
    result = invoke(*args, "--fail-on-drift", "0.25")
    assert result.exit_code == EXIT_DRIFT, result.stderr
    assert result.stderr.splitlines()[-1].startswith("leadscore: drift: ")
    assert "cannot be measured" in result.stderr.splitlines()[-1]
    drift = json.loads(out.read_text())["drift"]
    assert drift["score"]["psi"] is None and drift["score"]["verdict"] == "no data"
    assert drift["failed"] is True
    assert invoke(*args).exit_code == 0  # without the gate the report is still written
    warnings = json.loads(out.read_text())["warnings"]
    assert any("no scored leads: drift cannot be measured" in w for w in warnings)


def test_watched_columns_missing_from_the_baseline_are_named(scored, tmp_path):
    """Input drift of a column the baseline lacks cannot be measured: say so, rather than
    leave the column out of the table as if it had been checked."""
    baseline = tmp_path / "baseline.parquet"
    pl.read_parquet(scored).drop("country", "employees").write_parquet(baseline)
    result = invoke("report", scored, "-m", B2B_MODEL, "--baseline", baseline, "--format", "json")
    assert result.exit_code == 0, result.stderr
    drift = json.loads(result.stdout)["drift"]
    assert drift["columns_missing_baseline"] == ["country", "employees"]
    assert drift["columns_missing"] == []
    assert {"country", "employees"}.isdisjoint(c["column"] for c in drift["columns"])
    assert "country, employees the model reads are not in the baseline" in result.stderr
    text = invoke("report", scored, "-m", B2B_MODEL, "--baseline", baseline)
    assert "Not in the baseline: country, employees" in text.stdout


def test_histogram_puts_a_score_below_0_in_the_lowest_bin(tmp_path):
    """An edited file can hold a score outside 0-100: it counts in the nearest end bin,
    as calibration and the score PSI count it, not wrapped round to 90-100."""
    data = tmp_path / "scored.csv"
    data.write_text("score,converted\n-5,f\n5,f\n95,t\n150,t\n")
    result = invoke("report", data, "--outcome", "converted", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    histogram = [b["count"] for b in report["distribution"]["histogram"]]
    assert histogram == [2, 0, 0, 0, 0, 0, 0, 0, 0, 2]
    bands = [b["leads"] for b in report["outcome"]["calibration"]["bands"]]
    assert bands == histogram


def test_ab_of_two_edits_of_one_model_tells_them_apart_by_file(tmp_path):
    """`threshold --write` keeps the model's name and version: the A/B must still say
    which column is which model."""
    edited = tmp_path / "new_tiers.toml"
    edited.write_text(SIMPLE_MODEL.read_text().replace("mql = 40", "mql = 30"))
    args = ("report", SAMPLE, "-m", SIMPLE_MODEL, "--compare-model", edited)
    args += ("--outcome", "converted", "--as-of", AS_OF)
    result = invoke(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    current, other = json.loads(result.stdout)["comparison"]["models"]
    assert (current["name"], current["version"]) == (other["name"], other["version"])
    assert (current["file"], other["file"]) == (str(SIMPLE_MODEL), str(edited))
    text = invoke(*args, "--format", "markdown").stdout
    assert (
        "| metric | current: starter 1.0.0, simple.toml | other: starter 1.0.0, new_tiers.toml |"
        in text
    )
    assert "Tiers of the other model (starter 1.0.0, new_tiers.toml)" in text
