"""Parquet column types an outcome, a handoff list or a text column cannot take.

Each is refused with one line naming the file and the column, the documented exit code,
and nothing written: never an engine message, an internal error or a hint at a CSV option.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import Result

from leadscore_cli.errors import EXIT_DATA, EXIT_INPUT, EXIT_OUTPUT, EXIT_USAGE

from .conftest import AS_OF, B2B_MODEL, SAMPLE

ROWS = 200


def history(**columns: pl.Expr) -> pl.DataFrame:
    """The first leads of the sample, every column text as exported, `columns` replaced."""
    frame = pl.read_csv(SAMPLE, infer_schema=False, n_rows=ROWS)
    return frame.with_columns(**columns)


def converted() -> pl.Expr:
    return pl.col("converted").str.to_lowercase() == "true"


def write(frame: pl.DataFrame, path: Path) -> Path:
    frame.write_parquet(path)
    return path


def assert_refused(result: Result, code: int, *needles: str) -> None:
    assert result.exit_code == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


# --- an outcome column of a type that cannot say converted ---------------------------

UNREADABLE_OUTCOMES = {
    "list": (pl.concat_list(converted()), "nested values (List(Boolean))"),
    "array": (pl.concat_list(converted(), converted()).list.to_array(2), "nested values"),
    "struct": (pl.struct(converted().alias("won")), "nested values (Struct("),
    "duration": (pl.duration(days=converted().cast(pl.Int64)), "durations"),
}


def history_commands(data: Path) -> dict[str, list[object]]:
    """Every command that reads an outcome, writing (if anything) next to `data`."""
    model = ["-m", B2B_MODEL, "--as-of", AS_OF, "--outcome", "converted"]
    folder = data.parent
    return {
        "grade": ["grade", data, *model, "-o", folder / "graded.parquet"],
        "threshold": ["threshold", data, *model, "--write", folder / "model.toml"],
        "report": ["report", data, *model, "--format", "json", "-o", folder / "report.json"],
        "fit": ["fit", data, "--outcome", "converted", "-o", folder / "fitted.toml"],
        "profile": ["profile", data, "--target", "converted"],
    }


def assert_nothing_written(data: Path) -> None:
    assert [p.name for p in data.parent.iterdir()] == [data.name]


@pytest.mark.parametrize("command", ["grade", "threshold", "report", "fit", "profile"])
@pytest.mark.parametrize("kind", sorted(UNREADABLE_OUTCOMES))
def test_outcome_without_text_is_refused_up_front(
    run: Callable[..., Result], tmp_path: Path, command: str, kind: str
) -> None:
    value, held = UNREADABLE_OUTCOMES[kind]
    data = write(history(converted=value), tmp_path / "history.parquet")
    result = run(*history_commands(data)[command])
    role = "target" if command == "profile" else "outcome"
    assert_refused(result, EXIT_DATA, str(data), f"{role} column 'converted' holds {held}")
    assert_nothing_written(data)


def test_outcome_refusal_applies_with_positive_values(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    """--positive cannot name a value of a list either."""
    data = write(history(converted=pl.concat_list("stage")), tmp_path / "history.parquet")
    result = run(
        "threshold", data, "-m", B2B_MODEL, "--outcome", "converted", "--positive", "Closed Won"
    )
    assert_refused(result, EXIT_DATA, "outcome column 'converted' holds nested values")


def test_binary_outcome_holding_text_reads_as_text(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    """Bytes that are UTF-8 text are an outcome like the same text in a CSV."""
    text = write(history(), tmp_path / "text.parquet")
    binary = write(history(converted=pl.col("converted").cast(pl.Binary)), tmp_path / "b.parquet")
    args = ["-m", B2B_MODEL, "--as-of", AS_OF, "--outcome", "converted", "--format", "json"]
    expected = run("report", text, *args)
    got = run("report", binary, *args)
    assert got.exit_code == 0, got.stderr
    assert got.stdout.replace(str(binary), str(text)) == expected.stdout


# --- bytes that are not UTF-8 in a Parquet column ------------------------------------

NOT_UTF8 = b"caf\xe9"


@pytest.mark.parametrize("command", ["grade", "threshold", "report", "fit"])
def test_binary_outcome_not_utf8_names_the_column(
    run: Callable[..., Result], tmp_path: Path, command: str
) -> None:
    bytes_ = pl.when(converted()).then(pl.lit(NOT_UTF8)).otherwise(pl.lit(b"false"))
    data = write(history(converted=bytes_), tmp_path / "history.parquet")
    result = run(*history_commands(data)[command])
    assert_refused(result, EXIT_DATA, str(data), "column 'converted'", "not UTF-8")
    assert "--encoding" not in result.stderr
    assert_nothing_written(data)


def test_binary_field_not_utf8_names_the_column(run: Callable[..., Result], tmp_path: Path) -> None:
    data = write(history(industry=pl.lit(NOT_UTF8)), tmp_path / "export.parquet")
    out = tmp_path / "scored.parquet"
    result = run("score", data, "-m", B2B_MODEL, "-o", out, "--as-of", AS_OF)
    assert_refused(result, EXIT_DATA, str(data), "column 'industry'", "not UTF-8")
    assert "--encoding" not in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("command", ["fit", "profile"])
def test_passed_through_binary_not_utf8_names_the_column(
    run: Callable[..., Result], tmp_path: Path, command: str
) -> None:
    """fit and profile read every column, not only the model's: a notes column of other
    bytes is named, as score names a field's, instead of failing as an internal error."""
    leads = pl.read_csv(SAMPLE, infer_schema=False)  # enough of each outcome to fit on
    data = write(leads.with_columns(notes=pl.lit(NOT_UTF8)), tmp_path / "history.parquet")
    result = run(*history_commands(data)[command])
    assert_refused(result, EXIT_DATA, str(data), "column 'notes'", "not UTF-8")
    assert "--encoding" not in result.stderr
    assert_nothing_written(data)


