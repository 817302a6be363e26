"""Compile rule conditions into polars boolean expressions.

Null handling is two-valued on purpose: a comparison with a missing value is
false (only `is_null` fires on it), so `all`/`any`/`not` never propagate
nulls and a rule either fires or it does not.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import polars as pl

from leadscore_cli.fields import MAX_SPELLINGS, lowered_in, spellings_of
from leadscore_cli.model.schema import AllOf, AnyOf, Condition, FieldType, Leaf, Not

ValueColumn = Callable[[str], str]  # field name -> name of its typed column
LoweredColumn = Callable[[str], str | None]  # field name -> its lower-cased text column, if any


def compile_condition(
    condition: Condition,
    value_of: ValueColumn,
    types: dict[str, FieldType],
    as_of: dt.date,
    lowered_of: LoweredColumn | None = None,
) -> pl.Expr:
    """Return a never-null boolean expression for `condition`.

    With `lowered_of`, case-insensitive text tests read a field's lower-cased column
    from there instead of lower-casing the field once per test.
    """

    def compile_part(part: Condition) -> pl.Expr:
        return compile_condition(part, value_of, types, as_of, lowered_of)

    if isinstance(condition, AllOf):
        if not condition.items:
            return pl.lit(True)
        return pl.all_horizontal([compile_part(c) for c in condition.items])
    if isinstance(condition, AnyOf):
        return pl.any_horizontal([compile_part(c) for c in condition.items])
    if isinstance(condition, Not):
        return compile_part(condition.item).not_()
    value = pl.col(value_of(condition.field))
    lowered_name = lowered_of(condition.field) if lowered_of else None
    lowered = pl.col(lowered_name) if lowered_name else None
    leaf = compile_leaf(condition, value, types[condition.field], as_of, lowered)
    return leaf.fill_null(False)


def lowered_reads(leaf: Leaf, ftype: FieldType) -> int:
    """How many times a test reads the field's text lower-cased (see `compile_leaf`)."""
    if (
        ftype != "string"
        or leaf.case_sensitive
        or leaf.op in ("is_null", "not_null", "matches")
        or spelled_members(leaf, ftype) is not None
    ):
        return 0
    if leaf.op in ("starts_with", "ends_with"):
        return len(needles_of(leaf))
    return 1


def spelled_members(leaf: Leaf, ftype: FieldType) -> list[str] | None:
    """The texts a case-insensitive eq/ne/in/not_in compares with, when every spelling
    of each can be listed: then the test hashes the text instead of lower-casing it.

    Not for long lists: a target-account list of thousands of names would list millions
    of spellings, where lower-casing the column once costs far less."""
    if ftype != "string" or leaf.case_sensitive or leaf.op not in ("eq", "ne", "in", "not_in"):
        return None
    values = leaf.value if leaf.op in ("in", "not_in") else (leaf.value,)
    texts = [normalise_text(v, False) for v in values]  # type: ignore[union-attr]
    spelt = 0
    for text in texts:
        spellings = spellings_of(text)
        if spellings is None:
            return None
        spelt += len(spellings)
        if spelt > MAX_SPELLINGS:
            return None
    return texts


def needles_of(leaf: Leaf) -> tuple:
    return tuple(leaf.value) if isinstance(leaf.value, tuple | list) else (leaf.value,)


def normalise_text(value: object, case_sensitive: bool) -> str:
    """A value compared with whole cells, which are trimmed: so is the value."""
    return needle_text(str(value).strip(), case_sensitive)


def needle_text(value: object, case_sensitive: bool) -> str:
    """Text `contains`/`starts_with`/`ends_with` look for: its spaces are part of it
    (`"vp "` must not find `vpn`), so only its case is normalised."""
    text = str(value)
    return text if case_sensitive else text.lower()


def to_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def literal_for(value: object, ftype: FieldType, case_sensitive: bool) -> object:
    """Convert a model value to the type of the field it is compared with."""
    if ftype == "string":
        return normalise_text(value, case_sensitive)
    if ftype in ("int", "float"):
        return float(value)  # type: ignore[arg-type]
    if ftype in ("date", "datetime"):
        return to_date(value)
    return value


