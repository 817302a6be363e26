"""Compile a scoring model into one SQL query, so it can run where the leads live.

The query is a sqlglot expression tree, built once and printed per dialect; every
identifier is quoted and every value a literal, so nothing in a model or a column name
can change what the query does. It reproduces `leadscore score`/`grade` on text columns
(as a CSV loaded as VARCHAR): the same tolerant parsing, two-valued conditions, lookups,
decay, caps, scaling, polars' half-to-even rounding, tiers and grades. What a dialect
cannot express faithfully is refused with an error naming the rule or field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from leadscore_cli import sql_parts as sp
from leadscore_cli.conditions import literal_for, normalise_text
from leadscore_cli.errors import ModelError, UsageError
from leadscore_cli.fields import AUTO_DATETIME_FORMATS, null_markers, resolve_field_types
from leadscore_cli.model.schema import (
    TOTAL,
    AllOf,
    AnyOf,
    Condition,
    FieldSpec,
    FieldType,
    Leaf,
    Limits,
    Model,
    Not,
    Rule,
    category_column,
)
from leadscore_cli.scoring.inputs import source_of
from leadscore_cli.scoring.rules import number_key
from leadscore_cli.scoring.totals import reciprocal

INTERNAL = "__ls_"
STRFTIME = re.compile(r"%(\.f|[YmdHMSybBjpIaAe%])")


@dataclass(frozen=True)
class Dialect:
    """What a target can express faithfully; anything else is refused, never approximated."""

    name: str
    shape: str  # "except": SELECT * EXCEPT(helpers); "lateral": t.* JOIN LATERAL (...)
    rename: bool  # SELECT * RENAME keeps a renamed column in place
    try_cast: bool
    regex: bool  # `matches` patterns run on an RE2/Java engine, as polars' Rust regex
    dates: str  # "all" formats, "plain" (no fractional seconds) or "none"
    explain: bool  # ARRAY_TO_STRING / ARRAY_JOIN skip NULL elements
    fail: str  # how to stop the query on an unreadable value


DIALECTS: dict[str, Dialect] = {
    "duckdb": Dialect("duckdb", "except", True, True, True, "all", True, "ERROR"),
    "snowflake": Dialect("snowflake", "except", True, True, False, "plain", False, "CAST"),
    "bigquery": Dialect("bigquery", "except", False, True, True, "plain", True, "ERROR"),
    "databricks": Dialect("databricks", "except", False, True, True, "none", True, "RAISE_ERROR"),
    "spark": Dialect("spark", "lateral", False, True, True, "none", True, "RAISE_ERROR"),
    "postgres": Dialect("postgres", "lateral", False, False, False, "none", True, "CAST"),
}


@dataclass
class Builder:
    """Accumulates query layers: each is `SELECT *, <new columns> FROM <previous layer>`."""

    model: Model
    dialect: Dialect
    as_of: dt.date
    source: Callable[[str], exp.Expression]
    layers: list[list[tuple[str, exp.Expression]]] = field(default_factory=list)
    helpers: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    types: dict[str, FieldType] = field(default_factory=dict)
    index: dict[str, int] = field(default_factory=dict)  # field -> number in helper names
    checked: list[tuple[str, int]] = field(default_factory=list)  # on_invalid = "error"

    def layer(self, columns: list[tuple[str, exp.Expression]]) -> None:
        if columns:
            self.layers.append(columns)
            for name, _ in columns:
                (self.helpers if name.startswith(INTERNAL) else self.outputs).append(name)


def refuse(message: str, model: Model) -> ModelError:
    return ModelError(message, path=model.source)


def compile_model(
    model: Model,
    dialect: str = "duckdb",
    table: str = "leads",
    as_of: dt.date | None = None,
    explain: bool = False,
) -> str:
    """The model as one SELECT over `table` in `dialect`; raises ModelError/UsageError."""
    target = DIALECTS.get(dialect.lower())
    if target is None:
        raise UsageError(f"--dialect must be one of {', '.join(DIALECTS)}, not {dialect!r}")
    return build_query(model, target, table, as_of or dt.date.today(), explain).sql(
        dialect=target.name, pretty=True
    )


def build_query(
    model: Model, target: Dialect, table: str, as_of: dt.date, explain: bool, *, shape: str = ""
) -> exp.Select:
    """The expression tree; `shape` overrides the dialect's (tests run both in DuckDB)."""
    shape = shape or target.shape
    if explain and not target.explain:
        raise UsageError(
            f"--explain needs an array join that skips NULLs, which {target.name} lacks "
            "(ARRAY_TO_STRING keeps them); drop --explain for this dialect"
        )
    renames = [(s.source, s.name) for s in model.fields if s.source != s.name]
    if renames and shape == "lateral":
        raise refuse(
            f"fields.{renames[0][1]}: {target.name} cannot rename columns in SELECT *; "
            f"create a view that names {renames[0][0]!r} {renames[0][1]!r} and leave out "
            "`source`",
            model,
        )
    alias = "__ls_t" if shape == "lateral" else None

    def source(field_name: str) -> exp.Expression:
        return exp.column(source_of(model, field_name), table=alias, quoted=True)

    builder = Builder(model, target, as_of, source)
    add_fields(builder)
    add_points(builder)
    add_scores(builder, explain)
    return parenthesize(assemble(builder, table_expr(table), renames, shape, alias))


