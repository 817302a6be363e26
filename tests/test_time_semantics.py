"""Dates and the as-of date: how `--as-of` is read, which calendar day a date-time counts
on, the exact edges of `within_days`, `older_than_days` and decay, and the compiled SQL
agreeing with the engine on all of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from leadscore_cli.errors import EXIT_DATA

AS_OF = dt.date(2026, 11, 1)

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