def test_text_column_out_of_parquet_specification_names_the_column(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    """A writer that put other bytes in a UTF-8 text column made a malformed file."""
    table = history().to_arrow()
    broken = pa.array([NOT_UTF8] * ROWS, pa.binary()).view(pa.string())
    table = table.set_column(table.schema.get_field_index("industry"), "industry", broken)
    data = tmp_path / "export.parquet"
    pq.write_table(table, data)
    out = tmp_path / "scored.parquet"
    result = run("score", data, "-m", B2B_MODEL, "-o", out, "--as-of", AS_OF)
    assert_refused(result, EXIT_INPUT, str(data), "column 'industry'", "not UTF-8")
    assert "--encoding" not in result.stderr
    assert not out.exists()


# --- a CSV handoff list from a Parquet output with nested columns --------------------


@pytest.mark.parametrize("command", ["score", "grade"])
def test_csv_handoff_of_nested_columns_is_refused_before_any_output(
    run: Callable[..., Result], tmp_path: Path, command: str
) -> None:
    data = write(history(tags=pl.concat_list("industry")), tmp_path / "export.parquet")
    out = tmp_path / "scored.parquet"
    out.write_bytes(b"last night's scores")
    handoff = tmp_path / "handoff.csv"
    result = run(command, data, "-m", B2B_MODEL, "-o", out, "--handoff", handoff, "--as-of", AS_OF)
    assert_refused(result, EXIT_OUTPUT, str(handoff), "'tags'")
    assert "--format" not in result.stderr  # it sets the main output's format, not the list's
    assert out.read_bytes() == b"last night's scores"
    assert not handoff.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.parquet", "scored.parquet"]


def test_parquet_handoff_keeps_nested_columns(run: Callable[..., Result], tmp_path: Path) -> None:
    data = write(history(tags=pl.concat_list("industry")), tmp_path / "export.parquet")
    handoff = tmp_path / "handoff.parquet"
    out = tmp_path / "scored.parquet"
    result = run("score", data, "-m", B2B_MODEL, "-o", out, "--handoff", handoff, "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert pl.read_parquet(handoff).schema["tags"] == pl.List(pl.String)


# --- choosing an --encoding ----------------------------------------------------------


def test_encoding_help_puts_windows_exports_first(run: Callable[..., Result]) -> None:
    """cp1252 reads what latin-1 silently turns into control characters: it comes first."""
    words = run("score", "--help").stdout.replace("│", " ").split()  # the panel's borders
    help_text = " ".join(words)
    assert "cp1252 for Windows and Excel exports" in help_text
    assert help_text.index("cp1252") < help_text.index("latin-1")


def test_unknown_encoding_suggests_cp1252(run: Callable[..., Result], tmp_path: Path) -> None:
    result = run("score", SAMPLE, "-m", B2B_MODEL, "-o", tmp_path / "o.csv", "--encoding", "x")
    assert_refused(result, EXIT_USAGE, "(e.g. cp1252")
    assert "latin-1" not in result.stderr
