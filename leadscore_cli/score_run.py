"""One scoring run end to end: open the input, plan, stream to the output, summarise.

This is the library entry point behind `leadscore score`; it prints nothing
and raises LeadscoreError subclasses for everything a user can fix.
"""

from __future__ import annotations

import datetime as dt
import time
from contextlib import ExitStack
from dataclasses import dataclass

import polars as pl

from leadscore_cli.errors import DataError, LeadscoreError, UsageError
from leadscore_cli.fields import year_hint
from leadscore_cli.manifest import RunRecord, recorded
from leadscore_cli.model.schema import ADDED_COLUMNS, Model
from leadscore_cli.model.writer import model_sha256
from leadscore_cli.nightly import (
    DELTA_COLUMNS,
    change_frames,
    changes_since,
    check_excel_safe,
    check_run_files,
    excel_safe,
    handoff_tiers,
    model_metadata,
    no_leads_warning,
    previous_scores,
    refuse_empty_with_previous,
    require_id,
    with_deltas,
    write_handoff,
)
from leadscore_cli.readers import Source, explain_polars_error, open_source
from leadscore_cli.scoring import ScoringPlan, plan_scoring
from leadscore_cli.scoring.columns import ROW
from leadscore_cli.scoring.inputs import has_scores, without_scores
from leadscore_cli.scoring.plan import output_columns
from leadscore_cli.stopping import stoppable
from leadscore_cli.summary import ScoreSummary, counted, summarise
from leadscore_cli.writers import (
    check_csv_columns,
    check_destination,
    output_format,
    sink_atomic,
)


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
    previous: str | None = None
    handoff: str | None = None
    manifest: str | None = None
    excel_safe: bool = False


def column_label(field: str, column: str) -> str:
    """`'rev'`, or `'Annual Revenue' (field 'revenue')` when the model renames it."""
    return repr(column) if column == field else f"{column!r} (field {field!r})"


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
                label = column_label(field, column)
                year = year_hint(example) if field in plan.auto_dated else ""
                what, hint = plan.unreadable[field]
                problems.append(
                    f"column {label}: {counted(count, 'value')} cannot be read as {what}, "
                    f"first {example!r} at row {row}{year} ({hint})"
                )
        if problems:
            raise DataError("; ".join(problems), path=source_name, problems=problems)

    return check


def run_writes(model: Model, options, *, grade: bool = False) -> list[str]:
    """The columns a run with these options adds to its input's."""
    columns = output_columns(model, explain=options.explain, grade=grade)
    return columns + list(DELTA_COLUMNS) if options.previous is not None else columns


def nulled_values_warning(plan: ScoringPlan, stats: pl.DataFrame) -> list[str]:
    """How many values `on_invalid = "null"` turned into missing, per column: a silent
    count of zero-point leads is how a misread export (decimal commas) goes unnoticed."""
    warnings = []
    for field, column in plan.nulled_fields:
        count = int(stats[f"invalid:{field}"][0])
        if count:
            label = column_label(field, column)
            warnings.append(
                f"column {label}: {counted(count, 'value')} could not be read and count as "
                'missing (on_invalid = "null")'
            )
    return warnings


def checks_before_commit(plan: ScoringPlan, options: ScoreOptions, source_name: str):
    """Unreadable values, then an empty export under --previous: both stop the run."""
    values = invalid_values_check(plan, source_name)

    def check(results: list[pl.DataFrame]) -> None:
        values(results)
        refuse_empty_with_previous(int(results[0]["rows"][0]), options.previous, source_name)

    return check


def fresh_export(
    frame: pl.LazyFrame, model: Model, writes: list[str]
) -> tuple[pl.LazyFrame, list[str]]:
    """A file scored with this model before, as an export again (see `without_scores`).

    Otherwise its `reasons`, `grade` or `previous_score` would sit beside the new scores
    and contradict them. Returns the frame and a warning naming what was dropped, for a
    run that adds `writes`.
    """
    columns = frame.collect_schema().names()
    if not has_scores(columns, model):
        return frame, []
    frame, dropped = without_scores(frame, model)
    lead = "the input was scored before:"
    return frame, [scored_input_warning(lead, "its", columns, dropped, writes)]


