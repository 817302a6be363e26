"""Each column's type, inferred once per distinct value, and its values read as that type."""

from __future__ import annotations

from typing import Any

import polars as pl

from leadscore_cli.errors import DataError
from leadscore_cli.fields import AUTO_DATETIME_FORMATS, cast_typed_column, parse_text_column
from leadscore_cli.profiling.columns import (
    COUNT,
    EMAIL_PATTERN,
    INVALID,
    MISSING,
    ROW,
    STEP,
    VALUE,
    ColumnFacts,
    collect_tables,
    named_like_id,
    trimmed,
)

SAMPLE_ROWS = 10_000  # types are inferred from the values first seen in these rows
TYPE_SHARE = 0.95  # share of present values that must read as a type to infer it
EMAIL_SHARE = 0.5  # share of present values that look like addresses in an email column
ID_SHARE = 0.9  # distinct values over present values for an id-like column
ID_MIN_DISTINCT = 20  # fewer distinct values say nothing about being id-like


def present_text(column: ColumnFacts) -> pl.Expr:
    raw = pl.col(column.name)
    return raw.is_not_null() & raw.str.strip_chars().str.to_lowercase().is_in(column.markers).not_()


def detect_types(
    columns: list[ColumnFacts], tables: dict[str, pl.DataFrame]
) -> dict[str, pl.DataFrame]:
    """Infer each column's type and whether it is id-like or holds email addresses.

    Returns the count tables with MISSING set, so null markers are matched only once.
    """
    marked: dict[str, pl.LazyFrame] = {}
    plans: list[tuple[ColumnFacts, str, pl.LazyFrame]] = []
    for c in columns:
        if not c.supported:
            c.type = "other"
            continue
        missing = present_text(c).not_() if c.text else pl.col(c.name).is_null()
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
    results = collect_tables([frame for _, _, frame in plans])
    out: dict[str, pl.DataFrame] = {name: tables[name] for name in tables}
    retry: list[ColumnFacts] = []
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
        for c, result in zip(retry, collect_tables(frames), strict=True):
            apply_detection(c, result.row(0, named=True))
    for c in columns:
        named_id = named_like_id(c)
        many = c.present > 0 and c.raw_distinct >= ID_SHARE * c.present
        c.id_like = many and c.raw_distinct > ID_MIN_DISTINCT and (c.type == "string" or named_id)
        if c.present == 0 and c.type != "other":
            c.type = "empty"
    return out


def apply_detection(c: ColumnFacts, row: dict[str, Any]) -> None:
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


def sample_types_frame(present: pl.LazyFrame, column: ColumnFacts) -> pl.LazyFrame:
    """How many present values read as each type, weighted by their counts."""
    raw = pl.col(column.name)
    w = pl.col(COUNT)
    number = parse_text_column(raw, column.name, "float", None, column.markers).value
    boolean = parse_text_column(raw, column.name, "bool", None, column.markers).value
    dates = [  # each automatic format alone, as the model reads it (a four-digit year)
        parse_text_column(raw, column.name, "date", None, column.markers, auto_formats=(fmt,))
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


def typed_frame(table: pl.DataFrame, column: ColumnFacts, source_name: str) -> pl.LazyFrame:
    """The marked count table with each value read as the column's type: VALUE (null when
    missing or unreadable) and INVALID (present but unreadable)."""
    lazy = table.lazy()
    if not column.supported:
        return lazy
    if column.text:
        return text_values(lazy, column)
    raw = pl.col(column.name)
    ftype = read_type(column)
    missing = pl.col(MISSING)
    value, invalid = as_number(raw, column.dtype), pl.lit(False)
    if column.dtype.is_float():  # as a model reads them: NaN and infinities are no number
        invalid = raw.is_nan() | raw.is_infinite()
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


def as_number(raw: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Numbers as figures read them: integers stay whole (a Float64 holds them exactly
    only up to 2**53, and 64-bit ids go beyond), other numbers become Float64."""
    if dtype.is_integer():
        return raw
    return raw.cast(pl.Float64) if dtype.is_numeric() else raw


def read_type(column: ColumnFacts) -> str:
    """The type values are read as: the model's for its fields, even when no value is
    present (the model's rules compare them as that type), else the detected one."""
    if column.in_model and column.model_type:
        return column.model_type
    return column.type if column.type not in ("empty", "other") else "string"


def text_values(lazy: pl.LazyFrame, column: ColumnFacts) -> pl.LazyFrame:
    """Text read as the model reads it (`parse_text_column`), one step per column.

    Text needs no parsing beyond trimming (MISSING already says which cells are null
    markers). Other types run the field's parsing steps the way scoring does: each step
    in a column of its own, so each runs once per value.
    """
    raw = pl.col(column.name)
    missing = pl.col(MISSING)
    ftype = read_type(column)
    if ftype == "string":
        text = pl.when(missing).then(None).otherwise(raw.str.strip_chars())
        return lazy.with_columns(text.alias(VALUE), pl.lit(False).alias(INVALID))
    guessed = column.spec is None and column.date_format is not None
    formats = (column.date_format,) if guessed else AUTO_DATETIME_FORMATS
    parsed = parse_text_column(raw, column.name, ftype, column.spec, column.markers, formats)  # type: ignore[arg-type]
    stages = parsed.staged(STEP, VALUE, INVALID if parsed.checked else None)
    for stage in stages:
        lazy = lazy.with_columns(stage)
    if not parsed.checked:
        lazy = lazy.with_columns(pl.lit(False).alias(INVALID))
    return lazy.select(pl.exclude(f"^{STEP}.*$"))


def materialise(
    columns: list[ColumnFacts], typed: dict[str, pl.LazyFrame]
) -> dict[str, pl.LazyFrame]:
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
    frames = collect_tables([*(typed[name] for name in names), *cased])
    for c, result in zip(emails, frames[len(names) :], strict=True):
        c.cased = int(result["n"][0] or 0)
    return {name: frame.lazy() for name, frame in zip(names, frames, strict=False)}
