"""What the terminal summaries say: counts read as English, and `validate` says which
commands a valid model cannot serve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadscore_cli.errors import EXIT_MODEL
from leadscore_cli.summary import counted
from tests.conftest import AS_OF, B2B_MODEL

ONE_RULE = """
[model]
name = "one"
version = "1"
{tiers}
[[rules]]
name = "asked"
category = "{category}"
points = 10
when = {{ field = "c", op = "eq", value = "2" }}
"""
TIERS = "\n[tiers]\nhot = 10\ncold = 0\n"
HISTORY = "c,converted\n2,true\n1,false\n"


def write_model(folder: Path, *, tiers: bool = True, category: str = "fit") -> Path:
    path = folder / "model.toml"
    path.write_text(ONE_RULE.format(tiers=TIERS if tiers else "", category=category))
    return path


def write_history(folder: Path, text: str = HISTORY) -> Path:
    path = folder / "history.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("count", "expected"), [(0, "0 leads"), (1, "1 lead"), (2, "2 leads"), (5000, "5,000 leads")]
)
def test_counted_is_singular_for_one(count: int, expected: str) -> None:
    assert counted(count, "lead") == expected
    assert counted(count, "category", "categories").endswith("category" if count == 1 else "ies")


def test_score_counts_one_lead_and_one_handoff_lead(run, tmp_path) -> None:
    model = write_model(tmp_path)
    export = write_history(tmp_path, "c\n2\n")
    out, handoff = tmp_path / "s.csv", tmp_path / "h.csv"
    result = run("score", export, "-m", model, "-o", out, "--handoff", handoff, "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert "Scored 1 lead with one 1" in result.stderr
    assert "Handoff: 1 lead newly in hot" in result.stderr


def test_validate_counts_one_rule_one_category_and_one_row(run, tmp_path) -> None:
    model = write_model(tmp_path)
    result = run("validate", "-m", model, "--data", write_history(tmp_path, "c\n2\n"))
    assert result.exit_code == 0, result.stderr
    assert "ok one 1: 1 rule in category fit" in result.stderr
    assert "(1 row)" in result.stderr
    many = run("validate", "-m", B2B_MODEL)
    assert "18 rules in categories fit, engagement" in many.stderr


def test_threshold_counts_one_lead(run, tmp_path) -> None:
    model, history = write_model(tmp_path), write_history(tmp_path)
    out = tmp_path / "new.toml"
    result = run(
        "threshold", history, "-m", model, "--outcome", "converted", "--capacity", "1",
        "--as-of", AS_OF, "--write", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stderr.split())
    assert "at most 1 lead in all): 1 lead (50.0%)" in text
    assert "(2 leads, outcome converted" in out.read_text()


# --- validate: what `grade` would refuse -------------------------------------------------


@pytest.mark.parametrize(
    ("tiers", "category", "missing"),
    [(False, "fit", "[tiers]"), (True, "engagement", "no 'fit' category")],
    ids=["no-tiers", "no-fit"],
)
def test_validate_notes_a_model_grade_refuses(run, tmp_path, tiers, category, missing) -> None:
    model = write_model(tmp_path, tiers=tiers, category=category)
    checked = run("validate", "-m", model)
    assert checked.exit_code == 0, checked.stderr
    notes = [line for line in checked.stderr.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1 and missing in notes[0]
    as_json = run("validate", "-m", model, "--json")
    assert json.loads(as_json.stdout)["notes"] == [notes[0].removeprefix("note: ")]
    graded = run("grade", write_history(tmp_path), "-m", model, "-o", tmp_path / "g.csv")
    assert graded.exit_code == EXIT_MODEL
    reason = notes[0].split("grade cannot use this model: ", 1)[1]
    assert reason in graded.stderr  # the note is grade's own words, not a copy


def test_validate_has_no_note_for_a_model_every_command_serves(run) -> None:
    result = run("validate", "-m", B2B_MODEL, "--json")
    assert json.loads(result.stdout)["notes"] == []
    assert "note:" not in run("validate", "-m", B2B_MODEL).stderr


def test_validate_quiet_keeps_the_notes_to_itself(run, tmp_path) -> None:
    result = run("validate", "-m", write_model(tmp_path, tiers=False), "-q")
    assert result.exit_code == 0
    assert result.stderr == result.stdout == ""