def scored_input_warning(
    lead: str, owner: str, columns: list[str], dropped: list[str], writes: list[str]
) -> str:
    """What became of a scored input's `columns` once `dropped` were: replaced by this
    run's, dropped though this run does not write them (a stale `reasons`), or kept
    because this model never writes them (a CRM's own `tier` beside a model without
    tiers). `owner` names the input in the sentence ("its", "the input's")."""
    replaced = [c for c in dropped if c in writes]
    stale = [c for c in dropped if c not in writes]
    kept = [
        c for c in columns if c not in dropped and (c in ADDED_COLUMNS or c.startswith("score_"))
    ]
    parts = []
    if replaced:
        parts.append(f"column(s) {quoted(replaced)} are replaced by this run's")
    if stale:
        parts.append(f"column(s) {quoted(stale)} are dropped: this run does not write them")
    if kept:
        parts.append(f"column(s) {quoted(kept)} are not this model's and are kept as they were")
    return f"{lead} {owner} " + f"; {owner} ".join(parts)


def quoted(names: list[str]) -> str:
    return ", ".join(repr(c) for c in names)


def replaced_columns_warning(plan: ScoringPlan) -> list[str]:
    """Input columns named like ones the run adds (a `score` from an earlier run, a CRM's
    own `grade`) are replaced in the output: say which, since their values are gone.

    A `score` beside columns such a run writes that this model does not (another model's
    `score_fit` or `reasons`) marks a file scored with another model: those are kept, so
    say that too, or they would pass for this run's."""
    if not plan.replaced_columns:
        return []
    names = ", ".join(repr(c) for c in plan.replaced_columns)
    warnings = [f"input column(s) {names} replaced by this run's values"]
    if "score" in plan.replaced_columns:
        kept = [
            c
            for c in plan.input_columns
            if c not in plan.added_columns and (c in ADDED_COLUMNS or c.startswith("score_"))
        ]
        if kept:
            warnings.append(
                f"the input looks scored by another model: its column(s) "
                f"{', '.join(repr(c) for c in kept)} are not this model's and are kept as they were"
            )
    return warnings


def recorded_model(source: Source) -> dict[str, str] | None:
    """The model a Parquet input says it was scored with (`model_metadata`), if it says.

    CSV and stdin carry no such record; an unreadable footer is left to the scan to report.
    """
    if source.format != "parquet" or source.path is None:
        return None
    try:
        metadata = pl.read_parquet_metadata(source.path)
    except (pl.exceptions.PolarsError, OSError):
        return None
    if "leadscore.model.sha256" not in metadata:
        return None
    return {
        "name": metadata.get("leadscore.model.name", "?"),
        "version": metadata.get("leadscore.model.version", "?"),
        "sha256": metadata["leadscore.model.sha256"],
    }


def other_scoring_model(source: Source, model: Model) -> str | None:
    """How to name the model a Parquet input records, when it is not `model`: scores
    from it are not this model's. None when the input records `model` or nothing."""
    scored_with = recorded_model(source)
    if scored_with is None or scored_with["sha256"] == model_sha256(model):
        return None
    name, version = scored_with["name"], scored_with["version"]
    if (name, version) == (model.name, model.version):
        return f"another edit of model {name} version {version} (its file differs)"
    return f"model {name} version {version}, not {model.name} {model.version}"


def rescored_note(source: Source, model: Model) -> list[str]:
    """For report and threshold: a Parquet file records its model, and another model's
    scores would be read as `model`'s, so the leads are scored again and this says so
    (a CSV has no record: its score columns are trusted)."""
    which = other_scoring_model(source, model)
    if which is None:
        return []
    return [
        f"the scores in {source.name} came from {which}: its leads are scored again "
        "here with the given model"
    ]


