"""Parquet inputs of every column type polars writes, through the commands that read data.

A Parquet column holding the same values as a CSV column must score the same way; a
column no command can use must be refused up front, naming it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import AS_OF, B2B_MODEL, SAMPLE, SIMPLE_MODEL

TYPES_MODEL = """
[model]
name = "types"
version = "1.0.0"
id_column = "lead_id"

[fields.employees]
type = "int"

[fields.last_activity_date]
type = "date"

[[rules]]
name = "demo"
points = 10
when = { field = "demo_requested", op = "eq", value = true }

[[rules]]
name = "big"
points = 10
when = { field = "employees", op = "gte", value = 1000 }

[[rules]]
name = "recent"
points = 10
when = { field = "last_activity_date", op = "within_days", value = 90 }

[[rules]]
name = "industry"
field = "industry"
map = { software = 10 }
missing = -5
"""

TEXT_COLUMNS = ["demo_requested", "employees", "last_activity_date", "industry"]


@pytest.fixture
def types_model(tmp_path: Path) -> Path:
    path = tmp_path / "types.toml"
    path.write_text(TYPES_MODEL)
    return path


def sample_text() -> pl.DataFrame:
    """The sample as exported: every column text."""
    return pl.read_csv(SAMPLE, infer_schema=False)


def write(frame: pl.DataFrame, path: Path) -> Path:
    frame.write_parquet(path)
    return path


def scores(run, data: Path, model: Path, tmp_path: Path, *extra: object) -> pl.DataFrame:
    out = tmp_path / f"{data.stem}.scored.parquet"
    result = run("score", data, "-m", model, "-o", out, "--as-of", AS_OF, "-q", *extra)
    assert result.exit_code == 0, result.stderr
    return pl.read_parquet(out)


@pytest.mark.parametrize("dtype", [pl.Categorical, pl.Binary], ids=["categorical", "binary"])
def test_text_stored_as_categories_or_bytes_reads_like_csv(run, tmp_path, types_model, dtype):
    """`Yes`, `1,034`, `2026-08-16` and `N/A` in a categorical or binary column read as a
    boolean, a number, a date and a missing value, as they do in a CSV."""
    stored = sample_text().with_columns(pl.col(TEXT_COLUMNS).cast(dtype))
    data = write(stored, tmp_path / "stored.parquet")
    expected = scores(run, SAMPLE, types_model, tmp_path, "--explain")
    got = scores(run, data, types_model, tmp_path, "--explain")
    assert got["reasons"].to_list() == expected["reasons"].to_list()
    assert got["score"].to_list() == expected["score"].to_list()


def test_enum_null_markers_are_missing(run, tmp_path, types_model):
    frame = pl.DataFrame(
        {
            "lead_id": ["a", "b", "c"],
            "industry": pl.Series(["software", "N/A", " Select "], dtype=pl.Categorical),
            "demo_requested": pl.Series(["Yes", "no", "-"], dtype=pl.Enum(["Yes", "no", "-"])),
            "employees": [1, 2, 3],
            "last_activity_date": [dt.date(2026, 10, 1)] * 3,
        }
    )
    got = scores(run, write(frame, tmp_path / "e.parquet"), types_model, tmp_path, "--explain")
    assert (
        got["reasons"].to_list()
        == ["demo +10; recent +10; industry +10"] + ["recent +10; industry -5"] * 2
    )


@pytest.mark.parametrize(
    ("column", "value", "held", "ftype"),
    [
        ("last_activity_date", pl.lit(dt.time(10, 0)), "times of day", "date"),
        ("last_activity_date", pl.duration(days=3), "durations", "date"),
        ("employees", pl.duration(days=3), "durations", "int"),
        ("industry", pl.duration(days=3), "durations", "string"),
        ("industry", pl.concat_list(pl.lit("a"), pl.lit("b")), "nested values", "string"),
    ],
)
def test_impossible_casts_stop_before_reading(
    run, tmp_path, types_model, column, value, held, ftype
):
    frame = sample_text().head(20).with_columns(value.alias(column))
    data = write(frame, tmp_path / "bad.parquet")
    out = tmp_path / "out.parquet"
    result = run("score", data, "-m", types_model, "-o", out, "--as-of", AS_OF)
    assert result.exit_code == 5, result.stderr
    assert f"column {column!r} holds {held}" in result.stderr
    assert f"the model reads it as {ftype}" in result.stderr
    assert not out.exists()


def test_decimal_and_float_read_as_text_drop_the_zero_fraction(run, tmp_path):
    model = tmp_path / "m.toml"
    model.write_text(
        '[model]\nname = "t"\nversion = "1"\nid_column = "lead_id"\n'
        '[[rules]]\nname = "size"\nfield = "employees"\nmap = { "12" = 5, "12.5" = 7 }\n'
    )
    for dtype in (pl.Decimal(10, 2), pl.Float32):
        frame = pl.DataFrame(
            {"lead_id": ["a", "b"], "employees": pl.Series([12.0, 12.5]).cast(dtype)}
        )
        got = scores(run, write(frame, tmp_path / "d.parquet"), model, tmp_path)
        assert got["score"].to_list() == [5, 7], dtype


@pytest.mark.parametrize("dtype", [pl.Float32, pl.Decimal(5, 1)], ids=["float", "decimal"])
def test_positive_names_a_number_outcome_as_written(run, tmp_path, dtype):
    """`--positive 1` on a float or decimal outcome matches 1.0, as it would in a CSV."""
    history = sample_text().with_columns(
        pl.col("converted").str.to_lowercase().eq("true").cast(pl.Int8).cast(dtype)
    )
    data = write(history, tmp_path / "history.parquet")
    result = run(
        "threshold", data, "-m", B2B_MODEL, "--outcome", "converted", "--positive", "1",
        "--as-of", AS_OF, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["positives"], summary["negatives"]) == (573, 4427)


def test_fit_reads_categorical_columns_as_text(run, tmp_path):
    """Categorical columns are fitted like the same text from a CSV, not dropped."""
    text = sample_text()
    plain = write(text, tmp_path / "plain.parquet")
    categories = ["industry", "job_title", "demo_requested", "employees"]
    stored = write(
        text.with_columns(pl.col(categories).cast(pl.Categorical)), tmp_path / "cat.parquet"
    )
    models = []
    for data in (plain, stored):
        out = tmp_path / f"{data.stem}.toml"
        result = run("fit", data, "--outcome", "converted", "-o", out, "--json")
        assert result.exit_code == 0, result.stderr
        assert "not supported" not in result.stdout
        body = out.read_text()
        models.append(body[body.index("[[rules]]") :])
    assert models[0] == models[1]


@pytest.mark.parametrize(
    ("column", "value", "kind"),
    [
        ("tags", pl.concat_list(pl.lit("a"), pl.lit("b")), "list"),
        ("shape", pl.concat_list(pl.lit(1), pl.lit(2)).list.to_array(2), "array"),
        ("address", pl.struct(pl.lit("x").alias("city")), "struct"),
        ("age", pl.duration(days=3), "duration"),
        ("logo", pl.lit(b"\x89PNG"), "binary"),
    ],
)
def test_csv_output_refuses_columns_it_cannot_hold_before_any_work(
    run, tmp_path, column, value, kind
):
    frame = sample_text().head(30).with_columns(value.alias(column))
    data = write(frame, tmp_path / "nested.parquet")
    result = run("score", data, "-m", SIMPLE_MODEL, "-o", "-", "--as-of", AS_OF)
    assert result.exit_code == 6, result.stderr
    assert f"CSV cannot hold column {column!r} ({kind})" in result.stderr
    assert result.stdout == ""
    kept = tmp_path / "kept.csv"
    result = run("score", data, "-m", SIMPLE_MODEL, "-o", kept, "--columns", "lead_id")
    assert result.exit_code == 0, result.stderr
    parquet = tmp_path / "out.parquet"
    assert run("score", data, "-m", SIMPLE_MODEL, "-o", parquet).exit_code == 0
    assert pl.read_parquet(parquet)[column].dtype == frame[column].dtype


def test_split_by_csv_names_every_column_it_cannot_hold(run, tmp_path):
    frame = (
        sample_text()
        .head(30)
        .with_columns(pl.concat_list(pl.lit("a")).alias("tags"), pl.duration(days=1).alias("age"))
    )
    data = write(frame, tmp_path / "nested.parquet")
    segments = tmp_path / "segments"
    result = run(
        "grade", data, "-m", B2B_MODEL, "-o", segments, "--split-by", "tier", "--as-of", AS_OF
    )
    assert result.exit_code == 6, result.stderr
    assert "CSV cannot hold columns 'tags' (list), 'age' (duration)" in result.stderr
    assert not segments.exists()


@pytest.mark.parametrize("dtype", [pl.Null, pl.Int64, pl.String], ids=["null", "int", "text"])
def test_profile_replays_rules_on_a_model_field_with_no_values(run, tmp_path, dtype):
    """An all-missing field the model compares as a number is missing on every lead."""
    history = sample_text().with_columns(pl.lit(None, dtype).alias("employees"))
    data = write(history, tmp_path / "empty.parquet")
    result = run(
        "profile", data, "--target", "converted", "-m", B2B_MODEL, "--as-of", AS_OF, "--json"
    )
    assert result.exit_code == 0, result.stderr
    rules = {r["name"]: r for r in json.loads(result.stdout)["rules"]}
    assert rules["company_size"]["fired"] == history.height
    assert rules["company_size"]["mean_points_converted"] == -3  # the rule's missing points


def test_profile_lists_a_duration_column_as_other(run, tmp_path):
    frame = sample_text().head(50).with_columns(pl.duration(days=2).alias("time_to_reply"))
    result = run("profile", write(frame, tmp_path / "d.parquet"), "--json")
    assert result.exit_code == 0, result.stderr
    columns = {c["name"]: c for c in json.loads(result.stdout)["columns"]}
    assert columns["time_to_reply"]["type"] == "other"


def test_input_values_pass_through_exactly_to_csv_and_parquet(run, tmp_path):
    """Ids with leading zeros, integers past 2**53, decimals, 32-bit floats and free text
    come out as they went in: equal columns in Parquet, the same numbers in CSV. A 32-bit
    float was written as its binary value (`0.1` as `0.10000000149011612`)."""
    frame = (
        sample_text()
        .head(3)
        .with_columns(
            pl.Series("lead_id", ["007", "0000123", "L-1"]),
            pl.Series("big", [2**63 - 1, -(2**62), 9_007_199_254_740_993], dtype=pl.Int64),
            pl.Series("unsigned", [2**64 - 1, 0, 1], dtype=pl.UInt64),
            pl.Series("price", ["12345678901234567890.12", "0.10", None], dtype=pl.Decimal(22, 2)),
            pl.Series("rate", [0.1, 16777217.0, 1e-8], dtype=pl.Float32),
            pl.Series("notes", ['say "hi", then\nleave', " padded ", ""]),
        )
    )
    data = write(frame, tmp_path / "typed.parquet")
    kept = list(frame.columns)
    parquet = scores(run, data, SIMPLE_MODEL, tmp_path)
    assert parquet.select(kept).equals(frame)
    csv_out = tmp_path / "scored.csv"
    result = run("score", data, "-m", SIMPLE_MODEL, "-o", csv_out, "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    written = pl.read_csv(csv_out, infer_schema=False)
    assert written["lead_id"].to_list() == ["007", "0000123", "L-1"]
    assert written["big"].to_list() == [str(2**63 - 1), str(-(2**62)), "9007199254740993"]
    assert written["unsigned"].to_list() == [str(2**64 - 1), "0", "1"]
    assert written["price"].to_list() == ["12345678901234567890.12", "0.10", None]
    assert written["rate"].to_list() == ["0.1", "16777216", "0.00000001"]
    assert written["notes"].to_list() == ['say "hi", then\nleave', " padded ", ""]


def test_split_by_csv_writes_32_bit_floats_as_they_were_written(run, tmp_path):
    frame = sample_text().head(30).with_columns(pl.lit(0.1, dtype=pl.Float32).alias("rate"))
    data = write(frame, tmp_path / "typed.parquet")
    segments = tmp_path / "segments"
    result = run(
        "grade", data, "-m", B2B_MODEL, "-o", segments, "--split-by", "tier", "--as-of", AS_OF
    )
    assert result.exit_code == 0, result.stderr
    files = sorted(segments.iterdir())
    rates = pl.concat([pl.read_csv(f, infer_schema=False) for f in files])["rate"]
    assert files and set(rates) == {"0.1"}


def test_128_bit_integers_pass_through_and_read_as_numbers(run, tmp_path):
    """pyarrow cannot read a 128-bit integer column's schema, polars can: such a file is
    not corrupt. Past 2**64 the values still come out exactly, and a rule reads them."""
    huge = 2**100
    frame = sample_text().head(3).with_columns(pl.Series("big", [huge, -5, 7], dtype=pl.Int128))
    data = write(frame, tmp_path / "wide_ints.parquet")
    model = tmp_path / "model.toml"
    model.write_text(
        '[model]\nname = "m"\nid_column = "lead_id"\n[fields.big]\ntype = "int"\n'
        '[[rules]]\nname = "positive"\npoints = 10\n'
        'when = { field = "big", op = "gt", value = 0 }\n'
    )
    parquet = scores(run, data, model, tmp_path)
    assert parquet["big"].dtype == pl.Int128 and parquet["big"].to_list() == [huge, -5, 7]
    assert parquet["score"].to_list() == [10, 0, 10]
    csv_out = tmp_path / "scored.csv"
    result = run("score", data, "-m", model, "-o", csv_out, "--as-of", AS_OF, "-q")
    assert result.exit_code == 0, result.stderr
    assert pl.read_csv(csv_out, infer_schema=False)["big"].to_list() == [str(huge), "-5", "7"]
