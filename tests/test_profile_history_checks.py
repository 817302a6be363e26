"""`leadscore profile --target` on small hand-made histories."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.conftest import parse_json


def test_a_handful_of_leads_raises_no_leakage_warning(run, tmp_path):
    """Ten leads split into values that all converted or none did, whatever the column:
    that is too few to say a column records the outcome."""
    data = tmp_path / "tiny.csv"
    pl.DataFrame(
        {
            "employees": [12, 40, 75, 120, 180, 260, 330, 410, 462, 481],
            "converted": ["yes", "no", "yes", "no", "no", "yes", "no", "yes", "no", "no"],
        }
    ).write_csv(data)
    result = run("profile", data, "--target", "converted", "--json")
    assert result.exit_code == 0, result.stderr
    icp = parse_json(result.stdout)["icp"]
    assert icp["leakage"] == []
    shown = run("profile", data, "--target", "converted")
    assert "nearly decides the outcome" not in shown.stderr


WAY_MODEL = """
[model]
name = "way"
version = "1"

[[rules]]
name = "no_email"
points = -5
when = { field = "email", op = "is_null" }

[[rules]]
name = "big"
points = 10
when = { field = "size", op = "gte", value = 100 }
"""


def test_a_rule_is_the_wrong_way_round_only_beyond_chance(run, tmp_path):
    """4 of 30 leads without an email convert against a base rate of 12%: no sign that the
    rule's negative points are wrong. Big companies never converting is one."""
    rows = 600
    converted = [i % 25 < 3 for i in range(rows)]  # 12%
    email = [None if i < 30 else "a@b.com" for i in range(rows)]
    converted[:30] = [i < 4 for i in range(30)]  # 4 of 30, 13.3%
    size = [500 if i % 5 == 0 and not converted[i] else 10 for i in range(rows)]
    data, model = tmp_path / "h.csv", tmp_path / "m.toml"
    pl.DataFrame({"email": email, "size": size, "won": converted}).write_csv(data)
    model.write_text(WAY_MODEL)
    result = run("profile", data, "--target", "won", "-m", model, "--json")
    assert result.exit_code == 0, result.stderr
    rules = {r["name"]: r for r in parse_json(result.stdout)["rules"]}
    assert rules["no_email"]["rate_fired"] > parse_json(result.stdout)["icp"]["base_rate"]
    assert (rules["no_email"]["direction"], rules["no_email"]["flag"]) == ("unclear", None)
    assert rules["big"]["direction"] == "wrong" and rules["big"]["rate_fired"] == 0
    shown = run("profile", data, "--target", "won", "-m", model)
    assert "rule no_email" not in shown.stderr and "rule big" in shown.stderr


def test_a_rare_top_value_reads_under_one_percent_not_zero(run, tmp_path):
    data = tmp_path / "h.csv"
    pl.DataFrame({"company": [f"Company {i % 400}" for i in range(1000)]}).write_csv(data)
    result = run("profile", data)
    assert result.exit_code == 0, result.stderr
    line = next(line for line in result.stderr.splitlines() if line.startswith("company"))
    assert "'Company 0' <1%" in line and " 0%" not in line


def refuse_constant(name: str) -> float:
    raise AssertionError(f"--json printed {name}, which is not JSON")


def test_infinities_in_a_parquet_float_column_are_unreadable_not_figures(run, tmp_path):
    """A model reads NaN and inf as no number (`score` stops on them): profile counts
    them as unreadable, not missing, and its JSON holds only finite numbers."""
    data = tmp_path / "h.parquet"
    x = [float("inf"), float("-inf"), float("nan")] + [float(i) for i in range(97)]
    won = [i % 3 == 0 for i in range(100)]
    pl.DataFrame({"x": x, "won": won}).write_parquet(data)
    result = run("profile", data, "--target", "won", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout, parse_constant=refuse_constant)
    x_column = next(c for c in report["columns"] if c["name"] == "x")
    assert (x_column["nulls"], x_column["invalid"]) == (0, 3)
    assert x_column["numbers"]["min"] == 0 and x_column["numbers"]["max"] == 96
    assert x_column["numbers"]["mean"] == pytest.approx(48)


def test_a_number_field_with_no_readable_value_has_no_figures(run, tmp_path):
    """Every revenue cell is text the model cannot read: no range, and no mean of nothing
    (which was NaN, not JSON)."""
    data, model = tmp_path / "h.csv", tmp_path / "m.toml"
    pl.DataFrame({"revenue": ["unknown", "tbd", "ask sales"] * 20}).write_csv(data)
    model.write_text(
        '[model]\nname = "m"\nversion = "1"\n[fields.revenue]\ntype = "float"\n'
        '[[rules]]\nname = "big"\npoints = 5\nwhen = { field = "revenue", op = "gt", value = 1 }\n'
    )
    result = run("profile", data, "-m", model, "--json")
    assert result.exit_code == 0, result.stderr
    revenue = json.loads(result.stdout, parse_constant=refuse_constant)["columns"][0]
    assert (revenue["type"], revenue["invalid"], revenue["numbers"]) == ("float", 60, None)


def test_64_bit_integers_keep_every_digit(run, tmp_path):
    """A Float64 holds whole numbers exactly only up to 2**53; 64-bit ids go beyond."""
    data = tmp_path / "h.parquet"
    base = 2**62
    pl.DataFrame({"account": [base + i for i in range(101)]}).write_parquet(data)
    result = run("profile", data, "--json")
    assert result.exit_code == 0, result.stderr
    numbers = parse_json(result.stdout)["columns"][0]["numbers"]
    assert (numbers["min"], numbers["median"], numbers["max"]) == (base, base + 50, base + 100)


def test_a_lookup_the_wrong_way_round_shows_means_that_differ(run, tmp_path):
    """Converted leads average 0.22 points of `region`, the others 0.24: the flag says so,
    not 0.2 against 0.2."""
    regions = ["eu"] * 22 + ["us"] * 78 + ["eu"] * 24 + ["us"] * 76
    won = ["yes"] * 100 + ["no"] * 100
    data = tmp_path / "leads.csv"
    pl.DataFrame({"region": regions, "won": won}).write_csv(data)
    model = tmp_path / "m.toml"
    model.write_text(
        '[model]\nname = "m"\nversion = "1"\n\n'
        '[[rules]]\nname = "region"\nfield = "region"\nmap = { eu = 1 }\n'
    )
    result = run("profile", data, "--target", "won", "-m", model, "--json")
    assert result.exit_code == 0, result.stderr
    (rule,) = parse_json(result.stdout)["rules"]
    assert rule["direction"] == "wrong"
    assert "on average (0.22) than the others (0.24)" in rule["flag"]


def test_a_profile_of_a_handful_of_leads_says_its_figures_are_rough(run, tmp_path):
    """Five leads: every number column splits them into bins that all converted or none
    did, and reads as very strong. The report says so, in every format."""
    data = tmp_path / "five.csv"
    data.write_text("employees,converted\n10,true\n20,false\n30,false\n40,false\n50,false\n")
    result = run("profile", data, "--target", "converted", "--json")
    assert result.exit_code == 0, result.stderr
    (warning,) = parse_json(result.stdout)["icp"]["warnings"]
    assert warning.startswith("only 1 converted lead and 4 other leads")
    text = run("profile", data, "--target", "converted")
    assert f"warning: {warning}" in " ".join(text.stderr.split())
    markdown = run("profile", data, "--target", "converted", "--markdown")
    assert f"**Warning: {warning}.**" in markdown.stdout