def run_record(
    command: str,
    input_path: str,
    model: Model,
    output: str,
    options,
    record: RunRecord | None = None,
) -> RunRecord:
    """The record of this run: `record` (the CLI's, which saw the steps before this one)
    or a new one, now told the model and the as-of date."""
    if record is None:
        record = RunRecord(
            options.manifest,
            command,
            input_path,
            output,
            previous=options.previous,
            handoff=options.handoff,
            split_by=getattr(options, "split_by", None),
        )
    record.model, record.as_of = model, options.as_of
    return record


def score_file(
    input_path: str,
    model: Model,
    output: str,
    options: ScoreOptions,
    read: ReadOptions = ReadOptions(),
    *,
    record: RunRecord | None = None,
) -> ScoreSummary:
    """Score `input_path` into `output` atomically and return the run's summary.

    With `options.manifest`, a JSON record of the run is written whether it
    succeeds or fails, so a nightly job always leaves a trace.
    """
    started = time.perf_counter()
    record = run_record("score", input_path, model, output, options, record)

    def run() -> ScoreSummary:
        check_run_files(record)
        summary = score_to_output(input_path, model, output, options, read, record)
        summary.seconds = round(time.perf_counter() - started, 3)
        return summary

    return recorded(
        record,
        run,
        describe=lambda summary: {
            "rows_in": summary.rows_scored,
            "rows_out": summary.rows_written,
            "tiers": summary.tiers,
            "handoff": summary.handoff,
            "changes": summary.changes,
        },
    )


def main_format(output: str, options, *, split: bool = False) -> str:
    """The format of the run's main output: the file, or the --split-by segments."""
    if split:
        return options.output_format or "csv"
    return output_format(output, options.output_format)


def check_nightly_options(output: str, options, model: Model, *, split: bool = False) -> None:
    """Fail before reading anything when nightly options do not fit the output."""
    if options.handoff is not None:
        if split:
            raise UsageError("--handoff reads one finished output back; not with --split-by")
        if output == "-":
            raise UsageError("--handoff reads the finished output back; give -o FILE")
        if getattr(options, "top", None) is not None:
            raise UsageError(
                "--handoff lists every lead that newly reached a handoff tier; --top would "
                "cut that list to the top N (run without --top)"
            )
        handoff_tiers(model)
        output_format(options.handoff)  # a name that says no format fails now, not at the end
    if options.excel_safe:
        formats = [main_format(output, options, split=split)]
        if options.handoff is not None:
            formats.append(output_format(options.handoff))
        check_excel_safe(formats)
    if options.previous is not None:
        require_id(model, "--previous")
        keep = getattr(options, "keep_columns", None)
        if keep is not None and model.id_column not in keep:
            raise UsageError(
                f"--previous matches leads on the id column {model.id_column!r}: "
                "add it to --columns"
            )


def check_handoff_columns(output_frame: pl.LazyFrame, handoff: str | None) -> None:
    """A CSV handoff list holds every column of the output: refuse those CSV cannot hold
    before any work, not once the main output is already in place."""
    if handoff is not None and output_format(handoff) == "csv":
        check_csv_columns(output_frame, handoff, parquet_how="a .parquet name for the list")


def shares_scan(output: str, options, source: Source) -> bool:
    """Whether the output and the run's summaries can share one pass over the input.

    A shared pass buffers the input for whichever branch lags. A Parquet writer keeps
    up with the summaries while a CSV input is parsed, a CSV writer does not; a Parquet
    input is read faster than any writer takes it, so the summaries run ahead; with
    --previous, the output waits while the join reads the whole previous file. Memory
    would then grow with the input (3.7 GiB instead of 1.4 GiB on 5M rows with
    --previous; 4.2 GiB instead of 1.7 GiB on 20M Parquet rows), so those runs make
    two passes instead.
    """
    return (
        output_format(output, options.output_format) == "parquet"
        and options.previous is None
        and source.format != "parquet"
    )


