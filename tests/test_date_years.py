"""Dates read without a `format` need a four-digit year: `26-10-25` is unreadable (with a
hint to declare the format), never the year 26, in `score`, in the SQL `leadscore sql`
writes, in `profile`'s guessed types; a declared `format` reads what it says."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl
import pytest
import sqlglot
from typer.testing import Result

from leadscore_cli.errors import EXIT_DATA, ModelError
from leadscore_cli.fields import parse_text_column
from leadscore_cli.model import parse_model
from leadscore_cli.sql import compile_model
from tests.conftest import parse_json
from tests.test_sql import DAY, assert_same, duckdb_output, engine_output

AS_OF = DAY.isoformat()  # 2026-11-01

MODEL = """
[model]
name = "years"
id_column = "id"

[fields.seen]
type = "date"
{extra}

[[rules]]
name = "recent"
points = 10
when = {{ field = "seen", op = "within_days", value = 30 }}

[[rules]]
name = "halving"
points = 40
when = {{ field = "seen", op = "not_null" }}
decay = {{ field = "seen", half_life_days = 30 }}

[[rules]]
name = "undated"
points = 5
when = {{ field = "seen", op = "is_null" }}
"""

# Text chrono's %Y reads with a year of fewer than four digits, or with a sign.
SHORT_YEARS = [
    "26-10-25",
    "26/10/25",
    "26-1-5",
    "6-10-25",
    "  26-10-25",
    "26-10-25T10:00:00",
    "26-10-25 10:00:00.5",
    "+2026-10-25",
    "+202-10-25",
    "-2026-10-25",
]
# Text the automatic formats read: a four-digit year, however the rest is written.
FOUR_DIGIT_YEARS = [
    "2026-10-25",
    "2026/10/25",
    "2026-10-5",
    " 2026-10-25 ",
    "2026-10-25T10:00:00",
    "2026-10-25 10:00:00.123",
]


def write(tmp_path: Path, rows: list[str], extra: str = "") -> tuple[Path, Path]:
    model, data = tmp_path / "m.toml", tmp_path / "leads.csv"
    model.write_text(MODEL.format(extra=extra), encoding="utf-8")
    data.write_text(
        "id,seen\n" + "".join(f'r{i},"{row}"\n' for i, row in enumerate(rows)), encoding="utf-8"
    )
    return model, data


def scores(run: Callable[..., Result], model: Path, data: Path) -> list[float]:
    result = run("score", data, "-m", model, "-o", "-", "--as-of", AS_OF, "-q")
    assert result.exit_code == 0, result.stderr
    return [float(line.split(",")[2]) for line in result.stdout.splitlines()[1:]]


# --- score ---------------------------------------------------------------------------------


def test_a_two_digit_year_stops_the_run_naming_the_value_and_the_format(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    model, data = write(tmp_path, ["2026-10-25", "26-10-25"])
    result = run("score", data, "-m", model, "-o", tmp_path / "out.csv", "--as-of", AS_OF)
    assert result.exit_code == EXIT_DATA
    assert len(result.stderr.splitlines()) == 1
    assert "first '26-10-25' at row 2" in result.stderr
    assert 'format = "%y-%m-%d"' in result.stderr
    assert not (tmp_path / "out.csv").exists()


NUMBER_MODEL = """
[model]
name = "numbers"

[fields.seen]
type = "float"

[[rules]]
name = "many"
points = 5
when = { field = "seen", op = "gt", value = 3 }
"""


@pytest.mark.parametrize(
    "model_text",
    [NUMBER_MODEL, MODEL.format(extra='format = "%d.%m.%Y"')],
    ids=["number field", "date with a format"],
)
def test_the_year_hint_is_only_for_dates_read_without_a_format(
    run: Callable[..., Result], tmp_path: Path, model_text: str
) -> None:
    model, data = tmp_path / "m.toml", tmp_path / "leads.csv"
    model.write_text(model_text, encoding="utf-8")
    data.write_text("id,seen\nr0,26-10-25\n", encoding="utf-8")
    result = run("score", data, "-m", model, "-o", tmp_path / "out.csv", "--as-of", AS_OF)
    assert result.exit_code == EXIT_DATA
    assert "first '26-10-25' at row 1" in result.stderr
    assert "two-digit year" not in result.stderr


@pytest.mark.parametrize("value", SHORT_YEARS)
def test_no_year_but_a_four_digit_one_reads_without_a_format(
    run: Callable[..., Result], tmp_path: Path, value: str
) -> None:
    model, data = write(tmp_path, [value])
    result = run("validate", "-m", model, "--data", data, "--as-of", AS_OF)
    assert result.exit_code == EXIT_DATA
    assert repr(value) in result.stderr


def test_unreadable_years_count_as_missing_under_on_invalid_null(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    """Missing (the `undated` rule fires), not ancient, and the run says how many values
    it could not read."""
    model, data = write(tmp_path, ["2026-10-25", "26-10-25"], 'on_invalid = "null"')
    out = tmp_path / "out.csv"
    result = run("score", data, "-m", model, "-o", out, "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.stderr
    assert parse_json(result.stdout)["warnings"] == [
        "column 'seen': 1 value could not be read and count as missing (on_invalid = \"null\")"
    ]
    assert scores(run, model, data) == [44.03, 5.0]


@pytest.mark.parametrize("value", FOUR_DIGIT_YEARS)
def test_four_digit_years_read_as_before(
    run: Callable[..., Result], tmp_path: Path, value: str
) -> None:
    model, data = write(tmp_path, [value])
    assert scores(run, model, data)[0] > 0


def test_a_declared_format_reads_what_it_says(run: Callable[..., Result], tmp_path: Path) -> None:
    """`%y` reads 26 as 2026; `%Y` keeps chrono's reading the user asked for (the year 26)."""
    model, data = write(tmp_path, ["26-10-25"], 'format = "%y-%m-%d"')
    assert scores(run, model, data) == [44.03]
    model, data = write(tmp_path, ["26-10-25"], 'format = "%Y-%m-%d"')
    assert scores(run, model, data) == [0.0]