def rank_test(theirs: exp.Expression, mine: exp.Expression, earlier: bool) -> exp.Expression:
    """Whether an entry sorts before mine: larger |points|, or equal and earlier (stable)."""
    return (exp.GTE if earlier else exp.GT)(this=theirs, expression=mine)


def parenthesize(tree: exp.Select) -> exp.Select:
    """Wrap every operator operand that is itself an operator: sqlglot prints a tree as
    built, so `Div(Sub(a, b), c)` would otherwise read back as `a - b / c`."""
    for node in list(tree.walk()):
        if isinstance(node, exp.Binary | exp.Not | exp.Between | exp.In):
            for key in ("this", "expression"):
                child = node.args.get(key)
                if isinstance(child, exp.Binary | exp.Not | exp.Between | exp.In):
                    node.set(key, exp.Paren(this=child))
    return tree


def table_expr(table: str) -> exp.Table:
    """`catalog.schema.table`, each part a quoted identifier."""
    parts = [p for p in table.split(".")]
    if not table or any(not p for p in parts) or len(parts) > 3:
        raise UsageError(f"--table must be NAME, SCHEMA.NAME or CATALOG.SCHEMA.NAME, not {table!r}")
    parts = [*([None] * (3 - len(parts))), *parts]
    return exp.table_(parts[2], db=parts[1], catalog=parts[0], quoted=True)


# --- fields --------------------------------------------------------------------------------


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
            fmt = fmt.replace("%.f", ".%n")
        stamp = exp.StrToTime(this=text.copy(), format=sp.lit(fmt), safe=True)
        parsed.append(exp.cast(stamp, "date"))
    return parsed[0] if len(parsed) == 1 else exp.func("COALESCE", *parsed)


# --- rules ---------------------------------------------------------------------------------


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
        needles = leaf.value if isinstance(leaf.value, tuple | list) else (leaf.value,)
        texts = [normalise_text(n, leaf.case_sensitive) for n in needles]
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
    flags = "" if leaf.case_sensitive else "(?i)"
    return exp.RegexpLike(this=value.copy(), expression=sp.lit(flags + str(leaf.value)))


