"""Turn raw export columns into typed values, tolerant of what CRM exports contain.

A field's type is declared in `[fields]` or inferred from how the rules use it
(`gte 5` needs a number, `within_days` a date, `contains` text), so a minimal
model works without a `[fields]` section. Parsing never drops a row: values
that cannot be read are flagged so the run can stop with a clear message (or
become null when the field says `on_invalid = "null"`).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import polars as pl

from leadscore_cli.model.rules import leaves_with_paths
from leadscore_cli.model.schema import (
    AGE_OPERATORS,
    NULL_OPERATORS,
    ORDER_OPERATORS,
    TEXT_OPERATORS,
    AllOf,
    AnyOf,
    Condition,
    FieldSpec,
    FieldType,
    Leaf,
    Not,
    Rule,
)

# What a use of a field needs; a declared type satisfies some of these.
NEEDS_BY_TYPE: dict[str, str] = {
    "string": "text",
    "int": "number",
    "float": "number",
    "bool": "bool",
    "date": "date",
    "datetime": "date",
}
TYPE_FOR_NEED: dict[str, FieldType] = {
    "text": "string",
    "number": "float",
    "bool": "bool",
    "date": "date",
}
AUTO_DATETIME_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y/%m/%d",
)
# chrono's %Y reads a year of any length, signed or not: `26-10-25` would be the year 26.
# The automatic formats read only text that starts with four ASCII digits and the
# separator after their %Y, so a two-digit year is unreadable, not ancient.
FOUR_DIGIT_YEAR = "^[0-9]{4}[-/]"
# Every character Rust's char::is_whitespace accepts (the Unicode White_Space property):
# what polars' strip_chars() trims, and the whitespace numbers may hold.
WHITESPACE = "".join(
    chr(c)
    for c in (9, 10, 11, 12, 13, 32, 133, 160, 5760, *range(8192, 8203), 8232, 8233, 8239, 8287)
) + chr(12288)
# Characters dropped from numbers: whitespace, currency symbols and thousands separators.
# Parentheses around what is left mark an accounting negative: "(1,200)" is -1200.
NUMBER_JUNK = WHITESPACE + "$€£¥₹,_'"
# The only character outside ASCII whose lower case is ASCII (KELVIN SIGN -> "k"), so the
# only one a case-variant list of an ASCII null marker must add.
KELVIN_SIGN = "\u212a"
MAX_SPELLINGS = 16384


def iter_leaves(condition: Condition) -> Iterator[Leaf]:
    if isinstance(condition, Leaf):
        yield condition
    elif isinstance(condition, AllOf | AnyOf):
        for item in condition.items:
            yield from iter_leaves(item)
    elif isinstance(condition, Not):
        yield from iter_leaves(condition.item)


def value_need(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, tuple | list) and value:
        return value_need(value[0])
    return "text"


def leaf_need(leaf: Leaf) -> str | None:
    if leaf.op in NULL_OPERATORS:
        return None
    if leaf.op in AGE_OPERATORS:
        return "date"
    if leaf.op in TEXT_OPERATORS:
        return "text"
    if leaf.op in ORDER_OPERATORS:
        need = value_need(leaf.value)
        return "date" if need in ("date", "text") else need
    return value_need(leaf.value)


def field_uses(rules: tuple[Rule, ...]) -> Iterator[tuple[str, str | None, str, str]]:
    """Yield (field, need, where, key) for every place a rule reads a field: `where` names
    the use for a message (`rules[4].when (gte)`), `key` is the key path that names the
    field (`rules[4].when.all[0].field`)."""
    for index, rule in enumerate(rules):
        where = f"rules[{index}]"
        if rule.when is not None:
            for leaf, at in leaves_with_paths(rule.when, f"{where}.when"):
                yield leaf.field, leaf_need(leaf), f"{where}.when ({leaf.op})", f"{at}.field"
        if rule.kind == "map" and rule.field:
            yield rule.field, None, f"{where}.map", f"{where}.field"
        if rule.kind == "bands" and rule.field:
            yield rule.field, "number", f"{where}.bands", f"{where}.field"
        if rule.decay is not None:
            yield rule.decay.field, "date", f"{where}.decay", f"{where}.decay.field"


def resolve_field_types(
    rules: tuple[Rule, ...], fields: tuple[FieldSpec, ...]
) -> dict[str, FieldType]:
    """Decide each used field's type; raise ValueError([messages]) on conflicting uses.

    Every conflicting use is reported, not only the first of each kind, so that one
    round of fixes clears them all."""
    declared = {spec.name: spec.type for spec in fields}
    uses: dict[str, dict[tuple[str, str], None]] = {}  # field -> (where, need), model order
    for name, need, where, _ in field_uses(rules):
        found = uses.setdefault(name, {})
        if need is not None:
            found[(where, need)] = None
    problems: list[str] = []
    types: dict[str, FieldType] = {}
    for name, found in uses.items():
        ftype = declared.get(name)
        by_need: dict[str, list[str]] = {}
        for where, need in found:
            by_need.setdefault(need, []).append(where)
        if ftype is not None:
            have = NEEDS_BY_TYPE[ftype]
            problems.extend(
                f"{where}: field {name!r} is declared {ftype} but this use needs a {need} value"
                for where, need in found
                if need != have
            )
            types[name] = ftype
        elif len(by_need) > 1:
            listed = ", ".join(f"{need} in {' and '.join(at)}" for need, at in by_need.items())
            problems.append(
                f"fields.{name}: used as {listed}; a field is read as one type, so make its "
                f"uses agree (with type declared in [fields.{name}], the uses that do not fit "
                "it are listed)"
            )
        else:
            need = next(iter(by_need), "text")
            types[name] = TYPE_FOR_NEED[need]
    if problems:
        raise ValueError(problems)
    return types


# What a value of each type is, for a message on values that do not read as one.
TYPE_WORDS: dict[str, str] = {
    "string": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "date": "a date",
    "datetime": "a date-time",
}


def unreadable_hint(
    rules: tuple[Rule, ...], name: str, spec: FieldSpec | None, ftype: FieldType
) -> str:
    """What to do about values that do not read as a field's type, saying where the type
    comes from: one a rule implies is often the mistake (a decay naming a text column),
    which "declare the field's type" alone would not reveal."""
    dated = ftype in ("date", "datetime")
    if spec is not None and spec.type is not None:
        form = ", give a format that reads them" if dated and spec.format is None else ""
        return (
            f'[fields.{name}] declares type = "{ftype}": fix the data or that type{form}, '
            'or set on_invalid = "null"'
        )
    uses = (where for field, need, where, _ in field_uses(rules) if field == name and need)
    use = next(uses, None)
    if use is None:
        return 'fix the data, declare the field\'s type in [fields], or set on_invalid = "null"'
    return (
        f"no [fields.{name}] declares its type, and {use} reads it as {TYPE_WORDS[ftype]}: "
        f"correct that use if the column holds no such values; else fix the data, declare "
        f"the type{' and format' if dated else ''} in [fields.{name}], "
        'or set on_invalid = "null"'
    )


Step = Callable[[pl.Expr], pl.Expr]
# A stage built from every column before it: [raw column, stage 0, stage 1, ...].
Build = Callable[[list[pl.Expr]], pl.Expr]


def chained(step: Step) -> Build:
    """A stage that reads only the one before it."""
    return lambda columns: step(columns[-1])


@dataclass(frozen=True)
class ParsedField:
    """How one field is read: stages from the raw column to the typed value.

    `value` and `invalid` compose the stages into single expressions, handy for
    aggregations. A stage may use its inputs several times, and polars does not
    share work inside `when` branches, so the hot path (`staged`) turns each
    stage into a column of its own instead: every stage then runs once per row.
    """

    name: str
    source: str
    stages: tuple[Build, ...]
    # Whether the cell held something (not empty, not a null marker), from the stage
    # columns; None when every value is readable, so none is ever flagged.
    present: Build | None

    @property
    def checked(self) -> bool:
        """Whether unreadable values are possible (and flagged)."""
        return self.present is not None

    def composed(self) -> list[pl.Expr]:
        columns = [pl.col(self.source)]
        for build in self.stages:
            columns.append(build(columns))
        return columns

    @property
    def value(self) -> pl.Expr:
        return self.composed()[-1]

    @property
    def invalid(self) -> pl.Expr | None:
        if self.present is None:
            return None
        columns = self.composed()
        return self.present(columns) & columns[-1].is_null()

    def staged(self, prefix: str, value_name: str, invalid_name: str | None) -> list[list[pl.Expr]]:
        """One list of expressions per stage, each reading earlier stages' columns."""
        names = [f"{prefix}{i}_{self.name}" for i in range(len(self.stages) - 1)]
        names.append(value_name)
        stages: list[list[pl.Expr]] = []
        columns = [pl.col(self.source)]
        for build, name in zip(self.stages, names, strict=True):
            stages.append([build(columns).alias(name)])
            columns.append(pl.col(name))
        if self.present is not None and invalid_name is not None:
            invalid = self.present(columns) & pl.col(value_name).is_null()
            stages.append([invalid.alias(invalid_name)])
        return stages


