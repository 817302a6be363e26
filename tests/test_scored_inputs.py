"""Scoring a file that was scored before: only what this model's runs write is replaced."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from tests.conftest import AS_OF, B2B_MODEL, SAMPLE

NO_TIERS = """
[model]
name = "intent"
[[rules]]
name = "demo"
category = "intent"
points = 40
when = { field = "demo_requested", op = "eq", value = true }
"""


def crm_export(tmp_path: Path) -> Path:
    """The sample with the CRM's own `tier` and `previous_score` columns."""
    path = tmp_path / "crm.csv"
    leads = pl.read_csv(SAMPLE, infer_schema=False).head(200)
    leads.with_columns(tier=pl.lit("gold"), previous_score=pl.lit("7")).write_csv(path)
    return path


def test_columns_a_model_never_writes_are_kept(run, tmp_path: Path) -> None:
    """Without [tiers] or an id column, a scored file's `tier` and `previous_score` are
    the CRM's, not an earlier run's: kept, and the warning says so."""
    model = tmp_path / "intent.toml"
    model.write_text(NO_TIERS)
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    scored = run("score", crm_export(tmp_path), "-m", model, "-o", first, "--as-of", AS_OF)
    assert scored.exit_code == 0, scored.stderr
    result = run("score", first, "-m", model, "-o", second, "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["warnings"] == [
        "the input was scored before: its column(s) 'score', 'score_intent' are replaced by "
        "this run's; its column(s) 'tier', 'previous_score' are not this model's and are kept "
        "as they were"
    ]
    again = pl.read_csv(second, infer_schema=False)
    assert again["tier"].unique().to_list() == ["gold"]
    assert again["previous_score"].unique().to_list() == ["7"]
    assert again.columns == pl.read_csv(first, infer_schema=False).columns


def test_a_stale_reasons_column_is_dropped_not_replaced(run, tmp_path: Path) -> None:
    """`grade --rescore` without --explain writes no `reasons`: the old one is dropped."""
    explained, out = tmp_path / "explained.parquet", tmp_path / "graded.parquet"
    args = ["-m", B2B_MODEL, "--as-of", AS_OF]
    assert run("score", SAMPLE, *args, "-o", explained, "--explain", "-q").exit_code == 0

    def rescore_warnings(*extra: str) -> list[str]:
        result = run("grade", explained, *args, "-o", out, "--rescore", "--json", *extra)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)["warnings"]

    scores = "'score', 'score_fit', 'score_engagement', 'tier'"
    assert rescore_warnings() == [
        f"--rescore: the input's column(s) {scores} are replaced by this run's; "
        "the input's column(s) 'reasons' are dropped: this run does not write them"
    ]
    assert "reasons" not in pl.read_parquet(out).columns
    assert rescore_warnings("--explain") == [
        f"--rescore: the input's column(s) {scores}, 'reasons' are replaced by this run's"
    ]
