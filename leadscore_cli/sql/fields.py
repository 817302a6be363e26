"""Reading the fields the rules use from text columns, as `score` reads them.

Each field becomes a trimmed text column, then a typed value (number, boolean or date),
then, where an unreadable value must stop the run, a flag that it was unreadable.
"""

from __future__ import annotations

import re

from sqlglot import exp

from leadscore_cli.fields import AUTO_DATETIME_FORMATS, null_markers, resolve_field_types
from leadscore_cli.model.schema import FieldSpec
from leadscore_cli.sql import parts as sp
from leadscore_cli.sql.builder import INTERNAL, Builder
from leadscore_cli.sql.dialects import refuse

STRFTIME = re.compile(r"%(\.f|[YmdHMSybBjpIaAe%])")
REGEX_SPECIAL = set("\\.^$|?*+()[]{}")


def text_name(index: int) -> str:
    return f"{INTERNAL}t{index}"


def value_name(index: int) -> str:
    return f"{INTERNAL}v{index}"


def bad_name(index: int) -> str:
    return f"{INTERNAL}bad{index}"


def add_fields(b: Builder) -> None:
    """Trimmed text, then typed values, then invalid flags, for every field the rules read."""
    types = resolve_field_types(b.model.rules, b.model.fields)
    b.types = types
    b.index = {name: i for i, name in enumerate(types)}
    texts, numbers, values, bads = [], [], [], []
    for i, (name, ftype) in enumerate(types.items()):
        spec = b.model.field_spec(name)
        markers = null_markers(spec, b.model.null_values)
        texts.append((text_name(i), sp.cleaned(b.source(name), markers)))
        text = sp.ident(text_name(i))
        if ftype in ("int", "float"):
            numbers.append((f"{INTERNAL}d{i}", sp.sign_fix(sp.without_junk(text.copy()))))
            number = sp.guarded_number(sp.ident(f"{INTERNAL}d{i}"), b.dialect.try_cast)
            values.append((f"{INTERNAL}n{i}", number))
        elif ftype == "bool":
            defaults = FieldSpec("", "")
            trues = list((spec or defaults).true_values)
            falses = list((spec or defaults).false_values)
            values.append((value_name(i), sp.boolean(text, trues, falses)))
        elif ftype in ("date", "datetime"):
            values.append((value_name(i), parse_date(b, name, spec, text)))
        else:
            values.append((value_name(i), text))
    b.layer(texts)
    b.layer(numbers)
    b.layer(values)
    finals = [
        (value_name(i), sp.finite_number(sp.ident(f"{INTERNAL}n{i}"), ftype == "int"))
        for i, ftype in enumerate(types.values())
        if ftype in ("int", "float")
    ]
    b.layer(finals)
    for i, (name, ftype) in enumerate(types.items()):
        spec = b.model.field_spec(name)
        if ftype != "string" and (spec is None or spec.on_invalid == "error"):
            bad = exp.and_(
                exp.Not(this=exp.Is(this=sp.ident(text_name(i)), expression=exp.null())),
                exp.Is(this=sp.ident(value_name(i)), expression=exp.null()),
            )
            bads.append((bad_name(i), bad))
    b.layer(bads)
    flagged = {n for n, _ in bads}
    b.checked = [(name, i) for name, i in b.index.items() if bad_name(i) in flagged]


def parse_date(
    b: Builder, name: str, spec: FieldSpec | None, text: exp.Expression
) -> exp.Expression:
    """First format that reads the text, as a DATE (every use of a date compares days)."""
    formats = (spec.format,) if spec and spec.format else AUTO_DATETIME_FORMATS
    where = f"fields.{name}"
    if b.dialect.dates == "none":
        raise refuse(
            f"{where}: {b.dialect.name} has no date parser that returns NULL on bad text "
            "(its TO_DATE/TO_TIMESTAMP fail the query), so dates cannot be read faithfully",
            b.model,
        )
    parsed = []
    for fmt in formats:
        directives = STRFTIME.findall(fmt)
        if len(directives) != fmt.count("%") - fmt.count("%%"):
            raise refuse(f"{where}.format: {fmt!r} uses a directive SQL does not know", b.model)
        if ".f" in directives:
            if b.dialect.dates != "all":
                hint = "" if spec and spec.format else "; give the field a `format`"
                raise refuse(
                    f"{where}: fractional seconds (%.f) cannot be parsed in {b.dialect.name}{hint}",
                    b.model,
                )
            source = to_microseconds(text, fmt)
            fmt = fmt.replace("%.f", ".%n")
        else:
            source = text.copy()
        for variant in with_short_names(fmt):
            stamp = exp.StrToTime(this=source.copy(), format=sp.lit(variant), safe=True)
            day = exp.cast(stamp, "date")
            two_digit_year = "y" in directives and "Y" not in directives
            parsed.append(engine_century(day) if two_digit_year else day)
    day = parsed[0] if len(parsed) == 1 else exp.func("COALESCE", *parsed)
    return day if spec and spec.format else sp.case((four_digit_year(text), day))


