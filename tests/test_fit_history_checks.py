"""`leadscore fit` on small hand-made histories: what it keeps, reports and refuses."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from leadscore_cli.errors import EXIT_DATA, EXIT_USAGE
from leadscore_cli.fitting import split_history
from tests.conftest import SAMPLE, parse_json

NOISE_COLUMNS = 6


def noisy_history(path: Path, rows: int = 3000, seed: int = 3) -> Path:
    """A segment that predicts the outcome, a number whose lowest fifth converts less, and
    numbers and a date that have nothing to do with it."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(["a", "b", "c", "d"], rows)
    size = rng.integers(1, 5000, rows)
    rate = np.select([segment == "a", segment == "b", segment == "c"], [0.3, 0.2, 0.1], 0.05)
    converted = rng.random(rows) < rate - 0.1 * (size < 1500)
    noise = {f"noise_{i}": rng.integers(0, 100, rows) for i in range(NOISE_COLUMNS - 1)}
    days = rng.integers(0, 365, rows).tolist()
    frame = pl.DataFrame({"segment": segment, "employees": size, **noise, "converted": converted})
    frame = frame.with_columns(
        noise_date=pl.lit(np.datetime64("2026-10-31")).cast(pl.Date)
        - pl.duration(days=pl.Series(days))
    )
    frame.write_csv(path)
    return path


def fit_json(run, data: Path, out: Path, *args: object) -> dict:
    result = run("fit", data, "--outcome", "converted", "-o", out, "--json", *args)
    assert result.exit_code == 0, result.stderr
    return parse_json(result.stdout)


def test_numbers_and_dates_that_only_chance_separates_are_dropped_as_weak(run, tmp_path):
    """The ranges fit cuts follow the outcome, so noise looks predictive on them; the test
    that a column beats chance runs on bins that did not look at the outcome."""
    report = fit_json(
        run, noisy_history(tmp_path / "h.csv"), tmp_path / "m.toml", "--as-of", "2026-11-01"
    )
    kinds = {d["column"]: d["kind"] for d in report["dropped"]}
    noise = [f"noise_{i}" for i in range(NOISE_COLUMNS - 1)] + ["noise_date"]
    assert {kinds.get(column) for column in noise} == {"weak"}, report["features"]
    assert {f["name"] for f in report["features"]} == {"segment", "employees"}


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_a_seed_out_of_range_is_a_usage_error(run, tmp_path, seed):
    out = tmp_path / "m.toml"
    result = run("fit", SAMPLE, "--outcome", "converted", "-o", out, "--seed", seed)
    assert result.exit_code == EXIT_USAGE, result.stderr
    assert result.stderr.count("\n") == 1 and "--seed" in result.stderr
    assert not out.exists()


def test_no_column_left_names_each_column_and_why(run, tmp_path):
    rng = np.random.default_rng(0)
    converted = rng.random(500) < 0.2
    data = tmp_path / "h.csv"
    pl.DataFrame(
        {
            "lead_id": [f"L{i}" for i in range(500)],
            "noise": rng.integers(0, 100, 500),
            "stage": np.where(converted, "won", "open"),
            "converted": converted,
        }
    ).write_csv(data)
    result = run("fit", data, "--outcome", "converted", "-o", tmp_path / "m.toml", "--json")
    assert result.exit_code == EXIT_DATA
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    for column in ("lead_id (id-like)", "noise (weak)", "stage (leakage)"):
        assert column in result.stderr


def test_each_bins_leads_and_rate_are_of_the_training_leads(run, tmp_path):
    """Bins are cut and points learned on the training leads: the figures that explain
    them are of the same leads, as recounted here by hand."""
    report = fit_json(run, noisy_history(tmp_path / "h.csv"), tmp_path / "m.toml")
    frame = pl.read_csv(tmp_path / "h.csv")
    train = ~split_history(frame["converted"].to_numpy(), 0.2, 0)
    training = frame.filter(pl.Series(train))
    for feature in report["features"]:
        assert sum(b["leads"] for b in feature["bins"]) == report["training"]
    segment = next(f for f in report["features"] if f["name"] == "segment")
    for b in segment["bins"]:
        leads = training.filter(pl.col("segment").is_in(b["label"].split(", ")))
        assert b["leads"] == leads.height, b
        if leads.height:
            assert b["rate"] == pytest.approx(leads["converted"].mean()), b


def test_leads_without_a_known_outcome_are_counted_as_left_out(run, tmp_path):
    data = noisy_history(tmp_path / "h.csv")
    frame = pl.read_csv(data, infer_schema=False)
    unknown = ["", "N/A", "null"] * 100
    outcome = pl.Series(unknown + frame["converted"].to_list()[len(unknown) :])
    frame.with_columns(converted=outcome).write_csv(data)
    out = tmp_path / "m.toml"
    report = fit_json(run, data, out)
    assert report["missing_outcome"] == len(unknown)
    assert report["rows"] == frame.height - len(unknown)
    assert f"with a known outcome, {len(unknown)} without one left out:" in out.read_text()
    shown = run("fit", data, "--outcome", "converted", "-o", out)
    assert f", {len(unknown)} without one left out:" in shown.stderr.splitlines()[0]


