"""Nightly-run features of `score`: deltas, handoff list, manifest, spreadsheet safety,
and stopping cleanly on Ctrl-C or SIGTERM (a cron or systemd timeout)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from leadscore_cli.errors import (
    EXIT_DATA,
    EXIT_INTERRUPTED,
    EXIT_MODEL,
    EXIT_OUTPUT,
    EXIT_TERMINATED,
    EXIT_USAGE,
    Terminated,
)
from leadscore_cli.sample import write_sample
from tests.conftest import AS_OF, B2B_MODEL, ROOT, SAMPLE


def write_model(tmp_path):
    """Score 1 for pts >= 0, +30 at 30 and +30 at 60: tiers sql >= 50, mql >= 20."""
    path = tmp_path / "model.toml"
    path.write_text(
        '[model]\nname = "night"\nversion = "2.1"\nid_column = "id"\n'
        "[tiers]\nsql = 50\nmql = 20\ncold = 0\n"
        '[[rules]]\nname = "pts"\npoints = 1\nwhen = { field = "pts", op = "gte", value = 0 }\n'
        '[[rules]]\nname = "big"\npoints = 30\nwhen = { field = "pts", op = "gte", value = 30 }\n'
        '[[rules]]\nname = "huge"\npoints = 30\nwhen = { field = "pts", op = "gte", value = 60 }\n'
    )
    return path


def scored(
    run, tmp_path, model, rows: dict, name: str, *extra, command: str = "score"
) -> pl.DataFrame:
    source = tmp_path / f"{name}_in.csv"
    pl.DataFrame(rows).write_csv(source)
    out = tmp_path / f"{name}.csv"
    result = run(command, source, "-m", model, "-o", out, "-q", "--as-of", AS_OF, *extra)
    assert result.exit_code == 0, result.stderr
    return pl.read_csv(out, infer_schema=False)


@pytest.mark.parametrize("command", ["score", "grade"])
def test_deltas_and_handoff(run, tmp_path, command):
    model = write_model(tmp_path)
    # scores: pts>=0 -> 1, >=30 -> 31, >=60 -> 61 ; tiers: 61 sql, 31 mql, 1 cold
    scored(
        run, tmp_path, model, {"id": ["a", "b", "c", "d"], "pts": ["0", "30", "60", "30"]}, "monday"
    )
    handoff = tmp_path / "call_today.csv"
    today = scored(
        run,
        tmp_path,
        model,
        {"id": ["a", "b", "c", "e", "f"], "pts": ["30", "60", "60", "70", "0"]},
        "tuesday",
        "--previous",
        tmp_path / "monday.csv",
        "--handoff",
        handoff,
        command=command,
    )
    changes = dict(zip(today["id"], today["tier_change"], strict=True))
    assert changes == {"a": "cold->mql", "b": "mql->sql", "c": "same", "e": "new", "f": "new"}
    deltas = dict(zip(today["id"], today["score_change"], strict=True))
    assert float(deltas["a"]) == pytest.approx(30) and float(deltas["b"]) == pytest.approx(30)
    assert deltas["e"] is None
    assert [float(v) for v in today["previous_score"].to_list()[:3]] == [1, 31, 61]
    # newly sql: b (mql->sql) and e (new, sql); c was already sql
    assert sorted(pl.read_csv(handoff, infer_schema=False)["id"].to_list()) == ["b", "e"]


@pytest.mark.parametrize("command", ["score", "grade"])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_the_summary_says_what_changed_since_the_last_run(run, tmp_path, command, fmt):
    """New leads, leads gone from the export, scores changed and tier moves, counted
    again here from the two files; in --json, the manifest and the terminal summary."""
    model = write_model(tmp_path)
    monday = {"id": ["a", "b", "c", "d", "g", "g"], "pts": ["0", "30", "60", "30", "5", "6"]}
    scored(run, tmp_path, model, monday, "monday")
    source = tmp_path / "tuesday_in.csv"
    tuesday = {"id": ["a", "b", "c", "e", "f", "a"], "pts": ["30", "60", "60", "70", "0", "1"]}
    pl.DataFrame(tuesday).write_csv(source)
    out, manifest = tmp_path / f"tuesday.{fmt}", tmp_path / "run.json"
    common = [source, "-m", model, "-o", out, "--as-of", AS_OF]
    common += ["--previous", tmp_path / "monday.csv", "--manifest", manifest]
    result = run(command, *common, "--json")
    assert result.exit_code == 0, result.stderr
    changes = json.loads(result.stdout)["changes"]
    written = pl.read_parquet(out) if fmt == "parquet" else pl.read_csv(out, infer_schema=False)
    before = pl.read_csv(tmp_path / "monday.csv", infer_schema=False)["id"].unique()
    moves = written.filter(pl.col("tier_change").str.contains("->"))["tier_change"]
    changed = written.filter(pl.col("score_change").cast(pl.Float64) != 0).height
    assert changes == {
        "previous": str(tmp_path / "monday.csv"),
        "previous_leads": before.len(),  # g twice is one lead
        "new": written.filter(pl.col("tier_change") == "new").height,
        "gone": before.filter(~before.is_in(written["id"].unique().implode())).len(),
        "score_changed": changed,
        "tier_moves": dict(sorted(moves.value_counts().iter_rows())),
    }
    # e, f new; d, g gone; a (first row) and b rescored; a's second row matches monday's
    assert (changes["new"], changes["gone"], changes["score_changed"]) == (2, 2, 2)
    assert json.loads(manifest.read_text())["changes"] == changes
    # d and g of 5 leads are gone: 40%, worth a warning even with -q (in the manifest)
    assert any(
        "2 leads of the last run's 5 (40.0%)" in w for w in json.loads(result.stdout)["warnings"]
    )
    shown = run(command, *common)
    assert shown.exit_code == 0, shown.stderr
    text = " ".join(shown.stderr.split())
    moves = "tier moves: cold->mql 1, mql->sql 1"
    assert f"Since the last run: 2 new, 2 gone, 2 scores changed; {moves}" in text
    assert "was it cut short or filtered?" in text


def test_few_leads_gone_is_no_warning_and_top_counts_no_changes(run, tmp_path):
    model = write_model(tmp_path)
    ids = [f"L{i:02d}" for i in range(20)]
    scored(run, tmp_path, model, {"id": ids, "pts": ["1"] * 20}, "monday")
    source = tmp_path / "tuesday_in.csv"
    pl.DataFrame({"id": ids[1:], "pts": ["1"] * 19}).write_csv(source)  # 1 of 20 gone: 5%
    common = [source, "-m", model, "--as-of", AS_OF, "--previous", tmp_path / "monday.csv"]
    result = run("score", *common, "-o", tmp_path / "out.csv", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["changes"]["gone"] == 1 and summary["warnings"] == []
    top = run("score", *common, "-o", tmp_path / "top.csv", "--top", "3", "--json")
    assert top.exit_code == 0, top.stderr
    assert json.loads(top.stdout)["changes"] is None  # the best 3 say nothing of the rest


def test_a_rolling_scores_file_can_be_its_own_previous(run, tmp_path):
    """`-o scores.csv --previous scores.csv`: last night's file is read in full, then
    replaced; the deltas are against it."""
    model = write_model(tmp_path)
    rolling = tmp_path / "scores.csv"
    for name, pts in (("mon", ["0", "30"]), ("tue", ["30", "60"])):
        source = tmp_path / f"{name}.csv"
        pl.DataFrame({"id": ["a", "b"], "pts": pts}).write_csv(source)
        extra = ["--previous", rolling] if rolling.exists() else []
        result = run("score", source, "-m", model, "-o", rolling, "-q", *extra)
        assert result.exit_code == 0, result.stderr
    today = pl.read_csv(rolling, infer_schema=False)
    assert today["tier_change"].to_list() == ["cold->mql", "mql->sql"]
    assert [float(v) for v in today["previous_score"]] == [1.0, 31.0]


def test_excel_safe_leaves_every_plain_number_alone() -> None:
    from leadscore_cli.nightly import excel_safe

    cells = ["-12", "+3.5", "-1e5", "+2.5E-3", "-.5", "-1,000", "=1+1", "-A1", "+1 555"]
    got = excel_safe(pl.LazyFrame({"c": cells})).collect()["c"].to_list()
    assert got == [*cells[:5], "'-1,000", "'=1+1", "'-A1", "'+1 555"]


def test_without_tiers_tier_change_only_marks_new_leads(run, tmp_path):
    model = tmp_path / "m.toml"
    model.write_text(
        '[model]\nname = "m"\nid_column = "id"\n[[rules]]\nname = "pts"\npoints = 1\n'
        'when = { field = "pts", op = "gte", value = 0 }\n'
    )
    scored(run, tmp_path, model, {"id": ["a"], "pts": ["1"]}, "mon")
    today = scored(
        run, tmp_path, model, {"id": ["a", "b"], "pts": ["1", "2"]}, "tue",
        "--previous", tmp_path / "mon.csv",
    )  # fmt: skip
    assert today["tier_change"].to_list() == [None, "new"]


def test_previous_with_duplicate_ids_keeps_one_row_per_lead(run, tmp_path):
    model = write_model(tmp_path)
    scored(run, tmp_path, model, {"id": ["a", "a"], "pts": ["0", "60"]}, "before")
    today = scored(
        run,
        tmp_path,
        model,
        {"id": ["a", "b"], "pts": ["0", "0"]},
        "after",
        "--previous",
        tmp_path / "before.csv",
    )
    assert today.height == 2
    assert today["tier_change"].to_list() == ["same", "new"]


def test_handoff_without_previous_lists_every_lead_in_the_handoff_tier(run, tmp_path):
    model = write_model(tmp_path)
    handoff = tmp_path / "h.parquet"
    scored(
        run,
        tmp_path,
        model,
        {"id": ["a", "b", "c"], "pts": ["60", "0", "61"]},
        "x",
        "--handoff",
        handoff,
    )
    assert sorted(pl.read_parquet(handoff)["id"].to_list()) == ["a", "c"]


def test_manifest_records_the_run(run, tmp_path):
    out = tmp_path / "scored.parquet"
    manifest = tmp_path / "run.json"
    result = run(
        "score", SAMPLE, "-m", B2B_MODEL, "-o", out, "-q", "--as-of", AS_OF, "--manifest", manifest
    )
    assert result.exit_code == 0, result.stderr
    record = json.loads(manifest.read_text())
    frame = pl.read_parquet(out)
    assert record["status"] == "ok"
    assert record["input"]["sha256"] == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    assert record["input"]["bytes"] == SAMPLE.stat().st_size
    assert record["model"]["sha256"] == hashlib.sha256(B2B_MODEL.read_bytes()).hexdigest()
    assert record["rows_in"] == record["rows_out"] == frame.height
    counts = frame["tier"].cast(pl.String).value_counts()
    assert {k: v for k, v in record["tiers"].items() if v} == dict(
        zip(counts["tier"], counts["count"], strict=True)
    )
    assert record["as_of"] == AS_OF


def test_manifest_is_written_when_the_run_fails(run, tmp_path):
    source = tmp_path / "leads.csv"
    pl.DataFrame({"lead_id": ["1"], "job_title": ["x"]}).write_csv(source)
    manifest = tmp_path / "run.json"
    result = run("score", source, "-m", B2B_MODEL, "-o", tmp_path / "o.csv", "--manifest", manifest)
    assert result.exit_code == EXIT_DATA
    record = json.loads(manifest.read_text())
    assert record["status"] == "failed"
    assert record["exit_code"] == EXIT_DATA
    assert "missing column" in record["error"]


def test_parquet_output_carries_the_model_in_its_metadata(run, tmp_path):
    out = tmp_path / "s.parquet"
    assert run("score", SAMPLE, "-m", B2B_MODEL, "-o", out, "-q").exit_code == 0
    meta = {k.decode(): v.decode() for k, v in pq.read_metadata(out).metadata.items()}
    assert meta["leadscore.model.name"] == "b2b-saas"
    assert meta["leadscore.model.version"] == "1.0.0"
    assert meta["leadscore.model.sha256"] == hashlib.sha256(B2B_MODEL.read_bytes()).hexdigest()


def test_excel_safe_neutralises_formula_cells_only(run, tmp_path):
    model = write_model(tmp_path)
    rows = {
        "id": ["a", "b", "c", "d", "e", "f"],
        "pts": ["1", "-5", "2", "3", "4", "5"],
        "company": ['=HYPERLINK("http://x")', "+1 555 0100", "@SUM(A1)", "-12", "Acme", "\tTab"],
    }
    safe = scored(run, tmp_path, model, rows, "safe", "--excel-safe")
    assert safe["company"].to_list() == [
        '\'=HYPERLINK("http://x")',
        "'+1 555 0100",
        "'@SUM(A1)",
        "-12",
        "Acme",
        "'\tTab",
    ]
    plain = scored(run, tmp_path, model, rows, "plain")
    assert plain["company"].to_list() == rows["company"]  # default: values pass through


@pytest.mark.parametrize("command", ["score", "grade"])
def test_excel_safe_applies_to_a_csv_handoff_beside_a_parquet_output(run, tmp_path, command):
    """The README's nightly pattern: Parquet output, CSV handoff list that people open."""
    model = write_model(tmp_path)
    source = tmp_path / "in.csv"
    formula = '=HYPERLINK("http://x")'
    pl.DataFrame({"id": ["a", "b"], "pts": ["60", "70"], "company": [formula, "Acme"]}).write_csv(
        source
    )
    out, handoff = tmp_path / "out.parquet", tmp_path / "call_today.csv"
    result = run(
        command, source, "-m", model, "-o", out, "--handoff", handoff, "--excel-safe", "-q"
    )
    assert result.exit_code == 0, result.stderr
    assert pl.read_csv(handoff, infer_schema=False)["company"].to_list() == ["'" + formula, "Acme"]
    assert pl.read_parquet(out)["company"].to_list() == [formula, "Acme"]  # Parquet: exact


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--excel-safe", "-o", "x.parquet"], EXIT_USAGE),
        (["--handoff", "h.csv", "-o", "-"], EXIT_USAGE),
        (["--handoff", "h.csv", "-o", "o.csv", "--top", "5"], EXIT_USAGE),
        (["--previous", "in.csv", "-o", "o.csv", "--columns", "pts"], EXIT_USAGE),
    ],
)
def test_nightly_option_errors(run, tmp_path, args, code):
    model = write_model(tmp_path)
    source = tmp_path / "in.csv"
    pl.DataFrame({"id": ["a"], "pts": ["1"]}).write_csv(source)
    args = [str(tmp_path / a) if a.endswith((".parquet", ".csv")) else a for a in args]
    result = run("score", source, "-m", model, *args)
    assert result.exit_code == code, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["score", "grade"])