def test_spaces_around_a_date_do_not_change_how_it_reads() -> None:
    """Clean cells are read before trimming: a padded value must read like a trimmed one."""
    cells = [*SHORT_YEARS, *FOUR_DIGIT_YEARS]
    padded = [f"  {cell}\t" for cell in cells]
    parsed = parse_text_column(pl.col("t"), "seen", "date", None, [])
    frame = pl.DataFrame({"t": cells + padded})
    values = frame.select(parsed.value.alias("v"))["v"].to_list()
    assert values[: len(cells)] == values[len(cells) :]
    read = [value is not None for value in values[: len(cells)]]
    assert read == [False] * len(SHORT_YEARS) + [True] * len(FOUR_DIGIT_YEARS)


# --- the SQL `leadscore sql` writes --------------------------------------------------------


def test_duckdb_reads_years_like_the_engine(tmp_path: Path) -> None:
    """`0026-10-25` has four digits: both read it as the year 26 (stale, no points)."""
    rows = [*SHORT_YEARS, *FOUR_DIGIT_YEARS, "0026-10-25"]
    model, data = write(tmp_path, rows, 'on_invalid = "null"')
    parsed = parse_model(model.read_text(encoding="utf-8"))
    want = engine_output(parsed, data, True)
    assert_same(want, duckdb_output(parsed, data, True))
    fired = [{reason.split(" ")[0] for reason in r.split("; ") if r} for r in want["reasons"]]
    undated, dated, ancient = [{"undated"}], [{"recent", "halving"}], [set()]
    assert fired == undated * len(SHORT_YEARS) + dated * len(FOUR_DIGIT_YEARS) + ancient


def test_duckdb_stops_on_a_two_digit_year_like_the_engine(tmp_path: Path) -> None:
    model, data = write(tmp_path, ["2026-10-25", "26-10-25"])
    parsed = parse_model(model.read_text(encoding="utf-8"))
    with pytest.raises(Exception, match="seen"):
        engine_output(parsed, data, False)
    with pytest.raises(duckdb.Error, match="'seen' holds a value that cannot be read: 26-10-25"):
        duckdb_output(parsed, data, False)


@pytest.mark.parametrize("fmt", ["%Y-%m-%d", "%y-%m-%d"])
def test_duckdb_keeps_a_declared_format(tmp_path: Path, fmt: str) -> None:
    extra = f'format = "{fmt}"\non_invalid = "null"'
    model, data = write(tmp_path, ["26-10-25", "2026-10-25"], extra)
    parsed = parse_model(model.read_text(encoding="utf-8"))
    want = engine_output(parsed, data, True)
    assert_same(want, duckdb_output(parsed, data, True))
    assert want["score"].to_list()[0] == (0.0 if fmt == "%Y-%m-%d" else 44.03)


@pytest.mark.parametrize("dialect", ["snowflake", "bigquery"])
def test_other_dialects_compile_a_declared_format_or_ask_for_one(dialect: str) -> None:
    """Without a format the automatic ones include fractional seconds these dialects
    cannot parse, so the field needs a format; with one, the query is written as asked."""
    with pytest.raises(ModelError, match="give the field a `format`"):
        compile_model(parse_model(MODEL.format(extra="")), dialect, "leads", DAY)
    for fmt in ("%Y-%m-%d", "%y-%m-%d"):
        model = parse_model(MODEL.format(extra=f'format = "{fmt}"'))
        query = compile_model(model, dialect, "leads", DAY)
        assert len(sqlglot.parse(query, read=dialect)) == 1


# --- profile ---------------------------------------------------------------------------------


def profiled(run: Callable[..., Result], data: Path, *args: object) -> dict[str, dict]:
    result = run("profile", data, "--json", "--as-of", AS_OF, *args)
    assert result.exit_code == 0, result.stderr
    return {c["name"]: c for c in parse_json(result.stdout)["columns"]}


def test_profile_guesses_a_date_only_when_the_model_would_read_it(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    data = tmp_path / "leads.csv"
    rows = [f"r{d},26-10-{d:02},2026-10-{d:02}" for d in range(1, 29)]
    data.write_text("id,short,full\n" + "\n".join(rows) + "\n", encoding="utf-8")
    columns = profiled(run, data)
    assert columns["short"]["type"] == "string"
    assert columns["full"]["type"] == "date"
    assert columns["full"]["dates"] == {"min": "2026-10-01", "max": "2026-10-28"}


def test_profile_reads_a_guessed_date_column_like_the_model(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    """Two-digit years past the rows types are guessed from are unreadable, not the year 26."""
    data = tmp_path / "leads.csv"
    rows = [f"r{i},2026-10-25" for i in range(99)] + ["r99,26-10-25"]
    data.write_text("id,seen\n" + "\n".join(rows) + "\n", encoding="utf-8")
    seen = profiled(run, data)["seen"]
    assert seen["type"] == "date"
    assert seen["dates"]["min"] == "2026-10-25"
    assert seen["invalid"] == 1
    assert "26-10-25" in str(seen["invalid_examples"])