def score_to_output(
    input_path: str,
    model: Model,
    output: str,
    options: ScoreOptions,
    read: ReadOptions,
    record: RunRecord,
) -> ScoreSummary:
    check_nightly_options(output, options, model)
    with ExitStack() as stack:
        source = stack.enter_context(
            open_source(
                input_path, encoding=read.encoding, delimiter=read.delimiter, format=read.format
            )
        )
        record.note_input(source)
        check_destination(output, {"input file": source.path, "model file": model.source})
        if options.handoff is not None:
            check_destination(options.handoff, {})
        frame, warnings = fresh_export(source.frame, model, run_writes(model, options))
        plan = plan_scoring(
            frame,
            model,
            as_of=options.as_of,
            source_name=source.name,
            explain=options.explain,
            keep_columns=options.keep_columns,
            sort=options.sort,
            top=options.top,
        )
        result, stats_counts = plan.output, None
        if plan.ranking is not None and plan.top_rows is not None:  # see plan.plan_top
            stats_counts = run_guarded(
                source,
                lambda: stoppable(lambda: pl.collect_all([plan.stats, plan.score_counts])),
            )
            checks_before_commit(plan, options, source.name)(stats_counts)
            best = run_guarded(source, lambda: stoppable(lambda: plan.ranking.collect()))
            result = plan.top_rows(best[ROW])
        changes_from: list[pl.LazyFrame] = []
        if options.previous is not None:
            last_run, previous_warnings = read_previous(stack, options.previous, model)
            result = with_deltas(result, last_run, model)
            warnings += previous_warnings
            if stats_counts is None:  # with --top the output holds the best leads only
                changes_from = change_frames(result, last_run, model)
        if options.excel_safe and main_format(output, options) == "csv":
            result = excel_safe(result)
        check_handoff_columns(result, options.handoff)
        summaries = run_guarded(
            source,
            lambda: sink_atomic(
                result,
                output,
                format=options.output_format,
                also=[*([] if stats_counts else [plan.stats, plan.score_counts]), *changes_from],
                before_commit=None
                if stats_counts
                else checks_before_commit(plan, options, source.name),
                parquet_metadata=model_metadata(model),
                share_scan=shares_scan(output, options, source),
            ),
        )
        stats, counts = stats_counts or summaries[:2]
        changed = summaries[2:]  # change_frames' results, with --previous and no --top
    summary = summarise(
        model,
        stats,
        counts,
        input_name=source.name,
        output_name="<stdout>" if output == "-" else output,
        as_of=options.as_of,
        top=options.top,
    )
    summary.warnings += (
        no_leads_warning(summary.rows_scored)
        + nulled_values_warning(plan, stats)
        + warnings
        + replaced_columns_warning(plan)
    )
    if changed and options.previous is not None:
        summary.changes, change_warnings = changes_since(options.previous, changed)
        summary.warnings += change_warnings
    if options.handoff is not None:
        fmt = output_format(output, options.output_format)
        rows, handoff_warnings = write_handoff(
            output, fmt, options.handoff, model, spreadsheet_safe=options.excel_safe
        )
        summary.handoff = {"path": options.handoff, "rows": rows, "tiers": handoff_tiers(model)}
        summary.warnings += handoff_warnings
    return summary


def read_previous(stack: ExitStack, path: str, model: Model) -> tuple[pl.LazyFrame, list[str]]:
    """Last run's scores to compare with (see `previous_scores`), open until `stack` ends."""
    previous = stack.enter_context(open_source(path))
    return run_guarded(previous, lambda: previous_scores(previous.frame, model, previous.name))


def run_guarded(source: Source, action):
    """Run a polars action, turning engine errors about the input into clean LeadscoreErrors."""
    try:
        return action()
    except (LeadscoreError, BrokenPipeError):
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
    summary.warnings += nulled_values_warning(plan, stats)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary
