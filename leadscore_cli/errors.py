"""Error types that carry a documented exit code and say which file is at fault.

The CLI turns any `LeadscoreError` into one line on stderr and its exit code;
everything else is a bug and gets exit code 1 (with a traceback only under --debug).
Ctrl-C (KeyboardInterrupt) exits 130 and SIGTERM (`Terminated`) 143.
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_MODEL = 3
EXIT_INPUT = 4
EXIT_DATA = 5
EXIT_OUTPUT = 6
EXIT_DRIFT = 7
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports a process SIGTERM killed


class LeadscoreError(Exception):
    """A problem the user can fix; `exit_code` tells scripts which kind.

    `problems` lists every fault found at once, so the CLI can print one line each."""

    exit_code = EXIT_INTERNAL
    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        problems: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.problems = problems or [message]

    def __str__(self) -> str:
        prefix = f"{self.path}: " if self.path else ""
        if len(self.problems) == 1:
            return prefix + self.problems[0]
        return prefix + f"{len(self.problems)} problems: " + "; ".join(self.problems)


class UsageError(LeadscoreError):
    """Options that contradict each other or make no sense together."""

    exit_code = EXIT_USAGE
    kind = "usage error"


class ModelError(LeadscoreError):
    """The scoring model is unreadable or invalid; `problems` lists every fault."""

    exit_code = EXIT_MODEL
    kind = "bad model"


class InputError(LeadscoreError):
    """The input file is missing, unreadable or not the format it claims."""

    exit_code = EXIT_INPUT
    kind = "bad input"


class DataError(LeadscoreError):
    """The data does not fit the model: missing columns or values that do not parse."""

    exit_code = EXIT_DATA
    kind = "bad data"


class OutputError(LeadscoreError):
    """The output cannot be written where asked."""

    exit_code = EXIT_OUTPUT
    kind = "cannot write output"


class DriftError(LeadscoreError):
    """A monitored drift figure crossed the threshold the user set."""

    exit_code = EXIT_DRIFT
    kind = "drift"


class Terminated(KeyboardInterrupt):
    """SIGTERM (a cron or systemd timeout) stops a run like Ctrl-C: cleanup runs,
    nothing is committed, and the exit code is 143 rather than 130."""

    exit_code = EXIT_TERMINATED


def internal_error_text(error: BaseException) -> str:
    """How an unexpected error (a bug, exit 1) is named on stderr and in a manifest."""
    text = str(error).strip()
    first = text.splitlines()[0] if text else ""
    return f"internal error: {type(error).__name__}: {first}"
