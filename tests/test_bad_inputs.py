"""The bad-input corpus (tests/data/bad): every case fails cleanly with its documented code.

Each case must exit with the documented code, print one line per problem on stderr naming
the file and the key, line or column at fault, print no traceback, leave nothing in the
output folder (nor in the temp folder) and leave its input untouched. Regenerate the corpus
with `.venv/bin/python tests/data/bad/make_corpus.py`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from typer.testing import Result

from leadscore_cli.errors import EXIT_DATA, EXIT_INPUT, EXIT_MODEL, EXIT_OUTPUT, EXIT_USAGE
from tests.conftest import AS_OF, B2B_MODEL, ROOT, SAMPLE

CORPUS = ROOT / "tests" / "data" / "bad"
GOOD_LEADS = CORPUS / "good_leads.csv"
GOOD_MODEL = CORPUS / "good_model.toml"
NOT_CASES = {"make_corpus.py", "__pycache__", GOOD_LEADS.name, GOOD_MODEL.name}
KINDS = {
    EXIT_MODEL: "bad model",
    EXIT_INPUT: "bad input",
    EXIT_DATA: "bad data",
    EXIT_OUTPUT: "cannot write output",
    EXIT_USAGE: "usage error",
}


@dataclass(frozen=True)
class Case:
    """One corpus file: a model if it ends in .toml (scored on good_leads.csv), else an input."""

    file: str
    code: int
    needles: tuple[str, ...]
    lines: int = 1  # one line per problem
    blames: str | None = None  # the file the message names, when not `file` itself

    @property
    def is_model(self) -> bool:
        return self.file.endswith(".toml")


CASES = [
    # --- bad input (4) ---------------------------------------------------------------
    Case("ragged_too_many.csv", EXIT_INPUT, ("line 3", "8 fields", "more fields")),
    Case("ragged_too_few.csv", EXIT_INPUT, ("line 4", "5 fields", "fewer fields")),
    # past the first MiB polars reports no line number; the file is read again to find it
    Case("ragged_too_many_late.csv.gz", EXIT_INPUT, ("line 24002", "8 fields", "more fields")),
    Case("unclosed_quote.csv", EXIT_INPUT, ("line 4", "never closed")),
    Case("unclosed_quote_late.csv.gz", EXIT_INPUT, ("malformed quoted field", "eve@acme.io")),
    Case("stray_quote.csv", EXIT_INPUT, ("line 3", "stray quote")),
    Case("latin1_no_encoding.csv", EXIT_INPUT, ("line 3", "not valid UTF-8", "--encoding")),
    Case("latin1_late.csv.gz", EXIT_INPUT, ("not valid UTF-8 text (line 24002", "--encoding")),
    Case("utf16_no_encoding.csv", EXIT_INPUT, ("UTF-16", "--encoding utf-16")),
    Case("utf16le_no_bom.csv", EXIT_INPUT, ("NUL byte on line 1", "--encoding utf-16-le")),
    Case("nul_bytes.csv", EXIT_INPUT, ("binary data", "line 1")),
    Case("binary.csv", EXIT_INPUT, ("binary data", "line 1")),
    Case("xlsx_as_csv.csv", EXIT_INPUT, ("binary data", "not CSV text")),
    Case("html_error_page.csv", EXIT_INPUT, ("line 3", "more fields")),
    Case("empty.csv", EXIT_INPUT, ("file is empty",)),
    Case("blank_lines_only.csv", EXIT_INPUT, ("file is empty",)),
    Case("duplicate_header.csv", EXIT_INPUT, ("duplicate column name 'email'", "columns 2 and 8")),
    Case("blank_header_name.csv", EXIT_INPUT, ("column 8 has a blank name",)),
    Case("directory.csv", EXIT_INPUT, ("is a directory",)),
    Case("truncated.csv.gz", EXIT_INPUT, ("compressed file is corrupt or truncated",)),
    Case("truncated_late.csv.gz", EXIT_INPUT, ("compressed file is corrupt or truncated",)),
    Case("truncated.csv.zst", EXIT_INPUT, ("compressed file is corrupt or truncated",)),
    Case("bad_crc.csv.gz", EXIT_INPUT, ("corrupt or truncated", "CRC check failed")),
    Case("truncated.parquet", EXIT_INPUT, ("Parquet file is corrupt or truncated", "footer")),
    Case("corrupt_footer.parquet", EXIT_INPUT, ("Parquet file is corrupt or truncated",)),
    Case("csv_text.parquet", EXIT_INPUT, ("not a Parquet file",)),
    Case("empty.parquet", EXIT_INPUT, ("file is empty",)),
    Case("duplicate_column.parquet", EXIT_INPUT, ("duplicate column name 'email'",)),
    # --- bad data (5) ----------------------------------------------------------------
    Case("missing_column.csv", EXIT_DATA, ("missing column 'demo_requested'",)),
    Case("missing_id_column.csv", EXIT_DATA, ("missing column 'lead_id'",)),
    Case("wrong_type_lots.csv", EXIT_DATA, ("column 'employees'", "first 'lots' at row 3")),
    Case("wrong_type_late.csv.gz", EXIT_DATA, ("column 'employees'", "'lots' at row 24001")),
    Case("huge_number.csv", EXIT_DATA, ("column 'revenue'", "first '1e400' at row 3")),
    Case("nan_number.csv", EXIT_DATA, ("column 'employees'", "first 'NaN' at row 2")),
    Case("inf_number.csv", EXIT_DATA, ("column 'revenue'", "first '-inf' at row 3")),
    Case("impossible_date.csv", EXIT_DATA, ("column 'created_date'", "'2026-02-30' at row 3")),
    Case("bad_boolean.csv", EXIT_DATA, ("column 'demo_requested'", "first 'maybe' at row 2")),
    Case("date_as_number.parquet", EXIT_DATA, ("column 'employees' holds dates",)),
    Case("nan_inf.parquet", EXIT_DATA, ("column 'employees'", "2 values", "'NaN' at row 2")),
    Case(
        "rule_on_missing_column.toml",
        EXIT_DATA,
        ("missing column 'job_title'",),
        blames=GOOD_LEADS.name,  # the model is valid; the data lacks the column
    ),
    # --- bad model (3) ---------------------------------------------------------------
    Case("toml_syntax_error.toml", EXIT_MODEL, ("TOML syntax error", "line 4, column 8")),
    Case("unknown_key.toml", EXIT_MODEL, ("rules[0].pointz: unknown key", "'points'")),
    Case("unknown_operator.toml", EXIT_MODEL, ("rules[0].when.op: unknown operator 'gte='",)),
    Case("bad_regex.toml", EXIT_MODEL, ("rules[0].when.value: invalid regular expression",)),
    Case("unordered_tiers.toml", EXIT_MODEL, ("tiers.hot:", "highest to lowest")),
    Case("lowest_tier_not_zero.toml", EXIT_MODEL, ("tiers.warm:", "must start at 0")),
    Case("no_rules.toml", EXIT_MODEL, ("rules: the model has no rules",)),
    Case("points_not_number.toml", EXIT_MODEL, ("rules[0].points: must be a number", "'forty'")),
    Case("bad_field_type.toml", EXIT_MODEL, ("fields.employees.type: unknown type 'integer'",)),
    Case("duplicate_rule_names.toml", EXIT_MODEL, ("rules[1].name: duplicate rule name 'demo'",)),
    Case("overlapping_bands.toml", EXIT_MODEL, ("rules[0].bands: bands overlap",)),
    Case("decay_without_half_life.toml", EXIT_MODEL, ("rules[0].decay:", "half_life_days")),
    Case("conflicting_field_uses.toml", EXIT_MODEL, ("fields.employees:", "rules[1].when")),
    Case("model_missing_name.toml", EXIT_MODEL, ("model.name: missing",)),
    Case(
        "empty_model.toml",
        EXIT_MODEL,
        ("model: missing table", "model.name: missing", "rules: the model has no rules"),
        lines=3,
    ),
    Case("model_not_utf8.toml", EXIT_MODEL, ("not UTF-8 text (byte 19)",)),
    Case("model_directory.toml", EXIT_MODEL, ("is a directory",)),
]


def content(path: Path) -> object:
    """The bytes of a file, or the names and bytes of the files in a folder."""
    if path.is_dir():
        return sorted((p.name, p.read_bytes()) for p in path.iterdir())
    return path.read_bytes()


def snapshot(path: Path) -> object:
    """Content and modification times of a file or folder (and the files in it)."""
    times = [p.stat().st_mtime_ns for p in (path, *(path.iterdir() if path.is_dir() else ()))]
    return times, content(path)


@pytest.fixture
def private_tmpdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point tempfile at an empty folder so leftover spool or transcode files can be seen."""
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def assert_clean_failure(
    result: Result, code: int, blamed: Path, needles: tuple[str, ...]
) -> list[str]:
    """Exit code, one `leadscore: <kind>: <file>: ...` line per problem, nothing else."""
    assert result.exit_code == code, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    prefix = f"leadscore: {KINDS[code]}: {blamed}: "
    assert lines and all(line.startswith(prefix) for line in lines), result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr
    return lines