def map_points(b: Builder, rule: Rule, where: str) -> exp.Expression:
    assert rule.field is not None
    ftype = b.types[rule.field]
    value = field_value(b, rule.field)
    branches: list[tuple[exp.Expression, exp.Expression]] = [
        (exp.Is(this=value.copy(), expression=exp.null()), sp.num(rule.missing))
    ]
    seen: set[object] = set()
    if ftype in ("int", "float"):
        for key, points in rule.mapping:
            number = number_key(key)
            if number is not None and number == number and number not in seen:
                seen.add(number)
                branches.append(
                    (exp.EQ(this=value.copy(), expression=sp.num(number)), sp.num(points))
                )
    else:
        if ftype == "datetime":
            raise refuse(f"{where}: a map on a datetime field is not supported in SQL", b.model)
        subject: exp.Expression = exp.cast(value.copy(), "text")
        if ftype == "bool":
            subject = sp.case((value.copy(), sp.lit("true")), default=sp.lit("false"))
        if ftype == "string" and not rule.case_sensitive:
            subject = exp.Lower(this=value.copy())
        for key, points in rule.mapping:
            text = normalise_text(key, rule.case_sensitive)
            if text not in seen:
                seen.add(text)
                branches.append(
                    (exp.EQ(this=subject.copy(), expression=sp.lit(text)), sp.num(points))
                )
    return sp.case(*branches, default=sp.num(rule.default))


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
    """scoring.rules.decay_factor: 0.5^(age * 1/h) or max(0, 1 - age * 1/L), age from the as-of
    date; multiplied by the same reciprocals, so both round alike."""
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


# --- scores --------------------------------------------------------------------------------


def add_scores(b: Builder, explain: bool) -> None:
    model = b.model
    categories = model.categories
    raw = {c: f"{INTERNAL}raw{i}" for i, c in enumerate(categories)}
    capped = {c: f"{INTERNAL}cap{i}" for i, c in enumerate(categories)}
    b.layer(
        [
            (
                raw[c],
                sp.total(
                    [sp.ident(points_name(i)) for i, r in enumerate(model.rules) if r.category == c]
                ),
            )
            for c in categories
        ]
    )
    b.layer([(capped[c], limit(sp.ident(raw[c]), model.cap(c))) for c in categories])
    summed = sp.total([sp.ident(capped[c]) for c in categories])
    b.layer([(f"{INTERNAL}sum", summed)])
    b.layer([(f"{INTERNAL}tot", limit(sp.ident(f"{INTERNAL}sum"), model.cap(TOTAL)))])
    capped_total = sp.ident(f"{INTERNAL}tot")
    if model.scale == "rescale":
        unscaled: exp.Expression = percent_of_range(capped_total, *model.attainable_range())
    else:
        unscaled = capped_total
    b.layer([(f"{INTERNAL}x", sp.clamp(unscaled, 0.0, 100.0))])
    score = with_checks(b, sp.round2(sp.ident(f"{INTERNAL}x")))
    b.layer(
        [
            ("score", score),
            *((category_column(c), sp.round2(sp.ident(capped[c]))) for c in categories),
        ]
    )
    if model.tiers:
        b.layer([("tier", tier_sql(model))])
    graded = can_grade(model)
    if graded:
        add_grade(b)
    if explain:
        add_reasons(b, raw, capped)


def limit(value: exp.Expression, limits: Limits) -> exp.Expression:
    return sp.clamp(value, limits.min, limits.max)


def with_checks(b: Builder, score: exp.Expression) -> exp.Expression:
    """Stop the query on an unreadable value, as `score` stops the run (on_invalid = "error")."""
    branches = []
    for name, i in b.checked:
        column = source_of(b.model, name)
        message = exp.DPipe(
            this=sp.lit(f"leadscore: column {column!r} holds a value that cannot be read: "),
            expression=exp.func("COALESCE", sp.ident(text_name(i)), sp.lit("")),
        )
        branches.append((sp.ident(bad_name(i)), fail(b.dialect, message)))
    if not branches:
        return score
    return sp.case(*branches, default=score)


def fail(dialect: Dialect, message: exp.Expression) -> exp.Expression:
    if dialect.fail == "CAST":  # no error function: a failing cast that shows the message
        return exp.cast(exp.cast(message, "text"), sp.DOUBLE.copy())
    return exp.cast(exp.Anonymous(this=dialect.fail, expressions=[message]), sp.DOUBLE.copy())


