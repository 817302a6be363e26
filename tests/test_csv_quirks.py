"""CSV exports as CRMs and spreadsheets write them, through every command that reads data.

Each quirk either reads correctly or fails with one line on stderr that names the file,
the line where there is one, and the fix, with exit code 4, leaving any older output in
place.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from leadscore_cli.errors import EXIT_INPUT
from leadscore_cli.readers import SAMPLE_BYTES

MODEL = """
[model]
name = "quirks"
version = "1"
id_column = "lead_id"

[tiers]
hot = 50
cold = 0

[[rules]]
name = "demo"
category = "fit"
points = 60
when = { field = "demo", op = "eq", value = true }

[[rules]]
name = "software"
category = "fit"
points = 40
when = { field = "industry", op = "eq", value = "software" }
"""

HEADER = "lead_id,demo,industry"
ROW = "1,true,software"
FILLER = "".join(f"{i},false,retail\n" for i in range(SAMPLE_BYTES // 14 + 1000))
FILLER_LINES = FILLER.count("\n")


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "model.toml"
    path.write_text(MODEL)
    return path


def reading_commands(data: str, model: Path, out: Path) -> dict[str, list[object]]:
    """Every command that reads an export, each reading `data` ("-" for stdin)."""
    return {
        "score": ["score", data, "-m", model, "-o", out],
        "grade": ["grade", data, "-m", model, "-o", out],
        "validate": ["validate", "-m", model, "--data", data],
        "profile": ["profile", data],
        "threshold": ["threshold", data, "-m", model, "--outcome", "demo"],
        "report": ["report", data, "-m", model],
        "fit": ["fit", data, "--outcome", "demo", "-o", out.with_suffix(".toml")],
    }


def assert_input_error(result: Result, name: str, *needles: str) -> None:
    """Exit 4 and one line naming the input and saying what is wrong."""
    assert result.exit_code == EXIT_INPUT, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"leadscore: bad input: {name}: "), result.stderr
    for needle in needles:
        assert needle in lines[0], result.stderr


# --- Excel's "sep=;" first line ------------------------------------------------------


@pytest.mark.parametrize(
    "first_line",
    ["sep=;\n", "sep=;\r\n", '"sep=;"\r\n', "\ufeffsep=;\r\n", "SEP=;\n"],
)
def test_excel_separator_line_sets_the_delimiter_and_is_skipped(
    run: Callable[..., Result], tmp_path: Path, model: Path, first_line: str
) -> None:
    path = tmp_path / "excel.csv"
    path.write_text(first_line + "lead_id;demo;industry\n1;true;software\n2;false;retail\n")
    result = run("score", path, "-m", model, "-o", "-", "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[:3] == [
        "lead_id,demo,industry,score,score_fit,tier",
        "1,true,software,100,100,hot",
        "2,false,retail,0,0,cold",
    ]


def test_excel_separator_line_on_compressed_stdin(run: Callable[..., Result], model: Path) -> None:
    data = gzip.compress(b"sep=|\r\nlead_id|demo|industry\r\n1|true|software\r\n")
    result = run("score", "-", "-m", model, "-o", "-", "-q", input=data)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1] == "1,true,software,100,100,hot"


def test_excel_separator_line_counts_in_line_numbers(
    run: Callable[..., Result], tmp_path: Path, model: Path
) -> None:
    early = tmp_path / "early.csv"
    early.write_text("sep=,\nlead_id,demo,industry\n1,true,software\n2,true\n")
    assert_input_error(run("score", early, "-m", model, "-o", "-"), str(early), "line 4")
