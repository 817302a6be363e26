"""What every command shares: options, error reporting and the two consoles.

Data goes to stdout, messages to stderr. Rich decides colour itself, so
NO_COLOR and output that is not a terminal are honoured without extra code.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import errno
import json
import re
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from leadscore_cli.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    LeadscoreError,
    Terminated,
    UsageError,
    internal_error_text,
)
from leadscore_cli.manifest import RunRecord
from leadscore_cli.model import Model, load_model
from leadscore_cli.model.problems import EARLIEST_AS_OF
from leadscore_cli.score_run import ReadOptions
from leadscore_cli.stopping import handling_sigterm, note_late_stop
from leadscore_cli.writers import silence_stdout

# soft_wrap: a message stays one line in a log file, whatever the width rich assumes there.
stderr = Console(stderr=True, soft_wrap=True)


class StdoutConsole(Console):
    """A console for data on stdout. When its reader has all it wanted (`| head`), rich
    would exit 1, which reads as a bug; a BrokenPipeError lets the CLI end with 0."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        silence_stdout()
        raise BrokenPipeError(errno.EPIPE, "the reader closed stdout")


ModelOpt = Annotated[
    Path,
    typer.Option(
        "--model",
        "-m",
        help="Scoring model (TOML). See docs/model.md.",
        show_default=False,
        readable=False,  # the loader reports an unreadable model itself, with exit 3
    ),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Date that recency rules and decay count from (YYYY-MM-DD). Default: today. "
        "Give it for reproducible runs.",
        show_default=False,
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print the summary as one JSON object on stdout.")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")]
DebugOpt = Annotated[
    bool, typer.Option("--debug", help="Show the full traceback when something fails.")
]
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Text encoding of a CSV input that is not UTF-8: cp1252 for Windows and Excel "
        "exports (latin-1 would turn the euro sign and curly quotes into invisible control "
        "characters), utf-16 for UTF-16 with a BOM, utf-16-le or utf-16-be without one.",
        show_default=False,
    ),
]
DelimiterOpt = Annotated[
    str | None,
    typer.Option(
        "--delimiter",
        help="CSV field separator. Default: detected among , ; tab and |.",
        show_default=False,
    ),
]
InputFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--input-format",
        help="csv or parquet. Default: from the extension, then the file's first bytes.",
        show_default=False,
    ),
]

PreviousOpt = Annotated[
    str | None,
    typer.Option(
        "--previous",
        help="Last run's scored file: adds previous_score, score_change and tier_change "
        "(e.g. mql->sql, new, same), joined on the model's id column; an id on several rows "
        "is compared by its first, with a warning.",
        show_default=False,
    ),
]
HandoffOpt = Annotated[
    str | None,
    typer.Option(
        "--handoff",
        help="Also write only the leads that newly reached a handoff tier (\\[handoff] tiers, "
        "default the top tier): the list sales should call today.",
        show_default=False,
    ),
]
ManifestOpt = Annotated[
    str | None,
    typer.Option(
        "--manifest",
        help="Write a JSON record of the run (versions, hashes, rows, tiers, seconds), "
        "also when it fails, even on a bad option or model (unknown facts are null).",
        show_default=False,
    ),
]
ExcelSafeOpt = Annotated[
    bool,
    typer.Option(
        "--excel-safe",
        help="Every CSV the run writes (output, --handoff list, --split-by files): prefix ' "
        "to text cells and column names starting with = + - @ tab or CR so a spreadsheet "
        "shows them instead "
        "of running them. Parquet files are left as they are; refused when the run writes "
        "no CSV. Off by default: values pass through unchanged.",
    ),
]

PositiveOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--positive",
        help="Outcome value that means converted, e.g. --positive Won (repeatable). "
        "Without it the outcome must be boolean-like (true/false, yes/no, 1/0).",
        show_default=False,
    ),
]


