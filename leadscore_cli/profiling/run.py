"""The run that ties a profile together.

One pass over the input groups every column by its raw value (and the outcome) into a
count table, which is small for all but id-like columns. Everything else is computed from
those tables in a few lazy batches: types are inferred once per distinct value instead of
once per row, and quantiles, top values, spellings and ICP bins are weighted by counts.
So the cost is one read of the input plus work proportional to the distinct values.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from leadscore_cli.fields import null_markers, resolve_field_types
from leadscore_cli.icp import rule_checks, rule_history_frame
from leadscore_cli.model.schema import DEFAULT_NULL_VALUES, Model
from leadscore_cli.outcome import (
    check_outcome,
    outcome_check_frame,
    outcome_expr,
    outcome_markers,
    refuse_outcome_type,
    require_column,
)
from leadscore_cli.profiling.column_types import detect_types, materialise, typed_frame
from leadscore_cli.profiling.columns import COUNT, NEG, OUTCOME, POS, ROW, ColumnFacts
from leadscore_cli.profiling.findings import column_findings
from leadscore_cli.profiling.results import Profile, column_profile
from leadscore_cli.profiling.stats import column_stats
from leadscore_cli.profiling.target import History, target_profile
from leadscore_cli.readers import open_source
from leadscore_cli.score_run import ReadOptions, run_guarded
from leadscore_cli.scoring.inputs import apply_renames, check_columns, required_columns

DEFAULT_NULL_MARKERS: tuple[str, ...] = DEFAULT_NULL_VALUES  # what a model reads as missing


@dataclass(frozen=True)
class ProfileOptions:
    """What to profile against: a target outcome, null markers, the rules' as-of date."""

    target: str | None = None
    positive: tuple[str, ...] = ()
    null_values: tuple[str, ...] = DEFAULT_NULL_MARKERS
    as_of: dt.date | None = None


# --- entry points ------------------------------------------------------------------------


def profile_file(
    input_path: str,
    options: ProfileOptions,
    read: ReadOptions = ReadOptions(),
    model: Model | None = None,
) -> Profile:
    """Profile `input_path` (CSV, Parquet or "-"); raises LeadscoreError for what users fix."""
    started = time.perf_counter()
    with open_source(
        input_path, encoding=read.encoding, delimiter=read.delimiter, format=read.format
    ) as source:
        profile = profile_frame(
            source.frame,
            options,
            model,
            source_name=source.name,
            run=lambda action: run_guarded(source, action),
        )
    profile.seconds = round(time.perf_counter() - started, 3)
    return profile


def profile_frame(
    frame: pl.LazyFrame,
    options: ProfileOptions,
    model: Model | None = None,
    *,
    source_name: str = "<data>",
    run: Callable[[Callable[[], Any]], Any] = lambda action: action(),
) -> Profile:
    """Profile a lazy frame; `run` wraps the pass over the input (to explain read errors)."""
    schema = frame.collect_schema()
    if model is not None:
        check_columns(model, list(schema.names()), source_name)
        frame, schema = apply_renames(frame, schema, model, source_name)
    frame, schema = categories_as_text(frame, schema)
    columns = plan_columns(schema, options, model)
    target = resolve_target(options.target, schema, model, source_name)
    if target is not None:
        refuse_outcome_type(target, schema[target], source_name=source_name, role="target")
    positive = list(options.positive) or None
    history = None
    if target is not None and model is not None:
        history = History(model, options.as_of or dt.date.today())

    markers = outcome_markers(options.null_values, model.null_values if model else ())
    scan = read_input(frame, schema, columns, target, positive, history, source_name, run, markers)
    counts = None
    if target is not None:
        table = scan.tables[target].lazy()
        check = outcome_check_frame(
            table, target, schema[target], positive, weight=COUNT, markers=markers
        )
        counts = check_outcome(
            target, check.collect(), positive, source_name=source_name, role="target"
        )

    marked = detect_types(columns, scan.tables)
    typed = materialise(
        columns, {c.name: typed_frame(marked[c.name], c, source_name) for c in columns}
    )
    # Binary columns become text here, where bytes that are not UTF-8 first fail.
    stats = run(lambda: column_stats(columns, typed, target, counts, history))
    rules = None
    if history is not None and counts is not None:
        figures = dict(scan.rule_sums)
        for c in columns:
            figures.update(stats[c.name].get("rules", {}))
        rules = rule_checks(history.model, figures, counts.known, counts.positives)
    icp = None
    if target is not None and counts is not None:
        icp = target_profile(columns, typed, stats, target, positive, counts)
    return Profile(
        input=source_name,
        rows=scan.rows,
        null_values=list(options.null_values),
        model={"name": model.name, "version": model.version} if model else None,
        columns=[column_profile(c, stats[c.name], scan.rows) for c in columns],
        findings=[f for c in columns for f in column_findings(c, stats[c.name], scan.rows)],
        icp=icp,
        rules=rules,
        as_of=history.as_of.isoformat() if rules is not None and history else None,
    )


