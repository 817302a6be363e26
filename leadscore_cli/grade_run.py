"""One grading run: score if needed, add tier, grade and priority, write one file or segments.

A file `score` already wrote is graded from its scores, not scored twice.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path

import polars as pl

from leadscore_cli.errors import DataError, OutputError, UsageError
from leadscore_cli.grading import (
    GRADE,
    PRIORITY,
    grading_of,
    letters,
    priority_labels,
    require_tiers,
)
from leadscore_cli.manifest import RunRecord, recorded
from leadscore_cli.model.schema import Model
from leadscore_cli.nightly import (
    change_frames,
    changes_since,
    check_run_files,
    excel_safe,
    handoff_tiers,
    model_metadata,
    no_leads_warning,
    refuse_empty_with_previous,
    with_deltas,
    write_handoff,
)
from leadscore_cli.outcome import (
    check_named_outcome,
    outcome_check_frame,
    outcome_expr,
    outcome_markers,
    refuse_outcome_type,
)
from leadscore_cli.readers import Source, open_source
from leadscore_cli.score_run import (
    ReadOptions,
    check_handoff_columns,
    check_nightly_options,
    invalid_values_check,
    main_format,
    nulled_values_warning,
    other_scoring_model,
    read_previous,
    replaced_columns_warning,
    run_guarded,
    run_record,
    run_writes,
    scored_input_warning,
    shares_scan,
)
from leadscore_cli.scored_values import unreadable_scores_check
from leadscore_cli.scoring import plan_from_scores, plan_scoring
from leadscore_cli.scoring.columns import TIER
from leadscore_cli.scoring.inputs import has_scores, hint_for, without_scores
from leadscore_cli.summary import counted, noun_for
from leadscore_cli.writers import (
    check_destination,
    check_segment_folder,
    output_format,
    sink_atomic,
    sink_segments_atomic,
)

SPLIT_CHOICES = (GRADE, TIER, PRIORITY)
OUTCOME = "__ls_outcome"


@dataclass(frozen=True)
class GradeOptions:
    as_of: object
    explain: bool = False
    split_by: str | None = None
    outcome: str | None = None
    positive: tuple[str, ...] = ()
    output_format: str | None = None
    sort: bool = False
    previous: str | None = None
    handoff: str | None = None
    manifest: str | None = None
    excel_safe: bool = False
    rescore: bool = False


@dataclass
class GradeSummary:
    model: str
    model_version: str
    input: str
    output: str
    rescored: bool
    rows: int
    grades: list[str]
    tiers: list[str]
    matrix: list[dict]
    outcome: str | None = None
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0
    handoff: dict | None = None
    warnings: list[str] = field(default_factory=list)
    changes: dict | None = None  # with --previous: see nightly.changes_since

    def to_dict(self) -> dict:
        return asdict(self)

    def count(self, grade: str, tier: str) -> int:
        return sum(c["count"] for c in self.matrix if c["grade"] == grade and c["tier"] == tier)


def grade_file(
    input_path: str,
    model: Model,
    output: str,
    options: GradeOptions,
    read: ReadOptions = ReadOptions(),
    *,
    record: RunRecord | None = None,
) -> GradeSummary:
    """Add tier, grade and priority to `input_path` and write `output` (a file or a folder).

    With `options.manifest`, a JSON record of the run is written whether it succeeds or not.
    """

    def describe(summary: GradeSummary) -> dict:
        tiers: dict[str, int] = {}
        for cell in summary.matrix:
            tiers[cell["tier"]] = tiers.get(cell["tier"], 0) + cell["count"]
        return {
            "rows_in": summary.rows,
            "rows_out": summary.rows,
            "tiers": tiers,
            "handoff": summary.handoff,
            "changes": summary.changes,
        }

    record = run_record("grade", input_path, model, output, options, record)

    def run() -> GradeSummary:
        check_run_files(record)
        return grade_to_output(input_path, model, output, options, read, record)

    return recorded(record, run, describe)


def grade_to_output(
    input_path: str,
    model: Model,
    output: str,
    options: GradeOptions,
    read: ReadOptions,
    record: RunRecord,
) -> GradeSummary:
    started = time.perf_counter()
    require_tiers(model)
    grading_of(model)  # fails early: no [grading] and no fit category
    if options.split_by is not None and options.split_by not in SPLIT_CHOICES:
        raise UsageError(f"--split-by must be one of {', '.join(SPLIT_CHOICES)}")
    check_nightly_options(output, options, model, split=options.split_by is not None)
    with ExitStack() as stack:
        source = stack.enter_context(
            open_source(
                input_path, encoding=read.encoding, delimiter=read.delimiter, format=read.format
            )
        )
        record.note_input(source)
        if options.handoff is not None:
            check_destination(options.handoff, {})
        if options.split_by is None:
            check_destination(output, {"input file": source.path, "model file": model.source})
        else:  # a folder, replaced as a whole: it may hold only an earlier run's segments
            check_folder_destination(output, [source.path, model.source], model)
        schema = source.frame.collect_schema()
        columns = list(schema.names())
        rescored = options.rescore or not has_scores(columns, model)
        warnings = [] if rescored else other_model_warning(source, model)
        frame = source.frame
        if options.rescore:
            frame, dropped = without_scores(frame, model)
            if dropped:
                writes = run_writes(model, options, grade=True)
                warnings.append(
                    scored_input_warning("--rescore:", "the input's", columns, dropped, writes)
                )
        checks = []
        also: list[pl.LazyFrame] = []
        if rescored:
            plan = plan_scoring(
                frame,
                model,
                as_of=options.as_of,
                source_name=source.name,
                explain=options.explain,
                sort=options.sort,
                grade=True,
            )
            graded = plan.output
            summarised = plan.scored  # summaries share the scoring with the output
            warnings += replaced_columns_warning(plan)
            also.append(plan.stats)
            checks.append(invalid_values_check(plan, source.name))
        else:
            graded = plan_from_scores(
                source.frame, model, source_name=source.name, sort=options.sort
            )
            summarised = graded
            score_check, check = unreadable_scores_check(source.frame, model, source.name)
            also.append(score_check)
            checks.append(check)
        changes_from: list[pl.LazyFrame] = []
        if options.previous is not None:
            last_run, previous_warnings = read_previous(stack, options.previous, model)
            graded = with_deltas(graded, last_run, model)
            warnings += previous_warnings
            changes_from = change_frames(graded, last_run, model)
        split = options.split_by is not None
        safe = options.excel_safe and main_format(output, options, split=split) == "csv"
        written = excel_safe(graded) if safe else graded
        check_handoff_columns(written, options.handoff)
        outcome = None
        if options.outcome is not None:
            if options.outcome not in columns:
                raise DataError(
                    f"no outcome column {options.outcome!r}{hint_for(options.outcome, columns)}",
                    path=source.name,
                )
            outcome_type = schema[options.outcome]
            refuse_outcome_type(options.outcome, outcome_type, source_name=source.name)
            positive = options.positive or None
            markers = outcome_markers(model.null_values)
            outcome = outcome_expr(options.outcome, outcome_type, positive, markers)
            graded_with_outcome = summarised.with_columns(outcome.alias(OUTCOME))
        else:
            graded_with_outcome = summarised.with_columns(pl.lit(None, pl.Boolean).alias(OUTCOME))
        matrix = graded_with_outcome.group_by(GRADE, TIER).agg(
            pl.len().alias("count"),
            pl.col(OUTCOME).sum().alias("converted"),
            pl.col(OUTCOME).count().alias("known"),
        )
        also.append(matrix)
        outcome_at = len(also)
        if outcome is not None:
            also.append(
                outcome_check_frame(
                    summarised, options.outcome, outcome_type, positive, markers=markers
                )
            )
        changes_at = len(also)
        also += changes_from

        def before_commit(results: list[pl.DataFrame]) -> None:
            for check in checks:
                check(results)
            leads = int(results[1]["count"].sum())  # the grade x tier matrix
            refuse_empty_with_previous(leads, options.previous, source.name)
            if options.outcome is not None:
                check_named_outcome(
                    options.outcome, results[outcome_at], positive, source_name=source.name
                )

        if options.split_by is None:
            results = run_guarded(
                source,
                lambda: sink_atomic(
                    written,
                    output,
                    format=options.output_format,
                    also=also,
                    before_commit=before_commit,
                    parquet_metadata=model_metadata(model),
                    share_scan=shares_scan(output, options, source),
                ),
            )
            files = [output]
        else:
            results, files = run_guarded(
                source,
                lambda: sink_segments_atomic(
                    written,
                    output,
                    key=options.split_by,
                    format=options.output_format or "csv",
                    also=also,
                    before_commit=before_commit,
                    segments=segment_values(model),
                    parquet_metadata=model_metadata(model),
                ),
            )
    matrix_frame = results[1]  # after the scoring stats or the score check
    if rescored:
        warnings += nulled_values_warning(plan, results[0])
    cells = []
    for row in matrix_frame.sort(GRADE, TIER).iter_rows(named=True):
        known = int(row["known"] or 0)
        converted = int(row["converted"] or 0)
        cells.append(
            {
                "grade": str(row[GRADE]),
                "tier": str(row[TIER]),
                "count": int(row["count"]),
                "converted": converted if outcome is not None else None,
                "known": known if outcome is not None else None,
                "rate": round(converted / known, 4) if outcome is not None and known else None,
            }
        )
    if outcome is not None:
        warnings += unknown_outcomes_warning(cells, options.outcome)
    summary = GradeSummary(
        model=model.name,
        model_version=model.version,
        input=source.name,
        output="<stdout>" if output == "-" else output,
        rescored=rescored,
        rows=sum(c["count"] for c in cells),
        grades=letters(model),
        tiers=[t.name for t in model.tiers],
        matrix=cells,
        outcome=options.outcome,
        files=files,
        warnings=no_leads_warning(sum(c["count"] for c in cells)) + warnings,
    )
    if options.previous is not None:
        changed = results[changes_at : changes_at + len(changes_from)]
        summary.changes, change_warnings = changes_since(options.previous, changed)
        summary.warnings += change_warnings
    if options.handoff is not None:
        fmt = output_format(output, options.output_format)
        rows, handoff_warnings = write_handoff(
            output, fmt, options.handoff, model, spreadsheet_safe=options.excel_safe
        )
        summary.handoff = {"path": options.handoff, "rows": rows, "tiers": handoff_tiers(model)}
        summary.warnings += handoff_warnings
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def unknown_outcomes_warning(cells: list[dict], column: str | None) -> list[str]:
    """Rates are over the leads with a known outcome; say so when some have none, or a
    cell's `count` and its rate would seem to disagree."""
    known = sum(c["known"] for c in cells)
    unknown = sum(c["count"] for c in cells) - known
    if not unknown:
        return []
    return [
        f"{counted(unknown, 'lead')} {noun_for(unknown, 'has', 'have')} no known outcome in "
        f"{column!r}: conversion rates are over the {counted(known, 'lead')} that have one"
    ]


def other_model_warning(source: Source, model: Model) -> list[str]:
    """Scores a Parquet input records as another model's are graded as they are; say so.

    Tiers and grades would then mix that model's scores with this model's cutoffs.
    """
    which = other_scoring_model(source, model)
    if which is None:
        return []
    return [
        f"the scores in {source.name} came from {which}; they are graded as they are: "
        "pass --rescore to score the leads with the given model"
    ]


def segment_values(model: Model) -> dict[str, list[str]]:
    """Every value each `--split-by` key can take with this model: the segment files an
    earlier run with it can have written, which are all a run may replace."""
    return {
        GRADE: letters(model),
        TIER: [tier.name for tier in model.tiers],
        PRIORITY: priority_labels(model),
    }


def check_folder_destination(dest: str, inputs: list[Path | None], model: Model) -> None:
    """`--split-by` replaces the folder `dest`: refuse, before any work, when an input
    file lives inside it or it holds anything but segment files of this model."""
    folder = Path(dest).expanduser().resolve()
    for source in inputs:
        if source is not None and folder in Path(source).expanduser().resolve().parents:
            raise OutputError(
                "refusing to replace the folder that holds the input or the model", path=dest
            )
    check_segment_folder(dest, segment_values(model))
