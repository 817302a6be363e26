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
from collections.abc import Sequence
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
    rule_history_frame,
    woe_bins,
)
from leadscore_cli.model.schema import DEFAULT_NULL_VALUES, FieldSpec, Model
from leadscore_cli.outcome import check_outcome, outcome_check_frame, outcome_expr, require_column
from leadscore_cli.readers import open_source
from leadscore_cli.score_run import ReadOptions, run_guarded
from leadscore_cli.scoring import apply_renames, check_columns, required_columns

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
COUNT = f"{_P}n"
OUTCOME = f"{_P}y"
VALUE = f"{_P}value"
MISSING = f"{_P}missing"
INVALID = f"{_P}invalid"
KEY = f"{_P}key"
CUM = f"{_P}cum"
BIN = f"{_P}bin"
POS = f"{_P}pos"
LABEL = f"{_P}label"
TX = f"{_P}t"
OUT = f"{_P}out"
DIST = f"{_P}dist"

TEXT_TYPES = ("string", "empty")
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
    run=lambda action: action(),
) -> Profile:
    """Profile a lazy frame; `run` wraps the pass over the input (to explain read errors)."""
    schema = frame.collect_schema()
    if model is not None:
        check_columns(model, list(schema.names()), source_name)
        frame, schema = apply_renames(frame, schema, model, source_name)
    columns = plan_columns(schema, options, model, source_name)
    target = resolve_target(options.target, schema, model, source_name)
    as_of = options.as_of or dt.date.today()
    frame = frame.with_columns(
        pl.col(c.name).cast(pl.String)
        for c in columns
        if c.dtype in (pl.Categorical,) or isinstance(c.dtype, pl.Enum)
    )
    for c in columns:
        if c.dtype == pl.Categorical or isinstance(c.dtype, pl.Enum):
            c.dtype = pl.String

    base = frame.with_row_index(ROW)
    keys: list[str] = []
    frames: list[pl.LazyFrame] = [base.select(pl.len().cast(pl.Int64).alias("rows"))]
    positive = list(options.positive) or None
    if target is not None:
        base = base.with_columns(outcome_expr(target, schema[target], positive).alias(OUTCOME))
        keys = [OUTCOME]
        frames.append(outcome_check_frame(base, target, schema[target], positive))
        if model is not None:
            frames.append(rule_history_frame(base, OUTCOME, model, as_of, source_name))
    frames += [count_table(base, c, keys) for c in columns]
    results = run(lambda: pl.collect_all(frames))

    rows = int(results[0]["rows"][0])
    counts = None
    rules = None
    offset = 1
    if target is not None:
        counts = check_outcome(
            target, results[1], positive, source_name=source_name, role="target"
        )
        offset = 2
        if model is not None:
            rules = rule_checks(model, results[2].row(0, named=True))
            offset = 3
    tables = dict(zip([c.name for c in columns], results[offset:], strict=True))

    detect_types(columns, tables)
    typed = {c.name: typed_frame(tables[c.name], c, source_name) for c in columns}
    stats = column_stats(columns, typed, target, counts)
    profiles = [column_profile(c, stats[c.name], rows) for c in columns]
    findings = [f for c in columns for f in column_findings(c, stats[c.name], rows, model)]
    icp = None
    if target is not None and counts is not None:
        icp = target_profile(
            columns, typed, stats, target, positive, (counts.positives, counts.negatives), counts
        )
    return Profile(
        input=source_name,
        rows=rows,
        null_values=list(options.null_values),
        model={"name": model.name, "version": model.version} if model else None,
        columns=profiles,
        findings=findings,
        icp=icp,
        rules=rules,
        as_of=as_of.isoformat() if rules is not None else None,
    )


# --- columns and the pass over the input -------------------------------------------------


def plan_columns(
    schema: pl.Schema, options: ProfileOptions, model: Model | None, source_name: str
) -> list[_Column]:
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


def count_table(base: pl.LazyFrame, column: _Column, keys: list[str]) -> pl.LazyFrame:
    """Leads per distinct raw value (and outcome), with the first row each value is on."""
    if not column.supported:
        return base.select(pl.col(column.name).null_count().cast(pl.Int64).alias(COUNT))
    return base.group_by(pl.col(column.name), *keys).agg(
        pl.len().cast(pl.Int64).alias(COUNT), pl.col(ROW).min().alias(ROW)
    )


# --- types ---------------------------------------------------------------------------------


def present_text(column: _Column) -> pl.Expr:
    raw = pl.col(column.name)
    return raw.is_not_null() & raw.str.strip_chars().str.to_lowercase().is_in(
        column.markers
    ).not_()


