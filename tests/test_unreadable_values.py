"""Values that do not read as their field's type stop a run with a message that says
which type, and where the model gets it: a type a rule implies (a decay naming a text
column) is as often the mistake as the data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from leadscore_cli.errors import EXIT_DATA
from tests.conftest import AS_OF

Run = Callable[..., Result]
LEADS = "id,industry,seen\n1,software,2026-10-01\n2,retail,2026-09-01\n"
HEADER = '[model]\nname = "t"\n'


def both_commands(run: Run, tmp_path: Path, model_text: str) -> list[str]:
    """The stderr line of `validate --data` and of `score`, which must agree."""
    model = tmp_path / "m.toml"
    model.write_text(model_text, encoding="utf-8")
    data = tmp_path / "leads.csv"
    data.write_text(LEADS, encoding="utf-8")
    lines = []
    for args in (
        ("validate", "-m", model, "--data", data, "--as-of", AS_OF),
        ("score", data, "-m", model, "-o", tmp_path / "out.csv", "--as-of", AS_OF),
    ):
        result = run(*args)
        assert result.exit_code == EXIT_DATA, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        lines.append(result.stderr.strip().split(": ", 3)[-1])
    assert not (tmp_path / "out.csv").exists()
    return lines


DECAY_ON_TEXT = (
    "[[rules]]\nname = 'r'\npoints = 5\nwhen = { field = 'seen', op = 'not_null' }\n"
    "decay = { field = 'industry', half_life_days = 30 }\n"
)
DECLARED_INT = (
    "[fields.industry]\ntype = 'int'\n"
    "[[rules]]\nname = 'r'\npoints = 5\nwhen = { field = 'industry', op = 'gte', value = 1 }\n"
)


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        pytest.param(
            DECAY_ON_TEXT,
            "column 'industry': 2 values cannot be read as a date, first 'software' at row 1 "
            "(no [fields.industry] declares its type, and rules[0].decay reads it as a date: "
            "correct that use if the column holds no such values; else fix the data, declare "
            'the type and format in [fields.industry], or set on_invalid = "null")',
            id="a type a rule implies names that rule",
        ),
        pytest.param(
            DECLARED_INT,
            "column 'industry': 2 values cannot be read as a whole number, first 'software' "
            'at row 1 ([fields.industry] declares type = "int": fix the data or that type, '
            'or set on_invalid = "null")',
            id="a declared type names its declaration",
        ),
    ],
)
def test_unreadable_values_name_the_type_and_where_it_comes_from(
    run: Run, tmp_path: Path, rules: str, expected: str
) -> None:
    for line in both_commands(run, tmp_path, HEADER + rules):
        assert line == expected