def steps(*chain: Step) -> tuple[Build, ...]:
    return tuple(chained(step) for step in chain)


def present_after(stage: int) -> Build:
    """Present when the column after `stage` stages (0: the raw column) is not null."""
    return lambda columns: columns[stage].is_not_null()


def null_markers(spec: FieldSpec | None, model_nulls: tuple[str, ...]) -> list[str]:
    extra = spec.null_values if spec else ()
    return sorted({m.strip().lower() for m in (*model_nulls, *extra)})


def parse_field(
    column: str,
    ftype: FieldType,
    source_dtype: pl.DataType,
    spec: FieldSpec | None,
    model_nulls: tuple[str, ...],
) -> ParsedField:
    """Build the steps that read `column` as `ftype`, whatever the input stored."""
    markers = null_markers(spec, model_nulls)
    if source_dtype == pl.String:
        return parse_text_column(pl.col(column), column, ftype, spec, markers)
    return cast_typed_column(pl.col(column), column, ftype, source_dtype, markers, spec)


def strip(text: pl.Expr) -> pl.Expr:
    return text.str.strip_chars()


@functools.cache
def spellings_of(value: str) -> tuple[str, ...] | None:
    """Every text whose lower case is `value` (itself lower-cased), or None when the
    value is not ASCII or has too many spellings to list.

    Cached: planning asks for the same markers and members field after field."""
    if not value.isascii() or value != value.lower():
        return None
    choices = [sorted({ch, ch.upper(), *((KELVIN_SIGN,) if ch == "k" else ())}) for ch in value]
    if math.prod(len(c) for c in choices) > MAX_SPELLINGS:
        return None
    return tuple("".join(spelling) for spelling in itertools.product(*choices))


def lowered_in(values: list[str]) -> Step:
    """Whether text, lower-cased, is one of `values` (themselves lower-cased).

    Listing every spelling of each value and testing membership gives the same answer
    as lower-casing first, at a fraction of the cost: lower-casing copies every string
    of the column, a membership test only hashes it. Past MAX_SPELLINGS in all, values
    are compared lower-cased instead: a long list would list millions of spellings.
    """
    spellings: set[str] = set()
    unlisted: list[str] = []
    for value in values:
        listed = spellings_of(value)
        if listed is None or len(spellings) + len(listed) > MAX_SPELLINGS:
            unlisted.append(value)
        else:
            spellings.update(listed)

    def step(text: pl.Expr) -> pl.Expr:
        found = text.is_in(sorted(spellings))
        if unlisted:
            found = found | text.str.to_lowercase().is_in(unlisted)
        return found

    return step


def is_marker(markers: list[str]) -> Step:
    """Whether trimmed text is empty or a null marker, ignoring case."""
    return lowered_in(["", *markers])


def null_out(markers: list[str]) -> Step:
    missing = is_marker(markers)

    def step(text: pl.Expr) -> pl.Expr:
        return pl.when(missing(text)).then(None).otherwise(text)

    return step


def to_number(text: pl.Expr) -> pl.Expr:
    """`$1,200.50` -> 1200.5 and `(300)` -> -300; anything else unreadable becomes null.

    Most values are plain numbers: those are read directly, and only the rest go
    through the character clean-up (the others are nulled first, so it skips them).
    """
    direct = text.cast(pl.Float64, strict=False)
    return pl.coalesce(direct, cleaned_number(pl.when(direct.is_null()).then(text)))


def cleaned_number(text: pl.Expr) -> pl.Expr:
    """The clean-up alone, for text that did not read directly: it reads plain numbers
    the same way (they hold nothing it removes), so `to_number` is this plus a fast path."""
    junk = list(NUMBER_JUNK)  # literal characters: far cheaper than a regex class
    digits = text.str.replace_many(junk, [""] * len(junk))
    enclosed = digits.str.starts_with("(") & digits.str.ends_with(")")
    inner = digits.str.strip_prefix("(").str.strip_suffix(")")
    signed = pl.when(enclosed).then(pl.concat_str(pl.lit("-"), inner)).otherwise(digits)
    return signed.cast(pl.Float64, strict=False)