def detect_types(columns: list[_Column], tables: dict[str, pl.DataFrame]) -> None:
    """Infer each column's type and whether it is id-like or holds email addresses."""
    plans: list[tuple[_Column, str, pl.LazyFrame]] = []
    for c in columns:
        if not c.supported:
            c.type = "other"
            continue
        table = tables[c.name].lazy()
        present = present_text(c) if c.text else pl.col(c.name).is_not_null()
        w = pl.col(COUNT)
        plans.append(
            (
                c,
                "full",
                table.select(
                    w.filter(present).sum().alias("present"),
                    pl.col(c.name).filter(present).n_unique().alias("distinct"),
                ),
            )
        )
        if c.text and c.model_type in (None, "string"):
            plans.append((c, "sample", sample_types_frame(table, c, present)))
    results = pl.collect_all([frame for _, _, frame in plans])
    for (c, kind, _), result in zip(plans, results, strict=True):
        row = result.row(0, named=True)
        if kind == "full":
            c.present = int(row["present"] or 0)
            c.raw_distinct = int(row["distinct"] or 0)
            if c.in_model or not c.text:
                c.type = c.model_type or stored_type(c.dtype)
        else:
            ftype, c.date_format, email = decide_type(row)
            c.email = email and c.model_type in (None, "string")
            if not c.in_model:
                c.type = ftype
    for c in columns:
        named_id = bool(ID_NAME.search(c.name))
        many = c.present > 0 and c.raw_distinct >= ID_SHARE * c.present
        c.id_like = many and c.raw_distinct > 1 and (c.type == "string" or named_id)
        if c.present == 0 and c.type != "other":
            c.type = "empty"


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