@pytest.mark.parametrize("option", ["--manifest", "--handoff"])
@pytest.mark.parametrize("victim", ["input", "model", "previous"])
def test_extra_outputs_never_write_over_a_file_the_run_reads(
    run, tmp_path, command, option, victim
):
    model = write_model(tmp_path)
    source = tmp_path / "in.csv"
    pl.DataFrame({"id": ["a"], "pts": ["1"]}).write_csv(source)
    previous = tmp_path / "prev.csv"
    pl.DataFrame({"id": ["a"], "score": ["1"], "tier": ["cold"]}).write_csv(previous)
    target = {"input": source, "model": model, "previous": previous}[victim]
    before = {path: path.read_bytes() for path in (source, model, previous)}
    out = tmp_path / "o.csv"
    args = [command, source, "-m", model, "-o", out, "--previous", previous, option, target]
    result = run(*args, "--as-of", AS_OF)
    assert result.exit_code == EXIT_OUTPUT, result.stderr
    label = {"input": "input file", "model": "model file", "previous": "previous scored file"}
    assert f"refusing to write over the {label[victim]}" in result.stderr
    assert str(target) in result.stderr
    assert {path: path.read_bytes() for path in before} == before
    assert not out.exists()


@pytest.mark.parametrize(
    ("first", "second"), [("-o", "--manifest"), ("-o", "--handoff"), ("--handoff", "--manifest")]
)
def test_two_outputs_naming_one_file_is_a_usage_error(run, tmp_path, first, second):
    model = write_model(tmp_path)
    source = tmp_path / "in.csv"
    pl.DataFrame({"id": ["a"], "pts": ["1"]}).write_csv(source)
    shared = tmp_path / "same.csv"
    paths = {"-o": tmp_path / "o.csv", "--handoff": tmp_path / "h.csv", "--manifest": None}
    paths[first] = paths[second] = shared
    args = [a for option, path in paths.items() if path is not None for a in (option, path)]
    result = run("score", source, "-m", model, *args, "--as-of", AS_OF)
    assert result.exit_code == EXIT_USAGE, result.stderr
    assert f"{first} and {second} both name" in result.stderr
    assert not shared.exists()


def test_a_bad_handoff_folder_is_recorded_in_the_manifest(run, tmp_path):
    model = write_model(tmp_path)
    source = tmp_path / "in.csv"
    pl.DataFrame({"id": ["a"], "pts": ["1"]}).write_csv(source)
    manifest = tmp_path / "run.json"
    result = run(
        "score", source, "-m", model, "-o", tmp_path / "o.csv",
        "--handoff", tmp_path / "nodir" / "h.csv", "--manifest", manifest,
    )  # fmt: skip
    assert result.exit_code == EXIT_OUTPUT and "does not exist" in result.stderr
    record = json.loads(manifest.read_text())
    assert (record["status"], record["exit_code"]) == ("failed", EXIT_OUTPUT)


def test_output_and_manifest_cannot_both_be_stdout(run, tmp_path):
    model = write_model(tmp_path)
    source = tmp_path / "in.csv"
    pl.DataFrame({"id": ["a"], "pts": ["1"]}).write_csv(source)
    result = run("score", source, "-m", model, "-o", "-", "--manifest", "-")
    assert result.exit_code == EXIT_USAGE
    assert "-o and --manifest both name '-'" in result.stderr and result.stdout == ""


def test_previous_needs_an_id_column(run, tmp_path):
    model = tmp_path / "m.toml"
    model.write_text(
        '[model]\nname = "m"\n[[rules]]\nname = "a"\npoints = 1\n'
        'when = { field = "pts", op = "gte", value = 0 }\n'
    )
    source = tmp_path / "in.csv"
    pl.DataFrame({"id": ["a"], "pts": ["1"]}).write_csv(source)
    result = run("score", source, "-m", model, "-o", tmp_path / "o.csv", "--previous", source)
    assert result.exit_code == EXIT_MODEL
    assert "id_column" in result.stderr


def test_only_csv_to_parquet_runs_without_previous_share_one_pass() -> None:
    from leadscore_cli.readers import Source
    from leadscore_cli.score_run import ScoreOptions, shares_scan

    day = dt.date.fromisoformat(AS_OF)
    csv = Source(name="in.csv", path=None, format="csv", frame=pl.LazyFrame())
    parquet = Source(name="in.parquet", path=None, format="parquet", frame=pl.LazyFrame())
    assert shares_scan("out.parquet", ScoreOptions(as_of=day), csv)
    assert not shares_scan("out.csv", ScoreOptions(as_of=day), csv)
    assert not shares_scan("out.parquet", ScoreOptions(as_of=day, previous="last.parquet"), csv)
    assert not shares_scan("out.parquet", ScoreOptions(as_of=day), parquet)


# --- stopping: Ctrl-C and SIGTERM --------------------------------------------------------

STOPS = {
    "SIGTERM": (signal.SIGTERM, EXIT_TERMINATED, "terminated"),
    "SIGINT": (signal.SIGINT, EXIT_INTERRUPTED, "interrupted"),
}


@pytest.mark.parametrize(
    ("stop", "code", "status"),
    [
        (KeyboardInterrupt, EXIT_INTERRUPTED, "interrupted"),
        (Terminated, EXIT_TERMINATED, "terminated"),
    ],
)
def test_a_stopped_run_writes_its_manifest(run, tmp_path, monkeypatch, stop, code, status):
    def stopped(*args, **kwargs):
        raise stop()

    monkeypatch.setattr("leadscore_cli.score_run.score_to_output", stopped)
    manifest = tmp_path / "run.json"
    out = tmp_path / "o.parquet"
    result = run("score", SAMPLE, "-m", B2B_MODEL, "-o", out, "--manifest", manifest)
    assert result.exit_code == code
    assert result.stderr == f"leadscore: {status}; no output was written\n"
    record = json.loads(manifest.read_text())
    assert (record["status"], record["exit_code"]) == (status, code)
    assert record["input"]["sha256"] == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_after_the_output_is_in_place_lets_the_run_finish(run, tmp_path, monkeypatch, sig):
    """A stop that lands once the output has replaced the old file must not report "no
    output was written": a nightly retry would then compare against today's scores."""
    import leadscore_cli.writers as writers

    real = writers._fsync_folder
    sent = []

    def fsync_then_stop(folder):  # runs right after the rename
        real(folder)
        if not sent:
            sent.append(sig)
            signal.raise_signal(sig)

    monkeypatch.setattr(writers, "_fsync_folder", fsync_then_stop)
    out, manifest, handoff = tmp_path / "o.parquet", tmp_path / "run.json", tmp_path / "h.csv"
    result = run(
        "score", SAMPLE, "-m", B2B_MODEL, "-o", out, "--manifest", manifest, "--handoff",
        handoff, "--as-of", AS_OF, "-q",
    )  # fmt: skip
    assert sent == [sig]
    assert result.exit_code == 0, result.stderr
    assert "after the output was written; the run finished first" in result.stderr
    assert pl.read_parquet(out).height == pl.read_csv(SAMPLE, infer_schema=False).height
    assert handoff.exists()
    assert json.loads(manifest.read_text())["status"] == "ok"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


@pytest.fixture(scope="module")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300k leads (about 50 MB): scoring them with --explain takes the better part of a
    second, time enough to stop the run in the middle."""
    path = tmp_path_factory.mktemp("stop") / "big.csv"
    write_sample(path, 300_000, seed=3)
    return path


def leadscore(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "leadscore_cli", *(str(a) for a in args)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("name", STOPS)
def test_a_signal_mid_run_removes_the_temp_file_and_records_the_stop(big_export, tmp_path, name):
    """Sent as soon as the output's temp file exists, i.e. while polars writes it; the
    temp folder must be gone afterwards, whatever polars' writer was still doing."""
    sig, code, status = STOPS[name]
    out, manifest = tmp_path / "out.parquet", tmp_path / "run.json"
    proc = leadscore(
        "score", big_export, "-m", B2B_MODEL, "-o", out, "--explain", "-q",
        "--as-of", AS_OF, "--manifest", manifest,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".out.parquet.*.tmp/out.parquet")):  # polars is writing
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.communicate()
            pytest.skip(f"the run ended (code {proc.returncode}) before its temp file was seen")
        time.sleep(0.002)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)

    record = json.loads(manifest.read_text())
    if proc.returncode == 0:  # on a busy machine the write can finish before the signal
        assert "after the output was written; the run finished first" in stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.parquet", "run.json"]
        assert record["status"] == "ok" and record["rows_out"] == 300_000
        return
    assert proc.returncode == code, stderr
    assert stderr == f"leadscore: {status}; no output was written\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]  # no output, no temp file
    assert (record["status"], record["exit_code"]) == (status, code)
    assert record["rows_out"] is None


