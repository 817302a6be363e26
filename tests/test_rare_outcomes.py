"""A rare outcome (well under 1% of leads converting): leakage must still be seen, by
`profile` and by `fit`, though no value can hold 5% of the leads and convert."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from leadscore_cli.icp import leakage_reason, woe_bins
from tests.conftest import AS_OF, parse_json


def rare_history(path: Path, rows: int = 20_000, seed: int = 5) -> Path:
    """0.4% of leads convert, more often in segment a; `crm_label` says `Closed Won` for
    exactly the leads that converted (a field filled in after the sale)."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(["a", "b", "c", "d"], rows)
    rate = np.select([segment == "a", segment == "b"], [0.01, 0.004], 0.001)
    converted = rng.random(rows) < rate
    label = np.where(converted, "Closed Won", rng.choice(["Closed Lost", "Open"], rows))
    frame = pl.DataFrame({"segment": segment, "crm_label": label, "converted": converted})
    frame.write_csv(path)
    return path


def test_a_value_holding_every_converter_of_a_rare_outcome_is_leakage():
    """92 of 19,000 leads convert, all of them `Closed Won`: too few leads for a bin of
    their own (the support is 95), yet the column decides the outcome."""
    bins = woe_bins([("Closed Lost", 9471, 0), ("Open", 9430, 0), ("(other)", 92, 92)], 92, 18901)
    assert "carry IV" in (leakage_reason("crm_label", "category", bins, 92 / 18993, 18993) or "")
    # a value of its own, converting always, that holds most converters
    bins = woe_bins([("Closed Won", 150, 150), ("Open", 19850, 40)], 190, 19810)
    reason = leakage_reason("crm_label", "category", bins, 190 / 20000, 20000)
    assert reason == "crm_label = Closed Won converts at 100.0% (n=150)"


def test_a_rare_segment_that_converts_more_is_not_leakage():
    """Segment a converts at 2.5x the base rate: a signal, however rare the outcome."""
    bins = woe_bins([("a", 5000, 50), ("b", 15000, 40)], 90, 19910)
    assert leakage_reason("segment", "category", bins, 90 / 20000, 20000) is None


def test_profile_and_fit_flag_leakage_on_a_rare_outcome(run, tmp_path):
    data = rare_history(tmp_path / "rare.csv")
    result = run("profile", data, "--target", "converted", "--json")
    assert result.exit_code == 0, result.stderr
    icp = parse_json(result.stdout)["icp"]
    assert icp["base_rate"] < 0.01
    assert [leak["attribute"] for leak in icp["leakage"]] == ["crm_label"]
    signals = icp["signals"]["positive"] + icp["signals"]["negative"]
    assert "crm_label" not in {s["attribute"] for s in signals}

    model = tmp_path / "m.toml"
    result = run("fit", data, "--outcome", "converted", "-o", model, "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.stderr
    report = parse_json(result.stdout)
    dropped = {d["column"]: d["kind"] for d in report["dropped"]}
    assert dropped.get("crm_label") == "leakage"
    assert [f["name"] for f in report["features"]] == ["segment"]
    assert report["metrics"]["auc"] < 0.9