def with_short_names(fmt: str) -> list[str]:
    """`fmt`, and the same with `%b` for `%B` and `%a` for `%A`: chrono's full month and
    weekday names also read the abbreviations (`Mar`, `Wed`), where SQL engines read
    only the full names."""
    variants = [fmt]
    for full, short in (("B", "b"), ("A", "a")):
        variants += [shortened(v, full, short) for v in variants if f"%{full}" in v]
    return list(dict.fromkeys(variants))


def shortened(fmt: str, full: str, short: str) -> str:
    """`fmt` with the directive `%<full>` written `%<short>` (a literal `%%` kept)."""
    return re.sub(f"%(%|{full})", lambda m: "%%" if m[1] == "%" else f"%{short}", fmt)


def to_microseconds(text: exp.Expression, fmt: str) -> exp.Expression:
    """The text with its fractional seconds cut to 6 digits, as polars reads them.

    chrono's `%.f` reads any number of digits and keeps nanoseconds, polars keeps
    microseconds; DuckDB's `%n` reads at most 9 digits, and casting its nanoseconds to a
    TIMESTAMP rounds them, so `23:59:59.9999999` would move to the next day. Only a `%.f`
    followed by literal text (or nothing) can be found in the text by a pattern."""
    suffix = fmt.split("%.f", 1)[1]
    if "%" in suffix:
        return text.copy()
    literal = "".join("\\" + c if c in REGEX_SPECIAL else c for c in suffix)
    pattern = sp.lit(rf"(\.[0-9]{{6}})[0-9]+({literal})$")
    # One replacement (the pattern is anchored): without `single_replace` sqlglot adds a
    # 'g' flag that it then reads back as a position, with a warning on stderr
    return exp.RegexpReplace(
        this=text.copy(), expression=pattern, replacement=sp.lit(r"\1\2"), single_replace=True
    )


def four_digit_year(text: exp.Expression) -> exp.Expression:
    """fields.FOUR_DIGIT_YEAR without a regex (Snowflake's REGEXP_LIKE matches the whole
    text): four ASCII digits, then `-` or `/`. DuckDB's %Y, like chrono's, reads
    `26-10-25` as the year 26."""
    separator = exp.Substring(this=text.copy(), start=exp.Literal.number(5), length=sp.one())
    year = exp.Left(this=text.copy(), expression=exp.Literal.number(4))
    return exp.and_(
        exp.In(this=separator, expressions=[sp.lit("-"), sp.lit("/")]),
        exp.EQ(
            this=exp.func("TRANSLATE", year, sp.lit("0123456789"), sp.lit("")),
            expression=sp.lit(""),
        ),
    )


def engine_century(day: exp.Expression) -> exp.Expression:
    """A two-digit year (`%y`) in the century the engine gives it: 00-69 are 2000-2069,
    70-99 are 1970-1999. Dialects differ (DuckDB reads 69 as 1969, BigQuery puts every
    year in the current century, Snowflake follows a session setting), but all keep the
    last two digits, so moving the date by whole centuries gives the engine's year."""
    year = exp.Year(this=day.copy())
    last_two = exp.Mod(this=year.copy(), expression=exp.Literal.number(100))
    century = sp.case(
        (exp.LT(this=last_two, expression=exp.Literal.number(70)), exp.Literal.number(2000)),
        default=exp.Literal.number(1900),
    )
    shift = exp.Sub(this=century, expression=exp.Sub(this=year, expression=last_two.copy()))
    return exp.cast(exp.DateAdd(this=day, expression=shift, unit=exp.var("YEAR")), "date")
