"""SQL building blocks that reproduce leadscore's polars semantics on text columns.

Each helper returns a sqlglot expression built from portable primitives (TRIM with a
character list, TRANSLATE, LEFT/RIGHT, FLOOR, CASE), so one tree transpiles to every
supported dialect; what cannot be written portably is decided per dialect in `leadscore_cli.sql`.
"""

from __future__ import annotations

import math
import sys

from sqlglot import exp

from leadscore_cli.fields import NUMBER_JUNK, WHITESPACE

JUNK = NUMBER_JUNK
# What polars accepts as a float once junk is removed (inf/NaN are invalid anyway).
NUMBER_PATTERN = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"
MAX_DOUBLE = sys.float_info.max
DOUBLE = exp.DataType.build("double")


def lit(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def num(value: float) -> exp.Expression:
    """A DOUBLE literal: a bare 20.0 would be DECIMAL in DuckDB and sum differently.
    Infinity and NaN (a model may compare with them) are cast from text, which every
    dialect reads; written bare they would name a column."""
    number = float(value)
    text = repr(number)
    literal = exp.Literal.number(text) if math.isfinite(number) else lit(text)
    return exp.cast(literal, DOUBLE)


def ident(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def case(*branches: tuple[exp.Expression, exp.Expression], default=None) -> exp.Case:
    """Built in one step: sqlglot's `Case.when` copies the whole CASE built so far on every
    call, which makes a lookup of thousands of keys take minutes."""
    ifs = [exp.If(this=condition, true=value) for condition, value in branches]
    return exp.Case(ifs=ifs, default=default)


def coalesce_false(condition: exp.Expression) -> exp.Expression:
    """Two-valued logic: a comparison with a missing value is false."""
    return exp.func("COALESCE", exp.paren(condition), exp.false())


def strip(text: exp.Expression) -> exp.Expression:
    """polars' strip_chars(): trim Unicode whitespace; the full TRIM only runs when an end
    character is whitespace, since TRIM with a long character list is slow."""
    ws = lit(WHITESPACE)
    first = exp.StrPosition(this=ws.copy(), substr=exp.Left(this=text.copy(), expression=one()))
    last = exp.StrPosition(this=ws.copy(), substr=exp.Right(this=text.copy(), expression=one()))
    needs = exp.or_(exp.GT(this=first, expression=zero()), exp.GT(this=last, expression=zero()))
    return case((needs, exp.Trim(this=text.copy(), expression=ws)), default=text.copy())


def one() -> exp.Literal:
    return exp.Literal.number(1)


def zero() -> exp.Literal:
    return exp.Literal.number(0)


def cleaned(text: exp.Expression, markers: list[str]) -> exp.Expression:
    """Trimmed text, NULL when empty or a null marker (compared lower-cased)."""
    trimmed = strip(text)
    missing = exp.or_(
        exp.EQ(this=trimmed.copy(), expression=lit("")),
        exp.In(this=exp.Lower(this=trimmed.copy()), expressions=[lit(m) for m in markers]),
    )
    return case((missing, exp.null()), default=trimmed)


def without_junk(text: exp.Expression) -> exp.Expression:
    """Whitespace, currency symbols and thousands separators removed. TRANSLATE with this
    many characters is slow, so text that already reads as a number skips it."""
    clean = exp.RegexpLike(this=text.copy(), expression=lit(NUMBER_PATTERN))
    return case((clean, text.copy()), default=exp.func("TRANSLATE", text, lit(JUNK), lit("")))


def sign_fix(digits: exp.Expression) -> exp.Expression:
    """ "(1200)" -> "-1200", as fields.parse_text_column does."""
    negative = exp.and_(
        exp.EQ(this=exp.Left(this=digits.copy(), expression=one()), expression=lit("(")),
        exp.EQ(this=exp.Right(this=digits.copy(), expression=one()), expression=lit(")")),
    )
    inner = exp.Substring(
        this=digits.copy(),
        start=exp.Literal.number(2),
        length=exp.Sub(this=exp.Length(this=digits.copy()), expression=exp.Literal.number(2)),
    )
    flipped = exp.DPipe(this=lit("-"), expression=inner)
    return case((negative, flipped), default=digits.copy())


def guarded_number(text: exp.Expression, try_cast: bool) -> exp.Expression:
    """Cast only what polars reads as a float; TRY_CAST also turns overflow into NULL."""
    cast = exp.TryCast if try_cast else exp.Cast
    matches = exp.RegexpLike(this=text.copy(), expression=lit(NUMBER_PATTERN))
    return case((matches, cast(this=text.copy(), to=DOUBLE.copy())))


def finite_number(number: exp.Expression, integral: bool) -> exp.Expression:
    """NULL for inf/NaN (and non-integral values of an int field)."""
    valid: exp.Expression = exp.LTE(
        this=exp.Abs(this=number.copy()), expression=exp.Literal.number(repr(MAX_DOUBLE))
    )
    if integral:
        valid = exp.and_(
            valid, exp.EQ(this=number.copy(), expression=exp.Floor(this=number.copy()))
        )
    return case((valid, number.copy()))


def boolean(
    text: exp.Expression, true_values: list[str], false_values: list[str]
) -> exp.Expression:
    lowered = exp.Lower(this=text)
    return case(
        (exp.In(this=lowered.copy(), expressions=[lit(v) for v in true_values]), exp.true()),
        (exp.In(this=lowered.copy(), expressions=[lit(v) for v in false_values]), exp.false()),
    )


def round2(value: exp.Expression) -> exp.Expression:
    """polars' round(2): half-to-even on value * 100, written with FLOOR only so every
    dialect rounds the same (ROUND is half-away in some, ROUND_EVEN missing in most)."""
    scaled = exp.Mul(this=value.copy(), expression=num(100.0))
    floor = exp.Floor(this=scaled.copy())
    frac = exp.Sub(this=scaled.copy(), expression=floor.copy())
    even = exp.EQ(
        this=exp.Sub(
            this=floor.copy(),
            expression=exp.Mul(
                this=num(2.0),
                expression=exp.Floor(this=exp.Div(this=floor.copy(), expression=num(2.0))),
            ),
        ),
        expression=num(0.0),
    )
    up = exp.Add(this=floor.copy(), expression=num(1.0))
    rounded = case(
        (exp.GT(this=frac.copy(), expression=num(0.5)), up.copy()),
        (exp.LT(this=frac.copy(), expression=num(0.5)), floor.copy()),
        (even, floor.copy()),
        default=up,
    )
    return exp.Div(this=exp.paren(rounded), expression=num(100.0))


def unsigned_zero(value: exp.Expression) -> exp.Expression:
    """0 for -0, as scoring.totals.rounded gives (a value of exactly -0 rounds to -0)."""
    return case((exp.EQ(this=value.copy(), expression=num(0.0)), num(0.0)), default=value)


def clamp(value: exp.Expression, low: float | None, high: float | None) -> exp.Expression:
    if low is not None:
        value = exp.Greatest(this=value, expressions=[num(low)], ignore_nulls=True)
    if high is not None:
        value = exp.Least(this=value, expressions=[num(high)], ignore_nulls=True)
    return value


def total(parts: list[exp.Expression]) -> exp.Expression:
    """Left-to-right sum, as scoring.totals.added_in_order adds (floats are not associative)."""
    if not parts:
        return num(0.0)
    result = parts[0]
    for part in parts[1:]:
        result = exp.Add(this=result, expression=part)
    return result


def format_points(rounded: exp.Expression) -> exp.Expression:
    """`+12`, `-5`, `+4.33` from points already rounded: scoring.reasons.format_points in SQL."""
    whole = exp.EQ(this=rounded.copy(), expression=exp.Floor(this=rounded.copy()))
    as_int = exp.cast(exp.cast(rounded.copy(), "bigint"), "text")
    text = case((whole, as_int), default=exp.cast(rounded.copy(), "text"))
    positive = exp.GT(this=rounded.copy(), expression=num(0.0))
    return case((positive, exp.DPipe(this=lit("+"), expression=text.copy())), default=text)
