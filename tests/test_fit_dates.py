"""Dates in `fit` and `threshold`: placeholders, typos and extremes never break a run, and
a run given `--as-of` depends on nothing but its inputs."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from leadscore_cli.errors import EXIT_DATA, EXIT_USAGE
from leadscore_cli.fitting import split_history
from tests.conftest import B2B_MODEL, SAMPLE, parse_json

LATEST_IN_SAMPLE = "2026-10-31"  # the latest date of the shipped sample


def sample_with(path: Path, column: str, every: int, value: str) -> Path:
    """The shipped sample with every `every`-th value of a date column replaced."""
    frame = pl.read_csv(SAMPLE, infer_schema=False)
    nth = pl.int_range(pl.len()) % every == 0
    frame = frame.with_columns(
        pl.when(nth).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    )
    frame.write_csv(path)
    return path


def fit_json(run, data: Path, model: Path, *options: object) -> dict:
    result = run("fit", data, "--outcome", "converted", "-o", model, "--json", *options)
    assert result.exit_code == 0, result.stderr
    report = parse_json(result.stdout)
    assert run("validate", "-m", model).exit_code == 0  # the model it wrote loads
    return report


def day_windows(model: Path) -> list[int]:
    """Every `within_days` and `older_than_days` value of the model's date rules."""
    text = model.read_text()
    values = []
    for rule in tomllib.loads(text)["rules"]:
        when = rule.get("when", {})
        for leaf in when.get("all", [when]):
            if leaf.get("op") in ("within_days", "older_than_days"):
                values.append(leaf["value"])
    return values


def test_a_far_future_placeholder_does_not_set_the_as_of_date(run, tmp_path):
    data = sample_with(tmp_path / "history.csv", "last_activity_date", 5_000, "9999-12-31")
    model = tmp_path / "fitted.toml"
    report = fit_json(run, data, model)
    assert report["as_of"] == LATEST_IN_SAMPLE
    assert f"# as-of: {LATEST_IN_SAMPLE} (the latest date" in model.read_text()
    assert day_windows(model) and max(day_windows(model)) < 1_000
    (warning,) = [w for w in report["warnings"] if "9999-12-31" in w]
    assert "last_activity_date: 1 after" in warning and "--as-of DATE" in warning
    # the header's --as-of reproduces the holdout figures with `score`
    scored = tmp_path / "scored.csv"
    result = run("score", data, "-m", model, "-o", scored, "--as-of", report["as_of"])
    assert result.exit_code == 0, result.stderr
    y = pl.read_csv(data, columns=["converted"])["converted"].to_numpy()
    holdout = split_history(y, 0.2, 0)
    scores = pl.read_csv(scored, columns=["score"])["score"].to_numpy()
    auc = roc_auc_score(y[holdout], scores[holdout])
    assert round(auc, 4) == report["metrics"]["auc"]


def test_a_typo_years_ahead_is_counted_in_one_warning(run, tmp_path):
    data = sample_with(tmp_path / "history.csv", "created_date", 1_000, "2062-03-01")
    result = run("fit", data, "--outcome", "converted", "-o", tmp_path / "m.toml")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("warning:") == 1
    assert "5 dates out of the range" in result.stderr
    assert "created_date: 5 after 2026-10-31 (latest 2062-03-01)" in result.stderr


def test_as_of_fixes_the_date_that_ages_count_from(run, tmp_path):
    model = tmp_path / "fitted.toml"
    report = fit_json(run, SAMPLE, model, "--as-of", "2026-06-30")
    assert report["as_of"] == "2026-06-30"
    assert "# as-of: 2026-06-30 (--as-of;" in model.read_text()
    (warning,) = report["warnings"]
    assert "after 2026-06-30" in warning and "read as 0 days old" in warning
    assert "--as-of DATE" not in warning  # it was given


@pytest.mark.parametrize("as_of", ["1899-12-31", "2026-02-30", "yesterday"])
def test_an_as_of_score_would_refuse_is_a_usage_error(run, tmp_path, as_of):
    model = tmp_path / "m.toml"
    result = run("fit", SAMPLE, "--outcome", "converted", "-o", model, "--as-of", as_of)
    assert result.exit_code == EXIT_USAGE
    assert "--as-of" in result.stderr and "Traceback" not in result.stderr
    assert not model.exists()


@pytest.mark.parametrize("placeholder", ["1900-01-01", "1850-06-15", "0001-01-01"])
def test_old_placeholders_read_as_the_oldest_age_a_rule_tells(run, tmp_path, placeholder):
    data = sample_with(tmp_path / "history.csv", "last_activity_date", 5, placeholder)
    model = tmp_path / "fitted.toml"
    report = fit_json(run, data, model)
    assert report["as_of"] == LATEST_IN_SAMPLE
    assert all(0 <= days <= 36_500 for days in day_windows(model))
    (warning,) = report["warnings"]
    assert warning.startswith("1,000 dates out of the range")
    assert f"(earliest {placeholder}), read as 36,500 days old" in warning


def typed_sample(change: pl.Expr | list[pl.Expr]) -> pl.DataFrame:
    frame = pl.read_csv(SAMPLE, try_parse_dates=True)
    return frame.with_columns(change)


DATES = ["last_activity_date", "created_date"]


