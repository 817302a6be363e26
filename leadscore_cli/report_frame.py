"""The frame a report aggregates: the options that shape it and the columns it adds.

Scores, tiers and grades (S, T, G) are read from a scored input or computed with
the model; the created-to-converted days and a second model's score and tier
(SB, TB) are added when the options ask for them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from leadscore_cli.errors import DataError, LeadscoreError, UsageError
from leadscore_cli.fields import parse_field
from leadscore_cli.grading import grade_expr, grading_of
from leadscore_cli.model.schema import DEFAULT_NULL_VALUES, Model, category_column
from leadscore_cli.readers import Source
from leadscore_cli.score_run import invalid_values_check, rescored_note
from leadscore_cli.scored_values import readable_score
from leadscore_cli.scoring import plan_scoring
from leadscore_cli.scoring.columns import SCORE, TIER
from leadscore_cli.scoring.inputs import has_scores, hint_for, restore_sources, without_scores
from leadscore_cli.scoring.totals import tier_expr

GRADE = "grade"
_P = "__rep_"
S, T, G, Y = f"{_P}score", f"{_P}tier", f"{_P}grade", f"{_P}outcome"
RAW = f"{_P}outcome_value"
SB, TB, DAYS = f"{_P}score_other", f"{_P}tier_other", f"{_P}days"
COUNT = "count"

Check = Callable[[pl.DataFrame], None]


@dataclass(frozen=True)
class ReportOptions:
    as_of: dt.date
    outcome: str | None = None
    positive: tuple[str, ...] = ()
    baseline: str | None = None
    compare_model: Model | None = None
    created_column: str | None = None
    converted_at_column: str | None = None
    fail_on_drift: float | None = None


@dataclass
class Prepared:
    """The input with the report's columns (S, T, G) added, and what must be checked."""

    frame: pl.LazyFrame
    scored_here: bool
    tier_order: list[str] | None
    grade_order: list[str] | None
    checks: list[tuple[pl.LazyFrame, Check]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def validate_options(options: ReportOptions) -> None:
    """Option combinations that cannot work, refused before any data is read."""
    if options.positive and options.outcome is None:
        raise UsageError("--positive goes with --outcome")
    dates = (options.created_column, options.converted_at_column)
    if any(d is not None for d in dates) and None in dates:
        raise UsageError("--created-column and --converted-at-column go together")
    if options.created_column is not None and options.outcome is None:
        raise UsageError("lead velocity (--created-column) needs --outcome")
    if options.fail_on_drift is not None and options.baseline is None:
        raise UsageError("--fail-on-drift needs --baseline")
    if options.fail_on_drift is not None and not 0 <= options.fail_on_drift < math.inf:
        # NaN would never trip the gate, and neither NaN nor inf is JSON
        raise UsageError("--fail-on-drift must be a number, 0 or more, e.g. 0.25")
    if options.compare_model is not None and options.outcome is None:
        raise UsageError("--compare-model compares how well scores predict: it needs --outcome")


def prepare(source: Source, model: Model | None, as_of: dt.date) -> Prepared:
    """Add S (score), T (tier) and G (grade): read from the input or computed with `model`."""
    schema = source.frame.collect_schema()
    columns = list(schema.names())
    if model is None:
        if SCORE not in columns:
            raise UsageError(
                f"{source.name} has no {SCORE!r} column: give -m MODEL to score it here"
            )
        frame = source.frame.with_columns(readable_score(SCORE).alias(S))
        frame = frame.with_columns(
            column_or_null(schema, TIER).alias(T), column_or_null(schema, GRADE).alias(G)
        )
        return Prepared(frame, False, enum_order(schema, TIER), enum_order(schema, GRADE))
    checks: list[tuple[pl.LazyFrame, Check]] = []
    notes = rescored_note(source, model)
    if has_scores(columns, model) and not notes:
        frame = source.frame.with_columns(readable_score(c) for c in score_columns(model))
        scored_here = False
    else:
        export, _ = without_scores(source.frame, model)
        plan = plan_scoring(export, model, as_of=as_of, source_name=source.name)
        frame = plan.output
        check = invalid_values_check(plan, source.name)
        checks.append((plan.stats, lambda df: check([df])))
        scored_here = True
    frame = frame.with_columns(pl.col(SCORE).alias(S))
    tiers = [t.name for t in model.tiers] or None
    tier = tier_expr(model, pl.col(S)) if tiers else pl.lit(None, pl.String)
    grades = model_grades(model)
    grade = grade_expr(model) if grades else pl.lit(None, pl.String)
    frame = frame.with_columns(tier.alias(T), grade.alias(G))
    return Prepared(frame, scored_here, tiers, grades, checks, notes)


def score_columns(model: Model) -> list[str]:
    return [SCORE, *(category_column(c) for c in model.categories)]


def model_grades(model: Model) -> list[str] | None:
    """The model's grade letters, or None when it cannot grade (no [grading], no fit)."""
    try:
        grading_of(model)
        expr = grade_expr(model)
    except LeadscoreError:
        return None
    empty = pl.LazyFrame(schema={category_column(c): pl.Float64 for c in model.categories})
    dtype = empty.select(expr.alias(GRADE)).collect_schema()[GRADE]
    return dtype.categories.to_list() if isinstance(dtype, pl.Enum) else None


def column_or_null(schema: pl.Schema, column: str) -> pl.Expr:
    if column not in schema:
        return pl.lit(None, pl.String)
    return pl.col(column)


def enum_order(schema: pl.Schema, column: str) -> list[str] | None:
    dtype = schema.get(column)
    if isinstance(dtype, pl.Enum):
        return dtype.categories.to_list()
    return None


def days_expr(
    frame: pl.LazyFrame, model: Model | None, options: ReportOptions, source_name: str
) -> pl.Expr:
    """Whole days from the created date to the converted date (dates read as the model would)."""
    schema = frame.collect_schema()
    dates = []
    for option, column in (
        ("--created-column", options.created_column),
        ("--converted-at-column", options.converted_at_column),
    ):
        assert column is not None
        if column not in schema:
            raise DataError(
                f"{option}: no column {column!r}{hint_for(column, list(schema.names()))}",
                path=source_name,
            )
        spec = model.field_spec(column) if model else None
        nulls = model.null_values if model else DEFAULT_NULL_VALUES
        dates.append(parse_field(column, "date", schema[column], spec, nulls).value)
    created, converted = dates
    return (converted.cast(pl.Date) - created.cast(pl.Date)).dt.total_days()


def add_other_scores(
    frame: pl.LazyFrame, model: Model | None, options: ReportOptions, source_name: str
) -> tuple[pl.LazyFrame, list[tuple[pl.LazyFrame, Check]]]:
    """Score the same leads with the other model; its score and tier become SB and TB.

    The frame names `model`'s renamed fields by field name; the export's own headers are
    put back first, so the other model finds them under whatever field names it uses."""
    other = options.compare_model
    assert other is not None
    if model is not None:
        frame = restore_sources(frame, model)
    frame = restore_sources(frame, other)
    plan = plan_scoring(frame, other, as_of=options.as_of, source_name=source_name)
    tier = pl.col(TIER) if other.tiers else pl.lit(None, pl.String)
    scored = plan.output.with_columns(pl.col(SCORE).alias(SB), tier.alias(TB))
    check = invalid_values_check(plan, source_name)
    return scored, [(plan.stats, lambda df: check([df]))]
