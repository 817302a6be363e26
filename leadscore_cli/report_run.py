"""`report` end to end: read (or compute) scores, aggregate once, derive every figure.

The rows are reduced by lazy polars aggregations to a few small tables: leads per
(score, tier, grade, outcome) cell, converted leads per (tier, days to convert), and
with a baseline one count per bin of each watched column. Every metric is then
computed from those tables (see `metrics`), so memory does not grow with the input.
This module prints nothing; `report` renders the `Report` it returns.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from leadscore_cli import __version__
from leadscore_cli.drift import (
    DriftColumn,
    Profile,
    bin_count_frame,
    column_value,
    drift_columns,
    make_profile,
    profile_frame,
    stability,
)
from leadscore_cli.errors import DataError, LeadscoreError, UsageError
from leadscore_cli.fields import parse_field
from leadscore_cli.grading import grade_expr, grading_of
from leadscore_cli.metrics import (
    BAND_EDGES,
    BOOTSTRAP_REPLICATES,
    BOOTSTRAP_SEED,
    ab_verdict,
    auc_from_counts,
    band_counts,
    bootstrap_auc_difference,
    calibration,
    gains_table,
    gini,
    ks_from_counts,
    psi,
    ratio,
    rounded,
)
from leadscore_cli.model.schema import DEFAULT_NULL_VALUES, Model
from leadscore_cli.outcome import (
    check_named_outcome,
    outcome_check_frame,
    outcome_expr,
    outcome_markers,
    raise_outcome_problems,
)
from leadscore_cli.readers import Source, open_source
from leadscore_cli.score_run import ReadOptions, invalid_values_check, run_guarded
from leadscore_cli.scoring import (
    SCORE,
    TIER,
    category_column,
    has_scores,
    hint_for,
    plan_scoring,
    restore_sources,
    tier_expr,
)
from leadscore_cli.summary import quantile_from_counts, score_histogram

SCHEMA_VERSION = 1
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


@dataclass
class Prepared:
    """The input with the report's columns (S, T, G) added, and what must be checked."""

    frame: pl.LazyFrame
    scored_here: bool
    tier_order: list[str] | None
    grade_order: list[str] | None
    checks: list[tuple[pl.LazyFrame, Check]] = field(default_factory=list)


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
    if options.fail_on_drift is not None and options.fail_on_drift < 0:
        raise UsageError("--fail-on-drift must be 0 or more, e.g. 0.25")
    if options.compare_model is not None and options.outcome is None:
        raise UsageError("--compare-model compares how well scores predict: it needs --outcome")


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
            raw = pl.col(options.outcome)
        # The outcome is grouped by its raw value (a handful of distinct values) and read
        # on the small table afterwards: text parsing then costs nothing per row.
        frame = frame.with_columns(raw.alias(RAW))
        if options.created_column is not None:
            frame = frame.with_columns(days_expr(frame, model, options, source.name).alias(DAYS))
        if options.compare_model is not None:
            frame, other_checks = add_other_scores(frame, options, source.name)
            checks += other_checks
        baseline = None
        if options.baseline is not None:
            baseline = profile_baseline(options.baseline, model, options.as_of)
        keys = [S, T, G, RAW] + ([SB, TB] if options.compare_model is not None else [])
        frames = [frame.group_by(keys).agg(pl.len().alias(COUNT))]
        if options.created_column is not None:
            frames.append(
                frame.filter(pl.col(DAYS).is_not_null())
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
        results = run_guarded(source, lambda: pl.collect_all(frames + drift_frames))
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
    warnings: list[str] = []
    tier_order = prepared.tier_order or order_by_score(cells, T)
    grade_order = prepared.grade_order or sorted_grades(cells)
    rows = int(cells[COUNT].sum())
    unscored = int(cells.filter(pl.col(S).is_null())[COUNT].sum())
    if unscored:
        warnings.append(f"{unscored:,} row(s) have no readable score and are left out")
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
    if options.compare_model is not None and model is not None:
        report.comparison = comparison(cells, model, options.compare_model, tier_order)
    elif options.compare_model is not None:
        current = {"name": "scores in the input", "version": ""}
        report.comparison = comparison(cells, None, options.compare_model, tier_order, current)
    return report


# --- preparing the frame -----------------------------------------------------------


def prepare(source: Source, model: Model | None, as_of: dt.date) -> Prepared:
    """Add S (score), T (tier) and G (grade): read from the input or computed with `model`."""
    schema = source.frame.collect_schema()
    columns = list(schema.names())
    if model is None:
        if SCORE not in columns:
            raise UsageError(
                f"{source.name} has no {SCORE!r} column: give -m MODEL to score it here"
            )
        frame = source.frame.with_columns(pl.col(SCORE).cast(pl.Float64, strict=False).alias(S))
        frame = frame.with_columns(
            column_or_null(schema, TIER).alias(T), column_or_null(schema, GRADE).alias(G)
        )
        return Prepared(frame, False, enum_order(schema, TIER), enum_order(schema, GRADE))
    checks: list[tuple[pl.LazyFrame, Check]] = []
    if has_scores(columns, model):
        frame = source.frame.with_columns(
            pl.col(c).cast(pl.Float64, strict=False) for c in score_columns(model)
        )
        scored_here = False
    else:
        plan = plan_scoring(source.frame, model, as_of=as_of, source_name=source.name)
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
    return Prepared(frame, scored_here, tiers, grades, checks)


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
    frame: pl.LazyFrame, options: ReportOptions, source_name: str
) -> tuple[pl.LazyFrame, list[tuple[pl.LazyFrame, Check]]]:
    """Score the same leads with the other model; its score and tier become SB and TB."""
    other = options.compare_model
    assert other is not None
    frame = restore_sources(frame, other)
    plan = plan_scoring(frame, other, as_of=options.as_of, source_name=source_name)
    tier = pl.col(TIER) if other.tiers else pl.lit(None, pl.String)
    scored = plan.output.with_columns(pl.col(SCORE).alias(SB), tier.alias(TB))
    check = invalid_values_check(plan, source_name)
    return scored, [(plan.stats, lambda df: check([df]))]


# --- distribution ------------------------------------------------------------------


def per_score(cells: pl.DataFrame, score: str = S) -> pl.DataFrame:
    """Leads, converted and not converted per distinct score, ascending (null scores out)."""
    return (
        cells.filter(pl.col(score).is_not_null())
        .group_by(score)
        .agg(
            pl.col(COUNT).sum().alias("leads"),
            pl.col(COUNT).filter(pl.col(Y) == True).sum().alias("pos"),  # noqa: E712
            pl.col(COUNT).filter(pl.col(Y) == False).sum().alias("neg"),  # noqa: E712
        )
        .sort(score)
    )


def distribution(cells: pl.DataFrame, tiers: list[str], grades: list[str]) -> dict:
    scores = per_score(cells)
    values, counts = scores[S].to_list(), scores["leads"].to_list()
    total = sum(counts)
    histogram = score_histogram(values, counts)
    for bin_ in histogram:
        bin_["share"] = rounded(ratio(int(bin_["count"]), total))
    mean = sum(v * c for v, c in zip(values, counts, strict=True)) / total if total else None
    return {
        "scored": total,
        "mean": rounded(mean, 4),
        "median": quantile_from_counts(values, counts, 0.5),
        "histogram": histogram,
        "tiers": shares(cells, T, "tier", tiers),
        "grades": shares(cells, G, "grade", grades),
        "matrix": matrix(cells, tiers, grades),
    }


def shares(cells: pl.DataFrame, column: str, label: str, order: list[str]) -> list[dict]:
    found = counts_by(cells, [column])
    total = int(cells[COUNT].sum())
    return [share_row({label: key}, found.get((key,), 0), total) for key in order]


def matrix(cells: pl.DataFrame, tiers: list[str], grades: list[str]) -> list[dict]:
    found = counts_by(cells, [G, T])
    total = int(cells[COUNT].sum())
    return [
        share_row({"grade": g, "tier": t}, found.get((g, t), 0), total)
        for g in grades
        for t in tiers
    ]


def share_row(keys: dict, count: int, total: int) -> dict:
    return keys | {"count": count, "share": rounded(ratio(count, total))}


def counts_by(cells: pl.DataFrame, keys: list[str]) -> dict[tuple, int]:
    grouped = cells.group_by(keys).agg(pl.col(COUNT).sum())
    return {tuple(row[:-1]): int(row[-1]) for row in grouped.iter_rows()}


def order_by_score(cells: pl.DataFrame, column: str) -> list[str]:
    """Tiers of a file scored elsewhere, top first: by their lowest score, highest first."""
    grouped = (
        cells.filter(pl.col(column).is_not_null())
        .group_by(column)
        .agg(pl.col(S).min().alias("low"), pl.col(S).max().alias("high"))
        .sort(["low", "high", column], descending=[True, True, False], nulls_last=True)
    )
    return grouped[column].to_list()


def sorted_grades(cells: pl.DataFrame) -> list[str]:
    """Grades of a file graded elsewhere: A+ A A- B+ ... (letter, then +, plain, -)."""
    found = cells[G].drop_nulls().unique().to_list()
    return sorted(found, key=lambda g: (g.rstrip("+-"), {"+": 0, "-": 2}.get(g[-1:], 1)))


# --- outcome -----------------------------------------------------------------------


def outcome_section(
    cells: pl.DataFrame,
    options: ReportOptions,
    tiers: list[str],
    grades: list[str],
    warnings: list[str],
) -> dict:
    known = cells.filter(pl.col(Y).is_not_null())
    positives = int(known.filter(pl.col(Y))[COUNT].sum())
    total = int(known[COUNT].sum())
    missing = int(cells.filter(pl.col(Y).is_null())[COUNT].sum())
    if positives == 0 or positives == total:
        warnings.append(
            f"outcome column {options.outcome!r} has a single class among {total:,} known "
            "outcomes: AUC, Gini and KS cannot be computed"
        )
    scores = per_score(known)
    values = scores[S].to_numpy()
    pos, neg = scores["pos"].to_numpy(), scores["neg"].to_numpy()
    auc = auc_from_counts(pos, neg)
    ks, ks_score = ks_from_counts(values, pos, neg)
    return {
        "column": options.outcome,
        "positive": list(options.positive),
        "known": total,
        "converted": positives,
        "missing": missing,
        "base_rate": rounded(ratio(positives, total)),
        "auc": rounded(auc),
        "gini": rounded(gini(auc)),
        "ks": rounded(ks),
        "ks_score": ks_score,
        "by_tier": rates_by(known, T, "tier", tiers),
        "by_grade": rates_by(known, G, "grade", grades),
        "deciles": gains_table(values, pos, neg),
        "calibration": calibration(values, pos, neg),
        "velocity": None,
    }


def rates_by(known: pl.DataFrame, column: str, label: str, order: list[str]) -> list[dict]:
    leads = counts_by(known, [column])
    converted = counts_by(known.filter(pl.col(Y)), [column])
    rows = []
    for key in order:
        n, conv = leads.get((key,), 0), converted.get((key,), 0)
        rows.append({label: key, "leads": n, "converted": conv, "rate": rounded(ratio(conv, n))})
    return rows


def velocity(counts: pl.DataFrame, options: ReportOptions, tiers: list[str]) -> dict:
    """Median whole days from created to converted, per tier, over converted leads."""
    negative = int(counts.filter(pl.col(DAYS) < 0)[COUNT].sum())
    valid = counts.filter(pl.col(DAYS) >= 0)

    def median(frame: pl.DataFrame) -> tuple[int, float | None]:
        grouped = frame.group_by(DAYS).agg(pl.col(COUNT).sum()).sort(DAYS)
        values, n = grouped[DAYS].to_list(), grouped[COUNT].to_list()
        return sum(n), quantile_from_counts(values, n, 0.5)

    overall_n, overall = median(valid)
    by_tier = []
    for tier in tiers:
        n, value = median(valid.filter(pl.col(T) == tier))
        by_tier.append({"tier": tier, "converted": n, "median_days": value})
    return {
        "created_column": options.created_column,
        "converted_at_column": options.converted_at_column,
        "converted": overall_n,
        "median_days": overall,
        "by_tier": by_tier,
        "negative_left_out": negative,
    }