def sample_types_frame(table: pl.LazyFrame, column: _Column, present: pl.Expr) -> pl.LazyFrame:
    """How many values read as each type, over the values first seen in the first rows
    (or every value when none of those is present), weighted by their counts."""
    in_sample = pl.col(ROW) < SAMPLE_ROWS
    keep = in_sample | (in_sample & present).any().not_()
    raw = pl.col(column.name)
    w = pl.col(COUNT)
    number = parse_text_column(raw, column.name, "float", None, column.markers).value
    boolean = parse_text_column(raw, column.name, "bool", None, column.markers).value
    dates = [
        parse_text_column(raw, column.name, "date", FieldSpec("", "", format=fmt), column.markers)
        for fmt in AUTO_DATETIME_FORMATS
    ]
    return (
        table.filter(keep)
        .filter(present)
        .select(
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
    """The count table with each value read as the column's type: VALUE (null when missing
    or unreadable), MISSING and INVALID."""
    lazy = table.lazy()
    if not column.supported:
        return lazy
    raw = pl.col(column.name)
    ftype = column.type if column.type not in ("empty", "other") else "string"
    if column.text:
        missing = present_text(column).not_()
        spec = column.spec or FieldSpec(column.name, column.name, format=column.date_format)
        parsed = parse_text_column(raw, column.name, ftype, spec, column.markers)  # type: ignore[arg-type]
        value = parsed.value
        invalid = parsed.invalid if parsed.invalid is not None else pl.lit(False)
    else:
        missing = raw.is_null()
        if column.dtype.is_float():
            missing = missing | raw.is_nan()
        if column.in_model:
            try:
                parsed = cast_typed_column(raw, column.name, ftype, column.dtype)  # type: ignore[arg-type]
            except TypeError as exc:
                raise DataError(str(exc), path=source_name) from None
            value = parsed.value
            invalid = parsed.invalid if parsed.invalid is not None else pl.lit(False)
        else:
            value = raw.cast(pl.Float64) if column.dtype.is_numeric() else raw
            value = pl.when(missing).then(None).otherwise(value)
            invalid = pl.lit(False)
    return lazy.with_columns(
        value.alias(VALUE), missing.alias(MISSING), (invalid & missing.not_()).alias(INVALID)
    )


# --- per-column figures --------------------------------------------------------------------


def column_stats(
    columns: list[_Column],
    typed: dict[str, pl.LazyFrame],
    target: str | None,
    counts: Any,
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
    results = pl.collect_all([lazy for _, _, lazy in plans])
    stats: dict[str, dict[str, Any]] = {c.name: {} for c in columns}
    for (name, part, _), result in zip(plans, results, strict=True):
        stats[name][part] = result
    return stats


def column_frames(c: _Column, frame: pl.LazyFrame) -> dict[str, pl.LazyFrame]:
    """The lazy aggregations that describe one column and find its problems."""
    w = pl.col(COUNT)
    raw_text = pl.col(c.name).cast(pl.String)
    frames = {
        "summary": frame.select(
            w.filter(MISSING).sum().alias("nulls"),
            w.filter(INVALID).sum().alias("invalid"),
            pl.col(VALUE).drop_nulls().n_unique().alias("distinct"),
            *examples(raw_text, pl.col(INVALID)),
        )
    }
    values = (
        frame.filter(pl.col(VALUE).is_not_null())
        .group_by(VALUE)
        .agg(w.sum(), pl.col(ROW).min())
    )
    if not c.id_like:
        frames["top"] = values.sort([COUNT, ROW], descending=[True, False]).head(TOP_VALUES)
    if c.type in NUMBER_TYPES or c.type in DATE_TYPES:
        frames["values"] = value_stats(values, numeric=c.type in NUMBER_TYPES)
    if c.text:
        frames["markers"] = (
            frame.filter(MISSING)
            .group_by(pl.col(c.name).str.strip_chars().alias(KEY))
            .agg(w.sum())
            .sort([COUNT, KEY], descending=[True, False], nulls_last=False)
        )
        frames["formula"] = flagged(frame, c, formula_cells(c))
        if c.type in NUMBER_TYPES:
            plain = pl.col(c.name).str.strip_chars().cast(pl.Float64, strict=False)
            as_text = pl.col(VALUE).is_not_null() & plain.is_null()
            frames["number_as_text"] = flagged(frame, c, as_text)
        if c.email:
            address = pl.col(c.name).str.strip_chars()
            malformed = pl.col(MISSING).not_() & address.str.contains(EMAIL_PATTERN).not_()
            frames["malformed_email"] = flagged(frame, c, malformed)
            frames["duplicate_email"] = duplicates(frame, address.str.to_lowercase())
        if c.type == "string" and not c.id_like and not c.email:
            frames["spelling"] = spellings(frame, c)
    if is_id_column(c):
        key = pl.col(c.name).str.strip_chars() if c.text else pl.col(c.name)
        frames["duplicate_id"] = duplicates(frame, key)
    return frames


def examples(values: pl.Expr, where: pl.Expr) -> list[pl.Expr]:
    """The first few values where `where` holds, and their 1-based row numbers."""
    return [
        values.filter(where).sort_by(pl.col(ROW).filter(where)).head(EXAMPLES).implode()
        .alias("examples"),
        (pl.col(ROW).filter(where).sort().head(EXAMPLES) + 1).implode().alias("rows"),
    ]


def flagged(frame: pl.LazyFrame, c: _Column, where: pl.Expr) -> pl.LazyFrame:
    """Cells where `where` holds: their count, first values and rows."""
    raw_text = pl.col(c.name).cast(pl.String)
    return frame.select(
        pl.col(COUNT).filter(where).sum().alias("count"), *examples(raw_text, where)
    )


def formula_cells(c: _Column) -> pl.Expr:
    """Cells a spreadsheet would run as a formula: they start with = + - @ (or a tab or
    carriage return) and are not plain numbers such as -5."""
    raw = pl.col(c.name)
    number = raw.str.strip_chars().cast(pl.Float64, strict=False)
    return pl.col(MISSING).not_() & raw.str.contains(FORMULA_PATTERN) & number.is_null()


def duplicates(frame: pl.LazyFrame, key: pl.Expr) -> pl.LazyFrame:
    """Rows that repeat a value seen on an earlier row, and the values repeated most."""
    w = pl.col(COUNT)
    repeated = (
        frame.filter(pl.col(MISSING).not_())
        .group_by(key.alias(KEY))
        .agg(w.sum(), pl.col(ROW).min())
        .filter(w > 1)
    )
    top = pl.col(KEY).sort_by([w, pl.col(ROW)], descending=[True, False]).head(EXAMPLES)
    rows = (pl.col(ROW).sort_by([w, pl.col(ROW)], descending=[True, False]).head(EXAMPLES) + 1)
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
        name: pl.when(pl.col("logged")).then(pl.col(f"{name}_t").exp() - 1).otherwise(
            pl.col(f"{name}_t")
        )
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
    """The model's id column, or an id-like column named like one (lead_id, Record ID)."""
    return c.model_id or (c.id_like and bool(ID_NAME.search(c.source)))


# --- turning results into profiles and findings ----------------------------------------


def column_profile(c: _Column, stats: dict[str, Any], rows: int) -> ColumnProfile:
    summary = stats["summary"].row(0, named=True)
    nulls = int(summary.get("nulls") or 0)
    markers: dict[str, int] = {}
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
        distinct=int(summary.get("distinct") or 0),
        id_like=c.id_like,
        invalid=int(summary.get("invalid") or 0),
        invalid_examples=[str(v) for v in summary.get("examples") or []],
        top=top,
        numbers=numbers,
        dates=dates,
    )


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


def column_findings(
    c: _Column, stats: dict[str, Any], rows: int, model: Model | None
) -> list[Finding]:
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
            f"{d['count']:,} rows repeat an id used on an earlier row "
            f"({d['values']:,} ids appear more than once)",
            d,
        )
    if (d := part("duplicate_email")) and d["count"]:
        add(
            "duplicate_email",
            d["count"],
            f"{d['count']:,} rows repeat an address used on an earlier row, ignoring case "
            f"({d['values']:,} addresses appear more than once)",
            d,
        )
    if (d := part("malformed_email")) and d["count"]:
        add("malformed_email", d["count"], f"{d['count']:,} values are not email addresses", d)
    present = rows - nulls
    distinct = int(summary.get("distinct") or 0)
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
            f"{d['count']:,} numbers are written as text (currency signs, thousands "
            "separators or spaces)",
            d,
        )
    invalid = int(summary.get("invalid") or 0)
    if invalid:
        message = f"{invalid:,} values cannot be read as {c.type}"
        if c.in_model and (c.spec is None or c.spec.on_invalid == "error"):
            message += ' (score stops on them unless the field says on_invalid = "null")'
        add("unreadable", invalid, message, summary)
    if (d := part("spelling")) and d["count"]:
        lists = d["lists"] or []
        add(
            "mixed_spelling",
            d["count"],
            f"{d['values']:,} values are spelled several ways; {d['count']:,} cells use a "
            "less common spelling",
            {"examples": [" / ".join(repr(s) for s in spelled) for spelled in lists]},
        )
    values = part("values")
    if values and values.get("outliers"):
        low = format_value(values["low_fence"], "float")
        high = format_value(values["high_fence"], "float")
        add(
            "outliers",
            values["outliers"],
            f"{values['outliers']:,} values lie far outside the usual range "
            f"(outside {low} to {high})",
            {
                "examples": [format_value(v, c.type) for v in values["examples"] or []],
                "rows": values["rows"],
            },
        )
    if (d := part("formula")) and d["count"]:
        add(
            "formula",
            d["count"],
            f"{d['count']:,} cells start with =, +, - or @ and would run as a formula "
            "in a spreadsheet",
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
    return None


def category_bins_frame(frame: pl.LazyFrame, c: _Column, support: int) -> pl.LazyFrame:
    """Leads and conversions per category (case and spaces ignored, shown in the most common
    spelling); categories under `support` leads are grouped into (other)."""
    w = pl.col(COUNT)
    y = pl.col(OUTCOME)
    label = pl.col(VALUE).cast(pl.String)
    key = label.str.to_lowercase() if c.type == "string" else label
    known = frame.filter(y.is_not_null())
    per_label = known.group_by(key.alias(KEY), label.alias(LABEL)).agg(
        w.sum(), w.filter(y).sum().alias(POS), pl.col(ROW).min()
    )
    per_key = per_label.group_by(KEY).agg(
        pl.col(LABEL).sort_by([w, pl.col(ROW)], descending=[True, False]).first(),
        w.sum(),
        pl.col(POS).sum(),
        pl.col(ROW).min(),
    )
    bin_label = (
        pl.when(pl.col(KEY).is_null())
        .then(pl.lit(MISSING_BIN))
        .when(w >= support)
        .then(pl.col(LABEL))
        .otherwise(pl.lit(OTHER))
    )
    return (
        per_key.group_by(bin_label.alias(BIN))
        .agg(w.sum(), pl.col(POS).sum(), pl.col(ROW).min())
        .sort(
            [pl.col(BIN).is_in([OTHER, MISSING_BIN]), pl.col(BIN) == MISSING_BIN, w, ROW],
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
    w = pl.col(COUNT)
    y = pl.col(OUTCOME)
    binned = pl.col(VALUE).bin_intervals(breaks, labels=False)
    return (
        frame.filter(y.is_not_null())
        .group_by(binned.alias(BIN))
        .agg(w.sum(), w.filter(y).sum().alias(POS))
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
    classes: tuple[int, int],
    counts: Any,
) -> Icp:
    """Bin every attribute, compute lift, WoE and IV, and rank the attributes."""
    positives, negatives = classes
    rows = positives + negatives
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
                for label, n, pos in table.select(BIN, COUNT, POS).iter_rows()
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
            for index, n, pos in next(results).select(BIN, COUNT, POS).iter_rows()
        ]
        binned.append((c, "quantile", counts_))
    attributes: list[Attribute] = [
        make_attribute(c.name, c.type, kind, woe_bins(bins, positives, negatives), base, rows)
        for c, kind, bins in binned
    ]
    return build_icp(
        target, positive, (positives, negatives, counts.missing), attributes, skipped
    )

