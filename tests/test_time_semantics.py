"""Dates and the as-of date: how `--as-of` is read, which calendar day a date-time counts
on, the exact edges of `within_days`, `older_than_days` and decay, and the compiled SQL
agreeing with the engine on all of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlglot
from typer.testing import Result

from leadscore_cli.errors import EXIT_DATA, EXIT_USAGE
from leadscore_cli.model import parse_model
from leadscore_cli.sql import compile_model
from tests.test_sql import DAY, assert_same, duckdb_output, engine_output

AS_OF = DAY

AGE_MODEL = """
[model]
name = "ages"
id_column = "id"

[fields.seen]
type = "{ftype}"
{format_line}

[[rules]]
name = "recent"
points = 10
when = {{ field = "seen", op = "within_days", value = 7 }}

[[rules]]
name = "stale"
points = 20
when = {{ field = "seen", op = "older_than_days", value = 7 }}

[[rules]]
name = "halving"
points = 40
when = {{ field = "seen", op = "not_null" }}
decay = {{ field = "seen", half_life_days = 10 }}

[[rules]]
name = "fading"
category = "engagement"
points = 30
when = {{ field = "seen", op = "not_null" }}
decay = {{ field = "seen", lifespan_days = 10 }}
"""


def age_model(ftype: str = "date", fmt: str | None = None) -> str:
    format_line = f'format = "{fmt}"' if fmt else ""
    return AGE_MODEL.format(ftype=ftype, format_line=format_line)


def write(tmp_path: Path, model: str, rows: list[str]) -> tuple[Path, Path]:
    model_path, data = tmp_path / "m.toml", tmp_path / "leads.csv"
    model_path.write_text(model, encoding="utf-8")
    data.write_text("id,seen\n" + "".join(f"r{i},{row}\n" for i, row in enumerate(rows)))
    return model_path, data


def reasons_by_id(
    run: Callable[..., Result], model: Path, data: Path, as_of: str = AS_OF.isoformat()
) -> list[str]:
    result = run("score", data, "-m", model, "-o", "-", "--explain", "--as-of", as_of, "-q")
    assert result.exit_code == 0, result.stderr
    return [line.rsplit(",", 1)[1] for line in result.stdout.splitlines()[1:]]


# --- the calendar day a date-time counts on ------------------------------------------------


@pytest.mark.parametrize("ftype", ["date", "datetime"])
@pytest.mark.parametrize("fmt", ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%:z"])
def test_a_time_with_a_utc_offset_counts_on_the_day_the_export_wrote(
    run: Callable[..., Result], tmp_path: Path, ftype: str, fmt: str
) -> None:
    # In UTC the first is October 31 (age 1) and the second November 1 (age 0).
    rows = ["2026-11-01T00:30:00+02:00", "2026-10-31T23:30:00-05:00"]
    model, data = write(tmp_path, age_model(ftype, fmt), rows)
    assert reasons_by_id(run, model, data) == [
        "halving +40; fading +30; recent +10",
        "halving +37.32; fading +27; recent +10",
    ]


def test_an_offset_still_decides_which_values_are_readable(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    model, data = write(tmp_path, age_model("datetime", "%Y-%m-%dT%H:%M:%S%z"), ["2026-11-01"])
    result = run("score", data, "-m", model, "-o", "-", "--as-of", AS_OF.isoformat(), "-q")
    assert result.exit_code == EXIT_DATA
    assert "'2026-11-01'" in result.stderr


# --- the edges of recency and decay, in the engine and in SQL ------------------------------

# Age in days at the as-of date -> the reasons: within_days 7 takes ages up to 7, future
# dates included; older_than_days 7 from age 8; a half-life of 10 halves at age 10; a
# lifespan of 10 is 0 from age 10 on; a date after the as-of date counts as age 0, so
# decay never gives more than the rule's points.
EDGES = {
    -400: "halving +40; fading +30; recent +10",
    -1: "halving +40; fading +30; recent +10",
    0: "halving +40; fading +30; recent +10",
    6: "halving +26.39; fading +12; recent +10",
    7: "halving +24.62; recent +10; fading +9",
    8: "halving +22.97; stale +20; fading +6",
    9: "halving +21.44; stale +20; fading +3",
    10: "stale +20; halving +20",
    11: "stale +20; halving +18.66",
    36_500: "stale +20",
}


def test_recency_and_decay_edges(run: Callable[..., Result], tmp_path: Path) -> None:
    rows = [(AS_OF - dt.timedelta(days=age)).isoformat() for age in EDGES]
    model, data = write(tmp_path, age_model(), rows)
    assert reasons_by_id(run, model, data) == list(EDGES.values())


@pytest.mark.parametrize("ftype", ["date", "datetime"])
def test_duckdb_agrees_at_the_edges(tmp_path: Path, ftype: str) -> None:
    stamps = [dt.datetime.combine(AS_OF, dt.time(23, 59)) - dt.timedelta(days=a) for a in EDGES]
    model, data = write(tmp_path, age_model(ftype), [s.isoformat(" ") for s in stamps])
    parsed = parse_model(model.read_text(encoding="utf-8"))
    assert_same(engine_output(parsed, data, True), duckdb_output(parsed, data, True))


# Two-digit years: 00-69 are 2000-2069, 70-99 are 1970-1999 (DuckDB alone reads 69 as 1969).
TWO_DIGIT_YEARS = {"01/11/69": 2069, "01/11/70": 1970, "29/02/96": 1996, "29/02/00": 2000}


def test_two_digit_years_fall_in_the_documented_century(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    model, data = write(tmp_path, age_model("date", "%d/%m/%y"), list(TWO_DIGIT_YEARS))
    as_of = "2069-11-01"  # 2069 is age 0 (all points), every other date is long past
    reasons = reasons_by_id(run, model, data, as_of)
    assert reasons == ["halving +40; fading +30; recent +10"] + ["stale +20"] * 3


@pytest.mark.parametrize("fmt", ["%d/%m/%y", "%d-%b-%y %H:%M"])
def test_duckdb_reads_two_digit_years_like_the_engine(tmp_path: Path, fmt: str) -> None:
    days = [dt.datetime(year, 2, 28, 13, 5) for year in range(1970, 2070)]
    model, data = write(tmp_path, age_model("date", fmt), [d.strftime(fmt) for d in days])
    parsed = parse_model(model.read_text(encoding="utf-8"))
    assert_same(engine_output(parsed, data, True), duckdb_output(parsed, data, True))


@pytest.mark.parametrize("dialect", ["snowflake", "bigquery"])
def test_two_digit_years_compile_for_other_dialects(dialect: str) -> None:
    query = compile_model(parse_model(age_model("date", "%d/%m/%y")), dialect, "leads", DAY)
    assert len(sqlglot.parse(query, read=dialect)) == 1


# --- how --as-of is read ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "says"),
    [
        ("2026-02-30", "--as-of '2026-02-30' is not a real date (day is out of range for month)"),
        ("2026-13-01", "--as-of '2026-13-01' is not a real date (month must be in 1..12)"),
        ("2026-11-01T10:00", "--as-of takes a day without a time of day: 2026-11-01, not"),
        ("2026-11-01 10:00", "--as-of takes a day without a time of day: 2026-11-01, not"),
        ("today", "not 'today' (leave --as-of out to count from today)"),
        ("", "not '' (leave --as-of out to count from today)"),
        ("01/11/2026", "--as-of must be a date like 2026-11-01 (year-month-day), not '01/11/2026'"),
        ("1899-12-31", "--as-of must be 1900-01-01 or later"),
    ],
)
@pytest.mark.parametrize("command", ["score", "sql"])
def test_a_bad_as_of_says_what_is_wrong_with_it(
    run: Callable[..., Result], tmp_path: Path, command: str, as_of: str, says: str
) -> None:
    model, data = write(tmp_path, age_model(), ["2026-11-01"])
    where = [data, "-o", "-"] if command == "score" else ["--dialect", "duckdb"]
    result = run(command, *where, "-m", model, "--as-of", as_of)
    assert result.exit_code == EXIT_USAGE
    assert len(result.stderr.splitlines()) == 1
    assert says in result.stderr


def test_spaces_around_the_as_of_date_are_ignored(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    model, data = write(tmp_path, age_model(), ["2026-10-25"])
    assert reasons_by_id(run, model, data, " 2026-11-01 ") == reasons_by_id(run, model, data)
