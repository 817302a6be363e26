"""`report` end to end: read (or compute) scores, aggregate once, derive every figure.

The rows are reduced by lazy polars aggregations to a few small tables: leads per
(score, tier, grade, outcome) cell, converted leads per (tier, days to convert), and
with a baseline one count per bin of each watched column. Every metric is then
computed from those tables (see `metrics`), so memory does not grow with the input.
The frame it aggregates is built in `report_frame`; each section is computed in
its own module (`report_distribution`, `report_outcome`, `report_drift`). Nothing
here prints; `report` renders the `Report` it returns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from leadscore_cli import __version__
from leadscore_cli.drift import Profile, bin_count_frame, column_value
from leadscore_cli.errors import DataError
from leadscore_cli.model.schema import Model
from leadscore_cli.outcome import (
    check_named_outcome,
    outcome_check_frame,
    outcome_expr,
    outcome_markers,
    raise_outcome_problems,
    refuse_outcome_type,
)
from leadscore_cli.readers import Source, open_source
from leadscore_cli.report_distribution import distribution, order_by_score, sorted_grades
from leadscore_cli.report_drift import (
    Baseline,
    collect_with_columns,
    drift_section,
    profile_baseline,
    unmeasured_drift,
)
from leadscore_cli.report_frame import (
    COUNT,
    DAYS,
    RAW,
    SB,
    TB,
    G,
    Prepared,
    ReportOptions,
    S,
    T,
    Y,
    add_other_scores,
    days_expr,
    prepare,
    validate_options,
)
from leadscore_cli.report_outcome import comparison, outcome_section, velocity
from leadscore_cli.score_run import ReadOptions, recorded_model
from leadscore_cli.scoring.inputs import hint_for
from leadscore_cli.summary import counted, noun_for

SCHEMA_VERSION = 1


@dataclass
class Report:
    """Everything `report` shows; `to_dict` is the documented JSON (docs/report.md)."""

    input: str
    rows: int
    model: dict | None
    scores: str  # "read" from the input, or "scored" here
    as_of: str | None
    distribution: dict
    outcome: dict | None = None
    drift: dict | None = None
    comparison: dict | None = None
    warnings: list[str] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION
    generated_by: str = f"leadscore {__version__}"

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        head = {k: data.pop(k) for k in ("schema_version", "generated_by")}
        return head | data

    @property
    def drift_failed(self) -> bool:
        return bool(self.drift and self.drift.get("failed"))


def build_report(
    input_path: str,
    model: Model | None,
    options: ReportOptions,
    read: ReadOptions = ReadOptions(),
) -> Report:
    """Read `input_path` (scored, or raw with `model`) and compute the whole report."""
    validate_options(options)
    with open_source(
        input_path, encoding=read.encoding, delimiter=read.delimiter, format=read.format
    ) as source:
        schema = source.frame.collect_schema()
        columns = list(schema.names())
        prepared = prepare(source, model, options.as_of)
        frame = prepared.frame
        checks = list(prepared.checks)
        outcome_dtype: pl.DataType = pl.Boolean()
        raw = pl.lit(None, pl.Boolean)
        if options.outcome is not None:
            if options.outcome not in columns:
                raise DataError(
                    f"no outcome column {options.outcome!r}{hint_for(options.outcome, columns)}",
                    path=source.name,
                )
            outcome_dtype = schema[options.outcome]
            refuse_outcome_type(options.outcome, outcome_dtype, source_name=source.name)
            raw = pl.col(options.outcome)
            if outcome_dtype == pl.Binary:
                # Decoded in the pass over the input, where bytes that are not UTF-8 are
                # reported as any fault of the input is, naming the column.
                raw, outcome_dtype = raw.cast(pl.String), pl.String()
        # The outcome is grouped by its raw value (a handful of distinct values) and read
        # on the small table afterwards: text parsing then costs nothing per row.
        frame = frame.with_columns(raw.alias(RAW))
        if options.created_column is not None:
            frame = frame.with_columns(days_expr(frame, model, options, source.name).alias(DAYS))
        if options.compare_model is not None:
            frame, other_checks = add_other_scores(frame, model, options, source.name)
            checks += other_checks
        baseline = None
        if options.baseline is not None:
            baseline = profile_baseline(options.baseline, model, options.as_of)
            if model is None:
                baseline.notes += other_baseline_model(source, options.baseline)
        keys = [S, T, G, RAW] + ([SB, TB] if options.compare_model is not None else [])
        frames = [frame.group_by(keys).agg(pl.len().alias(COUNT))]
        if options.created_column is not None:
            frames.append(
                frame.filter(pl.col(DAYS).is_not_null() & pl.col(S).is_not_null())
                .group_by(T, RAW, DAYS)
                .agg(pl.len().alias(COUNT))
            )
        frames += [check_frame for check_frame, _ in checks]
        drift_frames: list[pl.LazyFrame] = []
        drift_profiles: list[Profile] = []
        if baseline is not None and model is not None:
            for profile in baseline.profiles:
                value = column_value(frame, model, profile.column)
                if value is None:
                    baseline.missing.append(profile.column.field)
                    continue
                drift_profiles.append(profile)
                drift_frames.append(bin_count_frame(frame, value, profile))
        results = collect_with_columns(source, frames, drift_frames)
        name = source.name
    offset = 2 if options.created_column is not None else 1
    for (_, check), result in zip(checks, results[offset : offset + len(checks)], strict=True):
        check(result)
    markers = outcome_markers(model.null_values if model is not None else ())
    cells = read_outcome(results[0], options, outcome_dtype, name, markers, every_lead=True)
    velocity_counts = None
    if options.created_column is not None:
        velocity_counts = read_outcome(results[1], options, outcome_dtype, name, markers)
        velocity_counts = velocity_counts.filter(pl.col(Y))
    drift_results = results[offset + len(checks) :]
    return assemble(
        name,
        model,
        options,
        prepared,
        cells,
        velocity_counts,
        baseline,
        list(zip(drift_profiles, drift_results, strict=True)),
    )


def other_baseline_model(source: Source, baseline_path: str) -> list[str]:
    """Without -m each file's own scores are compared: say so when the two Parquet files
    record different models, as the score PSI would then measure the change of model."""
    current = recorded_model(source)
    if current is None or baseline_path == "-":  # stdin was read already: it reads once
        return []
    with open_source(baseline_path) as baseline:
        before = recorded_model(baseline)
    if before is None or before["sha256"] == current["sha256"]:
        return []
    old, new = (f"{m['name']} {m['version']}" for m in (before, current))
    if old == new:
        old, new = f"one edit of {old}", "another"
    return [
        f"the baseline {baseline_path} was scored with model {old} and {source.name} with "
        f"{new}: the score drift compares two models; pass -m MODEL to score both with one"
    ]


def read_outcome(
    counts: pl.DataFrame,
    options: ReportOptions,
    dtype: pl.DataType,
    source_name: str,
    markers: Sequence[str],
    *,
    every_lead: bool = False,
) -> pl.DataFrame:
    """Replace the raw outcome values of a count table by the converted flag Y.

    The checks weigh each distinct value by its count, so they speak of leads. Only a
    table of `every_lead` can tell that --positive matches no lead (or all of them).
    Tier and grade become text here too, after grouping on their compact ordered form.
    """
    if options.outcome is not None:
        positive = options.positive or None
        check = outcome_check_frame(
            counts.lazy(), RAW, dtype, positive, weight=COUNT, markers=markers
        ).collect()
        if every_lead:
            check_named_outcome(options.outcome, check, positive, source_name=source_name)
        else:
            raise_outcome_problems(check, options.outcome, source_name)
        flag = outcome_expr(RAW, dtype, positive, markers)
    else:
        flag = pl.lit(None, pl.Boolean)
    text = [c for c in (T, G, TB) if c in counts.columns]
    keys = [c for c in counts.columns if c not in (RAW, COUNT)]
    return (
        counts.with_columns(flag.alias(Y), pl.col(text).cast(pl.String))
        .group_by([*keys, Y])
        .agg(pl.col(COUNT).sum())
    )


def assemble(
    name: str,
    model: Model | None,
    options: ReportOptions,
    prepared: Prepared,
    cells: pl.DataFrame,
    velocity_counts: pl.DataFrame | None,
    baseline: Baseline | None,
    drift_counts: list[tuple[Profile, pl.DataFrame]],
) -> Report:
    warnings = prepared.notes + (baseline.notes if baseline is not None else [])
    tier_order = prepared.tier_order or order_by_score(cells, T)
    grade_order = prepared.grade_order or sorted_grades(cells)
    rows = int(cells[COUNT].sum())
    unscored = int(cells.filter(pl.col(S).is_null())[COUNT].sum())
    if unscored:
        has = noun_for(unscored, "has", "have")
        are = noun_for(unscored, "is", "are")
        warnings.append(f"{counted(unscored, 'row')} {has} no readable score and {are} left out")
    report = Report(
        input=name,
        rows=rows,
        model=None if model is None else {"name": model.name, "version": model.version},
        scores="scored" if prepared.scored_here else "read",
        as_of=options.as_of.isoformat() if prepared.scored_here else None,
        distribution=distribution(cells, tier_order, grade_order),
        warnings=warnings,
    )
    if options.outcome is not None:
        report.outcome = outcome_section(cells, options, tier_order, grade_order, warnings)
        if velocity_counts is not None:
            report.outcome["velocity"] = velocity(velocity_counts, options, tier_order)
    if baseline is not None:
        report.drift = drift_section(cells, baseline, drift_counts, tier_order, options)
        warnings += unmeasured_drift(report.drift, name)
    if options.compare_model is not None and model is not None:
        report.comparison = comparison(cells, model, options.compare_model, tier_order)
    elif options.compare_model is not None:
        current = {"name": "scores in the input", "version": "", "file": None}
        report.comparison = comparison(cells, None, options.compare_model, tier_order, current)
    return report