def finite(integral: bool) -> Step:
    def step(number: pl.Expr) -> pl.Expr:
        valid = number.is_finite()
        if integral:
            valid = valid & (number == number.floor())
        return pl.when(valid).then(number).otherwise(None)

    return step


def to_bool(true_values: list[str], false_values: list[str]) -> Step:
    is_true, is_false = lowered_in(true_values), lowered_in(false_values)

    def step(text: pl.Expr) -> pl.Expr:
        return pl.when(is_true(text)).then(True).when(is_false(text)).then(False).otherwise(None)

    return step


def to_temporal(formats: tuple[str, ...], as_date: bool) -> Step:
    def step(text: pl.Expr) -> pl.Expr:
        parsed = [read_temporal(text, fmt) for fmt in formats]
        stamp = parsed[0] if len(parsed) == 1 else pl.coalesce(parsed)
        return stamp.dt.date() if as_date else stamp

    return step


def date_reader(spec: FieldSpec | None, as_date: bool, auto_formats: tuple[str, ...]) -> Step:
    """The field's own `format` as given (its `%Y` reads what chrono reads), else
    `auto_formats` with a year of exactly four digits."""
    if spec and spec.format:
        return to_temporal((spec.format,), as_date)
    read = to_temporal(auto_formats, as_date)

    def step(text: pl.Expr) -> pl.Expr:
        # An anchored regex costs about 1% of reading the formats; checking only the
        # fifth character would let `26-1-5` and `  26-10-25` through.
        return pl.when(text.str.contains(FOUR_DIGIT_YEAR)).then(read(text))

    return step


def two_digit_year_format(text: str) -> str | None:
    """The format that reads `text` when its year has two digits (`26-10-25`:
    `%y-%m-%d`), which the automatic formats refuse; None for any other text."""
    stripped = text.strip()
    if re.match(FOUR_DIGIT_YEAR, stripped):
        return None
    value = pl.lit(stripped, dtype=pl.String)
    for fmt in AUTO_DATETIME_FORMATS:
        year = pl.select(read_temporal(value, fmt).dt.year()).item()
        if year is not None and 0 <= year < 100:
            return fmt.replace("%Y", "%y", 1)
    return None


def year_hint(text: str) -> str:
    """Why a value the automatic formats refuse looks like a date, and the fix; or ''."""
    fmt = two_digit_year_format(text)
    if fmt is None:
        return ""
    return f', a two-digit year that format = "{fmt}" reads if the year comes first'


# chrono's UTC-offset directives (`%z`, `%:z`, `%#z`, ...), and `%%` so that a literal
# percent sign before a `z` is not taken for one.
OFFSET_DIRECTIVE = re.compile(r"%%|%[#:]*z")


def read_temporal(text: pl.Expr, fmt: str) -> pl.Expr:
    """Text as a date-time, at the wall-clock time it shows.

    polars converts a time with a UTC offset to UTC, which can move it to another day:
    `2026-11-01T00:30:00+02:00` is 22:30 on October 31 in UTC. Rules count the calendar
    day the export wrote, so such text is read again with the offset skipped (chrono's
    `%Z` skips it); the offset form still decides which values are readable.
    """
    stamp = text.str.to_datetime(fmt, strict=False)
    wall_format = OFFSET_DIRECTIVE.sub(lambda m: m[0] if m[0] == "%%" else " %Z", fmt)
    if wall_format == fmt:
        return stamp
    wall = text.str.to_datetime(wall_format, strict=False)
    utc = stamp.dt.replace_time_zone(None)  # only for formats the skip cannot follow
    return pl.when(stamp.is_not_null()).then(pl.coalesce(wall, utc))