def tier_sql(model: Model) -> exp.Expression:
    score = sp.ident("score")
    branches = [
        (exp.GTE(this=score.copy(), expression=sp.num(t.min_score)), sp.lit(t.name))
        for t in model.tiers
    ]
    return sp.case(*branches, default=sp.lit(model.tiers[-1].name))


def can_grade(model: Model) -> bool:
    """`grade` needs tiers and a grading (declared, or the default over `fit`)."""
    return bool(model.tiers) and (model.grading is not None or "fit" in model.categories)


def add_grade(b: Builder) -> None:
    from leadscore_cli.grading import grading_of, letter_bands

    model = b.model
    grading = grading_of(model)
    points = sp.total([sp.ident(category_column(c)) for c in grading.categories])
    if grading.scale == "points":
        basis: exp.Expression = points
    else:
        low = high = 0.0
        for category in grading.categories:
            cat_low, cat_high = model.category_bounds(category)
            low, high = low + cat_low, high + cat_high
        basis = sp.round2(sp.clamp(percent_of_range(points, low, high), 0.0, 100.0))
    b.layer([(f"{INTERNAL}gb", basis)])
    bands = letter_bands(model)
    value = sp.ident(f"{INTERNAL}gb")
    branches = [
        (exp.GTE(this=value.copy(), expression=sp.num(band.min_score)), sp.lit(band.letter))
        for band in bands
    ]
    b.layer([("grade", sp.case(*branches, default=sp.lit(bands[-1].letter)))])
    base = {band.letter: band.letter for band in grading.bands}
    for band in bands:
        base.setdefault(band.letter, band.letter.rstrip("+-"))
    grade, tier = sp.ident("grade"), sp.ident("tier")
    letter = sp.case(
        *((exp.EQ(this=grade.copy(), expression=sp.lit(k)), sp.lit(v)) for k, v in base.items())
    )
    rank = sp.case(
        *(
            (exp.EQ(this=tier.copy(), expression=sp.lit(t.name)), sp.lit(str(i)))
            for i, t in enumerate(model.tiers, start=1)
        )
    )
    b.layer([("priority", exp.DPipe(this=letter, expression=rank))])


def add_reasons(b: Builder, raw: dict[str, str], capped: dict[str, str]) -> None:
    """scoring.reasons.reasons_stages: each entry's rank (|points| descending,
    ties in model order) is counted, then entries are placed by rank and joined."""
    model = b.model
    entries: list[tuple[str, exp.Expression]] = [
        (rule.name, sp.ident(points_name(i))) for i, rule in enumerate(model.rules)
    ]
    # As scoring.reasons.reason_entries: cap entries compare the unrounded capped subtotals
    # with the raw.
    for category in model.categories:
        if model.cap(category) != Limits():
            adjust = exp.Sub(this=sp.ident(capped[category]), expression=sp.ident(raw[category]))
            entries.append((f"cap:{category}", adjust))
    capped_sum = sp.total([sp.ident(capped[c]) for c in model.categories])
    capped_total = limit(capped_sum.copy(), model.cap(TOTAL))
    if model.cap(TOTAL) != Limits():
        entries.append(("cap:total", exp.Sub(this=capped_total.copy(), expression=capped_sum)))
    if model.scale == "clip":
        clipped = sp.clamp(capped_total.copy(), 0.0, 100.0)
        entries.append(("cap:scale", exp.Sub(this=clipped, expression=capped_total.copy())))
    pts = [f"{INTERNAL}e{k}" for k in range(len(entries))]
    b.layer([(pts[k], expr) for k, (_, expr) in enumerate(entries)])
    size = [f"{INTERNAL}a{k}" for k in range(len(entries))]
    rounded = [f"{INTERNAL}q{k}" for k in range(len(entries))]
    b.layer(
        [(size[k], exp.Abs(this=sp.ident(pts[k]))) for k in range(len(entries))]
        + [(rounded[k], sp.round2(sp.ident(pts[k]))) for k in range(len(entries))]
    )
    ranks, texts = [], []
    for k, (label, _) in enumerate(entries):
        ahead = [
            sp.case(
                (rank_test(sp.ident(size[j]), sp.ident(size[k]), j < k), sp.one()),
                default=sp.zero(),
            )
            for j in range(len(entries))
            if j != k
        ]
        ranks.append((f"{INTERNAL}r{k}", sp.total(ahead) if ahead else sp.zero()))
        shown = exp.NEQ(this=sp.ident(rounded[k]), expression=sp.num(0.0))
        text = exp.DPipe(
            this=sp.lit(f"{label} "), expression=sp.format_points(sp.ident(rounded[k]))
        )
        texts.append((f"{INTERNAL}s{k}", sp.case((shown, text))))
    b.layer(ranks + texts)
    placed = []
    for position in range(len(entries)):
        branches = [
            (
                exp.EQ(this=sp.ident(f"{INTERNAL}r{k}"), expression=exp.Literal.number(position)),
                sp.ident(f"{INTERNAL}s{k}"),
            )
            for k in range(len(entries))
        ]
        placed.append(sp.case(*branches))
    joined = exp.func(
        "COALESCE",
        exp.ArrayToString(this=exp.Array(expressions=placed), expression=sp.lit("; ")),
        sp.lit(""),
    )
    b.layer([("reasons", joined)])


# --- the query -----------------------------------------------------------------------------


def assemble(
    b: Builder, table: exp.Table, renames: list[tuple[str, str]], shape: str, alias: str | None
) -> exp.Select:
    if shape == "lateral":
        return assemble_lateral(b, table, alias or "__ls_t")
    star_args: dict = {}
    first: list[exp.Expression] = []
    if renames and b.dialect.rename:
        star_args["rename"] = [
            exp.alias_(exp.column(old, quoted=True), new, quoted=True) for old, new in renames
        ]
    elif renames:
        star_args["except_"] = [exp.column(old, quoted=True) for old, _ in renames]
        first = [exp.alias_(exp.column(old, quoted=True), new, quoted=True) for old, new in renames]
    ctes: list[tuple[str, exp.Select]] = []
    previous: exp.Expression = table
    for index, columns in enumerate(b.layers):
        star = exp.Star(**star_args) if index == 0 else exp.Star()
        select = exp.select(star, *(first if index == 0 else [])).from_(previous)
        select = select.select(*(exp.alias_(e, n, quoted=True) for n, e in columns), append=True)
        name = f"{INTERNAL}l{index}"
        ctes.append((name, select))
        previous = exp.table_(name, quoted=True)
    query = exp.select(exp.Star(except_=[exp.column(h, quoted=True) for h in b.helpers])).from_(
        previous
    )
    for name, select in ctes:
        query = query.with_(exp.to_identifier(name, quoted=True), as_=select)
    return query


def assemble_lateral(b: Builder, table: exp.Table, alias: str) -> exp.Select:
    """t.* beside a chain of LATERAL subqueries, one per layer: for dialects without
    SELECT * EXCEPT. Flat, not nested: nested lateral subqueries are slow to plan."""
    query = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(alias, quoted=True)))
    query = query.from_(table.as_(alias, quoted=True))
    home: dict[str, str] = {}
    for index, columns in enumerate(b.layers):
        name = f"{INTERNAL}l{index}"
        select = exp.select(*(exp.alias_(e, n, quoted=True) for n, e in columns))
        lateral = exp.Lateral(
            this=select.subquery(),
            alias=exp.TableAlias(this=exp.to_identifier(name, quoted=True)),
        )
        query = query.join(lateral, join_type="cross")
        home.update((n, name) for n, _ in columns)
    return query.select(
        *(exp.column(n, table=home[n], quoted=True) for n in b.outputs), append=True
    )