@pytest.mark.parametrize(
    ("case", "change", "as_of"),
    [
        ("all equal", [pl.lit(dt.date(2026, 1, 1)).alias(c) for c in DATES], "2026-01-01"),
        ("one column null", pl.lit(None, pl.Date).alias(DATES[0]), LATEST_IN_SAMPLE),
        ("every date null", [pl.lit(None, pl.Date).alias(c) for c in DATES], None),
        ("before 1900", [pl.col(c).dt.offset_by("-200y") for c in DATES], "1900-01-01"),
        ("timestamps", pl.col(DATES[0]).cast(pl.Datetime("us", "UTC")), LATEST_IN_SAMPLE),
    ],
)
def test_extreme_date_columns_give_a_valid_model(run, tmp_path, case, change, as_of):
    data = tmp_path / "history.parquet"
    typed_sample(change).write_parquet(data)
    model = tmp_path / "fitted.toml"
    report = fit_json(run, data, model)
    assert report["as_of"] == as_of, case
    assert all(0 <= days <= 36_500 for days in day_windows(model))


def test_numbers_beyond_float32_are_binned_not_a_crash(run, tmp_path):
    data = tmp_path / "history.parquet"
    every_third = pl.int_range(pl.len()) % 3 == 0
    clicks = pl.col("email_clicks").cast(pl.Float64)
    typed_sample(
        pl.when(every_third).then(1e300).otherwise(clicks).alias("email_clicks")
    ).write_parquet(data)
    fit_json(run, data, tmp_path / "m.toml")


def test_when_every_date_is_in_the_future_today_is_the_as_of_date(run, tmp_path):
    data = tmp_path / "history.parquet"
    typed_sample([pl.col(c).dt.offset_by("100y") for c in DATES]).write_parquet(data)
    report = fit_json(run, data, tmp_path / "m.toml")
    assert report["as_of"] == dt.date.today().isoformat()
    (warning,) = report["warnings"]
    assert "Dates after today do not set the as-of date" in warning


def test_unreadable_values_of_the_models_columns_are_counted(run, tmp_path):
    data = sample_with(tmp_path / "history.csv", "last_activity_date", 50, "not yet")
    report = fit_json(run, data, tmp_path / "m.toml")
    (warning,) = report["warnings"]
    assert warning.startswith("100 values could not be read")
    assert "last_activity_date 100" in warning


def test_many_placeholders_still_give_a_model_that_loads(run, tmp_path):
    data = sample_with(tmp_path / "history.csv", "last_activity_date", 7, "9999-12-31")
    model = tmp_path / "m.toml"
    result = run("fit", data, "--outcome", "converted", "-o", model)
    assert result.exit_code == 0, result.stderr
    assert "bad model" not in result.stderr
    assert all(0 <= days <= 36_500 for days in day_windows(model))


# --- threshold -------------------------------------------------------------------------------

AS_OF = "2026-11-01"


@pytest.mark.parametrize("strategy", [(), ("--tiers", "3")])
def test_threshold_write_given_as_of_writes_the_same_bytes_any_day(run, tmp_path, strategy):
    written = []
    for name in ("a.toml", "b.toml"):
        out = tmp_path / name
        args = ("--outcome", "converted", "--as-of", AS_OF, "--write", out, "-q", *strategy)
        result = run("threshold", SAMPLE, "-m", B2B_MODEL, *args)
        assert result.exit_code == 0, result.stderr
        written.append(out.read_bytes())
    assert written[0] == written[1]
    header = written[0].decode().splitlines()[0]
    assert header.startswith("# Tiers recommended by `leadscore threshold`")
    assert f"as of {AS_OF}" in header
    assert dt.date.today().isoformat() not in written[0].decode()  # nothing of the day it ran


def with_unreadable_dates(path: Path, count: int) -> Path:
    """The shipped sample with `count` created dates that are no date, away from its first
    and last day so that the span stays the same."""
    frame = pl.read_csv(SAMPLE, infer_schema=False)
    ends = pl.col("created_date").is_in([frame["created_date"].min(), frame["created_date"].max()])
    pick = (~ends).cum_sum().is_between(1, count) & ~ends
    frame.with_columns(
        pl.when(pick).then(pl.lit("soon")).otherwise(pl.col("created_date")).alias("created_date")
    ).write_csv(path)
    return path


def capacity_args(model: Path) -> tuple[object, ...]:
    return ("-m", model, "--outcome", "converted", "--as-of", AS_OF, "--capacity", 50,
            "--per", "week", "--date-column", "created_date")  # fmt: skip


def test_unreadable_dates_in_the_date_column_stop_the_run(run, tmp_path):
    data = with_unreadable_dates(tmp_path / "history.csv", 30)
    out = tmp_path / "new.toml"
    result = run("threshold", data, *capacity_args(B2B_MODEL), "--write", out)
    assert result.exit_code == EXIT_DATA
    (line,) = result.stderr.splitlines()
    assert "'created_date': 30 values cannot be read as dates, first 'soon' at row " in line
    assert 'on_invalid = "null"' in line
    assert not out.exists()


def test_unreadable_dates_skipped_on_request_are_counted(run, tmp_path):
    data = with_unreadable_dates(tmp_path / "history.csv", 30)
    model = tmp_path / "model.toml"
    model.write_text(
        B2B_MODEL.read_text() + '\n[fields.created_date]\ntype = "date"\non_invalid = "null"\n'
    )
    report = parse_json(run("threshold", data, *capacity_args(model), "--json").stdout)
    clean = parse_json(run("threshold", SAMPLE, *capacity_args(model), "--json").stdout)
    assert report["unreadable_dates"] == 30 and clean["unreadable_dates"] == 0
    assert report["periods"] == clean["periods"]
    (warning,) = [w for w in report["warnings"] if "--date-column" in w]
    assert "30 values could not be read as dates and were skipped" in warning
    summary = run("threshold", data, *capacity_args(model))
    assert summary.exit_code == 0, summary.stderr
    assert f"Periods: {clean['periods']:.1f} weeks of created_date" in summary.stderr
    assert "(30 unreadable dates skipped)" in summary.stderr
