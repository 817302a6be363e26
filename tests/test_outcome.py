"""The outcome column parser shared by the history commands."""

from __future__ import annotations

import polars as pl
import pytest

from leadscore_cli.errors import EXIT_DATA, DataError
from leadscore_cli.outcome import (
    OutcomeCounts,
    check_named_outcome,
    check_outcome,
    outcome_check_frame,
    outcome_expr,
    require_column,
)


def read(values: list, positive: list[str] | None = None, dtype=None) -> list:
    frame = pl.DataFrame({"y": values}, schema={"y": dtype} if dtype else None)
    expr = outcome_expr("y", frame.schema["y"], positive)
    return frame.select(expr.alias("flag"))["flag"].to_list()


def checked(values: list, positive: list[str] | None = None, weights: list | None = None):
    data = {"y": values} | ({"n": weights} if weights else {})
    frame = pl.DataFrame(data, schema_overrides={"y": pl.String})
    check = outcome_check_frame(
        frame.lazy(), "y", pl.String, positive, weight="n" if weights else None
    ).collect()
    return check, check_outcome("y", check, positive, source_name="leads.csv", role="target")


def test_boolean_like_text_any_case_and_missing_markers():
    values = ["true", "FALSE", " Yes ", "no", "1", "0", "T", "n", None, "", "N/A", "null"]
    assert read(values) == [True, False, True, False, True, False, True, False] + [None] * 4


def test_typed_columns():
    assert read([True, False, None], dtype=pl.Boolean) == [True, False, None]
    assert read([1, 0, None, 2], dtype=pl.Int64) == [True, False, None, None]
    assert read([1.0, 0.0, float("nan")], dtype=pl.Float64) == [True, False, None]


def test_positive_values_trimmed_any_case_other_values_are_not_converted():
    values = ["Closed Won", " closed won ", "Closed Lost", "Open", None, "N/A", "Won"]
    flags = read(values, positive=["Closed Won", "won"])
    assert flags == [True, True, False, False, None, None, True]


def test_check_counts_classes_and_missing():
    check, counts = checked(["yes", "no", "no", None, "N/A", "1"])
    assert counts == OutcomeCounts(positives=2, negatives=2, missing=2)
    assert counts.known == 4 and counts.rate == 0.5
    assert check["unreadable"][0] == 0


def test_check_on_counted_values_weights_each_row():
    _, counts = checked(["yes", "no", None], weights=[3, 5, 2])
    assert counts == OutcomeCounts(positives=3, negatives=5, missing=2)


def test_not_boolean_like_names_column_example_and_positive_hint():
    with pytest.raises(DataError) as caught:
        checked(["Closed Won", "Closed Lost", "Open", "Closed Won"])
    error = caught.value
    assert error.exit_code == EXIT_DATA
    text = str(error)
    assert "leads.csv" in text and "target column 'y'" in text
    assert "not boolean-like" in text and "4 values, such as" in text
    assert "--positive" in text and "'Closed" in text


def test_single_class_is_an_error():
    with pytest.raises(DataError, match="single class: all 2 known values count as converted"):
        checked(["yes", "true", None])
    with pytest.raises(DataError, match=r"none of its 2 known values.*--positive 'Won'"):
        checked(["Lost", "Open"], positive=["Won"])
    with pytest.raises(DataError, match="it has no values"):
        checked([None, "N/A"])


def test_single_class_names_the_positive_values_either_way():
    with pytest.raises(DataError, match=r"all 2 known values count as converted \(--positive 'W'"):
        checked(["w", "W "], positive=["W"])


def test_named_outcome_stops_only_on_positive_values_that_split_nothing():
    def check(values: list, positive: list[str] | None) -> None:
        frame = pl.DataFrame({"y": values}, schema={"y": pl.String}).lazy()
        found = outcome_check_frame(frame, "y", pl.String, positive).collect()
        check_named_outcome("y", found, positive, source_name="leads.csv")

    check(["no", "false", None], None)  # nobody converted yet: history, not a typo
    check(["Won", "Lost"], ["won"])
    with pytest.raises(DataError, match=r"none of its 2 known values.*--positive 'Closed-Won'"):
        check(["Closed Won", "Lost"], ["Closed-Won"])
    with pytest.raises(DataError, match=r"all 2 known values.*--positive 'won', 'lost'"):
        check(["Won", "Lost"], ["won", "lost"])
    with pytest.raises(DataError, match="not boolean-like"):
        check(["Won", "Lost"], None)