def test_corpus_is_big_enough_and_every_file_has_a_case() -> None:
    names = {p.name for p in CORPUS.iterdir()} - NOT_CASES
    assert names == {case.file for case in CASES}
    assert len(CASES) == len(names) >= 40


def test_corpus_matches_its_generator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The committed files are exactly what make_corpus.py writes (Parquet aside)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # no __pycache__ in the corpus
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in module.write_corpus(tmp_path):
        fresh, committed = tmp_path / name, CORPUS / name
        if name.endswith(".parquet"):  # the footer records the pyarrow version
            continue
        assert content(fresh) == content(committed), name


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.file)
def test_bad_input_fails_cleanly(
    run: Callable[..., Result], tmp_path: Path, private_tmpdir: Path, case: Case
) -> None:
    bad = CORPUS / case.file
    model, source = (bad, GOOD_LEADS) if case.is_model else (GOOD_MODEL, bad)
    blamed = CORPUS / case.blames if case.blames else bad
    out = tmp_path / "out"
    out.mkdir()
    before = {path: snapshot(path) for path in (model, source)}
    listing = sorted(p.name for p in CORPUS.iterdir())

    result = run("score", source, "-m", model, "-o", out / "scored.csv", "--as-of", AS_OF)

    lines = assert_clean_failure(result, case.code, blamed, case.needles)
    assert len(lines) == case.lines, result.stderr
    assert list(out.iterdir()) == []  # neither the output nor a temp file
    assert list(private_tmpdir.iterdir()) == []
    assert {path: snapshot(path) for path in (model, source)} == before
    assert sorted(p.name for p in CORPUS.iterdir()) == listing