@dataclass
class Scan:
    """What the one pass over the input returns."""

    rows: int
    tables: dict[str, pl.DataFrame]
    rule_sums: dict[str, Any]


def categories_as_text(frame: pl.LazyFrame, schema: pl.Schema) -> tuple[pl.LazyFrame, pl.Schema]:
    """Categorical and Enum columns are profiled as the text they hold."""
    names = [n for n, d in schema.items() if d == pl.Categorical or isinstance(d, pl.Enum)]
    if not names:
        return frame, schema
    frame = frame.with_columns(pl.col(names).cast(pl.String))
    return frame, frame.collect_schema()


def read_input(
    frame: pl.LazyFrame,
    schema: pl.Schema,
    columns: list[ColumnFacts],
    target: str | None,
    positive: list[str] | None,
    history: History | None,
    source_name: str,
    run: Callable[[Callable[[], Any]], Any],
    markers: Sequence[str],
) -> Scan:
    """The one pass over the input: a count table per column (plus row-wise rule sums)."""
    base = frame.with_row_index(ROW)
    if target is not None:
        flag = outcome_expr(target, schema[target], positive, markers)
        base = base.with_columns(flag.alias(OUTCOME))
    frames = [count_table(base, c, target is not None) for c in columns]
    extra: list[pl.LazyFrame] = [base.select(pl.len().cast(pl.Int64).alias(COUNT))]
    if history is not None and history.row_rules:
        extra.append(
            rule_history_frame(
                base, OUTCOME, history.model, history.row_rules, history.as_of, source_name
            )
        )
    if any(c.supported for c in columns):
        extra = extra[1:]  # the rows are the sum of any count table
    results = run(lambda: pl.collect_all([*frames, *extra]))
    tables = dict(zip([c.name for c in columns], results, strict=False))
    counted = next((tables[c.name] for c in columns if c.supported), None)
    if counted is None:
        counted, extra_results = results[len(frames)], results[len(frames) + 1 :]
    else:
        extra_results = results[len(frames) :]
    sums = extra_results[0].row(0, named=True) if extra_results else {}
    return Scan(rows=int(counted[COUNT].sum()), tables=tables, rule_sums=sums)


# --- columns and the pass over the input -------------------------------------------------


def plan_columns(
    schema: pl.Schema, options: ProfileOptions, model: Model | None
) -> list[ColumnFacts]:
    """Columns in report order: the model's fields first, read the way the model reads them."""
    markers = marker_list(options.null_values)
    columns: list[ColumnFacts] = []
    if model is not None:
        types = resolve_field_types(model.rules, model.fields)
        for name in required_columns(model):
            spec = model.field_spec(name)
            columns.append(
                ColumnFacts(
                    name=name,
                    source=spec.source if spec else name,
                    dtype=schema[name],
                    markers=marker_list(null_markers(spec, model.null_values)),
                    spec=spec,
                    in_model=True,
                    model_id=name == model.id_column,
                    model_type=types.get(name) or (spec.type if spec else None) or "string",
                )
            )
    seen = {c.name for c in columns}
    columns += [
        ColumnFacts(name=name, source=name, dtype=dtype, markers=markers)
        for name, dtype in schema.items()
        if name not in seen
    ]
    return columns


def marker_list(values: Sequence[str]) -> list[str]:
    """Null markers as compared: trimmed, lower case; an empty cell always counts."""
    return sorted({v.strip().lower() for v in values} | {""})


def resolve_target(
    target: str | None, schema: pl.Schema, model: Model | None, source_name: str
) -> str | None:
    """The target's column after the model's renames (its export name is accepted too)."""
    if target is None:
        return None
    names = list(schema.names())
    if target not in names and model is not None:
        renamed = {s.source: s.name for s in model.fields}
        if renamed.get(target) in names:
            return renamed[target]
    require_column(target, names, option="--target", source_name=source_name)
    return target


def count_table(base: pl.LazyFrame, column: ColumnFacts, outcome: bool) -> pl.LazyFrame:
    """Rows per distinct raw value, the first row it is on and, with a target, how many of
    those leads converted (POS) or did not (NEG)."""
    if not column.supported:
        return base.select(pl.col(column.name).null_count().cast(pl.Int64).alias(COUNT))
    aggs = [pl.len().cast(pl.Int64).alias(COUNT), pl.col(ROW).min().alias(ROW)]
    if outcome:
        y = pl.col(OUTCOME)
        aggs += [y.sum().cast(pl.Int64).alias(POS), y.not_().sum().cast(pl.Int64).alias(NEG)]
    return base.group_by(pl.col(column.name)).agg(aggs)
