"""One scoring run end to end: open the input, plan, stream to the output, summarise.

This is the library entry point behind `leadscore score`; it prints nothing
and raises LeadscoreError subclasses for everything a user can fix.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import polars as pl

from leadscore_cli import __version__
from leadscore_cli.errors import DataError, LeadscoreError
from leadscore_cli.model.schema import Model
from leadscore_cli.model.writer import model_sha256
from leadscore_cli.readers import Source, explain_polars_error, open_source
from leadscore_cli.scoring import ScoringPlan, plan_scoring
from leadscore_cli.summary import ScoreSummary, summarise
from leadscore_cli.writers import check_destination, sink_atomic


@dataclass(frozen=True)
class ReadOptions:
    """How to read the input; shared by every command that scores."""

    encoding: str | None = None
    delimiter: str | None = None
    format: str | None = None


@dataclass(frozen=True)
class ScoreOptions:
    as_of: dt.date
    explain: bool = False
    keep_columns: list[str] | None = None
    sort: bool = False
    top: int | None = None
    output_format: str | None = None


def invalid_values_check(plan: ScoringPlan, source_name: str):
    """Build the check that stops a run (before its output is committed) on unreadable values."""

    def check(results: list[pl.DataFrame]) -> None:
        stats = results[0]
        problems = []
        for field, column in plan.checked_fields:
            count = int(stats[f"invalid:{field}"][0])
            if count:
                example = stats[f"example:{field}"][0]
                row = int(stats[f"row:{field}"][0]) + 1
                label = repr(column) if column == field else f"{column!r} (field {field!r})"
                problems.append(
                    f"column {label}: {count} value(s) cannot be read, "
                    f"first {example!r} at row {row}"
                )
        if problems:
            raise DataError(
                "; ".join(problems)
                + " (fix the data, declare the field's type or format in [fields], "
                'or set on_invalid = "null")',
                path=source_name,
            )

    return check


def model_metadata(model: Model) -> dict[str, str]:
    return {
        "leadscore.version": __version__,
        "leadscore.model.name": model.name,
        "leadscore.model.version": model.version,
        "leadscore.model.sha256": model_sha256(model),
    }


def score_file(
    input_path: str,
    model: Model,
    output: str,
    options: ScoreOptions,
    read: ReadOptions = ReadOptions(),
) -> ScoreSummary:
    """Score `input_path` into `output` atomically and return the run's summary."""
    started = time.perf_counter()
    with open_source(
        input_path, encoding=read.encoding, delimiter=read.delimiter, format=read.format
    ) as source:
        check_destination(output, [source.path, model.source])
        plan = plan_scoring(
            source.frame,
            model,
            as_of=options.as_of,
            source_name=source.name,
            explain=options.explain,
            keep_columns=options.keep_columns,
            sort=options.sort,
            top=options.top,
        )
        stats, counts = run_guarded(
            source,
            lambda: sink_atomic(
                plan.output,
                output,
                format=options.output_format,
                also=[plan.stats, plan.score_counts],
                before_commit=invalid_values_check(plan, source.name),
                parquet_metadata=model_metadata(model),
            ),
        )
    summary = summarise(
        model,
        stats,
        counts,
        input_name=source.name,
        output_name="<stdout>" if output == "-" else output,
        as_of=options.as_of,
        top=options.top,
    )
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def run_guarded(source: Source, action):
    """Run a polars action, turning engine errors about the input into clean LeadscoreErrors."""
    try:
        return action()
    except LeadscoreError:
        raise
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise explain_polars_error(exc, source) from exc


def check_data(
    input_path: str, model: Model, as_of: dt.date, read: ReadOptions = ReadOptions()
) -> ScoreSummary:
    """Score without writing: for `validate --data`, to check columns, types and firing rates."""
    started = time.perf_counter()
    with open_source(
        input_path, encoding=read.encoding, delimiter=read.delimiter, format=read.format
    ) as source:
        plan = plan_scoring(source.frame, model, as_of=as_of, source_name=source.name)
        stats, counts = run_guarded(source, lambda: pl.collect_all([plan.stats, plan.score_counts]))
        invalid_values_check(plan, source.name)([stats])
    summary = summarise(
        model, stats, counts, input_name=source.name, output_name="", as_of=as_of, top=None
    )
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary
