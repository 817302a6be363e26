"""Profile a CRM export: what each column holds, what is wrong with it, and (with a target)
which attributes mark the leads that convert.

One pass over the input groups every column by its raw value (and the outcome) into a
count table, which is small for all but id-like columns. Everything else is computed from
those tables in a few lazy batches: types are inferred once per distinct value instead of
once per row, and quantiles, top values, spellings and ICP bins are weighted by counts.
So the cost is one read of the input plus work proportional to the distinct values.

Row numbers count data rows from 1 (the header is not a row).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import polars as pl

from leadscore_cli import __version__
from leadscore_cli.errors import DataError
from leadscore_cli.fields import (
    AUTO_DATETIME_FORMATS,
    cast_typed_column,
    null_markers,
    parse_text_column,
    resolve_field_types,
)
from leadscore_cli.icp import (
    MISSING as MISSING_BIN,
)
from leadscore_cli.icp import (
    OTHER,
    Attribute,
    Icp,
    RuleCheck,
    build_icp,
    make_attribute,
    min_support,
    rule_checks,
    rule_columns,
    rule_fields,
    rule_history_frame,
    rule_sums,
    woe_bins,
)
from leadscore_cli.model.schema import DEFAULT_NULL_VALUES, FieldSpec, Model
from leadscore_cli.outcome import (
    OutcomeCounts,
    check_outcome,
    outcome_check_frame,
    outcome_expr,
    outcome_markers,
    require_column,
)
from leadscore_cli.readers import open_source
from leadscore_cli.score_run import ReadOptions, run_guarded
from leadscore_cli.scoring import apply_renames, check_columns, required_columns, value_column

__all__ = [
    "DEFAULT_NULL_MARKERS",
    "SCHEMA_VERSION",
    "ColumnProfile",
    "Finding",
    "Profile",
    "ProfileOptions",
    "profile_file",
    "profile_frame",
]

SCHEMA_VERSION = 1
DEFAULT_NULL_MARKERS: tuple[str, ...] = (*DEFAULT_NULL_VALUES, "Select")

SAMPLE_ROWS = 10_000  # types are inferred from the values first seen in these rows
TYPE_SHARE = 0.95  # share of present values that must read as a type to infer it
EMAIL_SHARE = 0.5  # share of present values that look like addresses in an email column
ID_SHARE = 0.9  # distinct values over present values for an id-like column
ID_MIN_DISTINCT = 20  # fewer distinct values say nothing about being id-like
ID_COLUMN_SHARE = 0.5  # the same, for a column named like an id to be checked for duplicates
MOSTLY_NULL = 0.5
TOP_VALUES = 5
EXAMPLES = 3
QUANTILE_BINS = 10
OUTLIER_IQR = 3.0
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
FORMULA_PATTERN = r"^[=+\-@\t\r]"
ID_NAME = re.compile(r"(?i:(?:^|[\s_\-.])id)$|[a-z](?:Id|ID)$")  # lead_id, Record ID, leadId

# Working columns of the count tables (a prefix no export uses).
_P = "__lsp_"
ROW = f"{_P}row"  # data row index (0-based); in count tables the first row of the value
COUNT = f"{_P}n"  # rows holding the value
POS = f"{_P}pos"  # of which converted (with a target)
NEG = f"{_P}neg"  # of which did not convert
OUTCOME = f"{_P}y"  # the target read as a Boolean, in the pass over the input
VALUE = f"{_P}value"
MISSING = f"{_P}missing"
INVALID = f"{_P}invalid"
KEY = f"{_P}key"
CUM = f"{_P}cum"
BIN = f"{_P}bin"
KNOWN = f"{_P}known"
LABEL = f"{_P}label"
TX = f"{_P}t"
OUT = f"{_P}out"
DIST = f"{_P}dist"
STEP = f"{_P}step"  # prefix of the columns that hold parsing steps

NUMBER_TYPES = ("int", "float")
DATE_TYPES = ("date", "datetime")


@dataclass(frozen=True)
class ProfileOptions:
    """What to profile against: a target outcome, null markers, the rules' as-of date."""

    target: str | None = None
    positive: tuple[str, ...] = ()
    null_values: tuple[str, ...] = DEFAULT_NULL_MARKERS
    as_of: dt.date | None = None


@dataclass
class ColumnProfile:
    name: str
    source: str
    dtype: str
    type: str
    in_model: bool
    nulls: int
    null_share: float
    null_markers: dict[str, int]
    distinct: int
    id_like: bool
    invalid: int
    invalid_examples: list[str]
    top: list[dict[str, Any]]
    numbers: dict[str, float | int | None] | None
    dates: dict[str, str | None] | None


@dataclass
class Finding:
    """One data quality problem, with a count and where to look."""

    kind: str
    column: str
    count: int
    message: str
    examples: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)


@dataclass
class Profile:
    input: str
    rows: int
    null_values: list[str]
    model: dict[str, str] | None
    columns: list[ColumnProfile]
    findings: list[Finding]
    icp: Icp | None = None
    rules: list[RuleCheck] | None = None
    as_of: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON object (docs/profile.md), `version` first."""
        body = asdict(self)
        return {"version": SCHEMA_VERSION, "leadscore": __version__, **body}


@dataclass
class _Column:
    """What the batches need to know about one column; filled in as they learn it."""

    name: str
    source: str
    dtype: pl.DataType
    markers: list[str]
    spec: FieldSpec | None = None
    in_model: bool = False
    model_id: bool = False
    model_type: str | None = None
    type: str = "string"
    date_format: str | None = None
    email: bool = False
    present: int = 0
    raw_distinct: int = 0
    spaced: int = 0  # present values with surrounding spaces
    cased: int = 0  # present values that are not trimmed lower case
    id_like: bool = False

    @property
    def text(self) -> bool:
        return self.dtype == pl.String

    @property
    def supported(self) -> bool:
        return not (self.dtype.is_nested() or self.dtype == pl.Object)


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
    if target is not None and not next(c for c in columns if c.name == target).supported:
        raise DataError(f"target column {target!r} holds {schema[target]}", path=source_name)
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
    stats = column_stats(columns, typed, target, counts, history)
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
class History:
    """A model's rules to replay on history, split by how they can be replayed."""

    model: Model
    as_of: dt.date

    def __post_init__(self) -> None:
        self.types = resolve_field_types(self.model.rules, self.model.fields)
        self.by_field: dict[str, list[int]] = {}
        self.row_rules: list[int] = []
        for index, rule in enumerate(self.model.rules):
            fields = rule_fields(rule)
            if len(fields) == 1:
                self.by_field.setdefault(next(iter(fields)), []).append(index)
            else:
                self.row_rules.append(index)

    def field_frame(self, typed: pl.LazyFrame, field_name: str) -> pl.LazyFrame:
        """Sums for the rules that read only `field_name`, from its distinct values."""
        indexes = self.by_field[field_name]
        known = pl.col(POS) + pl.col(NEG)
        return (
            typed.filter(known > 0)
            .with_columns(pl.col(VALUE).alias(value_column(field_name)))
            .with_columns(rule_columns(self.model, indexes, self.types, self.as_of))
            .select(rule_sums(indexes, pl.col(POS), known))
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
    columns: list[_Column],
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


def plan_columns(schema: pl.Schema, options: ProfileOptions, model: Model | None) -> list[_Column]:
    """Columns in report order: the model's fields first, read the way the model reads them."""
    markers = marker_list(options.null_values)
    columns: list[_Column] = []
    if model is not None:
        types = resolve_field_types(model.rules, model.fields)
        for name in required_columns(model):
            spec = model.field_spec(name)
            columns.append(
                _Column(
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
        _Column(name=name, source=name, dtype=dtype, markers=markers)
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


def count_table(base: pl.LazyFrame, column: _Column, outcome: bool) -> pl.LazyFrame:
    """Rows per distinct raw value, the first row it is on and, with a target, how many of
    those leads converted (POS) or did not (NEG)."""
    if not column.supported:
        return base.select(pl.col(column.name).null_count().cast(pl.Int64).alias(COUNT))
    aggs = [pl.len().cast(pl.Int64).alias(COUNT), pl.col(ROW).min().alias(ROW)]
    if outcome:
        y = pl.col(OUTCOME)
        aggs += [y.sum().cast(pl.Int64).alias(POS), y.not_().sum().cast(pl.Int64).alias(NEG)]
    return base.group_by(pl.col(column.name)).agg(aggs)


# --- types ---------------------------------------------------------------------------------


def present_text(column: _Column) -> pl.Expr:
    raw = pl.col(column.name)
    return raw.is_not_null() & raw.str.strip_chars().str.to_lowercase().is_in(column.markers).not_()


def detect_types(
    columns: list[_Column], tables: dict[str, pl.DataFrame]
) -> dict[str, pl.DataFrame]:
    """Infer each column's type and whether it is id-like or holds email addresses.

    Returns the count tables with MISSING set, so null markers are matched only once.
    """
    marked: dict[str, pl.LazyFrame] = {}
    plans: list[tuple[_Column, str, pl.LazyFrame]] = []
    for c in columns:
        if not c.supported:
            c.type = "other"
            continue
        missing = present_text(c).not_() if c.text else pl.col(c.name).is_null()
        if c.dtype.is_float():
            missing = missing | pl.col(c.name).is_nan()
        table = marked[c.name] = tables[c.name].lazy().with_columns(missing.alias(MISSING))
        present = table.filter(pl.col(MISSING).not_())
        figures = [pl.col(COUNT).sum().alias("present"), pl.len().alias("distinct")]
        if c.text:  # each row of a count table is one distinct raw value
            raw = pl.col(c.name)
            trimmed = raw.str.strip_chars()
            figures.append((raw != trimmed).sum().alias("spaced"))
        stats = present.select(figures)
        plans += [(c, "marked", table), (c, "full", stats)]
        if c.text and c.model_type in (None, "string"):
            sample = present.filter(pl.col(ROW) < SAMPLE_ROWS)
            plans.append((c, "sample", sample_types_frame(sample, c)))
    results = pl.collect_all([frame for _, _, frame in plans])
    out: dict[str, pl.DataFrame] = {name: tables[name] for name in tables}
    retry: list[_Column] = []
    for (c, kind, _), result in zip(plans, results, strict=True):
        if kind == "marked":
            out[c.name] = result
            continue
        row = result.row(0, named=True)
        if kind == "full":
            c.present = int(row["present"] or 0)
            c.raw_distinct = int(row["distinct"] or 0)
            c.spaced = int(row.get("spaced") or 0)
            if c.in_model or not c.text:
                c.type = c.model_type or stored_type(c.dtype)
        elif int(row["present"] or 0) == 0:
            retry.append(c)  # nothing in the first rows: look at every value
        else:
            apply_detection(c, row)
    if retry:
        frames = [
            sample_types_frame(out[c.name].lazy().filter(pl.col(MISSING).not_()), c) for c in retry
        ]
        for c, result in zip(retry, pl.collect_all(frames), strict=True):
            apply_detection(c, result.row(0, named=True))
    for c in columns:
        named_id = named_like_id(c)
        many = c.present > 0 and c.raw_distinct >= ID_SHARE * c.present
        c.id_like = many and c.raw_distinct > ID_MIN_DISTINCT and (c.type == "string" or named_id)
        if c.present == 0 and c.type != "other":
            c.type = "empty"
    return out


def apply_detection(c: _Column, row: dict[str, Any]) -> None:
    ftype, c.date_format, email = decide_type(row)
    c.email = email and c.model_type in (None, "string")
    if not c.in_model:
        c.type = ftype


def stored_type(dtype: pl.DataType) -> str:
    if dtype == pl.String:
        return "string"
    if dtype == pl.Boolean:
        return "bool"
    if dtype.is_integer():
        return "int"
    if dtype.is_numeric():
        return "float"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    return "other"


def sample_types_frame(present: pl.LazyFrame, column: _Column) -> pl.LazyFrame:
    """How many present values read as each type, weighted by their counts."""
    raw = pl.col(column.name)
    w = pl.col(COUNT)
    number = parse_text_column(raw, column.name, "float", None, column.markers).value
    boolean = parse_text_column(raw, column.name, "bool", None, column.markers).value
    dates = [
        parse_text_column(raw, column.name, "date", FieldSpec("", "", format=fmt), column.markers)
        for fmt in AUTO_DATETIME_FORMATS
    ]
    return present.select(
        w.sum().alias("present"),
        w.filter(number.is_not_null()).sum().alias("number"),
        w.filter(number == number.floor()).sum().alias("whole"),
        w.filter(boolean.is_not_null()).sum().alias("bool"),
        w.filter(raw.str.strip_chars().str.contains(EMAIL_PATTERN)).sum().alias("email"),
        *(
            w.filter(parsed.value.is_not_null()).sum().alias(f"date:{fmt}")
            for parsed, fmt in zip(dates, AUTO_DATETIME_FORMATS, strict=True)
        ),
    )


def decide_type(row: dict[str, Any]) -> tuple[str, str | None, bool]:
    """(type, date format, email column) from the sample's counts."""
    present = int(row["present"] or 0)
    if present == 0:
        return "empty", None, False
    if int(row["bool"] or 0) == present:
        return "bool", None, False
    number = int(row["number"] or 0)
    if number >= TYPE_SHARE * present:
        return ("int" if int(row["whole"] or 0) == number else "float"), None, False
    formats = [(int(row[f"date:{fmt}"] or 0), fmt) for fmt in AUTO_DATETIME_FORMATS]
    best, fmt = max(formats, key=lambda pair: pair[0])
    if best >= TYPE_SHARE * present:
        return ("datetime" if "%H" in fmt else "date"), fmt, False
    return "string", None, int(row["email"] or 0) >= EMAIL_SHARE * present


def typed_frame(table: pl.DataFrame, column: _Column, source_name: str) -> pl.LazyFrame:
    """The marked count table with each value read as the column's type: VALUE (null when
    missing or unreadable) and INVALID (present but unreadable)."""
    lazy = table.lazy()
    if not column.supported:
        return lazy
    if column.text:
        return text_values(lazy, column)
    raw = pl.col(column.name)
    ftype = column.type if column.type not in ("empty", "other") else "string"
    missing = pl.col(MISSING)
    value, invalid = raw.cast(pl.Float64) if column.dtype.is_numeric() else raw, pl.lit(False)
    if column.in_model:
        try:
            parsed = cast_typed_column(raw, column.name, ftype, column.dtype)  # type: ignore[arg-type]
        except TypeError as exc:
            raise DataError(str(exc), path=source_name) from None
        value = parsed.value
        invalid = parsed.invalid if parsed.invalid is not None else pl.lit(False)
    invalid = invalid & missing.not_()
    return lazy.with_columns(
        pl.when(missing | invalid).then(None).otherwise(value).alias(VALUE),
        invalid.alias(INVALID),
    )


def text_values(lazy: pl.LazyFrame, column: _Column) -> pl.LazyFrame:
    """Text read as the model reads it (`parse_text_column`), one step per column.

    Text needs no parsing beyond trimming (MISSING already says which cells are null
    markers). Other types run the field's parsing steps the way scoring does: each step
    in a column of its own, so each runs once per value.
    """
    raw = pl.col(column.name)
    missing = pl.col(MISSING)
    ftype = column.type if column.type not in ("empty", "other") else "string"
    if ftype == "string":
        text = pl.when(missing).then(None).otherwise(raw.str.strip_chars())
        return lazy.with_columns(text.alias(VALUE), pl.lit(False).alias(INVALID))
    spec = column.spec or FieldSpec(column.name, column.name, format=column.date_format)
    parsed = parse_text_column(raw, column.name, ftype, spec, column.markers)  # type: ignore[arg-type]
    stages = parsed.staged(STEP, VALUE, INVALID if parsed.checked else None)
    for stage in stages:
        lazy = lazy.with_columns(stage)
    if not parsed.checked:
        lazy = lazy.with_columns(pl.lit(False).alias(INVALID))
    return lazy.select(pl.exclude(f"^{STEP}.*$"))


def materialise(columns: list[_Column], typed: dict[str, pl.LazyFrame]) -> dict[str, pl.LazyFrame]:
    """Read every column once: the many aggregations that follow then share the result.

    Also counts, for email columns, the addresses that are not trimmed lower case.
    """
    names = list(typed)
    emails = [c for c in columns if c.email]
    cased = [
        typed[c.name].select(
            (pl.col(c.name) != trimmed(c).str.to_lowercase()).sum().cast(pl.Int64).alias("n")
        )
        for c in emails
    ]
    frames = pl.collect_all([*(typed[name] for name in names), *cased])
    for c, result in zip(emails, frames[len(names) :], strict=True):
        c.cased = int(result["n"][0] or 0)
    return {name: frame.lazy() for name, frame in zip(names, frames, strict=False)}


# --- per-column figures --------------------------------------------------------------------


def column_stats(
    columns: list[_Column],
    typed: dict[str, pl.LazyFrame],
    target: str | None,
    counts: OutcomeCounts | None,
    history: History | None,
) -> dict[str, dict[str, Any]]:
    """Collect every per-column aggregation in one batch: {column: {part: DataFrame}}."""
    support = min_support(counts.known) if counts is not None else 0
    plans: list[tuple[str, str, pl.LazyFrame]] = []
    for c in columns:
        frame = typed[c.name]
        if not c.supported:
            plans.append((c.name, "summary", frame.select(pl.col(COUNT).alias("nulls"))))
            continue
        for part, lazy in column_frames(c, frame).items():
            plans.append((c.name, part, lazy))
        attribute = target is not None and attribute_skip_reason(c, target) is None
        if attribute and c.type in ("string", "bool"):
            plans.append((c.name, "icp", category_bins_frame(frame, c, support)))
        if history is not None and counts is not None and c.name in history.by_field:
            plans.append((c.name, "rules", history.field_frame(frame, c.name)))
    results = pl.collect_all([lazy for _, _, lazy in plans])
    stats: dict[str, dict[str, Any]] = {c.name: {} for c in columns}
    for (name, part, _), result in zip(plans, results, strict=True):
        stats[name][part] = result.row(0, named=True) if part == "rules" else result
    return stats


def column_frames(c: _Column, frame: pl.LazyFrame) -> dict[str, pl.LazyFrame]:
    """The lazy aggregations that describe one column and find its problems.

    A count table has one row per raw value, so where reading a value only trims it and
    no value has surrounding spaces, its rows are already the distinct values: grouping
    again (costly for id-like columns) is skipped.
    """
    w = pl.col(COUNT)
    raw_text = pl.col(c.name).cast(pl.String)
    trimmed_only = c.text and c.type == "string" and c.spaced == 0
    as_read = trimmed_only or (not c.text and not c.in_model)
    summary = [w.filter(MISSING).sum().alias("nulls"), w.filter(INVALID).sum().alias("invalid")]
    if not as_read:
        summary.append(pl.col(VALUE).drop_nulls().n_unique().alias("distinct"))
    frames = {"summary": frame.select(*summary, *examples(raw_text, pl.col(INVALID)))}
    present = frame.filter(pl.col(VALUE).is_not_null())
    if as_read:
        values = present.select(VALUE, COUNT, ROW)
    else:
        values = present.group_by(VALUE).agg(w.sum(), pl.col(ROW).min())
    if not c.id_like:
        frames["top"] = values.sort([COUNT, ROW], descending=[True, False]).head(TOP_VALUES)
    if c.type in NUMBER_TYPES or c.type in DATE_TYPES:
        frames["values"] = value_stats(values, numeric=c.type in NUMBER_TYPES)
    if c.text:
        frames.update(text_frames(c, frame))
    if is_id_column(c):
        exact = not c.text or c.spaced == 0
        frames["duplicate_id"] = duplicates(frame, None if exact else trimmed(c))
    return frames


def trimmed(c: _Column) -> pl.Expr:
    return pl.col(c.name).str.strip_chars()


def text_frames(c: _Column, frame: pl.LazyFrame) -> dict[str, pl.LazyFrame]:
    """Findings only text cells can have: markers, formulas, numbers as text, emails."""
    w = pl.col(COUNT)
    present = pl.col(MISSING).not_()
    frames = {
        "markers": frame.filter(MISSING)
        .group_by(trimmed(c).alias(KEY))
        .agg(w.sum())
        .sort([COUNT, KEY], descending=[True, False], nulls_last=False),
        "formula": flagged(
            frame,
            c,
            present & pl.col(c.name).str.contains(FORMULA_PATTERN),
            trimmed(c).cast(pl.Float64, strict=False).is_null(),
        ),
    }
    if c.type in NUMBER_TYPES:
        plain = trimmed(c).cast(pl.Float64, strict=False)
        frames["number_as_text"] = flagged(frame, c, pl.col(VALUE).is_not_null(), plain.is_null())
    if c.email:
        malformed = trimmed(c).str.contains(EMAIL_PATTERN).not_()
        frames["malformed_email"] = flagged(frame, c, present, malformed)
        key = None if c.cased == 0 else trimmed(c).str.to_lowercase()
        frames["duplicate_email"] = duplicates(frame, key)
    if c.type == "string" and not c.id_like and not c.email:
        frames["spelling"] = spellings(frame, c)
    return frames


def examples(values: pl.Expr, where: pl.Expr) -> list[pl.Expr]:
    """The first few values where `where` holds, and their 1-based row numbers."""
    return [
        values.filter(where)
        .sort_by(pl.col(ROW).filter(where))
        .head(EXAMPLES)
        .implode()
        .alias("examples"),
        (pl.col(ROW).filter(where).sort().head(EXAMPLES) + 1).implode().alias("rows"),
    ]


def flagged(
    frame: pl.LazyFrame, c: _Column, first: pl.Expr, then: pl.Expr | None = None
) -> pl.LazyFrame:
    """Cells where `first` and then `then` hold (the cheap test first, on every value; the
    costly one only on what is left): their count, first values and rows."""
    rows = frame.filter(first)
    if then is not None:
        rows = rows.filter(then)
    everything = pl.lit(True)
    return rows.select(
        pl.col(COUNT).sum().alias("count"), *examples(pl.col(c.name).cast(pl.String), everything)
    )


def duplicates(frame: pl.LazyFrame, key: pl.Expr | None) -> pl.LazyFrame:
    """Rows that repeat a value seen on an earlier row, and the values repeated most.

    Without `key` values are compared as they are: each row of the count table is then
    already one value, with its count.
    """
    w = pl.col(COUNT)
    present = frame.filter(pl.col(MISSING).not_())
    if key is None:
        repeated = present.select(pl.col(frame.collect_schema().names()[0]).alias(KEY), w, ROW)
    else:
        repeated = present.group_by(key.alias(KEY)).agg(w.sum(), pl.col(ROW).min())
    repeated = repeated.filter(w > 1)
    order = [w, pl.col(ROW)]
    top = pl.col(KEY).sort_by(order, descending=[True, False]).head(EXAMPLES)
    rows = pl.col(ROW).sort_by(order, descending=[True, False]).head(EXAMPLES) + 1
    return repeated.select(
        (w - 1).sum().alias("count"),
        pl.len().cast(pl.Int64).alias("values"),
        top.cast(pl.String).implode().alias("examples"),
        rows.implode().alias("rows"),
    )


def spellings(frame: pl.LazyFrame, c: _Column) -> pl.LazyFrame:
    """Categories written several ways once case and surrounding spaces are ignored."""
    w = pl.col(COUNT)
    raw = pl.col(c.name)
    per_spelling = (
        frame.filter(pl.col(MISSING).not_())
        .group_by(raw)
        .agg(w.sum(), pl.col(ROW).min())
        .with_columns(raw.str.strip_chars().str.to_lowercase().alias(KEY))
    )
    order = [w, pl.col(ROW)]
    per_key = (
        per_spelling.group_by(KEY)
        .agg(
            raw.sort_by(order, descending=[True, False]).head(4).alias("spellings"),
            pl.len().alias("ways"),
            w.sum().alias("total"),
            w.max().alias("top"),
            pl.col(ROW).min(),
        )
        .filter(pl.col("ways") > 1)
    )
    best = [pl.col("total"), pl.col(ROW)]
    return per_key.select(
        (pl.col("total") - pl.col("top")).sum().alias("count"),
        pl.len().cast(pl.Int64).alias("values"),
        pl.col("spellings").sort_by(best, descending=[True, False]).head(EXAMPLES).alias("lists"),
    ).select("count", "values", pl.col("lists").implode())


def value_stats(values: pl.LazyFrame, *, numeric: bool) -> pl.LazyFrame:
    """Range, quartiles, deciles (for ICP bins) and, for numbers, mean and extreme outliers,
    from distinct values and their counts.

    A quantile q is the value at position floor(q * (n - 1)) of the sorted values (0-based),
    computed in integers: the breakpoints `Expr.bin_quantiles` would place.
    """
    v = pl.col(VALUE)
    w = pl.col(COUNT)
    total = w.sum()
    ordered = values.sort(VALUE).with_columns(w.cum_sum().alias(CUM))

    def at(k: int, m: int, expr: pl.Expr = v) -> pl.Expr:
        return expr.filter(pl.col(CUM) > (k * (total - 1)) // m).first()

    exprs = [
        total.alias("total"),
        v.first().alias("min"),
        v.last().alias("max"),
        at(1, 4).alias("q1"),
        at(2, 4).alias("median"),
        at(3, 4).alias("q3"),
        pl.concat_list([at(i, QUANTILE_BINS) for i in range(1, QUANTILE_BINS)]).alias("deciles"),
    ]
    if not numeric:
        return ordered.select(exprs)
    logged = v.first() >= 0
    ordered = ordered.with_columns(pl.when(logged).then(v.log1p()).otherwise(v).alias(TX))
    t = pl.col(TX)
    q1, q3, mid = at(1, 4, t), at(3, 4, t), at(2, 4, t)
    spread = OUTLIER_IQR * (q3 - q1)
    ordered = ordered.with_columns(
        (((t < q1 - spread) | (t > q3 + spread)) & (q3 > q1)).alias(OUT),
        (t - mid).abs().alias(DIST),
        (q1 - spread).alias("low_t"),
        (q3 + spread).alias("high_t"),
        logged.alias("logged"),
    )
    out = pl.col(OUT)
    back = {
        name: pl.when(pl.col("logged"))
        .then(pl.col(f"{name}_t").exp() - 1)
        .otherwise(pl.col(f"{name}_t"))
        for name in ("low", "high")
    }
    extreme = [pl.col(DIST).filter(out)]
    return ordered.select(
        *exprs,
        ((v * w).sum() / total).alias("mean"),
        w.filter(out).sum().alias("outliers"),
        back["low"].first().alias("low_fence"),
        back["high"].first().alias("high_fence"),
        v.filter(out).sort_by(extreme, descending=True).head(EXAMPLES).implode().alias("examples"),
        (pl.col(ROW).filter(out).sort_by(extreme, descending=True).head(EXAMPLES) + 1)
        .implode()
        .alias("rows"),
    )


def is_id_column(c: _Column) -> bool:
    """The model's id column, or a column named like one (lead_id, Record ID) whose values
    are mostly distinct; a foreign key such as account_id repeats by design."""
    mostly_distinct = c.present > 0 and c.raw_distinct >= ID_COLUMN_SHARE * c.present
    return c.model_id or (named_like_id(c) and mostly_distinct)


def named_like_id(c: _Column) -> bool:
    return bool(ID_NAME.search(c.name) or ID_NAME.search(c.source))


# --- turning results into profiles and findings ----------------------------------------


def column_profile(c: _Column, stats: dict[str, Any], rows: int) -> ColumnProfile:
    summary = stats["summary"].row(0, named=True)
    nulls = int(summary.get("nulls") or 0)
    markers: dict[str, int] = {"": nulls} if nulls and "markers" not in stats else {}
    if "markers" in stats:
        for key, count in stats["markers"].select(KEY, COUNT).iter_rows():
            markers[key or ""] = markers.get(key or "", 0) + int(count)
    top = []
    if "top" in stats:
        for value, count in stats["top"].select(VALUE, COUNT).iter_rows():
            top.append(
                {
                    "value": format_value(value, c.type),
                    "count": int(count),
                    "share": share(count, rows),
                }
            )
    numbers = dates = None
    if "values" in stats:
        figures = stats["values"].row(0, named=True)
        if c.type in NUMBER_TYPES:
            numbers = {
                key: number_value(figures[key], c.type)
                for key in ("min", "q1", "median", "q3", "max")
            }
            numbers["mean"] = figures["mean"]
        else:
            dates = {key: format_value(figures[key], c.type) for key in ("min", "max")}
    return ColumnProfile(
        name=c.name,
        source=c.source,
        dtype=str(c.dtype),
        type=c.type,
        in_model=c.in_model,
        nulls=nulls,
        null_share=share(nulls, rows),
        null_markers=markers,
        distinct=int(summary.get("distinct", c.raw_distinct)),
        id_like=c.id_like,
        invalid=int(summary.get("invalid") or 0),
        invalid_examples=[str(v) for v in summary.get("examples") or []],
        top=top,
        numbers=numbers,
        dates=dates,
    )


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 row`, `2 rows`: messages read right whatever the count."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


def share(count: float | int | None, total: int) -> float:
    return round(float(count or 0) / total, 6) if total else 0.0


def number_value(value: float | None, ftype: str) -> float | int | None:
    if value is None:
        return None
    return int(value) if ftype == "int" else float(value)


def format_value(value: Any, ftype: str) -> str:
    """A value as the reports print it: numbers without a trailing .0, dates in ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.4f}".rstrip("0").rstrip(".")
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if ftype == "datetime" else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def column_findings(c: _Column, stats: dict[str, Any], rows: int) -> list[Finding]:
    """Every problem found in one column, in a fixed order of kinds."""
    found: list[Finding] = []
    summary = stats["summary"].row(0, named=True)
    nulls = int(summary.get("nulls") or 0)

    def add(kind: str, count: int, message: str, result: dict | None = None) -> None:
        if count <= 0:
            return
        found.append(
            Finding(
                kind=kind,
                column=c.name,
                count=int(count),
                message=message,
                examples=[str(v) for v in (result or {}).get("examples") or []],
                rows=[int(r) for r in (result or {}).get("rows") or []],
            )
        )

    def part(name: str) -> dict[str, Any] | None:
        frame = stats.get(name)
        return frame.row(0, named=True) if frame is not None and frame.height else None

    if (d := part("duplicate_id")) and d["count"]:
        add(
            "duplicate_id",
            d["count"],
            f"{plural(d['count'], 'row')} with an id already used on an earlier row "
            f"({plural(d['values'], 'id')} used more than once)",
            d,
        )
    if (d := part("duplicate_email")) and d["count"]:
        add(
            "duplicate_email",
            d["count"],
            f"{plural(d['count'], 'row')} with an address already used on an earlier row, "
            f"ignoring case ({plural(d['values'], 'address', 'addresses')} used more than once)",
            d,
        )
    if (d := part("malformed_email")) and d["count"]:
        message = f"{plural(d['count'], 'value')} not shaped like an address (name@domain.tld)"
        add("malformed_email", d["count"], message, d)
    present = rows - nulls
    distinct = int(summary.get("distinct", c.raw_distinct))
    if c.supported and present > 0 and distinct == 1 and rows > 1:
        value = stats["top"][VALUE][0] if "top" in stats and stats["top"].height else None
        add(
            "constant_column",
            present,
            f"every present value is {format_value(value, c.type)!r}",
            {"examples": [format_value(value, c.type)]},
        )
    if rows and nulls / rows > MOSTLY_NULL:
        markers = stats.get("markers")
        seen = [k or "" for k in markers[KEY].to_list()[:EXAMPLES]] if markers is not None else []
        message = f"{nulls / rows:.0%} of the values are missing"
        add("mostly_null", nulls, message, {"examples": seen})
    if (d := part("number_as_text")) and d["count"]:
        add(
            "number_as_text",
            d["count"],
            f"{plural(d['count'], 'number')} written as text (currency signs, thousands "
            "separators or spaces)",
            d,
        )
    invalid = int(summary.get("invalid") or 0)
    if invalid:
        message = f"{plural(invalid, 'value')} not readable as {c.type}"
        if c.in_model and (c.spec is None or c.spec.on_invalid == "error"):
            message += ' (score stops on them unless the field says on_invalid = "null")'
        add("unreadable", invalid, message, summary)
    if (d := part("spelling")) and d["count"]:
        lists = d["lists"] or []
        add(
            "mixed_spelling",
            d["count"],
            f"{plural(d['values'], 'value')} spelled several ways; "
            f"{plural(d['count'], 'cell')} in a less common spelling",
            {"examples": [" / ".join(repr(s) for s in spelled) for spelled in lists]},
        )
    values = part("values")
    if values and values.get("outliers"):
        sides = []
        if values["min"] < values["low_fence"]:
            sides.append(f"below {format_value(values['low_fence'], 'float')}")
        if values["max"] > values["high_fence"]:
            sides.append(f"above {format_value(values['high_fence'], 'float')}")
        add(
            "outliers",
            values["outliers"],
            f"{plural(values['outliers'], 'value')} far outside the usual range "
            f"({' or '.join(sides)})",
            {
                "examples": [format_value(v, c.type) for v in values["examples"] or []],
                "rows": values["rows"],
            },
        )
    if (d := part("formula")) and d["count"]:
        add(
            "formula",
            d["count"],
            f"{plural(d['count'], 'cell')} starting with =, +, - or @, which a spreadsheet "
            "would run as a formula",
            d,
        )
    return found


# --- the ideal customer profile ------------------------------------------------------------


def attribute_skip_reason(c: _Column, target: str) -> str | None:
    """Why a column is not an ICP attribute, or None when it is one."""
    if c.name == target:
        return "the target"
    if not c.supported or c.type == "other":
        return "unsupported type"
    if c.type == "empty":
        return "no values"
    if c.id_like:
        return "id-like (nearly every value is distinct)"
    if c.email:
        return "email addresses (one per lead)"
    return None


def category_bins_frame(frame: pl.LazyFrame, c: _Column, support: int) -> pl.LazyFrame:
    """Leads and conversions per category (case and spaces ignored, shown in the most common
    spelling); categories under `support` leads are grouped into (other)."""
    known = pl.col(KNOWN)
    label = pl.col(VALUE).cast(pl.String)
    key = label.str.to_lowercase() if c.type == "string" else label
    rows = frame.with_columns((pl.col(POS) + pl.col(NEG)).alias(KNOWN)).filter(known > 0)
    per_label = rows.group_by(key.alias(KEY), label.alias(LABEL)).agg(
        known.sum(), pl.col(POS).sum(), pl.col(ROW).min()
    )
    per_key = per_label.group_by(KEY).agg(
        pl.col(LABEL).sort_by([known, pl.col(ROW)], descending=[True, False]).first(),
        known.sum(),
        pl.col(POS).sum(),
        pl.col(ROW).min(),
    )
    bin_label = (
        pl.when(pl.col(KEY).is_null())
        .then(pl.lit(MISSING_BIN))
        .when(known >= support)
        .then(pl.col(LABEL))
        .otherwise(pl.lit(OTHER))
    )
    return (
        per_key.group_by(bin_label.alias(BIN))
        .agg(known.sum(), pl.col(POS).sum(), pl.col(ROW).min())
        .sort(
            [pl.col(BIN).is_in([OTHER, MISSING_BIN]), pl.col(BIN) == MISSING_BIN, known, ROW],
            descending=[False, False, True, False],
        )
    )


def quantile_breaks(values: pl.DataFrame | None) -> list[Any]:
    """Distinct decile values, ascending: the breakpoints of up to 10 quantile bins."""
    if values is None or not values.height:
        return []
    deciles = values["deciles"][0]
    if deciles is None:
        return []
    return sorted({v for v in deciles.to_list() if v is not None})


def quantile_bins_frame(frame: pl.LazyFrame, breaks: list[Any]) -> pl.LazyFrame:
    """Leads and conversions per quantile bin; missing values form their own bin (null)."""
    known = pl.col(POS) + pl.col(NEG)
    binned = pl.col(VALUE).bin_intervals(breaks, labels=False)
    return (
        frame.filter(known > 0)
        .group_by(binned.alias(BIN))
        .agg(known.sum().alias(KNOWN), pl.col(POS).sum())
        .sort(BIN, nulls_last=True)
    )


def interval_labels(breaks: list[Any], ftype: str) -> list[str]:
    """`< a`, `[a, b)`, ..., `>= z` for the bins `bin_intervals` numbers 0, 1, ..."""
    shown = [format_value(b, ftype) for b in breaks]
    middle = [f"[{a}, {b})" for a, b in itertools.pairwise(shown)]
    return [f"< {shown[0]}", *middle, f">= {shown[-1]}"]


def target_profile(
    columns: list[_Column],
    typed: dict[str, pl.LazyFrame],
    stats: dict[str, dict[str, Any]],
    target: str,
    positive: list[str] | None,
    counts: OutcomeCounts,
) -> Icp:
    """Bin every attribute, compute lift, WoE and IV, and rank the attributes."""
    positives, negatives = counts.positives, counts.negatives
    rows = counts.known
    base = positives / rows
    skipped: list[dict[str, str]] = []
    binned: list[tuple[_Column, str, list[tuple[str, int, int]]]] = []
    numeric: list[tuple[_Column, list[Any]]] = []
    for c in columns:
        reason = attribute_skip_reason(c, target)
        if reason is not None:
            skipped.append({"column": c.name, "reason": reason})
        elif "icp" in stats[c.name]:
            table = stats[c.name]["icp"]
            counts_ = [
                (str(label), int(n), int(pos))
                for label, n, pos in table.select(BIN, KNOWN, POS).iter_rows()
            ]
            binned.append((c, "category", counts_))
        elif c.type in NUMBER_TYPES or c.type in DATE_TYPES:
            numeric.append((c, quantile_breaks(stats[c.name].get("values"))))
    frames = [quantile_bins_frame(typed[c.name], breaks) for c, breaks in numeric if breaks]
    results = iter(pl.collect_all(frames)) if frames else iter(())
    for c, breaks in numeric:
        if not breaks:
            binned.append((c, "quantile", [(MISSING_BIN, rows, positives)]))
            continue
        labels = interval_labels(breaks, c.type)
        counts_ = [
            (MISSING_BIN if index is None else labels[index], int(n), int(pos))
            for index, n, pos in next(results).select(BIN, KNOWN, POS).iter_rows()
        ]
        binned.append((c, "quantile", counts_))
    attributes: list[Attribute] = [
        make_attribute(c.name, c.type, kind, woe_bins(bins, positives, negatives), base, rows)
        for c, kind, bins in binned
    ]
    return build_icp(target, positive, (positives, negatives, counts.missing), attributes, skipped)
