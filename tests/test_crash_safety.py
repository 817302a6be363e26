"""Crash safety of `leadscore score` in real processes: SIGKILL mid-write, failures, races.

The output is streamed into a temp folder `.<name>.<random>.tmp/` beside the destination
and renamed over it when complete, so the destination only ever holds nothing, the previous
file, or a new complete file. A SIGKILL may leave the temp folder behind; a normal failure
must not.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest
from typer.testing import Result

from leadscore_cli.errors import EXIT_DATA
from leadscore_cli.sample import write_sample
from tests.conftest import AS_OF, SAMPLE, SIMPLE_MODEL

ROWS = 400_000
CLI = [sys.executable, "-m", "leadscore_cli"]
TIMEOUT = 120.0  # seconds; generous because the test machine may be busy
TINY_MODEL = """\
[model]
name = "tiny"
[[rules]]
name = "demo"
points = 40
when = { field = "demo_requested", op = "eq", value = true }
"""
# Every created_date in the sample is ISO, so this format makes all of them unreadable: the
# run streams the whole output to its temp file, then stops with exit code 5.
FAILING_MODEL = """\
[model]
name = "failing"
[fields.created_date]
type = "date"
format = "%d/%m/%Y"
[[rules]]
name = "new"
points = 10
when = { field = "created_date", op = "within_days", value = 30 }
"""


@pytest.fixture(scope="session")
def big_input(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 400k-row synthetic export (about 70 MB), made once per test session."""
    path = tmp_path_factory.mktemp("crash") / "leads.csv"
    assert write_sample(path, ROWS, seed=7) == ROWS
    return path


@pytest.fixture
def start() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start `leadscore score ARGS` as a real process; any still running at teardown is killed."""
    started: list[subprocess.Popen[str]] = []

    def launch(*args: object) -> subprocess.Popen[str]:
        command = [*CLI, "score", *(str(a) for a in args), "--as-of", AS_OF, "-q"]
        proc = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        started.append(proc)
        return proc

    yield launch
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def temp_files(dest: Path) -> list[Path]:
    """The writers' temp folders for `dest`: `.<name>.<random>.tmp/` in its folder."""
    return sorted(dest.parent.glob(f".{dest.name}.*.tmp"))


def wait_for_writing(proc: subprocess.Popen[str], dest: Path) -> Path:
    """Poll until the file in a temp folder for `dest` has data in it, i.e. the run is
    writing; return the folder."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        for tmp in temp_files(dest):
            try:
                if (tmp / dest.name).stat().st_size > 0:
                    return tmp
            except FileNotFoundError:  # renamed or removed between glob and stat
                pass
        if proc.poll() is not None:
            pytest.fail(f"the run ended (code {proc.returncode}) before a temp file was seen")
        time.sleep(0.005)
    pytest.fail("no temp file appeared in time")


def previous_output(run: Callable[..., Result], dest: Path) -> bytes:
    """Seed `dest` with a complete scored file from an earlier run; return its bytes."""
    result = run("score", SAMPLE, "-m", SIMPLE_MODEL, "-o", dest, "--as-of", AS_OF, "-q")
    assert result.exit_code == 0, result.stderr
    return dest.read_bytes()


@pytest.mark.parametrize("previous", [True, False], ids=["over-previous-file", "new-file"])
def test_sigkill_while_writing_leaves_previous_file_or_nothing(
    run: Callable[..., Result],
    start: Callable[..., subprocess.Popen[str]],
    big_input: Path,
    tmp_path: Path,
    previous: bool,
) -> None:
    dest = tmp_path / "scored.csv"
    old = previous_output(run, dest) if previous else None

    proc = start(big_input, "-m", SIMPLE_MODEL, "-o", dest, "--explain")
    tmp = wait_for_writing(proc, dest)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=TIMEOUT)

    assert proc.returncode == -signal.SIGKILL
    if old is None:
        assert not dest.exists()
    else:
        assert dest.read_bytes() == old
    # a SIGKILL may leave the (partial) temp file; nothing else may appear
    assert set(tmp_path.iterdir()) - {dest} <= {tmp}


def test_data_error_keeps_previous_file_and_removes_temp_file(
    run: Callable[..., Result],
    start: Callable[..., subprocess.Popen[str]],
    tmp_path: Path,
) -> None:
    """The check that fails runs after the whole output is in the temp file; it must go."""
    dest = tmp_path / "scored.csv"
    old = previous_output(run, dest)
    model = tmp_path / "failing.toml"
    model.write_text(FAILING_MODEL)

    proc = start(SAMPLE, "-m", model, "-o", dest)
    _, stderr = proc.communicate(timeout=TIMEOUT)

    assert proc.returncode == EXIT_DATA, stderr
    assert stderr.startswith(f"leadscore: bad data: {SAMPLE}: column 'created_date': ")
    assert len(stderr.splitlines()) == 1
    assert dest.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["failing.toml", "scored.csv"]


def test_two_runs_writing_the_same_output_leave_one_complete_file(
    start: Callable[..., subprocess.Popen[str]], big_input: Path, tmp_path: Path
) -> None:
    model = tmp_path / "tiny.toml"
    model.write_text(TINY_MODEL)
    out = tmp_path / "out"
    out.mkdir()
    dest = out / "scored.csv"

    procs = [start(big_input, "-m", model, "-o", dest, "--columns", "lead_id") for _ in range(2)]
    for proc in procs:
        _, stderr = proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 0, stderr

    scored = pl.read_csv(dest, infer_schema=False)
    assert scored.columns == ["lead_id", "score", "score_fit"]
    assert scored.height == ROWS
    assert scored["score"].null_count() == 0
    assert scored["lead_id"].null_count() == 0
    assert list(out.iterdir()) == [dest]  # no temp file left by either run
