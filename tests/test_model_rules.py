"""Model rules that keep a run from going silently wrong: reserved names, grade bands that
give every lead a letter, values that can never (or always) match, and messages that show
values the way the model file wrote them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

from leadscore_cli.errors import EXIT_MODEL
from tests.test_model_loader import HEADER, RULE, only, problems_of

# ------------------------------------------------------------- reserved categories


def test_category_whose_subtotal_is_the_score_change_column_is_refused() -> None:
    text = HEADER + RULE.replace('name = "r"', 'name = "r"\ncategory = "change"')
    problem = only(problems_of(text))
    assert problem.startswith("rules[0].category: 'change' is reserved: ")
    assert "'score_change'" in problem and "--previous" in problem


def test_reserved_category_is_reported_with_every_other_problem(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    model = tmp_path / "m.toml"
    model.write_text(
        HEADER + "colour = 1\n" + RULE.replace('name = "r"', 'name = "r"\ncategory = "change"'),
        encoding="utf-8",
    )
    result = run("validate", "-m", model)
    assert result.exit_code == EXIT_MODEL
    assert "model.colour: unknown key" in result.stderr
    assert "rules[0].category: 'change' is reserved" in result.stderr
    assert result.stdout == ""