def explanation_block(text: str, rule: str) -> list[str]:
    """The comment lines above the first rule of `rule`, as fit wrote them."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"# {rule}, IV "))
    end = next(i for i in range(start, len(lines)) if lines[i] == "[[rules]]")
    return lines[start + 1 : end]


def test_each_rule_says_where_its_points_came_from(run, tmp_path):
    """Above each rule, one comment line per bin: its points, training leads and their
    conversion, which a recount of the training leads confirms."""
    out = tmp_path / "m.toml"
    report = fit_json(run, noisy_history(tmp_path / "h.csv"), out)
    text = out.read_text()
    model = tomllib.loads(text)
    frame = pl.read_csv(tmp_path / "h.csv")
    training = frame.filter(pl.Series(~split_history(frame["converted"].to_numpy(), 0.2, 0)))
    segment = next(f for f in report["features"] if f["name"] == "segment")
    block = explanation_block(text, "segment")
    assert len(block) == len(segment["bins"])
    mapping = next(r for r in model["rules"] if r["name"] == "segment")["map"]
    for b in segment["bins"]:
        if b["label"] in ("(other)", "(missing)"):
            continue
        levels = b["label"].split(", ")
        leads = training.filter(pl.col("segment").is_in(levels))
        line = next(line for line in block if line.startswith(f"#   {b['points']:>3}  {levels[0]}"))
        assert f"{leads.height:,} leads, {leads['converted'].mean():.1%} converted" in line
        assert {mapping[level] for level in levels} == {b["points"]}
    employees = explanation_block(text, "employees")
    assert all(" leads, " in line or "no training lead" in line for line in employees)


def test_a_column_filled_in_only_for_won_deals_reads_as_present_leakage(run, tmp_path):
    rng = np.random.default_rng(1)
    segment = np.where(rng.random(1000) < 0.5, "a", "b")
    converted = rng.random(1000) < np.where(segment == "a", 0.3, 0.1)
    amount = pl.Series(rng.integers(1000, 9000, 1000)).set(pl.Series(~converted), None)
    data = tmp_path / "h.csv"
    pl.DataFrame({"segment": segment, "amount": amount, "converted": converted}).write_csv(data)
    result = run("fit", data, "--outcome", "converted", "-o", tmp_path / "m.toml")
    assert "amount: leakage: amount is present converts at 100.0%" in result.stderr


def test_an_amount_column_that_is_nearly_numbers_says_so_when_dropped(run, tmp_path):
    """`1200 USD` does not read as a number, so 30% of such cells make the column text,
    with a distinct value per lead: dropped as id-like, and the reason says why."""
    data = tmp_path / "h.csv"
    noisy_history(data)
    frame = pl.read_csv(data)
    amounts = [
        f"${i * 1000 + 7:,}" if i % 10 < 7 else f"{i * 1000 + 7} USD" for i in range(frame.height)
    ]
    frame.with_columns(amount=pl.Series(amounts)).write_csv(data)
    report = fit_json(run, data, tmp_path / "m.toml")
    amount = next(d for d in report["dropped"] if d["column"] == "amount")
    assert amount["kind"] == "id-like"
    assert (
        "(70% of them read as numbers, short of the 95% a number column needs)" in amount["reason"]
    )
    lead_id = pl.DataFrame({"lead_id": [f"L{i}" for i in range(frame.height)]})
    frame.hstack(lead_id).write_csv(data)
    report = fit_json(run, data, tmp_path / "m.toml")
    reason = next(d for d in report["dropped"] if d["column"] == "lead_id")["reason"]
    assert "numbers" not in reason


def test_a_typed_column_without_a_value_is_empty_not_weak(run, tmp_path):
    data = tmp_path / "h.csv"
    frame = pl.read_csv(noisy_history(data))
    parquet = tmp_path / "h.parquet"
    nan, inf = float("nan"), float("inf")
    frame.with_columns(
        nothing=pl.lit(None, dtype=pl.Int64), nan=pl.lit(nan), inf=pl.lit(inf)
    ).write_parquet(parquet)
    report = fit_json(run, parquet, tmp_path / "m.toml")
    dropped = {d["column"]: d for d in report["dropped"]}
    assert {dropped[c]["kind"] for c in ("nothing", "nan", "inf")} == {"empty"}
    assert dropped["inf"]["reason"] == f"no values ({frame.height:,} values could not be read)"


def test_scores_that_hold_two_tiers_get_two(run, tmp_path):
    """One yes/no column gives two scores: two tiers, not none, and no advice to use an
    option fit does not have."""
    rng = np.random.default_rng(5)
    demo = rng.random(1000) < 0.3
    data, out = tmp_path / "h.csv", tmp_path / "m.toml"
    converted = rng.random(1000) < np.where(demo, 0.4, 0.1)
    pl.DataFrame({"demo": demo, "converted": converted}).write_csv(data)
    report = fit_json(run, data, out)
    assert [t["name"] for t in report["tiers"]] == ["sql", "cold"]
    assert list(tomllib.loads(out.read_text())["tiers"]) == ["sql", "cold"]
    (warning,) = report["warnings"]
    assert warning.startswith("2 tiers proposed (sql, cold), as no 2 cutoffs give 3 tiers")
    assert "--tiers" not in warning