def parse_text_column(
    raw: pl.Expr,
    column: str,
    ftype: FieldType,
    spec: FieldSpec | None,
    markers: list[str],
    auto_formats: tuple[str, ...] = AUTO_DATETIME_FORMATS,
) -> ParsedField:
    """Text as exported: trimmed, null markers removed, then read as the field's type.

    Numbers, booleans and dates first try the raw text as it is: most cells of an
    export are clean, and reading them directly skips trimming, the null-marker test
    and the clean-up. Only cells that do not read go the full way (see `read_first`).
    A date without a `format` tries `auto_formats` (profile tries them one by one).
    """
    source = raw.meta.output_name()
    clean = (strip, null_out(markers))
    if ftype == "string":
        return ParsedField(column, source, steps(*clean), None)
    if ftype in ("int", "float"):
        direct, full, after = direct_number, to_number, (finite(ftype == "int"),)
    elif ftype == "bool":
        spec = spec or FieldSpec("", "")
        direct = full = to_bool(list(spec.true_values), list(spec.false_values))
        after = ()
    else:
        direct = full = date_reader(spec, ftype == "date", auto_formats)
        after = ()
    if any_marker_reads(direct, markers):
        return ParsedField(column, source, steps(*clean, full, *after), present_after(2))
    if full is to_number:  # what reaches the full way did not read directly
        full = cleaned_number
    return read_first(column, source, markers, direct, full, after)


def read_first(
    column: str,
    source: str,
    markers: list[str],
    direct: Step,
    parse: Step,
    after: tuple[Step, ...],
) -> ParsedField:
    """Read the raw text with `direct`; cells it leaves null are trimmed, cleared of null
    markers and read with `parse`; `after` steps run on the combined value.

    Exact only when `direct` reads a cell the way the full way would and reads no null
    marker: `any_marker_reads` checks the second, tests check the first.
    """
    raw, direct_value, cleaned = 0, 1, 4  # positions in the stage columns (see below)

    def left_over(columns: list[pl.Expr]) -> pl.Expr:  # raw text where direct gave nothing
        return pl.when(columns[direct_value].is_null()).then(columns[raw])

    def combined(columns: list[pl.Expr]) -> pl.Expr:
        return pl.coalesce(columns[direct_value], columns[-1])

    def present(columns: list[pl.Expr]) -> pl.Expr:  # read directly, or left after markers
        return columns[direct_value].is_not_null() | columns[cleaned].is_not_null()

    stages = (
        chained(direct),  # 1: direct_value
        left_over,  # 2: the rest of the raw text
        *steps(strip, null_out(markers)),  # 3: trimmed, 4: cleaned
        chained(parse),
        combined,
        *steps(*after),
    )
    return ParsedField(column, source, stages, present)


def any_marker_reads(direct: Step, markers: list[str]) -> bool:
    """Whether `direct` would read some spelling of a null marker (or empty text) as a
    value, which would then skip the null-marker test."""
    spellings = {""}
    for marker in markers:
        spellings.update(spellings_of(marker) or (marker, marker.upper(), marker.title()))
    frame = pl.DataFrame({"t": sorted(spellings)}, schema={"t": pl.String})
    return bool(frame.select(direct(pl.col("t")).is_not_null().any()).item())


def direct_number(text: pl.Expr) -> pl.Expr:
    return text.cast(pl.Float64, strict=False)


def cast_step(dtype: pl.DataType) -> Step:
    return lambda expr: expr.cast(dtype)


def holds_text(dtype: pl.DataType) -> bool:
    """Parquet columns whose values are text stored another way: categories (pandas'
    `category`, polars' Categorical and Enum) and byte strings (BYTE_ARRAY without a
    UTF-8 annotation, as some warehouses write text)."""
    return dtype in (pl.Categorical, pl.Enum, pl.Binary)


def read_as_text(parsed: ParsedField) -> ParsedField:
    """`parsed` (built for a text column) reading the column cast to text first.

    Every stage of `parsed` sees the columns after the cast: its position 0 (the raw
    text) is the cast, so stages and `present` shift by one.
    """

    def shifted(build: Build) -> Build:
        return lambda columns: build(columns[1:])

    stages = (chained(cast_step(pl.String())), *(shifted(b) for b in parsed.stages))
    present = None if parsed.present is None else shifted(parsed.present)
    return ParsedField(parsed.name, parsed.source, stages, present)