def file_format(value: str | None, option: str) -> str | None:
    """`csv` or `parquet` from --format or --input-format, in any case (`CSV`)."""
    if value is None:
        return None
    fmt = value.strip().lower()
    if fmt not in ("csv", "parquet"):
        raise UsageError(f"{option} must be csv or parquet, not {value!r}")
    return fmt


def read_options(encoding: str | None, delimiter: str | None, input_format: str | None):
    if delimiter is not None:
        delimiter = {"tab": "\t", "\\t": "\t"}.get(delimiter, delimiter)
        if len(delimiter) != 1:
            raise UsageError(f"--delimiter must be one character (or 'tab'), not {delimiter!r}")
    input_format = file_format(input_format, "--input-format")
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UsageError(
                f"--encoding {encoding!r} is not a known encoding (e.g. cp1252, utf-16)"
            ) from None
    return ReadOptions(encoding=encoding, delimiter=delimiter, format=input_format)


# The form --as-of asks for, up to the day; what follows may be a time of day.
AS_OF_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})(.*)")


def parse_as_of(text: str | None) -> dt.date:
    """The as-of date (today, in the local time zone, when not given)."""
    if text is None:
        return dt.date.today()
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise UsageError(as_of_problem(text.strip(), exc)) from None
    if day < EARLIEST_AS_OF:
        raise UsageError(f"--as-of must be {EARLIEST_AS_OF} or later, not {text!r}")
    return day


def as_of_problem(text: str, exc: ValueError) -> str:
    """Why `text` is no as-of date, pointing at the fix: a day that does not exist, a time
    of day, or another way of writing dates."""
    shaped = AS_OF_DAY.fullmatch(text)
    if shaped and not shaped[2]:
        return f"--as-of {text!r} is not a real date ({exc})"
    if shaped and shaped[2][:1] in ("T", " "):
        return f"--as-of takes a day without a time of day: {shaped[1]}, not {text!r}"
    hint = " (leave --as-of out to count from today)" if text.lower() in ("", "today") else ""
    return f"--as-of must be a date like 2026-11-01 (year-month-day), not {text!r}{hint}"


def read_model(path: Path) -> Model:
    return load_model(path)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()


def error_lines(error: LeadscoreError) -> list[str]:
    """One line per problem, each naming the file and the key, line or column at fault."""
    if len(error.problems) > 1:
        prefix = f"{error.path}: " if error.path else ""
        return [f"leadscore: {error.kind}: {prefix}{problem}" for problem in error.problems]
    return [f"leadscore: {error.kind}: {error}"]


@contextmanager
def reporting_errors(
    debug: bool, *, nightly: bool = False, record: RunRecord | None = None
) -> Iterator[None]:
    """Turn failures into one-line messages and documented exit codes.

    With `nightly` (score and grade), SIGTERM (what cron and systemd send on a timeout)
    is handled like Ctrl-C, so that temp files are removed and a manifest is written,
    but exits 143. Other commands keep the default: SIGTERM ends them at once, where a
    handler would wait for polars to finish its query. A `record` (the --manifest) is
    listening before SIGTERM is handled, so no stop the handler sees goes unrecorded."""
    try:
        with (
            record.recording_failures() if record is not None else contextlib.nullcontext(),
            handling_sigterm() if nightly else contextlib.nullcontext(),
        ):
            yield
        note_late_stop()
    except LeadscoreError as error:
        if debug:
            traceback.print_exc()
        for line in error_lines(error):
            sys.stderr.write(line + "\n")
        raise typer.Exit(error.exit_code) from None
    except Terminated:
        sys.stderr.write("leadscore: terminated; no output was written\n")
        raise typer.Exit(EXIT_TERMINATED) from None
    except KeyboardInterrupt:
        sys.stderr.write("leadscore: interrupted; no output was written\n")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except (typer.Exit, typer.Abort):
        raise
    except BrokenPipeError:
        raise typer.Exit(0) from None
    except Exception as error:
        if debug:
            raise
        sys.stderr.write(
            f"leadscore: {internal_error_text(error)} (run again with --debug for the traceback)\n"
        )
        raise typer.Exit(EXIT_INTERNAL) from None