# --- not errors: decided behaviour ---------------------------------------------------


def test_header_only_csv_is_an_empty_input_not_an_error(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    """A header alone is a valid export with no leads: 0 rows scored, a header-only output."""
    source = tmp_path / "leads.csv"
    source.write_bytes(GOOD_LEADS.read_bytes().splitlines(keepends=True)[0])
    out = tmp_path / "scored.csv"
    result = run("score", source, "-m", GOOD_MODEL, "-o", out, "--as-of", AS_OF, "--json")
    assert result.exit_code == 0, result.stderr
    assert '"rows_scored": 0' in result.stdout
    assert "the input has no leads" in result.stdout  # in the JSON warnings: often a broken export
    header = GOOD_LEADS.read_text().splitlines()[0]
    assert out.read_text() == header + ",score,score_fit,score_engagement,tier\n"


def test_header_only_csv_still_needs_the_model_columns(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    source = tmp_path / "leads.csv"
    source.write_text("lead_id,email\n")
    out = tmp_path / "scored.csv"
    result = run("score", source, "-m", GOOD_MODEL, "-o", out, "--as-of", AS_OF)
    assert_clean_failure(result, EXIT_DATA, source, ("missing column 'demo_requested'",))
    assert not out.exists()


def test_all_null_column_is_missing_values_and_scores(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    """An all-empty `demo_requested` means "not known" for every lead: the rule never fires."""
    good = pl.read_csv(GOOD_LEADS, infer_schema=False)
    source = tmp_path / "leads.csv"
    good.with_columns(pl.lit(None, pl.String).alias("demo_requested")).write_csv(source)
    out = tmp_path / "scored.csv"
    result = run("score", source, "-m", GOOD_MODEL, "-o", out, "--as-of", AS_OF, "--explain")
    assert result.exit_code == 0, result.stderr
    scored = pl.read_csv(out, infer_schema=False)
    assert scored.height == good.height
    assert scored["demo_requested"].null_count() == good.height
    assert scored["score_engagement"].cast(pl.Float64).to_list() == [0.0] * good.height
    assert not scored["reasons"].fill_null("").str.contains("demo").any()


def test_model_with_utf8_bom_loads(run: Callable[..., Result], tmp_path: Path) -> None:
    """Windows editors save UTF-8 with a BOM; that is still a valid model."""
    model = tmp_path / "model.toml"
    model.write_bytes(b"\xef\xbb\xbf" + GOOD_MODEL.read_bytes())
    result = run("validate", "-m", model)
    assert result.exit_code == 0, result.stderr


# --- unreadable input: needs a process without root's read override -------------------

# Run in a fresh single-threaded interpreter: drop the capabilities that let root read
# mode-000 files from the bounding set (so exec does not give them back), then exec the CLI.
DROP_READ_OVERRIDE_AND_EXEC = """
import ctypes, os, sys
prctl = ctypes.CDLL(None, use_errno=True).prctl
for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
    if prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
        sys.exit(99)
os.execv(sys.executable, [sys.executable, "-m", "leadscore_cli", *sys.argv[1:]])
"""


def run_without_read_override(args: list[str]) -> tuple[int, str, str]:
    """Run the CLI as root but unable to bypass file permissions; skip where impossible."""
    proc = subprocess.run(
        [sys.executable, "-c", DROP_READ_OVERRIDE_AND_EXEC, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode == 99:
        pytest.skip("cannot drop CAP_DAC_OVERRIDE here (no CAP_SETPCAP)")
    if proc.returncode == 0:
        pytest.skip("root still reads mode-000 files (capability inherited)")
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("locked", ["file", "folder"])
def test_unreadable_input(run: Callable[..., Result], tmp_path: Path, locked: str) -> None:
    """chmod 000 on the file, or on its folder. Root reads anything (the suite runs as root
    in CI), so as root the CLI runs in a real process without the read override."""
    folder = tmp_path / "locked"
    folder.mkdir()
    source = folder / "leads.csv"
    shutil.copy(GOOD_LEADS, source)
    out = tmp_path / "out"
    out.mkdir()
    target = source if locked == "file" else folder
    args = ["score", str(source), "-m", str(GOOD_MODEL), "-o", str(out / "o.csv"), "-q"]
    target.chmod(0)
    try:
        if os.geteuid() == 0:
            code, stdout, stderr = run_without_read_override(args)
        else:
            result = run(*args)
            code, stdout, stderr = result.exit_code, result.stdout, result.stderr
    finally:
        target.chmod(0o755 if target.is_dir() else 0o644)
    assert code == EXIT_INPUT, stderr
    assert stdout == ""
    assert stderr == f"leadscore: bad input: {source}: permission denied\n"
    assert list(out.iterdir()) == []
    assert source.read_bytes() == GOOD_LEADS.read_bytes()


# --- outputs that cannot be written (6), or are named without a format (2) ------------


@pytest.mark.parametrize(
    ("dest", "extra", "code", "needle"),
    [
        ("out/missing/scored.csv", [], EXIT_OUTPUT, "does not exist"),
        ("out", [], EXIT_OUTPUT, "is a directory"),
        ("out/scored.xlsx", [], EXIT_USAGE, "cannot tell the output format"),
        ("leads.csv", [], EXIT_OUTPUT, "refusing to write over the input file"),
        ("model.toml", ["--format", "csv"], EXIT_OUTPUT, "refusing to write over"),
    ],
    ids=["missing-folder", "directory", "unknown-extension", "the-input", "the-model"],
)
def test_unwritable_output(
    run: Callable[..., Result], tmp_path: Path, dest: str, extra: list[str], code: int, needle: str
) -> None:
    source, model = tmp_path / "leads.csv", tmp_path / "model.toml"
    shutil.copy(GOOD_LEADS, source)
    shutil.copy(GOOD_MODEL, model)
    (tmp_path / "out").mkdir()
    before = {path: snapshot(path) for path in (source, model)}
    target = tmp_path / dest
    result = run("score", source, "-m", model, "-o", target, "--as-of", AS_OF, *extra)
    assert_clean_failure(result, code, target, (needle,))
    assert {path: snapshot(path) for path in (source, model)} == before
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["leads.csv", "model.toml", "out"]


@pytest.mark.parametrize(
    ("command", "extra", "blamed"),
    [
        ("score", ["-o", "scored.dat"], "scored.dat"),
        ("grade", ["-o", "graded.dat"], "graded.dat"),
        ("score", ["-o", "scored.csv", "--handoff", "calls.dat"], "calls.dat"),
        ("grade", ["-o", "graded.csv", "--handoff", "calls.dat"], "calls.dat"),
    ],
    ids=["score", "grade", "score-handoff", "grade-handoff"],
)
def test_a_file_name_without_a_format_is_a_usage_error(
    run: Callable[..., Result], tmp_path: Path, monkeypatch, command: str, extra, blamed: str
) -> None:
    """The name is a bad option value (exit 2), not a place that cannot be written (6)."""
    shutil.copy(SAMPLE, tmp_path / "leads.csv")
    shutil.copy(B2B_MODEL, tmp_path / "model.toml")
    monkeypatch.chdir(tmp_path)
    result = run(command, "leads.csv", "-m", "model.toml", "--as-of", AS_OF, *extra)
    assert_clean_failure(result, EXIT_USAGE, Path(blamed), ("pass --format",))
    assert not (tmp_path / blamed).exists()