def cast_typed_column(
    raw: pl.Expr,
    column: str,
    ftype: FieldType,
    source_dtype: pl.DataType,
    markers: list[str] | None = None,
    spec: FieldSpec | None = None,
) -> ParsedField:
    """Columns Parquet already typed: cast, and refuse casts that cannot mean anything.

    Each reads the way the same values would from CSV: a categorical `N/A` is a null
    marker, a categorical `Yes` a boolean, a float 12.0 read as text is `12`, an int
    field takes no 12.5, and a time-zone-aware timestamp gives the date its own zone
    shows. Refusals happen here, before any data is read, naming the column.
    """
    source = raw.meta.output_name()
    if holds_text(source_dtype):
        text = parse_text_column(raw, column, ftype, spec, markers or [])
        return read_as_text(text)
    if ftype == "string":
        if not has_text_form(source_dtype):
            raise TypeError(refusal(column, source_dtype, ftype))
        return ParsedField(column, source, steps(as_text(source_dtype), strip), None)
    if ftype in ("int", "float"):
        if not (source_dtype.is_numeric() or source_dtype in (pl.Boolean, pl.Null)):
            raise TypeError(refusal(column, source_dtype, ftype))
        return ParsedField(
            column,
            source,
            steps(cast_step(pl.Float64()), finite(ftype == "int")),
            present_after(0),
        )
    if ftype == "bool":
        if source_dtype.is_integer():  # 1 and 0, as from CSV: any other number is unreadable
            return ParsedField(column, source, steps(zero_or_one), present_after(0))
        if not (source_dtype == pl.Boolean or source_dtype == pl.Null):
            raise TypeError(refusal(column, source_dtype, ftype))
        return ParsedField(column, source, steps(cast_step(pl.Boolean())), None)
    if source_dtype not in (pl.Date, pl.Datetime, pl.Null):
        raise TypeError(refusal(column, source_dtype, ftype))
    zoned = isinstance(source_dtype, pl.Datetime) and source_dtype.time_zone is not None
    if ftype == "date":
        if zoned:  # the calendar date in the column's zone, not in UTC
            return ParsedField(column, source, steps(lambda t: t.dt.date()), None)
        return ParsedField(column, source, steps(cast_step(pl.Date())), None)
    if zoned:  # the wall-clock time in the column's zone
        local = steps(lambda t: t.dt.replace_time_zone(None).dt.cast_time_unit("us"))
        return ParsedField(column, source, local, None)
    return ParsedField(column, source, steps(cast_step(pl.Datetime("us"))), None)


def has_text_form(dtype: pl.DataType) -> bool:
    """Whether values of `dtype` have one text an export would print (polars casts them)."""
    return not (dtype.is_nested() or dtype in (pl.Duration, pl.Object))


def refusal(column: str, dtype: pl.DataType, ftype: FieldType) -> str:
    """`column 'x' holds durations, the model reads it as date`."""
    return f"column {column!r} holds {stored_as(dtype)}, the model reads it as {ftype}"


def stored_as(dtype: pl.DataType) -> str:
    """What a Parquet column holds, in words: `times of day`, `lists (List(Int64))`."""
    if dtype == pl.Time:
        return "times of day"
    if dtype == pl.Duration:
        return "durations"
    if dtype == pl.Date:
        return "dates"
    if dtype == pl.Datetime:
        return "timestamps"
    if dtype == pl.Boolean:
        return "booleans"
    if dtype.is_numeric():
        return f"numbers ({dtype})"
    if dtype.is_nested():
        return f"nested values ({dtype})"
    return str(dtype)


def zero_or_one(number: pl.Expr) -> pl.Expr:
    """An integer read as a boolean: 1 is true, 0 false, anything else null (unreadable)."""
    return pl.when(number == 1).then(True).when(number == 0).then(False).otherwise(None)


def as_text(source_dtype: pl.DataType) -> Step:
    """Typed values as the text an export would hold: numbers in their shortest form,
    whole ones without `.0` (`12`, not `12.0`; a decimal 12.50 is `12.5`)."""
    if not (source_dtype.is_float() or source_dtype == pl.Decimal):
        return cast_step(pl.String())
    decimal = source_dtype == pl.Decimal

    def step(number: pl.Expr) -> pl.Expr:
        value = number.cast(pl.Float64)
        whole = value.is_finite() & (value == value.floor()) & (value.abs() < 2.0**53)
        text = number.cast(pl.String)
        if decimal:  # the column's scale pads every value with zeros: 12.50
            text = text.str.strip_chars_end("0").str.strip_suffix(".")
        return (
            pl.when(whole).then(number.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(text)
        )

    return step