def test_require_column_suggests_closest_names():
    require_column("converted", ["lead_id", "converted"], option="--target", source_name="x")
    with pytest.raises(DataError) as caught:
        require_column(
            "convertd",
            ["lead_id", "converted", "stage"],
            option="--target",
            source_name="leads.csv",
        )
    assert "--target column 'convertd' is not in the data (closest: 'converted')" in str(
        caught.value
    )


def test_markers_from_the_model_or_the_command_count_as_missing(run, tmp_path):
    """A `Select` or a model's own marker in the outcome is "not known yet", as in every
    other column, in every command that reads an outcome."""
    from tests.conftest import AS_OF, B2B_MODEL, SAMPLE

    frame = pl.read_csv(SAMPLE, infer_schema=False).head(2000)
    marks = pl.int_range(pl.len()) % 50
    frame = frame.with_columns(
        pl.when(marks == 0)
        .then(pl.lit("Select"))
        .when(marks == 1)
        .then(pl.lit("pending"))
        .otherwise(pl.col("converted"))
        .alias("converted")
    )
    source = tmp_path / "h.csv"
    frame.write_csv(source)
    model = tmp_path / "m.toml"
    model.write_text(B2B_MODEL.read_text().replace('"none"]', '"none", "pending"]', 1))
    assert '"pending"' in model.read_text()
    profiled = run("profile", source, "--target", "converted", "--null-value", "pending", "--json")
    assert profiled.exit_code == 0, profiled.stderr
    without = run("profile", source, "--target", "converted", "--json")
    assert without.exit_code == EXIT_DATA and "'pending'" in without.stderr  # only Select
    for args in (
        ["threshold", source, "-m", model, "--outcome", "converted", "--json"],
        ["grade", source, "-m", model, "-o", tmp_path / "g.csv", "--outcome", "converted", "-q"],
        ["report", source, "-m", model, "--outcome", "converted", "--format", "json"],
    ):
        result = run(*args, "--as-of", AS_OF)
        assert result.exit_code == 0, (args[0], result.stderr)
    fitted = run("fit", source, "--outcome", "converted", "-o", tmp_path / "f.toml", "-q")
    assert fitted.exit_code == EXIT_DATA and "'pending'" in fitted.stderr  # Select is known
    assert "'Select'" not in fitted.stderr


def test_a_model_marker_never_swallows_an_outcome_value(run, tmp_path):
    """A model whose fields read `0` as missing must still read a 0/1 outcome (and a
    --positive value that is also a marker)."""
    from tests.conftest import AS_OF, B2B_MODEL, SAMPLE, parse_json

    frame = pl.read_csv(SAMPLE, infer_schema=False).head(2000)
    frame = frame.with_columns(
        pl.col("converted").str.to_lowercase().replace({"true": "1", "false": "0"}).alias("y")
    )
    source = tmp_path / "h.csv"
    frame.write_csv(source)
    model = tmp_path / "m.toml"
    model.write_text(B2B_MODEL.read_text().replace('"none"]', '"none", "0", "1", "won"]', 1))
    base = frame["y"].cast(pl.Int64).mean()
    result = run(
        "report", source, "-m", model, "--outcome", "y", "--format", "json", "--as-of", AS_OF
    )
    assert result.exit_code == 0, result.stderr
    assert parse_json(result.stdout)["outcome"]["base_rate"] == pytest.approx(base)
    labelled = frame.with_columns(
        pl.when(pl.col("y") == "1").then(pl.lit("won")).otherwise(pl.lit("lost")).alias("stage")
    )
    labelled.write_csv(source)
    result = run(
        "report", source, "-m", model, "--outcome", "stage", "--positive", "won",
        "--format", "json", "--as-of", AS_OF,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert parse_json(result.stdout)["outcome"]["base_rate"] == pytest.approx(base)