def test_commands_that_write_no_output_stream_keep_the_default_sigterm(big_export):
    """profile, report, threshold... end at once on SIGTERM: a handler would only run
    once polars had finished its query, and a timeout's SIGKILL could come first."""
    proc = leadscore("profile", big_export, "--json")
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGTERM


STOPPABLE_QUERY = """
import sys
import polars as pl
from leadscore_cli.errors import Terminated
from leadscore_cli.stopping import handling_sigterm, stoppable

# the export read 2000 times over: a minute of work, unless SIGTERM stops it
query = pl.scan_csv([sys.argv[1]] * 2000, infer_schema=False).select(
    pl.col("company").str.len_bytes().sum()
)
with handling_sigterm():
    print("running", flush=True)
    try:
        stoppable(query.collect)
    except Terminated:
        sys.exit(143)
"""


def test_sigterm_stops_a_polars_query_in_the_middle(big_export):
    """polars aborts a query only on SIGINT; a SIGTERM must reach it all the same."""
    proc = subprocess.Popen(
        [sys.executable, "-c", STOPPABLE_QUERY, str(big_export)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "running\n"
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    try:
        _, stderr = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("the query ran on after SIGTERM")
    assert proc.returncode == EXIT_TERMINATED, stderr
    assert stderr == ""  # no second KeyboardInterrupt from the SIGINT relayed to polars


def parquet_model(path: Path) -> dict[str, str]:
    meta = {k.decode(): v.decode() for k, v in pq.read_metadata(path).metadata.items()}
    return {k: v for k, v in meta.items() if k.startswith("leadscore.model.")}


def test_segment_and_handoff_parquet_files_carry_the_model(run, tmp_path):
    folder, handoff = tmp_path / "seg", tmp_path / "call.parquet"
    common = ["-m", B2B_MODEL, "-q", "--as-of", AS_OF]
    split = ["-o", folder, "--split-by", "tier", "--format", "parquet"]
    assert run("grade", SAMPLE, *common, *split).exit_code == 0
    out = tmp_path / "all.parquet"
    assert run("score", SAMPLE, *common, "-o", out, "--handoff", handoff).exit_code == 0
    expected = parquet_model(out)
    assert expected["leadscore.model.name"] == "b2b-saas"
    assert parquet_model(handoff) == expected
    segments = sorted(folder.iterdir())
    assert segments and all(parquet_model(part) == expected for part in segments)

    edited = tmp_path / "b2b.toml"  # grading a segment with another edit of the model warns
    edited.write_text(B2B_MODEL.read_text().replace("points = 20", "points = 15", 1))
    result = run("grade", folder / "tier=sql.parquet", "-m", edited, "-o", tmp_path / "g.csv")
    assert result.exit_code == 0, result.stderr
    assert "another edit of model b2b-saas" in " ".join(result.stderr.split())


@pytest.mark.parametrize("command", ["score", "grade"])
def test_previous_with_duplicate_ids_warns_with_a_count_and_an_example(run, tmp_path, command):
    model = write_model(tmp_path)
    rows = {"id": ["a", "b", "a", "c", "b", "a", None, None], "pts": ["60"] + ["0"] * 7}
    scored(run, tmp_path, model, rows, "before")
    source = tmp_path / "today.csv"
    pl.DataFrame({"id": ["a", "d"], "pts": ["60", "0"]}).write_csv(source)
    args = ["-m", model, "-o", tmp_path / "o.csv", "--previous", tmp_path / "before.csv"]
    result = run(command, source, *args, "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.stderr
    warnings = [w for w in json.loads(result.stdout)["warnings"] if w.startswith("--previous")]
    assert warnings == [
        f"--previous {tmp_path / 'before.csv'}: 2 lead ids appear on more than one row "
        "(first 'a'); the first row of each is compared"
    ]
    today = pl.read_csv(tmp_path / "o.csv", infer_schema=False)
    assert today["tier_change"].to_list() == ["same", "new"]  # a's first row: sql
    quiet = run(command, source, *args, "--as-of", AS_OF, "-q")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    loud = run(command, source, *args, "--as-of", AS_OF)
    assert "2 lead ids appear on more than one row" in " ".join(loud.stderr.split())


@pytest.mark.parametrize("command", ["score", "grade"])
def test_excel_safe_quotes_formula_like_column_names_in_csv_only(run, tmp_path, command):
    model = write_model(tmp_path)
    source = tmp_path / "in.csv"
    columns = {"id": ["a"], "pts": ["60"], "=cmd|calc": ["x"], "-12": ["y"], "@note": ["=z"]}
    pl.DataFrame(columns).write_csv(source)
    csv_out, handoff = tmp_path / "o.csv", tmp_path / "h.csv"
    parquet_out = tmp_path / "o.parquet"
    safe = ["--excel-safe", "--handoff", handoff, "-q", "--as-of", AS_OF]
    assert run(command, source, "-m", model, "-o", csv_out, *safe).exit_code == 0
    for written in (csv_out, handoff):
        frame = pl.read_csv(written, infer_schema=False)
        assert frame.columns[:5] == ["id", "pts", "'=cmd|calc", "-12", "'@note"]
        assert frame["'@note"].to_list() == ["'=z"]
    assert run(command, source, "-m", model, "-o", parquet_out, *safe).exit_code == 0
    assert pl.read_parquet(parquet_out).columns[:5] == list(columns)  # Parquet: exact
    assert pl.read_csv(handoff, infer_schema=False).columns[2] == "'=cmd|calc"


def test_excel_safe_quotes_the_column_names_of_split_files(run, tmp_path):
    model = write_model(tmp_path)
    source = tmp_path / "in.csv"
    pl.DataFrame({"id": ["a", "b"], "pts": ["60", "0"], "+x": ["1", "2"]}).write_csv(source)
    folder = tmp_path / "seg"
    args = ["-o", folder, "--split-by", "tier", "--excel-safe", "-q", "--as-of", AS_OF]
    assert run("grade", source, "-m", model, *args).exit_code == 0
    for part in folder.iterdir():
        assert "'+x" in pl.read_csv(part, infer_schema=False).columns


def test_excel_safe_refuses_a_quoted_name_that_exists_already(run, tmp_path):
    model = write_model(tmp_path)
    source = tmp_path / "in.csv"
    pl.DataFrame({"id": ["a"], "pts": ["1"], "=x": ["1"], "'=x": ["2"]}).write_csv(source)
    out = tmp_path / "o.csv"
    result = run("score", source, "-m", model, "-o", out, "--excel-safe")
    assert result.exit_code == EXIT_DATA
    assert "'=x'" in result.stderr and len(result.stderr.splitlines()) == 1
    assert not out.exists()


def test_a_handoff_list_keeps_quoted_column_names(run, tmp_path):
    """A header cell with a quote in it (`Notes "VIP"`) is the same in the handoff list."""
    lines = SAMPLE.read_text().splitlines()
    export = tmp_path / "export.csv"
    export.write_text(
        '"Notes ""VIP""",' + lines[0] + "\n" + "".join(f"x,{line}\n" for line in lines[1:])
    )
    out, handoff = tmp_path / "scored.csv", tmp_path / "handoff.csv"
    result = run(
        "score", export, "-m", B2B_MODEL, "-o", out, "--handoff", handoff, "--as-of", AS_OF, "-q"
    )
    assert result.exit_code == 0, result.stderr
    assert out.read_text().splitlines()[0].startswith('"Notes ""VIP""",')
    assert handoff.read_text().splitlines()[0].startswith('"Notes ""VIP""",')


def test_a_handoff_name_without_a_format_fails_before_any_output(run, tmp_path):
    out = tmp_path / "scored.csv"
    result = run(
        "score", SAMPLE, "-m", B2B_MODEL, "-o", out, "--handoff", tmp_path / "calls.dat",
        "--as-of", AS_OF,
    )  # fmt: skip
    assert result.exit_code == 2, result.stderr
    assert "calls.dat" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["score", "grade"])
def test_an_empty_export_never_replaces_the_rolling_scores(run, tmp_path, command):
    """With --previous, a header-only export stops the run (exit 4) and the last run's
    scores stay: tomorrow every lead would otherwise be "new" and handed off again."""
    rolling = tmp_path / "scores.parquet"
    first = run(command, SAMPLE, "-m", B2B_MODEL, "-o", rolling, "--as-of", AS_OF, "-q")
    assert first.exit_code == 0, first.stderr
    before = rolling.read_bytes()
    empty = tmp_path / "empty.csv"
    empty.write_text(SAMPLE.read_text().splitlines()[0] + "\n")
    result = run(
        command, empty, "-m", B2B_MODEL, "-o", rolling, "--previous", rolling,
        "--as-of", AS_OF, "-q",
    )  # fmt: skip
    assert result.exit_code == 4
    assert "the input has no leads" in result.stderr
    assert rolling.read_bytes() == before


def test_handoff_leads_whose_id_repeats_in_the_export_are_named(run, tmp_path):
    """Such a lead can be listed again every night (its other row is what --previous
    compares): say so, with the count and the first id."""
    leads = pl.read_csv(SAMPLE, infer_schema=False)
    handoff = tmp_path / "handoff.csv"
    result = run(
        "score", SAMPLE, "-m", B2B_MODEL, "-o", tmp_path / "o.parquet", "--handoff", handoff,
        "--as-of", AS_OF, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    listed = pl.read_csv(handoff, infer_schema=False)["lead_id"]
    repeated = leads.group_by("lead_id").len().filter(pl.col("len") > 1)["lead_id"]
    both = sorted(set(listed) & set(repeated))
    assert both  # the sample has such a lead
    warning = next(w for w in json.loads(result.stdout)["warnings"] if "--handoff" in w)
    assert f"{len(both)} lead" in warning and f"(first {both[0]!r})" in warning

    unique = tmp_path / "unique.csv"
    leads.unique("lead_id", keep="first", maintain_order=True).write_csv(unique)
    again = run(
        "score", unique, "-m", B2B_MODEL, "-o", tmp_path / "u.parquet", "--handoff",
        tmp_path / "h2.csv", "--as-of", AS_OF, "--json",
    )  # fmt: skip
    assert not any("--handoff" in w for w in json.loads(again.stdout)["warnings"])