def compile_leaf(
    leaf: Leaf,
    value: pl.Expr,
    ftype: FieldType,
    as_of: dt.date,
    lowered: pl.Expr | None = None,
) -> pl.Expr:
    op = leaf.op
    if op == "is_null":
        return value.is_null()
    if op == "not_null":
        return value.is_not_null()
    if ftype in ("date", "datetime"):
        value = value.cast(pl.Date)
        if op == "within_days":
            return value >= pl.lit(as_of - dt.timedelta(days=float(leaf.value)))
        if op == "older_than_days":
            return value < pl.lit(as_of - dt.timedelta(days=float(leaf.value)))
    members = spelled_members(leaf, ftype)
    if members is not None:
        found = lowered_in(members)(value)
        return found if op in ("eq", "in") else found.not_()
    subject = value
    if lowered_reads(leaf, ftype):
        subject = value.str.to_lowercase() if lowered is None else lowered
    if op == "matches":
        flags = "" if leaf.case_sensitive else "(?i)"
        return value.str.contains(flags + str(leaf.value))
    if op in ("contains", "starts_with", "ends_with"):
        texts = [needle_text(n, leaf.case_sensitive) for n in needles_of(leaf)]
        if op == "contains":
            return any_of_texts(subject, texts, lambda either: either)
        return affix_test(subject, texts, at_start=op == "starts_with")
    if op in ("in", "not_in"):
        members = [literal_for(v, ftype, leaf.case_sensitive) for v in leaf.value]
        hit = subject.is_in(pl.Series(members, dtype=member_dtype(ftype)).implode())
        return hit if op == "in" else hit.not_()
    if op == "between":
        low, high = (literal_for(v, ftype, leaf.case_sensitive) for v in leaf.value)
        return subject.is_between(pl.lit(low), pl.lit(high), closed="both")
    literal = pl.lit(literal_for(leaf.value, ftype, leaf.case_sensitive))
    comparisons = {
        "eq": subject.eq,
        "ne": subject.ne,
        "gt": subject.gt,
        "gte": subject.ge,
        "lt": subject.lt,
        "lte": subject.le,
    }
    return comparisons[op](literal)


# Up to this many prefixes or suffixes, one test each is cheapest; past it, one regex
# (a list of 5,000 mail domains took 21 s per million leads, one test each; 0.03 s as one).
AFFIX_TESTS = 4
# Texts per regex, in characters: the regex engine refuses patterns that compile to over
# 10 MB, which 20,000 mail domains in one alternation do.
PATTERN_CHARS = 32_768


def affix_test(subject: pl.Expr, texts: list[str], *, at_start: bool) -> pl.Expr:
    """Whether the text starts (or ends) with any of `texts`."""
    if len(texts) <= AFFIX_TESTS:
        test = subject.str.starts_with if at_start else subject.str.ends_with
        return pl.any_horizontal([test(t) for t in texts])
    return any_of_texts(
        subject, texts, (lambda either: "^" + either) if at_start else (lambda e: e + "$")
    )


def any_of_texts(subject: pl.Expr, texts: list[str], anchored: Callable[[str], str]) -> pl.Expr:
    """Whether `subject` holds any of `texts` (literally) where `anchored` puts the
    alternation: as few regexes as the engine's size limit allows."""
    patterns: list[list[str]] = [[]]
    size = 0
    for text in texts:
        escaped = re.escape(text)
        if patterns[-1] and size + len(escaped) > PATTERN_CHARS:
            patterns.append([])
            size = 0
        patterns[-1].append(escaped)
        size += len(escaped) + 1
    tests = [subject.str.contains(anchored("(?:" + "|".join(p) + ")")) for p in patterns]
    return tests[0] if len(tests) == 1 else pl.any_horizontal(tests)


def member_dtype(ftype: FieldType) -> pl.DataType:
    return {
        "string": pl.String(),
        "int": pl.Float64(),
        "float": pl.Float64(),
        "bool": pl.Boolean(),
        "date": pl.Date(),
        "datetime": pl.Date(),
    }[ftype]
