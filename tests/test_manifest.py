"""`--manifest`: every run after the options parse leaves a record a monitor can read,
including runs that fail before any data is read (a broken model, a bad option)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import pytest

from leadscore_cli.errors import EXIT_DATA, EXIT_INTERNAL, EXIT_MODEL, EXIT_USAGE
from tests.conftest import AS_OF, B2B_MODEL, SAMPLE

COMMANDS = ["score", "grade"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_run(run, tmp_path: Path, command: str, *args: object, model: object = B2B_MODEL):
    """Run `command` on the sample with a manifest; return the result and the record."""
    manifest = tmp_path / "run.json"
    out = tmp_path / "out.csv"
    result = run(command, SAMPLE, "-m", model, "-o", out, "--manifest", manifest, "-q", *args)
    record = json.loads(manifest.read_text()) if manifest.exists() else None
    return result, record


def shape(record: dict) -> dict:
    """The manifest's keys, nested: the same whatever the run's outcome."""
    return {
        k: shape(v) if isinstance(v, dict) and k != "tiers" else None for k, v in record.items()
    }


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_model_is_recorded(run, tmp_path, command):
    missing = tmp_path / "nope.toml"
    result, record = manifest_run(run, tmp_path, command, "--as-of", AS_OF, model=missing)
    assert result.exit_code == EXIT_MODEL
    assert record is not None, "no manifest for a missing model"
    assert (record["status"], record["exit_code"]) == ("failed", EXIT_MODEL)
    assert record["error"] in result.stderr and "no such model file" in record["error"]
    assert record["model"] == {"name": None, "version": None, "path": str(missing), "sha256": None}
    assert record["as_of"] == AS_OF and record["command"] == command
    assert record["input"]["sha256"] == sha256(SAMPLE)
    assert (record["rows_in"], record["rows_out"], record["tiers"]) == (None, None, {})


def test_an_invalid_model_is_recorded_with_the_hash_of_its_file(run, tmp_path):
    broken = tmp_path / "model.toml"
    broken.write_text('[model]\nname = "m"\n[[rules]]\nname = "x"\npoints = "many"\n')
    result, record = manifest_run(run, tmp_path, "score", model=broken)
    assert result.exit_code == EXIT_MODEL
    assert (record["status"], record["exit_code"]) == ("failed", EXIT_MODEL)
    assert record["model"]["sha256"] == sha256(broken)  # which edit of the file broke


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--as-of", "2026-13-01"], "--as-of '2026-13-01' is not a real date"),
        (["--format", "xml"], "--format must be csv or parquet"),
        (["--delimiter", ";;"], "--delimiter must be one character"),
    ],
)
def test_usage_errors_are_recorded(run, tmp_path, command, args, error):
    result, record = manifest_run(run, tmp_path, command, *args)
    assert result.exit_code == EXIT_USAGE
    assert record is not None, "no manifest for a usage error"
    assert (record["status"], record["exit_code"]) == ("failed", EXIT_USAGE)
    assert error in record["error"] and record["error"] in result.stderr
    assert record["model"]["path"] == str(B2B_MODEL)


@pytest.mark.parametrize("command", COMMANDS)
def test_an_internal_error_is_recorded(run, tmp_path, monkeypatch, command):
    def broken(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(f"leadscore_cli.{command}_run.plan_scoring", broken)
    result, record = manifest_run(run, tmp_path, command, "--as-of", AS_OF)
    assert result.exit_code == EXIT_INTERNAL
    assert result.stderr.startswith("leadscore: internal error: RuntimeError: boom (run again")
    assert (record["status"], record["exit_code"]) == ("failed", EXIT_INTERNAL)
    assert record["error"] == "internal error: RuntimeError: boom"
    assert record["model"]["name"] == "b2b-saas" and record["as_of"] == AS_OF


def test_a_failed_run_records_the_same_fields_as_a_good_one(run, tmp_path):
    good, ok = manifest_run(run, tmp_path, "score", "--as-of", AS_OF)
    assert good.exit_code == 0, good.stderr
    bad, failed = manifest_run(run, tmp_path, "score", "--as-of", "someday")
    assert bad.exit_code == EXIT_USAGE
    assert shape(failed) == shape(ok)


@pytest.mark.parametrize("victim", ["model", "output"])
def test_a_failure_never_records_over_a_file_the_run_reads_or_writes(run, tmp_path, victim):
    broken = tmp_path / "model.toml"
    broken.write_text("[model\n")
    out = tmp_path / "out.csv"
    out.write_text("yesterday's scores\n")
    target = {"model": broken, "output": out}[victim]
    result = run("score", SAMPLE, "-m", broken, "-o", out, "--manifest", target)
    assert result.exit_code in (EXIT_MODEL, EXIT_USAGE)
    assert len(result.stderr.splitlines()) == 1
    assert broken.read_text() == "[model\n" and out.read_text() == "yesterday's scores\n"


def test_a_manifest_in_a_missing_folder_leaves_the_error_as_it_was(run, tmp_path):
    result = run(
        "score", SAMPLE, "-m", tmp_path / "nope.toml", "-o", tmp_path / "o.csv",
        "--manifest", tmp_path / "nodir" / "run.json",
    )  # fmt: skip
    assert result.exit_code == EXIT_MODEL
    assert result.stderr.count("\n") == 1 and "no such model file" in result.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_stdin_is_recorded_with_the_size_and_hash_of_what_was_read(run, tmp_path, command):
    manifest = tmp_path / "run.json"
    args = ["-m", B2B_MODEL, "-o", tmp_path / "o.csv", "--manifest", manifest, "-q"]
    result = run(command, "-", *args, "--as-of", AS_OF, input=SAMPLE.read_bytes())
    assert result.exit_code == 0, result.stderr
    record = json.loads(manifest.read_text())
    assert record["input"] == {
        "path": "-",
        "bytes": SAMPLE.stat().st_size,
        "sha256": sha256(SAMPLE),
    }


def test_stdin_that_fails_to_score_is_recorded_with_its_hash(run, tmp_path):
    data = pl.DataFrame({"lead_id": ["1"], "job_title": ["x"]}).write_csv().encode()
    manifest = tmp_path / "run.json"
    args = ["-m", B2B_MODEL, "-o", tmp_path / "o.csv", "--manifest", manifest]
    result = run("score", "-", *args, input=data)
    assert result.exit_code == EXIT_DATA
    record = json.loads(manifest.read_text())
    assert record["input"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert record["input"]["bytes"] == len(data)


@pytest.mark.parametrize("command", ["score", "grade"])
def test_a_stop_the_moment_sigterm_is_handled_is_recorded(run, tmp_path, monkeypatch, command):
    """The manifest listens before SIGTERM is handled: a stop that lands as the handler
    goes in (the first instant a SIGTERM is a Terminated, not a kill) is recorded."""
    from contextlib import contextmanager

    import leadscore_cli.cli.common as common
    from leadscore_cli.errors import EXIT_TERMINATED, Terminated

    @contextmanager
    def stopped_at_once():
        raise Terminated()
        yield  # pragma: no cover

    monkeypatch.setattr(common, "handling_sigterm", stopped_at_once)
    manifest, out = tmp_path / "run.json", tmp_path / "out.csv"
    result = run(command, SAMPLE, "-m", B2B_MODEL, "-o", out, "--manifest", manifest)
    assert result.exit_code == EXIT_TERMINATED
    record = json.loads(manifest.read_text())
    assert (record["status"], record["exit_code"]) == ("terminated", EXIT_TERMINATED)
    assert not out.exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_warnings_that_quiet_keeps_off_stderr_are_recorded(run, tmp_path, command):
    """A nightly job runs with -q: an export with a header and no leads (often a broken
    export) succeeds silently, so the record must say what went unsaid."""
    header_only = tmp_path / "leads.csv"
    header_only.write_text(SAMPLE.read_text().splitlines()[0] + "\n")
    manifest = tmp_path / "run.json"
    args = ["-m", B2B_MODEL, "-o", tmp_path / "o.csv", "--manifest", manifest, "-q"]
    result = run(command, header_only, *args, "--as-of", AS_OF)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    warnings = json.loads(manifest.read_text())["warnings"]
    assert len(warnings) == 1 and "the input has no leads" in warnings[0]


def test_a_run_without_warnings_records_none(run, tmp_path):
    result, record = manifest_run(run, tmp_path, "score", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert record["warnings"] == []
