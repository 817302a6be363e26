"""Each rule's points in SQL: conditions, lookups, bands and decay.

Conditions are two-valued, like `conditions.compile_condition`: a comparison with a
missing value is false, never NULL.
"""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from leadscore_cli.conditions import literal_for, needle_text, needles_of, normalise_text
from leadscore_cli.model.map_keys import boolean_key, number_key
from leadscore_cli.model.schema import AllOf, AnyOf, Condition, FieldType, Leaf, Not, Rule
from leadscore_cli.scoring.totals import reciprocal
from leadscore_cli.sql import parts as sp
from leadscore_cli.sql.builder import INTERNAL, Builder
from leadscore_cli.sql.dialects import refuse
from leadscore_cli.sql.fields import value_name
from leadscore_cli.sql.regex import engine_prefix, unfaithful_syntax


def points_name(index: int) -> str:
    return f"{INTERNAL}p{index}"


def add_points(b: Builder) -> None:
    b.layer([(points_name(i), rule_points(b, rule, i)) for i, rule in enumerate(b.model.rules)])


def rule_points(b: Builder, rule: Rule, index: int) -> exp.Expression:
    where = f"rules[{index}] ({rule.name})"
    if rule.kind == "when":
        assert rule.when is not None
        hit = condition_sql(b, rule.when, where)
        points: exp.Expression = sp.case((hit, sp.num(rule.points)), default=sp.num(0.0))
    elif rule.kind == "map":
        points = map_points(b, rule, where)
    else:
        points = band_points(b, rule)
    if rule.decay is not None:
        points = exp.Mul(this=exp.paren(points), expression=exp.paren(decay_factor(b, rule)))
    return points


def field_value(b: Builder, name: str) -> exp.Column:
    return sp.ident(value_name(b.index[name]))


def condition_sql(b: Builder, condition: Condition, where: str) -> exp.Expression:
    """A never-NULL boolean, like conditions.compile_condition."""
    if isinstance(condition, AllOf):
        if not condition.items:
            return exp.true()
        return exp.and_(*(exp.paren(condition_sql(b, c, where)) for c in condition.items))
    if isinstance(condition, AnyOf):
        if not condition.items:
            return exp.false()
        return exp.or_(*(exp.paren(condition_sql(b, c, where)) for c in condition.items))
    if isinstance(condition, Not):
        return exp.Not(this=exp.paren(condition_sql(b, condition.item, where)))
    ftype = b.types[condition.field]
    return sp.coalesce_false(leaf_sql(b, condition, field_value(b, condition.field), ftype, where))


def date_literal(day: dt.date) -> exp.Expression:
    return exp.cast(sp.lit(day.isoformat()), "date")


def literal(value: object, ftype: FieldType, case_sensitive: bool) -> exp.Expression:
    converted = literal_for(value, ftype, case_sensitive)
    if isinstance(converted, bool):
        return exp.Boolean(this=converted)
    if isinstance(converted, float):
        return sp.num(converted)
    if isinstance(converted, dt.date):
        return date_literal(converted)
    return sp.lit(str(converted))


def leaf_sql(
    b: Builder, leaf: Leaf, value: exp.Expression, ftype: FieldType, where: str
) -> exp.Expression:
    op = leaf.op
    if op == "is_null":
        return exp.Is(this=value, expression=exp.null())
    if op == "not_null":
        return exp.Not(this=exp.Is(this=value, expression=exp.null()))
    if op in ("within_days", "older_than_days"):
        cutoff = date_literal(b.as_of - dt.timedelta(days=float(leaf.value)))
        compare = exp.GTE if op == "within_days" else exp.LT
        return compare(this=value, expression=cutoff)
    subject: exp.Expression = value
    if ftype == "string" and not leaf.case_sensitive:
        subject = exp.Lower(this=value.copy())
    if op == "matches":
        return regex_match(b, leaf, value, where)
    if op in ("contains", "starts_with", "ends_with"):
        texts = [needle_text(n, leaf.case_sensitive) for n in needles_of(leaf)]
        return exp.or_(*(text_test(op, subject, t) for t in texts))
    if op in ("in", "not_in"):
        members = [literal(v, ftype, leaf.case_sensitive) for v in leaf.value]
        hit = exp.In(this=subject, expressions=members)
        return hit if op == "in" else exp.Not(this=exp.paren(hit))
    if op == "between":
        low, high = (literal(v, ftype, leaf.case_sensitive) for v in leaf.value)
        return exp.Between(this=subject, low=low, high=high)
    right = literal(leaf.value, ftype, leaf.case_sensitive)
    comparisons = {
        "eq": exp.EQ,
        "ne": exp.NEQ,
        "gt": exp.GT,
        "gte": exp.GTE,
        "lt": exp.LT,
        "lte": exp.LTE,
    }
    return comparisons[op](this=subject, expression=right)


def text_test(op: str, subject: exp.Expression, needle: str) -> exp.Expression:
    """Plain-text contains/starts/ends, without LIKE (its escapes differ per dialect)."""
    if not needle:
        return exp.Not(this=exp.Is(this=subject.copy(), expression=exp.null()))
    size = exp.Literal.number(len(needle))
    if op == "contains":
        found = exp.StrPosition(this=subject.copy(), substr=sp.lit(needle))
        return exp.GT(this=found, expression=sp.zero())
    cut = exp.Left if op == "starts_with" else exp.Right
    return exp.EQ(this=cut(this=subject.copy(), expression=size), expression=sp.lit(needle))


def regex_match(b: Builder, leaf: Leaf, value: exp.Expression, where: str) -> exp.Expression:
    if not b.dialect.regex:
        raise refuse(
            f"{where}: `matches` needs an RE2/Java-style regex engine; {b.dialect.name}'s "
            "differs (e.g. \\b, anchoring), so the rule could match other text",
            b.model,
        )
    pattern = str(leaf.value)
    unfaithful = unfaithful_syntax(pattern, b.dialect.regex)
    if unfaithful:
        raise refuse(
            f"{where}: {b.dialect.name}'s regex engine reads {unfaithful} otherwise than "
            "`score` does, so the rule could match other text; write the pattern without it",
            b.model,
        )
    flags = engine_prefix(b.dialect.regex, leaf.case_sensitive)
    return exp.RegexpLike(this=value.copy(), expression=sp.lit(flags + pattern))


def map_points(b: Builder, rule: Rule, where: str) -> exp.Expression:
    """One membership test per distinct points value (`key IN (...) THEN points`), not
    one branch per key: a lookup of thousands of keys stays a short query that databases
    plan quickly. Keys are distinct once normalised, so grouping them by points cannot
    change which points a value gets."""
    assert rule.field is not None
    value = field_value(b, rule.field)
    subject, keys = map_keys(b, rule, value, where)
    groups: dict[str, tuple[float, list[exp.Expression]]] = {}
    for key, points in keys:
        # repr tells -0.0 from 0.0, which a float key would merge
        groups.setdefault(repr(points), (points, []))[1].append(key)
    branches: list[tuple[exp.Expression, exp.Expression]] = [
        (exp.Is(this=value.copy(), expression=exp.null()), sp.num(rule.missing))
    ]
    for points, members in groups.values():
        branches.append((exp.In(this=subject.copy(), expressions=members), sp.num(points)))
    return sp.case(*branches, default=sp.num(rule.default))


def map_keys(
    b: Builder, rule: Rule, value: exp.Expression, where: str
) -> tuple[exp.Expression, list[tuple[exp.Expression, float]]]:
    """The value a map looks up, normalised like its keys, and each distinct key as a
    literal with its points. Numeric keys compare as numbers, so `1` and `1.0` are one
    key: the first one in the model wins, as in `score`'s lookup."""
    ftype = b.types[rule.field or ""]
    seen: set[object] = set()
    keys: list[tuple[exp.Expression, float]] = []
    if ftype in ("int", "float"):
        for key, points in rule.mapping:
            number = number_key(key)
            if number is not None and number == number and number not in seen:
                seen.add(number)
                keys.append((sp.num(number), points))
        return value.copy(), keys
    if ftype == "datetime":  # keys name calendar days, as `score` matches date-times
        value = exp.cast(value.copy(), "date")
    subject: exp.Expression = exp.cast(value.copy(), "text")
    if ftype == "bool":
        subject = sp.case((value.copy(), sp.lit("true")), default=sp.lit("false"))
    if ftype == "string" and not rule.case_sensitive:
        subject = exp.Lower(this=value.copy())
    spec = b.model.field_spec(rule.field or "")
    for key, points in rule.mapping:
        text = (
            boolean_key(key, spec) if ftype == "bool" else normalise_text(key, rule.case_sensitive)
        )
        if text is not None and text not in seen:
            seen.add(text)
            keys.append((sp.lit(text), points))
    return subject, keys


def band_points(b: Builder, rule: Rule) -> exp.Expression:
    assert rule.field is not None
    value = field_value(b, rule.field)
    branches: list[tuple[exp.Expression, exp.Expression]] = [
        (exp.Is(this=value.copy(), expression=exp.null()), sp.num(rule.missing))
    ]
    for band in rule.bands:
        tests: list[exp.Expression] = []
        if band.min is not None:
            tests.append(exp.GTE(this=value.copy(), expression=sp.num(band.min)))
        if band.max is not None:
            tests.append(exp.LT(this=value.copy(), expression=sp.num(band.max)))
        branches.append((exp.and_(*tests) if tests else exp.true(), sp.num(band.points)))
    return sp.case(*branches, default=sp.num(rule.default))


def percent_of_range(points: exp.Expression, low: float, high: float) -> exp.Expression:
    """scoring.totals.percent_of_range before its clip, with the same constant factor."""
    span = high - low if high > low else 1.0
    shifted = exp.Sub(this=points, expression=sp.num(low))
    return exp.Mul(this=shifted, expression=sp.num(100.0 * reciprocal(span)))


def decay_factor(b: Builder, rule: Rule) -> exp.Expression:
    """scoring.rules.decay_factor: 0.5^(age * 1/h) or max(0, 1 - age * 1/L), age from the
    as-of date; multiplied by the same reciprocals, so both round alike."""
    decay = rule.decay
    assert decay is not None
    when = field_value(b, decay.field)
    days = exp.DateDiff(this=date_literal(b.as_of), expression=when, unit=exp.var("DAY"))
    age = sp.clamp(exp.cast(days, sp.DOUBLE.copy()), 0.0, None)
    if decay.half_life_days is not None:
        ratio = exp.Mul(this=age, expression=sp.num(reciprocal(decay.half_life_days)))
        factor: exp.Expression = exp.Pow(this=sp.num(0.5), expression=ratio)
    else:
        ratio = exp.Mul(this=age, expression=sp.num(reciprocal(decay.lifespan_days or 1)))
        factor = sp.clamp(exp.Sub(this=sp.num(1.0), expression=ratio), 0.0, None)
    missing = sp.num(1.0 if decay.if_missing == "full" else 0.0)
    # CASE, not COALESCE: GREATEST ignores NULLs in most dialects, so a missing date
    # would otherwise count as age 0.
    return sp.case((exp.Is(this=when.copy(), expression=exp.null()), missing), default=factor)
