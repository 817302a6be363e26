"""`leadscore score` and `leadscore validate` through the CLI, stdout and stderr apart."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import polars as pl
import pytest

from leadscore_cli.errors import EXIT_DATA, EXIT_INPUT, EXIT_MODEL, EXIT_OUTPUT, EXIT_USAGE
from tests.conftest import AS_OF, B2B_MODEL, EXAMPLE_MODELS, SAMPLE, SIMPLE_MODEL

SAMPLE_ROWS = pl.scan_csv(SAMPLE).select(pl.len()).collect().item()


def read_scored(path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)


def assert_clean_failure(result, code: int, *needles: str) -> None:
    """A failure prints one line per problem on stderr, no traceback, nothing on stdout."""
    assert result.exit_code == code, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("leadscore: ")
    for needle in needles:
        assert needle in result.stderr


def test_score_writes_every_row_with_new_columns(run, tmp_path):
    out = tmp_path / "scored.csv"
    result = run("score", SAMPLE, "-m", B2B_MODEL, "-o", out, "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "Scored 5,000 leads" in result.stderr
    assert "Rules fired" in result.stderr
    scored = read_scored(out)
    assert scored.height == SAMPLE_ROWS
    for column in ("score", "score_fit", "score_engagement", "tier"):
        assert column in scored.columns
    assert "annual_revenue" in scored.columns  # renamed by [fields]
    scores = scored["score"].cast(pl.Float64)
    assert scores.min() >= 0 and scores.max() <= 100
    original = pl.read_csv(SAMPLE, infer_schema=False)
    # columns the model does not read pass through exactly as exported
    assert scored["company"].to_list() == original["company"].to_list()


def test_json_summary_on_stdout(run, tmp_path):
    out = tmp_path / "scored.parquet"
    result = run("score", SAMPLE, "-m", B2B_MODEL, "-o", out, "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    scored = pl.read_parquet(out)
    assert summary["rows_scored"] == SAMPLE_ROWS == summary["rows_written"]
    assert summary["mean"] == pytest.approx(scored["score"].mean(), abs=1e-3)
    assert summary["quartiles"]["median"] == pytest.approx(scored["score"].median(), abs=1e-3)
    assert sum(b["count"] for b in summary["histogram"]) == SAMPLE_ROWS
    tiers = scored["tier"].cast(pl.String).value_counts()
    assert summary["tiers"] == dict(zip(tiers["tier"], tiers["count"], strict=True)) | {
        k: 0 for k in summary["tiers"] if k not in tiers["tier"].to_list()
    }
    demo = next(r for r in summary["rules"] if r["name"] == "demo_requested")
    reasons_demo = run(
        "score",
        SAMPLE,
        "-m",
        B2B_MODEL,
        "-o",
        tmp_path / "r.csv",
        "--as-of",
        AS_OF,
        "--explain",
        "-q",
    )
    assert reasons_demo.exit_code == 0
    fired = read_scored(tmp_path / "r.csv")["reasons"].str.contains("demo_requested").sum()
    assert demo["fired"] == fired


def test_quiet_prints_nothing(run, tmp_path):
    result = run(
        "score", SAMPLE, "-m", SIMPLE_MODEL, "-o", tmp_path / "o.csv", "-q", "--as-of", AS_OF
    )
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""


def test_explain_reasons_add_up_to_the_score(run, tmp_path):
    out = tmp_path / "o.csv"
    result = run("score", SAMPLE, "-m", B2B_MODEL, "-o", out, "--explain", "-q", "--as-of", AS_OF)
    assert result.exit_code == 0
    scored = read_scored(out)
    parts = scored["reasons"].fill_null("").str.extract_all(r"[+-]\d+(?:\.\d+)?")
    total = parts.list.eval(pl.element().cast(pl.Float64)).list.sum()
    diff = (total - scored["score"].cast(pl.Float64)).abs()
    assert diff.max() < 0.05  # per-entry rounding only


def test_sort_top_and_columns(run, tmp_path):
    out = tmp_path / "top.csv"
    result = run(
        "score",
        SAMPLE,
        "-m",
        B2B_MODEL,
        "-o",
        out,
        "--top",
        25,
        "--columns",
        "lead_id,email",
        "-q",
        "--as-of",
        AS_OF,
    )
    assert result.exit_code == 0, result.stderr
    top = read_scored(out)
    assert top.columns == ["lead_id", "email", "score", "score_fit", "score_engagement", "tier"]
    assert top.height == 25
    full_out = tmp_path / "all.csv"
    run("score", SAMPLE, "-m", B2B_MODEL, "-o", full_out, "--sort", "-q", "--as-of", AS_OF)
    ranked = read_scored(full_out).with_columns(pl.col("score").cast(pl.Float64))
    expected = ranked.sort(["score", "lead_id"], descending=[True, False], maintain_order=True)
    assert ranked["lead_id"].to_list() == expected["lead_id"].to_list()
    assert top["lead_id"].to_list() == ranked["lead_id"].head(25).to_list()


def messy_ranking_export(tmp_path: Path) -> Path:
    """The sample with ids repeated and missing, so that ranking ties need every rule:
    score, then id (missing ones last), then input order."""
    frame = pl.read_csv(SAMPLE, infer_schema=False)
    row = pl.int_range(pl.len())
    lead_id = (
        pl.when(row % 7 == 0)
        .then(None)
        .when(row % 5 == 0)
        .then(pl.lit("L-same"))
        .otherwise(pl.col("lead_id"))
    )
    path = tmp_path / "messy.csv"
    frame.with_columns(lead_id.alias("lead_id"), row.cast(pl.String).alias("row")).write_csv(path)
    return path


@pytest.mark.parametrize("source", ["csv", "parquet", "stdin"])
@pytest.mark.parametrize("keep", [None, "row,email"], ids=["all columns", "without the id"])
def test_top_keeps_the_head_of_the_full_ranking(run, tmp_path, source, keep):
    """--top ranks in passes of its own; it must pick and order exactly what --sort does."""
    data = messy_ranking_export(tmp_path)
    columns = ["--columns", keep] if keep else []
    full = tmp_path / "full.csv"
    args = ("-m", B2B_MODEL, "-q", "--as-of", AS_OF)
    assert run("score", data, "-o", full, "--sort", *columns, *args).exit_code == 0
    top = tmp_path / "top.csv"
    given, stdin = data, None
    if source == "parquet":
        given = tmp_path / "messy.parquet"
        pl.read_csv(data, infer_schema=False).write_parquet(given)
    elif source == "stdin":
        given, stdin = "-", data.read_bytes()
    result = run("score", given, "-o", top, "--top", 300, *columns, *args, input=stdin)
    assert result.exit_code == 0, result.stderr
    ranked = read_scored(full)
    assert read_scored(top).equals(ranked.head(300))
    if keep is None:  # the tie rules are exercised
        best = ranked.head(300)
        assert best.group_by("score", "lead_id").len()["len"].max() > 1
        assert best["lead_id"].is_null().any()


def test_top_stops_on_unreadable_values_before_writing(run, tmp_path):
    source = tmp_path / "leads.csv"
    frame = pl.read_csv(SAMPLE, infer_schema=False)
    bad = pl.when(pl.int_range(pl.len()) == 41).then(pl.lit("lots")).otherwise(pl.col("employees"))
    frame.with_columns(bad.alias("employees")).write_csv(source)
    out = tmp_path / "o.csv"
    out.write_text("previous\n")
    result = run("score", source, "-m", B2B_MODEL, "-o", out, "--top", 10, "--as-of", AS_OF)
    assert_clean_failure(result, EXIT_DATA, "'employees'", "'lots'", "row 42")
    assert out.read_text() == "previous\n"
    assert {p.name for p in tmp_path.iterdir()} == {"leads.csv", "o.csv"}


def test_same_inputs_give_byte_identical_outputs(run, tmp_path):
    outputs = []
    for name in ("a.csv", "b.csv"):
        out = tmp_path / name
        assert (
            run(
                "score", SAMPLE, "-m", B2B_MODEL, "-o", out, "--explain", "-q", "--as-of", AS_OF
            ).exit_code
            == 0
        )
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("model", EXAMPLE_MODELS, ids=lambda p: p.name)
def test_csv_and_parquet_inputs_give_identical_scores(run, tmp_path, model):
    typed = tmp_path / "typed.parquet"
    pl.read_csv(SAMPLE, infer_schema_length=10000).write_parquet(typed)
    results = {}
    for name, source in (("csv", SAMPLE), ("parquet", typed)):
        out = tmp_path / f"{name}.parquet"
        result = run("score", source, "-m", model, "-o", out, "-q", "--as-of", AS_OF)
        assert result.exit_code == 0, result.stderr
        results[name] = pl.read_parquet(out).select("lead_id", pl.col("^score.*$"))
    assert results["csv"].equals(results["parquet"])


def test_stdin_to_stdout(run):
    data = SAMPLE.read_bytes()
    result = run("score", "-", "-m", SIMPLE_MODEL, "-o", "-", "-q", "--as-of", AS_OF, input=data)
    assert result.exit_code == 0, result.stderr
    scored = pl.read_csv(io.StringIO(result.stdout), infer_schema=False)
    assert scored.height == SAMPLE_ROWS
    assert "score" in scored.columns


def test_semicolon_gzip_input(run, tmp_path):
    import gzip

    frame = pl.read_csv(SAMPLE, infer_schema=False)
    path = tmp_path / "leads.csv.gz"
    buffer = io.BytesIO()
    frame.write_csv(buffer, separator=";")
    path.write_bytes(gzip.compress(buffer.getvalue()))
    plain = tmp_path / "plain.csv"
    squeezed = tmp_path / "gz.csv"
    for source, out in ((SAMPLE, plain), (path, squeezed)):
        assert (
            run("score", source, "-m", B2B_MODEL, "-o", out, "-q", "--as-of", AS_OF).exit_code == 0
        )
    assert plain.read_bytes() == squeezed.read_bytes()


def test_validate_reports_firing_rates(run):
    result = run("validate", "-m", B2B_MODEL, "--data", SAMPLE, "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["data"]["rows"] == SAMPLE_ROWS
    assert {r["name"] for r in report["data"]["rules"]} == {
        "executive",
        "manager_or_director",
        "student_or_intern",
        "industry",
        "company_size",
        "target_country",
        "revenue_over_10m",
        "free_mail",
        "no_email",
        "demo_requested",
        "frequent_visitor",
        "deep_browsing",
        "email_clicks",
        "content_downloads",
        "webinar",
        "active_last_30_days",
        "dormant",
        "unsubscribed",
    }


def test_validate_flags_rules_that_never_or_always_fire(run, tmp_path):
    model = tmp_path / "m.toml"
    model.write_text(
        '[model]\nname = "m"\n'
        '[[rules]]\nname = "never"\npoints = 5\n'
        'when = { field = "industry", op = "eq", value = "no such industry" }\n'
        '[[rules]]\nname = "always"\npoints = 5\n'
        'when = { field = "lead_id", op = "not_null" }\n'
    )
    result = run("validate", "-m", model, "--data", SAMPLE, "--json")
    assert result.exit_code == 0, result.stderr
    flags = {r["name"]: r["flag"] for r in json.loads(result.stdout)["data"]["rules"]}
    assert flags == {"never": "never fires", "always": "always fires"}


def test_validate_on_an_export_with_no_leads_flags_no_rule_and_says_why(run, tmp_path):
    """No rule fires on no leads: "never fires" on every rule would send the user to fix
    rules that are fine. The columns are still checked."""
    header = SAMPLE.read_text().splitlines()[0]
    empty = tmp_path / "empty.csv"
    empty.write_text(header + "\n")
    result = run("validate", "-m", B2B_MODEL, "--data", empty, "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert {r["flag"] for r in report["data"]["rules"]} == {None}
    assert any("has no leads" in note for note in report["notes"])
    text = run("validate", "-m", B2B_MODEL, "--data", empty)
    assert "never fires" not in text.stderr and "has no leads" in text.stderr
    missing = tmp_path / "missing.csv"
    missing.write_text(header.replace("job_title", "title") + "\n")
    assert run("validate", "-m", B2B_MODEL, "--data", missing).exit_code == 5


def test_version(run):
    from leadscore_cli import __version__

    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"leadscore {__version__}"


# ----------------------------------------------------------------- errors


def test_bad_model_lists_every_problem(run, tmp_path):
    model = tmp_path / "bad.toml"
    model.write_text(
        '[model]\nname = "m"\nid_colum = "lead_id"\n'
        '[[rules]]\nname = "a"\npoints = 5\nwhen = { field = "visits", op = "gte=", value = 3 }\n'
    )
    out = tmp_path / "o.csv"
    result = run("score", SAMPLE, "-m", model, "-o", out)
    assert_clean_failure(result, EXIT_MODEL, "did you mean 'id_column'", "rules[0].when.op")
    assert len(result.stderr.strip().splitlines()) == 2
    assert all(str(model) in line for line in result.stderr.strip().splitlines())
    assert not out.exists()


def test_validate_json_answers_on_stdout_when_the_model_is_invalid(run, tmp_path):
    model = tmp_path / "bad.toml"
    model.write_text(
        '[model]\nname = "m"\nid_colum = "lead_id"\n'
        '[[rules]]\nname = "a"\npoints = 5\nwhen = { field = "visits", op = "gte=", value = 3 }\n'
    )
    result = run("validate", "-m", model, "--json")
    assert result.exit_code == EXIT_MODEL
    answer = json.loads(result.stdout)
    assert answer["valid"] is False and answer["exit_code"] == EXIT_MODEL
    assert answer["errors"] == [
        line.removeprefix("leadscore: bad model: ") for line in result.stderr.strip().splitlines()
    ]
    assert len(answer["errors"]) == 2


def test_validate_checks_as_of_without_data(run):
    result = run("validate", "-m", SIMPLE_MODEL, "--as-of", "yesterday")
    assert_clean_failure(result, EXIT_USAGE, "--as-of")


def test_toml_syntax_error_has_line_and_column(run, tmp_path):
    model = tmp_path / "broken.toml"
    model.write_text('[model]\nname = "m"\n[[rules]\n')
    result = run("validate", "-m", model)
    assert_clean_failure(result, EXIT_MODEL, "line 3", "column")


def test_missing_input(run, tmp_path):
    result = run("score", tmp_path / "nope.csv", "-m", B2B_MODEL, "-o", tmp_path / "o.csv")
    assert_clean_failure(result, EXIT_INPUT, "nope.csv")


def test_missing_columns_named_with_closest(run, tmp_path):
    source = tmp_path / "leads.csv"
    pl.read_csv(SAMPLE, infer_schema=False).rename({"job_title": "Job Title"}).drop(
        "demo_requested"
    ).write_csv(source)
    out = tmp_path / "o.csv"
    result = run("score", source, "-m", B2B_MODEL, "-o", out)
    assert_clean_failure(result, EXIT_DATA, "'job_title'", "'Job Title'", "'demo_requested'")
    assert not out.exists()


def test_unreadable_values_stop_the_run_and_leave_no_output(run, tmp_path):
    source = tmp_path / "leads.csv"
    frame = pl.read_csv(SAMPLE, infer_schema=False)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 41)
        .then(pl.lit("lots"))
        .otherwise(pl.col("employees"))
        .alias("employees")
    )
    frame.write_csv(source)
    out = tmp_path / "o.csv"
    out.write_text("previous\n")
    result = run("score", source, "-m", B2B_MODEL, "-o", out, "--as-of", AS_OF)
    assert_clean_failure(result, EXIT_DATA, "'employees'", "'lots'", "row 42")
    assert out.read_text() == "previous\n"
    assert {p.name for p in tmp_path.iterdir()} == {"leads.csv", "o.csv"}  # no temp file left


def test_every_unreadable_column_gets_its_own_line(run, tmp_path):
    source = tmp_path / "leads.csv"
    frame = pl.read_csv(SAMPLE, infer_schema=False)
    first = pl.int_range(pl.len()) == 0
    frame.with_columns(
        pl.when(first).then(pl.lit("lots")).otherwise(pl.col("employees")).alias("employees"),
        pl.when(first)
        .then(pl.lit("soon"))
        .otherwise(pl.col("last_activity_date"))
        .alias("last_activity_date"),
    ).write_csv(source)
    result = run("score", source, "-m", B2B_MODEL, "-o", tmp_path / "o.csv", "--as-of", AS_OF)
    assert result.exit_code == EXIT_DATA
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert all(line.startswith(f"leadscore: bad data: {source}: column ") for line in lines)
    assert any("'lots'" in line for line in lines) and any("'soon'" in line for line in lines)


def test_an_unreadable_model_is_a_model_error(run, tmp_path, monkeypatch):
    model = tmp_path / "locked.toml"
    shutil.copy(SIMPLE_MODEL, model)
    real_read_text = Path.read_text

    def locked(self, *args, **kwargs):
        if self == model:
            raise PermissionError(13, "Permission denied")
        return real_read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", locked)
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: Path(path) != model)
    result = run("validate", "-m", model)
    assert_clean_failure(result, EXIT_MODEL, "permission denied")
    assert len(result.stderr.strip().splitlines()) == 1


def test_rescoring_a_scored_file_replaces_every_column_the_last_run_added(run, tmp_path):
    first, second = tmp_path / "first.parquet", tmp_path / "second.csv"
    args = ["--as-of", AS_OF, "-q", "--explain"]
    assert run("score", SAMPLE, "-m", B2B_MODEL, "-o", first, *args).exit_code == 0
    result = run("score", first, "-m", B2B_MODEL, "-o", second, "--as-of", "2027-06-01", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["warnings"] == [  # this run has no --explain
        "the input was scored before: its column(s) 'score', 'score_fit', "
        "'score_engagement', 'tier' are replaced by this run's; its column(s) 'reasons' "
        "are dropped: this run does not write them"
    ]
    rescored = pl.read_csv(second, infer_schema=False)
    fresh = run(
        "score",
        SAMPLE,
        "-m",
        B2B_MODEL,
        "-o",
        tmp_path / "fresh.csv",
        "-q",
        "--as-of",
        "2027-06-01",
    )
    assert fresh.exit_code == 0
    assert rescored.equals(pl.read_csv(tmp_path / "fresh.csv", infer_schema=False))
    shown = run("score", first, "-m", B2B_MODEL, "-o", second, "--as-of", AS_OF)
    assert "scored before" in " ".join(shown.stderr.split())
    quiet = run("score", first, "-m", B2B_MODEL, "-o", second, "--as-of", AS_OF, "-q")
    assert quiet.stderr == ""
    raw = run("score", SAMPLE, "-m", B2B_MODEL, "-o", second, "--as-of", AS_OF, "--json")
    assert json.loads(raw.stdout)["warnings"] == []


def test_rescoring_with_another_model_names_the_columns_it_keeps(run, tmp_path):
    first, second = tmp_path / "b2b.parquet", tmp_path / "intent.csv"
    args = ["--as-of", AS_OF, "-q", "--explain"]
    assert run("score", SAMPLE, "-m", B2B_MODEL, "-o", first, *args).exit_code == 0
    intent = tmp_path / "intent.toml"
    intent.write_text(
        '[model]\nname = "intent"\n[[rules]]\nname = "demo"\ncategory = "intent"\n'
        'points = 40\nwhen = { field = "demo_requested", op = "eq", value = true }\n'
    )
    result = run("score", first, "-m", intent, "-o", second, "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["warnings"] == [
        "input column(s) 'score' replaced by this run's values",
        "the input looks scored by another model: its column(s) 'score_fit', "
        "'score_engagement', 'tier', 'reasons' are not this model's and are kept as they were",
    ]


def test_a_column_named_like_a_working_column_stops_the_run(run, tmp_path):
    source = tmp_path / "leads.csv"
    pl.read_csv(SAMPLE, infer_schema=False).head(50).with_columns(
        pl.lit("kept?").alias("__ls_hit_0")
    ).write_csv(source)
    out = tmp_path / "o.csv"
    result = run("score", source, "-m", B2B_MODEL, "-o", out, "--as-of", AS_OF)
    assert_clean_failure(result, EXIT_DATA, "'__ls_hit_0'", "rename it")
    assert not out.exists()


def test_refuses_to_write_over_its_input(run, tmp_path):
    source = tmp_path / "leads.csv"
    shutil.copy(SAMPLE, source)
    before = source.read_bytes()
    result = run("score", source, "-m", SIMPLE_MODEL, "-o", source)
    assert_clean_failure(result, EXIT_OUTPUT, "leads.csv")
    assert source.read_bytes() == before


def test_unwritable_output_folder(run, tmp_path):
    result = run("score", SAMPLE, "-m", SIMPLE_MODEL, "-o", tmp_path / "no" / "such" / "o.csv")
    assert_clean_failure(result, EXIT_OUTPUT)


@pytest.mark.parametrize(
    "args",
    [
        ["--as-of", "yesterday"],
        ["--as-of", "0001-01-01"],
        ["--json", "-o", "-"],
        ["--format", "xlsx"],
        ["--columns", " , "],
        ["--top", "0"],
        ["--encoding", "klingon"],
    ],
)
def test_usage_errors(run, tmp_path, args):
    base = ["score", SAMPLE, "-m", SIMPLE_MODEL]
    if "-o" not in args:
        base += ["-o", tmp_path / "o.csv"]
    result = run(*base, *args)
    assert result.exit_code == EXIT_USAGE
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["score", "in.csv", "-m", "m.toml"], "Missing option '--output'"),
        (["score", "in.csv", "-m", "m.toml", "-o", "o.csv", "--top", "0"], "'--top'"),
        (["score", "--bogus"], "--bogus"),
        (["scroe"], "'scroe'"),
        (["sample", "-n", "0", "-o", "s.csv"], "'--rows'"),
    ],
)
def test_option_errors_are_one_line_too(run, args, needle):
    result = run(*args)
    assert result.exit_code == EXIT_USAGE
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("leadscore: usage error: ")
    assert needle in lines[0] and "--help" in lines[0]
    assert result.stdout == ""


def test_unknown_column_in_columns_option(run, tmp_path):
    result = run(
        "score", SAMPLE, "-m", SIMPLE_MODEL, "-o", tmp_path / "o.csv", "--columns", "lead_id,emial"
    )
    assert_clean_failure(result, EXIT_DATA, "'emial'", "did you mean 'email'")


def test_debug_shows_traceback(run, tmp_path):
    result = run(
        "score", tmp_path / "nope.csv", "-m", B2B_MODEL, "-o", tmp_path / "o.csv", "--debug"
    )
    assert result.exit_code == EXIT_INPUT
    assert "Traceback" in result.stderr


def test_sample_command_is_deterministic(run, tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    for out in (first, second):
        result = run("sample", "-n", 300, "-o", out, "--seed", 9)
        assert result.exit_code == 0, result.stderr
        assert result.stdout == ""
    assert first.read_bytes() == second.read_bytes()
    frame = pl.read_csv(first, infer_schema=False)
    assert frame.height == 300
    assert {"lead_id", "converted", "Annual Revenue"} <= set(frame.columns)
    other = tmp_path / "c.csv"
    assert run("sample", "-n", 300, "-o", other, "--seed", 10, "-q").exit_code == 0
    assert other.read_bytes() != first.read_bytes()


def test_sample_command_reports_an_unwritable_destination(run, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    result = run("sample", "-n", 10, "-o", blocker / "x.csv")
    assert_clean_failure(result, EXIT_OUTPUT, "a_file")


def test_sample_to_stdout_matches_the_file(run, tmp_path):
    out = tmp_path / "s.csv"
    assert run("sample", "-n", 50, "-o", out, "--seed", 3, "-q").exit_code == 0
    piped = run("sample", "-n", 50, "-o", "-", "--seed", 3)
    assert piped.exit_code == 0, piped.stderr
    assert piped.stdout == out.read_text()
    assert "<stdout>" in piped.stderr
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize(
    ("name", "code"),
    [("s.tsv", EXIT_USAGE), ("s.csv.gz", EXIT_USAGE), ("s", EXIT_USAGE), ("no/s.csv", EXIT_OUTPUT)],
)
def test_sample_refuses_what_it_cannot_write(run, tmp_path, name, code):
    result = run("sample", "-n", 5, "-o", tmp_path / name)
    assert_clean_failure(result, code, name.split("/")[0])
    assert list(tmp_path.iterdir()) == []


def test_values_made_missing_by_on_invalid_null_are_counted(run, tmp_path):
    """on_invalid = "null" keeps the run going, but says how many values it dropped."""
    source = tmp_path / "leads.csv"
    source.write_text('lead_id,rev\nA,"$1,200"\nB,abc\nC,n/a\nD,\nE,lots\n')
    model = tmp_path / "model.toml"
    model.write_text(
        '[model]\nname = "n"\nid_column = "lead_id"\n'
        '[fields.rev]\ntype = "float"\non_invalid = "null"\n'
        '[[rules]]\nname = "big"\npoints = 10\n'
        'when = { field = "rev", op = "gte", value = 1000 }\n'
    )
    wanted = "column 'rev': 2 values could not be read and count as missing"
    result = run("score", source, "-m", model, "-o", tmp_path / "o.csv", "--json", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert any(w.startswith(wanted) for w in json.loads(result.stdout)["warnings"])
    checked = run("validate", "-m", model, "--data", source, "--json", "--as-of", AS_OF)
    assert any(n.startswith(wanted) for n in json.loads(checked.stdout)["notes"])


def test_format_names_are_read_in_any_case(run, tmp_path):
    """`--format PARQUET` and `--input-format CSV` are what a script may well write."""
    data = tmp_path / "leads.export"  # an extension that says nothing
    shutil.copyfile(SAMPLE, data)
    out = tmp_path / "scored.out"
    result = run(
        "score", data, "--input-format", "CSV", "-m", SIMPLE_MODEL, "-o", out,
        "--format", "Parquet", "--as-of", AS_OF, "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert pl.read_parquet(out).height == pl.read_csv(SAMPLE, infer_schema=False).height
    bad = run("score", SAMPLE, "-m", SIMPLE_MODEL, "-o", out, "--format", "XLSX")
    assert_clean_failure(bad, EXIT_USAGE, "--format must be csv or parquet, not 'XLSX'")


def test_a_model_of_many_rules_shows_the_first_ones_and_counts_the_rest(run, tmp_path):
    """The terminal summary of a model of thousands of rules stays readable; --json has all."""
    model = tmp_path / "many.toml"
    rules = [
        f'[[rules]]\nname = "r{i}"\npoints = 1\n'
        f'when = {{ field = "website_visits", op = "gte", value = {i} }}\n'
        for i in range(100)
    ]
    model.write_text('[model]\nname = "many"\nid_column = "lead_id"\n' + "".join(rules))
    args = [SAMPLE, "-m", model, "-o", tmp_path / "out.csv", "--as-of", AS_OF]
    shown = run("score", *args)
    assert shown.exit_code == 0, shown.stderr
    assert "r39 " in shown.stderr and "r40 " not in shown.stderr
    never = sum(
        1 for r in json.loads(run("score", *args, "--json").stdout)["rules"][40:] if not r["fired"]
    )
    text = " ".join(shown.stderr.split())
    assert f"60 more rules not shown ({never} of them never fired); --json lists every rule" in text
    assert len(json.loads(run("score", *args, "--json").stdout)["rules"]) == 100
