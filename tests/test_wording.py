"""Counts in messages read as English: one lead, one row, one value; two of them are plural.

Each command family is run on a one-row or one-item case, where a plural noun would show.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import Result

from leadscore_cli.errors import EXIT_DATA
from tests.conftest import AS_OF

ONE_RULE_ONE_TIER = """
[model]
name = "one"
version = "1"

[tiers]
all = 0

[[rules]]
name = "asked"
category = "fit"
points = 10
when = { field = "c", op = "eq", value = "2" }
"""


def said(result: Result) -> str:
    """stdout and stderr as one line: the terminal wraps long messages."""
    return " ".join((result.stdout + result.stderr).split())


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def one_rule_model(folder: Path) -> Path:
    return write(folder, "model.toml", ONE_RULE_ONE_TIER)


def test_sample_of_one_lead(run, tmp_path) -> None:
    result = run("sample", "-n", 1, "-o", tmp_path / "one.csv")
    assert result.exit_code == 0, result.stderr
    assert "Wrote 1 lead to" in said(result)


def test_grade_of_one_lead_into_one_file(run, tmp_path) -> None:
    model, export = one_rule_model(tmp_path), write(tmp_path, "one.csv", "c\n2\n")
    graded = run("grade", export, "-m", model, "-o", tmp_path / "g.csv", "--as-of", AS_OF)
    assert graded.exit_code == 0, graded.stderr
    assert "1 lead scored and graded with one 1" in said(graded)
    split = run(
        "grade", export, "-m", model, "-o", tmp_path / "seg", "--split-by", "tier",
        "--as-of", AS_OF,
    )  # fmt: skip
    assert split.exit_code == 0, split.stderr
    assert f"1 file in {tmp_path / 'seg'}/" in said(split)


def test_grade_counts_one_unreadable_score(run, tmp_path) -> None:
    scored = write(tmp_path, "scored.csv", "c,score,score_fit,tier\n2,abc,10,all\n")
    result = run("grade", scored, "-m", one_rule_model(tmp_path), "-o", tmp_path / "g.csv")
    assert result.exit_code == EXIT_DATA
    assert "column 'score': 1 score value is not a number, first 'abc'" in result.stderr


def test_profile_of_one_row_one_column_and_one_lead_without_outcome(run, tmp_path) -> None:
    single = run("profile", write(tmp_path, "one.csv", "a\n1\n"))
    assert single.exit_code == 0, single.stderr
    assert "Profiled 1 row and 1 column of" in said(single)
    history = write(tmp_path, "history.csv", "x,converted\na,true\nb,false\nc,\n")
    target = run("profile", history, "--target", "converted")
    assert target.exit_code == 0, target.stderr
    assert "50.0% of 2 leads converted" in said(target)
    assert "; 1 lead with no outcome is left out" in said(target)


def test_report_of_one_lead_against_a_baseline_of_one(run, tmp_path) -> None:
    current = write(tmp_path, "current.csv", "score,tier\n50,all\nabc,all\n")
    baseline = write(tmp_path, "baseline.csv", "score,tier\n40,all\n")
    result = run("report", current, "--baseline", baseline)
    assert result.exit_code == 0, result.stderr
    text = said(result)
    assert "2 leads, scores read from the input" in text
    assert f"Baseline {baseline} (1 lead)." in text
    assert "1 row has no readable score and is left out" in text
    alone = run("report", baseline)
    assert "1 lead, scores read from the input" in said(alone)


def test_threshold_on_one_converted_and_one_other_lead(run, tmp_path) -> None:
    history = write(tmp_path, "history.csv", "c,converted\n2,true\n1,false\n")
    result = run(
        "threshold", history, "-m", one_rule_model(tmp_path), "--outcome", "converted",
        "--tiers", 1, "--as-of", AS_OF,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    text = said(result)
    assert "only 1 positive row and 1 negative row: cutoffs from fewer" in text
    assert "the model has 1: all keeps its name;" in text


def test_fit_on_one_converted_lead(run, tmp_path) -> None:
    history = write(tmp_path, "history.csv", "c,converted\n2,true\n" + "1,false\n" * 3)
    result = run("fit", history, "--outcome", "converted", "-o", tmp_path / "fit.toml")
    assert result.exit_code == EXIT_DATA
    assert "only 1 converted lead and 3 other leads to fit on" in result.stderr


def test_outcome_errors_count_one_value(run, tmp_path) -> None:
    unreadable = write(tmp_path, "maybe.csv", "c,converted\n2,true\n1,maybe\n")
    result = run("threshold", unreadable, "-m", one_rule_model(tmp_path), "--outcome", "converted")
    assert result.exit_code == EXIT_DATA
    assert "(1 value, 'maybe', is not true/false, yes/no or 1/0)" in result.stderr
    single = write(tmp_path, "single.csv", "c,converted\n2,true\n1,\n")
    result = run("profile", single, "--target", "converted")
    assert result.exit_code == EXIT_DATA
    assert "single class: its 1 known value counts as converted;" in result.stderr


def test_score_counts_one_unreadable_value(run, tmp_path) -> None:
    dated = ONE_RULE_ONE_TIER.replace(
        '{ field = "c", op = "eq", value = "2" }', '{ field = "d", op = "within_days", value = 30 }'
    )
    model = write(tmp_path, "dated.toml", dated + '\n[fields.d]\ntype = "date"\n')
    export = write(tmp_path, "export.csv", "d\n2026-10-30\n2026-13-45\n")
    result = run("score", export, "-m", model, "-o", tmp_path / "s.csv", "--as-of", AS_OF)
    assert result.exit_code == EXIT_DATA, result.stderr
    assert (
        "column 'd': 1 value cannot be read as a date, first '2026-13-45' at row 2" in result.stderr
    )