# --- drift -------------------------------------------------------------------------


@dataclass
class Baseline:
    name: str
    rows: int
    score_counts: pl.DataFrame  # S, count
    tier_counts: dict[str, int]
    profiles: list[Profile]
    bin_counts: dict[str, pl.DataFrame]  # field -> bin, count
    missing: list[str] = field(default_factory=list)


def profile_baseline(path: str, model: Model | None, as_of: dt.date) -> Baseline:
    """Read the baseline twice: its scores, tiers and column profiles, then its bin counts."""
    with open_source(path) as source:
        prepared = prepare(source, model, as_of)
        frame = prepared.frame
        columns: list[tuple[DriftColumn, pl.Expr]] = []
        for column in drift_columns(model) if model is not None else []:
            value = column_value(frame, model, column)  # type: ignore[arg-type]
            if value is not None:
                columns.append((column, value))
        frames = [
            frame.group_by(S).agg(pl.len().alias(COUNT)),
            frame.group_by(T).agg(pl.len().alias(COUNT)),
            *(profile_frame(frame, value, column) for column, value in columns),
            *(check_frame for check_frame, _ in prepared.checks),
        ]
        first = run_guarded(source, lambda: pl.collect_all(frames))
        for (_, check), result in zip(prepared.checks, first[2 + len(columns) :], strict=True):
            check(result)
        profiles = [
            make_profile(column, result)
            for (column, _), result in zip(columns, first[2 : 2 + len(columns)], strict=True)
        ]
        binned = [
            bin_count_frame(frame, value, profile)
            for (_, value), profile in zip(columns, profiles, strict=True)
        ]
        second = run_guarded(source, lambda: pl.collect_all(binned)) if binned else []
        name = source.name
    tier_counts = {str(k): int(v) for k, v in first[1].drop_nulls(T).iter_rows()}
    return Baseline(
        name=name,
        rows=int(first[0][COUNT].sum()),
        score_counts=first[0],
        tier_counts=tier_counts,
        profiles=profiles,
        bin_counts={p.column.field: df for p, df in zip(profiles, second, strict=True)},
    )


def score_band_counts(frame: pl.DataFrame, count: str) -> np.ndarray:
    known = frame.filter(pl.col(S).is_not_null())
    return band_counts(known[S].to_numpy(), known[count].to_numpy())


def drift_section(
    cells: pl.DataFrame,
    baseline: Baseline,
    drift_counts: list[tuple[Profile, pl.DataFrame]],
    tiers: list[str],
    options: ReportOptions,
) -> dict:
    labels = [f"{low}-{high}" for low, high in itertools.pairwise(BAND_EDGES)]
    score = psi(
        labels,
        score_band_counts(baseline.score_counts, COUNT).tolist(),
        score_band_counts(cells, COUNT).tolist(),
    )
    columns = []
    for profile, current in drift_counts:
        result = stability(profile, baseline.bin_counts[profile.column.field], current)
        columns.append(
            {
                "column": profile.column.field,
                "kind": profile.column.kind,
                "psi": result.psi,
                "verdict": result.verdict,
                "bins": result.bins,
            }
        )
    columns.sort(key=lambda c: -c["psi"])
    limit = options.fail_on_drift
    return {
        "baseline": baseline.name,
        "baseline_rows": baseline.rows,
        "score": {"psi": score.psi, "verdict": score.verdict, "bins": score.bins},
        "columns": columns,
        "columns_missing": sorted(set(baseline.missing)),
        "tiers": tier_change(cells, baseline.tier_counts, tiers),
        "fail_on_drift": limit,
        "failed": limit is not None and score.psi > limit,
    }


