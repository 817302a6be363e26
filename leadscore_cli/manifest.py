"""The JSON manifest a nightly run leaves behind, whether it succeeds or fails.

A monitor reads it to learn what produced a file, or why nothing was produced. So a run
records what it learns as it goes (`RunRecord`): a failure at any step after the options
parse (a bad `--as-of`, a broken model, bad data, a bug) still leaves a manifest with the
facts known by then, and `null` for the rest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar

from leadscore_cli import __version__
from leadscore_cli.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    LeadscoreError,
    Terminated,
    UsageError,
    internal_error_text,
)
from leadscore_cli.model.schema import Model
from leadscore_cli.model.writer import model_sha256
from leadscore_cli.readers import Source
from leadscore_cli.writers import atomic_path, check_destination, check_distinct


class Warned(Protocol):
    """A command's summary: what it found worth a warning."""

    warnings: list[str]


Summary = TypeVar("Summary", bound=Warned)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(destination: str, record: dict) -> None:
    with atomic_path(destination) as temp:
        Path(temp).write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone()


@dataclass
class RunRecord:
    """What one run's manifest says, filled in as the run learns it.

    `model_path` is the model as given, for a model that fails to load; `input_bytes`
    and `input_sha256` are set while stdin (or a pipe) is still spooled on disk, since
    it cannot be read a second time to hash it.
    """

    manifest: str | None
    command: str
    input_path: str
    output: str
    model_path: str | None = None
    previous: str | None = None
    handoff: str | None = None
    split_by: str | None = None
    model: Model | None = None
    as_of: dt.date | None = None
    input_bytes: int | None = None
    input_sha256: str | None = None
    started_at: dt.datetime = field(default_factory=_now)
    started: float = field(default_factory=time.perf_counter)
    written: bool = False

    def reads(self) -> dict[str, Path | None]:
        """The files the run reads, which none of the files it writes may replace."""
        model = self.model.source if self.model is not None else None
        if model is None and self.model_path is not None:
            model = Path(self.model_path)
        return {
            "input file": None if self.input_path == "-" else Path(self.input_path),
            "model file": model,
            "previous scored file": None if self.previous is None else Path(self.previous),
        }

    def check_manifest(self) -> None:
        """Fail when the manifest would replace another output or a file the run reads."""
        if self.manifest is None:
            return
        check_distinct({"-o": self.output, "--manifest": self.manifest})
        check_distinct({"--handoff": self.handoff, "--manifest": self.manifest})
        if self.split_by and self.output != "-":
            folder = Path(self.output).expanduser().resolve()
            if folder in Path(self.manifest).expanduser().resolve().parents:
                raise UsageError(
                    "--manifest inside the --split-by folder would block the next run "
                    "(the folder may hold only segment files): write it beside the folder"
                )
        check_destination(self.manifest, self.reads())

    def note_input(self, source: Source) -> None:
        """Hash a spooled stdin or pipe now: the spool is gone when the input is closed."""
        if self.manifest is None or source.spool is None:
            return
        self.input_bytes = source.spool.stat().st_size
        self.input_sha256 = file_sha256(source.spool)

    def as_dict(self, status: str, *, exit_code: int = 0, error: str | None = None, **counts):
        """The JSON record: enough to tell later exactly what produced a file."""
        seconds = round(time.perf_counter() - self.started, 3)  # the run's, not the hashing's
        model = self.model
        model_path = model.source if model is not None else self.model_path
        size, sha = self.input_bytes, self.input_sha256
        input_file = Path(self.input_path)
        if sha is None and self.input_path != "-" and input_file.is_file():
            size, sha = input_file.stat().st_size, file_sha256(input_file)
        return {
            "leadscore_version": __version__,
            "command": self.command,
            "status": status,
            "exit_code": exit_code,
            "error": error,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "seconds": seconds,
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "model": {
                "name": None if model is None else model.name,
                "version": None if model is None else model.version,
                "path": None if model_path is None else os.fspath(model_path),
                "sha256": model_sha256(model) if model is not None else self.model_file_sha256(),
            },
            "input": {"path": self.input_path, "bytes": size, "sha256": sha},
            "output": self.output,
            "rows_in": counts.get("rows_in"),
            "rows_out": counts.get("rows_out"),
            "tiers": counts.get("tiers") or {},
            "handoff": counts.get("handoff"),
            "changes": counts.get("changes"),
            "warnings": counts.get("warnings") or [],
        }

    def model_file_sha256(self) -> str | None:
        """The bytes of a model that failed to load: which edit of the file broke."""
        path = None if self.model_path is None else Path(self.model_path).expanduser()
        return file_sha256(path) if path is not None and path.is_file() else None

    def write(self, status: str, **facts) -> None:
        assert self.manifest is not None
        write_manifest(self.manifest, self.as_dict(status, **facts))
        self.written = True

    def fail(self, error: BaseException) -> None:
        """Record a failure, once, unless the manifest itself cannot be written where asked
        (then the run's own error is what the user needs to see)."""
        if self.manifest is None or self.written:
            return
        if not isinstance(error, Exception | KeyboardInterrupt):  # SystemExit: not a failure
            return
        try:
            self.check_manifest()
            status, facts = failure(error)
            self.write(status, **facts)
        except (LeadscoreError, OSError):
            return

    @contextmanager
    def recording_failures(self) -> Iterator[RunRecord]:
        try:
            yield self
        except BaseException as error:
            self.fail(error)
            raise


def failure(error: BaseException) -> tuple[str, dict]:
    """The status, exit code and error line a manifest records for `error`."""
    if isinstance(error, Terminated):  # SIGTERM, from a cron or systemd timeout
        return "terminated", {"exit_code": EXIT_TERMINATED, "error": "terminated (SIGTERM)"}
    if isinstance(error, KeyboardInterrupt):
        return "interrupted", {
            "exit_code": EXIT_INTERRUPTED,
            "error": "interrupted (SIGINT, Ctrl-C)",
        }
    if isinstance(error, LeadscoreError):
        return "failed", {"exit_code": error.exit_code, "error": str(error)}
    return "failed", {"exit_code": EXIT_INTERNAL, "error": internal_error_text(error)}


def recorded(
    record: RunRecord, run: Callable[[], Summary], describe: Callable[[Summary], dict]
) -> Summary:
    """Run a command; with a manifest path, record the run whether it succeeds or fails,
    including when Ctrl-C or SIGTERM stops it: a nightly job must always leave a trace."""
    if record.manifest is None:
        return run()
    with record.recording_failures():
        summary = run()
        # inside: a stop while the input is hashed (seconds for GBs) is still recorded.
        # The warnings go in too: under `-q` the record is the only place they show.
        record.write("ok", warnings=list(summary.warnings), **describe(summary))
    return summary
