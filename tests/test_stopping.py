"""A stop that comes after the output is in place must not look like a failed run.

Exit 143 tells a nightly job "no output was written", so its retry compares against
today's file and empties the day's handoff list. Once a run has committed its output,
SIGTERM or Ctrl-C up to the very end of the process is noted, and the exit stays 0.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

SCRIPT = """
import os, signal, sys, time
from leadscore_cli.stopping import (
    committing, handling_sigterm, ignore_stops_if_committed, until_exit
)
until_exit()  # as the leadscore command does
with handling_sigterm():
    if sys.argv[1] != "uncommitted":
        committing()
if sys.argv[1] == "ended":  # what the command does last, before Python shuts down
    ignore_stops_if_committed()
os.kill(os.getpid(), getattr(signal, sys.argv[2]))
time.sleep(0.2)
print("finished")
"""


def run_script(state: str, sig: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, state, sig],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_a_stop_after_a_committed_run_is_noted_not_fatal(sig: str) -> None:
    result = run_script("committed", sig)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "finished"
    assert result.stderr.count("a stop was asked for after the output was written") == 1


def test_a_stop_after_a_run_that_wrote_nothing_keeps_the_default() -> None:
    result = run_script("uncommitted", "SIGTERM")
    assert result.returncode == -signal.SIGTERM
    assert "finished" not in result.stdout


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_once_the_command_ends_a_committed_run_ignores_stops(sig: str) -> None:
    """Python restores default handlers while it shuts down; only SIG_IGN survives that."""
    result = run_script("ended", sig)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "finished"
    assert result.stderr == ""