def tier_change(cells: pl.DataFrame, baseline: dict[str, int], tiers: list[str]) -> list[dict]:
    current = {k[0]: v for k, v in counts_by(cells, [T]).items() if k[0] is not None}
    order = tiers + [t for t in baseline if t not in tiers]
    total_b, total_c = sum(baseline.values()), sum(current.values())
    rows = []
    for tier in order:
        share_b = ratio(baseline.get(tier, 0), total_b) or 0.0
        share_c = ratio(current.get(tier, 0), total_c) or 0.0
        rows.append(
            {
                "tier": tier,
                "baseline": baseline.get(tier, 0),
                "baseline_share": rounded(share_b),
                "current": current.get(tier, 0),
                "current_share": rounded(share_c),
                "change": rounded(share_c - share_b),
            }
        )
    return rows


# --- A/B ---------------------------------------------------------------------------


def comparison(
    cells: pl.DataFrame,
    model: Model | None,
    other: Model,
    tiers: list[str],
    current: dict | None = None,
) -> dict:
    """Both models on the same leads: ranking quality, tiers, and the AUC difference."""
    if current is None:
        assert model is not None
        current = {"name": model.name, "version": model.version}
    who = {"name": other.name, "version": other.version}
    sides = [
        model_side(cells, S, T, tiers, "current", current),
        model_side(cells, SB, TB, [t.name for t in other.tiers], "other", who),
    ]
    paired = (
        cells.filter(pl.col(Y).is_not_null() & pl.col(S).is_not_null() & pl.col(SB).is_not_null())
        .group_by(S, SB, Y)
        .agg(pl.col(COUNT).sum())
        .sort(S, SB, Y)  # a fixed cell order, so the seeded draws give the same interval
    )
    low = high = None
    if paired.height:
        index_a = np.unique(paired[S].to_numpy(), return_inverse=True)[1]
        index_b = np.unique(paired[SB].to_numpy(), return_inverse=True)[1]
        low, high = bootstrap_auc_difference(
            index_a, index_b, paired[Y].to_numpy(), paired[COUNT].to_numpy()
        )
    auc_a, auc_b = sides[0]["auc"], sides[1]["auc"]
    difference = None if auc_a is None or auc_b is None else auc_b - auc_a
    return {
        "models": sides,
        "auc_difference": rounded(difference),
        "interval": [rounded(low), rounded(high)],
        "replicates": BOOTSTRAP_REPLICATES,
        "seed": BOOTSTRAP_SEED,
        "verdict": ab_verdict(difference, low, high),
    }


def model_side(
    cells: pl.DataFrame, score: str, tier: str, tiers: list[str], role: str, who: dict
) -> dict:
    known = cells.filter(pl.col(Y).is_not_null())
    scores = per_score(known, score)
    values = scores[score].to_numpy()
    pos, neg = scores["pos"].to_numpy(), scores["neg"].to_numpy()
    auc = auc_from_counts(pos, neg)
    ks, _ = ks_from_counts(values, pos, neg)
    top = gains_table(values, pos, neg)[0]
    total = int(cells[COUNT].sum())
    volume = counts_by(cells, [tier])
    leads = counts_by(known, [tier])
    converted = counts_by(known.filter(pl.col(Y)), [tier])
    rows = []
    for name in tiers:
        n, conv = leads.get((name,), 0), converted.get((name,), 0)
        count = volume.get((name,), 0)
        rows.append(
            {
                "tier": name,
                "count": count,
                "share": rounded(ratio(count, total)),
                "leads": n,
                "converted": conv,
                "rate": rounded(ratio(conv, n)),
            }
        )
    return {
        "role": role,
        **who,
        "auc": rounded(auc),
        "gini": rounded(gini(auc)),
        "ks": rounded(ks),
        "top_decile_lift": top["lift"],
        "tiers": rows,
    }
