"""`leadscore profile --target` on small hand-made histories."""

from __future__ import annotations

import polars as pl

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
