"""From rule points to what `score` and `grade` add: capped category scores, the score,
its tier, grade and priority, and the `reasons` column of `--explain`.
"""

from __future__ import annotations

from sqlglot import exp

from leadscore_cli.errors import UsageError
from leadscore_cli.model.schema import TOTAL, Limits, Model, category_column
from leadscore_cli.scoring.columns import can_grade
from leadscore_cli.scoring.inputs import source_of
from leadscore_cli.scoring.totals import DECIMALS
from leadscore_cli.sql import parts as sp
from leadscore_cli.sql.builder import INTERNAL, Builder, output_column
from leadscore_cli.sql.dialects import fail
from leadscore_cli.sql.fields import bad_name, text_name
from leadscore_cli.sql.rules import percent_of_range, points_name


def add_scores(b: Builder, explain: bool) -> None:
    model = b.model
    categories = model.categories
    raw = {c: f"{INTERNAL}raw{i}" for i, c in enumerate(categories)}
    capped = {c: f"{INTERNAL}cap{i}" for i, c in enumerate(categories)}
    b.sums(
        [
            (
                raw[c],
                [sp.ident(points_name(i)) for i, r in enumerate(model.rules) if r.category == c],
            )
            for c in categories
        ]
    )
    b.layer([(capped[c], limit(sp.ident(raw[c]), model.cap(c))) for c in categories])
    b.sums([(f"{INTERNAL}sum", [sp.ident(capped[c]) for c in categories])])
    b.layer([(f"{INTERNAL}tot", limit(sp.ident(f"{INTERNAL}sum"), model.cap(TOTAL)))])
    capped_total = sp.ident(f"{INTERNAL}tot")
    if model.scale == "rescale":
        unscaled: exp.Expression = percent_of_range(capped_total, *model.attainable_range())
    else:
        unscaled = capped_total
    b.layer([(f"{INTERNAL}x", sp.clamp(unscaled, 0.0, 100.0))])
    rounded = {c: f"{INTERNAL}rc{i}" for i, c in enumerate(categories)}
    b.layer(
        [
            (f"{INTERNAL}rs", with_checks(b, sp.round2(sp.ident(f"{INTERNAL}x")))),
            *((rounded[c], sp.round2(sp.ident(capped[c]))) for c in categories),
        ]
    )
    b.layer(
        [
            (output_column("score"), sp.unsigned_zero(sp.ident(f"{INTERNAL}rs"))),
            *(
                (output_column(category_column(c)), sp.unsigned_zero(sp.ident(rounded[c])))
                for c in categories
            ),
        ]
    )
    if model.tiers:
        b.layer([(output_column("tier"), tier_sql(model))])
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


def tier_sql(model: Model) -> exp.Expression:
    score = sp.ident(output_column("score"))
    branches = [
        (exp.GTE(this=score.copy(), expression=sp.num(t.min_score)), sp.lit(t.name))
        for t in model.tiers
    ]
    return sp.case(*branches, default=sp.lit(model.tiers[-1].name))


def add_grade(b: Builder) -> None:
    from leadscore_cli.grading import grading_of, letter_bands

    model = b.model
    grading = grading_of(model)
    subtotals = [sp.ident(output_column(category_column(c))) for c in grading.categories]
    points = b.summed(f"{INTERNAL}gp", subtotals)
    if grading.scale == "points":
        basis: exp.Expression = sp.round2(points)
    else:
        low = high = 0.0
        for category in grading.categories:
            cat_low, cat_high = model.category_bounds(category)
            low, high = low + cat_low, high + cat_high
        basis = sp.round2(sp.clamp(percent_of_range(points, low, high), 0.0, 100.0))
    b.layer([(f"{INTERNAL}gb", basis)])
    bands = letter_bands(model)
    value = sp.ident(f"{INTERNAL}gb")
    # As grading.grade_expr: the basis is rounded, so the cutoffs are too (the cutoff
    # 83.333... of a plus/minus band takes the basis 83.33)
    branches = [
        (
            exp.GTE(this=value.copy(), expression=sp.num(round(band.min_score, DECIMALS))),
            sp.lit(band.letter),
        )
        for band in bands
    ]
    b.layer([(output_column("grade"), sp.case(*branches, default=sp.lit(bands[-1].letter)))])
    base = {band.letter: band.letter for band in grading.bands}
    for band in bands:
        base.setdefault(band.letter, band.letter.rstrip("+-"))
    grade, tier = sp.ident(output_column("grade")), sp.ident(output_column("tier"))
    letter = sp.case(
        *((exp.EQ(this=grade.copy(), expression=sp.lit(k)), sp.lit(v)) for k, v in base.items())
    )
    rank = sp.case(
        *(
            (exp.EQ(this=tier.copy(), expression=sp.lit(t.name)), sp.lit(str(i)))
            for i, t in enumerate(model.tiers, start=1)
        )
    )
    b.layer([(output_column("priority"), exp.DPipe(this=letter, expression=rank))])


# Up to this many reasons entries, their order is computed by comparing every pair, in
# any dialect; beyond, by sorting a list (DuckDB only): the pairs would make a query that
# grows with the square of the rules.
RANKED_ENTRIES = 100


def rank_test(theirs: exp.Expression, mine: exp.Expression, earlier: bool) -> exp.Expression:
    """Whether an entry sorts before mine: larger |points|, or equal and earlier (stable)."""
    return (exp.GTE if earlier else exp.GT)(this=theirs, expression=mine)


def add_reasons(b: Builder, raw: dict[str, str], capped: dict[str, str]) -> None:
    """scoring.reasons.reasons_stages: every entry's points, its size and its text, then
    the texts in order (|points| descending, ties in model order), joined."""
    entries = reason_entries(b, raw, capped)
    if len(entries) > RANKED_ENTRIES and b.dialect.name != "duckdb":
        raise UsageError(
            f"--explain of more than {RANKED_ENTRIES} reasons (rules and caps; this model "
            f"has {len(entries)}) needs a list sort, which only --dialect duckdb has here; "
            "drop --explain or use duckdb"
        )
    pts = [f"{INTERNAL}e{k}" for k in range(len(entries))]
    b.layer([(pts[k], expr) for k, (_, expr) in enumerate(entries)])
    size = [f"{INTERNAL}a{k}" for k in range(len(entries))]
    rounded = [f"{INTERNAL}q{k}" for k in range(len(entries))]
    b.layer(
        [(size[k], exp.Abs(this=sp.ident(pts[k]))) for k in range(len(entries))]
        + [(rounded[k], sp.round2(sp.ident(pts[k]))) for k in range(len(entries))]
    )
    texts = []
    for k, (label, _) in enumerate(entries):
        shown = exp.NEQ(this=sp.ident(rounded[k]), expression=sp.num(0.0))
        text = exp.DPipe(
            this=sp.lit(f"{label} "), expression=sp.format_points(sp.ident(rounded[k]))
        )
        texts.append((f"{INTERNAL}s{k}", sp.case((shown, text))))
    if len(entries) > RANKED_ENTRIES:
        b.layer(texts)
        in_order = sorted_texts(size, [name for name, _ in texts])
    else:
        b.layer(ranks(size) + texts)
        in_order = placed_texts(len(entries))
    joined = exp.func(
        "COALESCE", exp.ArrayToString(this=in_order, expression=sp.lit("; ")), sp.lit("")
    )
    b.layer([(output_column("reasons"), joined)])


def reason_entries(
    b: Builder, raw: dict[str, str], capped: dict[str, str]
) -> list[tuple[str, exp.Expression]]:
    """As scoring.reasons.reason_entries: each rule's points, then what each cap took away
    (the unrounded capped subtotals against the raw)."""
    model = b.model
    entries: list[tuple[str, exp.Expression]] = [
        (rule.name, sp.ident(points_name(i))) for i, rule in enumerate(model.rules)
    ]
    for category in model.categories:
        if model.cap(category) != Limits():
            adjust = exp.Sub(this=sp.ident(capped[category]), expression=sp.ident(raw[category]))
            entries.append((f"cap:{category}", adjust))
    capped_sum = b.summed(f"{INTERNAL}esum", [sp.ident(capped[c]) for c in model.categories])
    capped_total = limit(capped_sum.copy(), model.cap(TOTAL))
    if model.cap(TOTAL) != Limits():
        entries.append(("cap:total", exp.Sub(this=capped_total.copy(), expression=capped_sum)))
    if model.scale == "clip":
        clipped = sp.clamp(capped_total.copy(), 0.0, 100.0)
        entries.append(("cap:scale", exp.Sub(this=clipped, expression=capped_total.copy())))
    return entries


def ranks(size: list[str]) -> list[tuple[str, exp.Expression]]:
    """Each entry's rank: how many entries sort before it. Portable, but it compares every
    pair of entries, so it is used for up to `RANKED_ENTRIES` of them."""
    columns = []
    for k in range(len(size)):
        ahead = [
            sp.case(
                (rank_test(sp.ident(size[j]), sp.ident(size[k]), j < k), sp.one()),
                default=sp.zero(),
            )
            for j in range(len(size))
            if j != k
        ]
        columns.append((f"{INTERNAL}r{k}", sp.total(ahead) if ahead else sp.zero()))
    return columns


def placed_texts(count: int) -> exp.Expression:
    """The texts as an array, each placed at its rank."""
    placed = []
    for position in range(count):
        branches = [
            (
                exp.EQ(this=sp.ident(f"{INTERNAL}r{k}"), expression=exp.Literal.number(position)),
                sp.ident(f"{INTERNAL}s{k}"),
            )
            for k in range(count)
        ]
        placed.append(sp.case(*branches))
    return exp.Array(expressions=placed)


def sorted_texts(size: list[str], texts: list[str]) -> exp.Expression:
    """The texts as a list sorted by (-|points|, model order): a query that grows in step
    with the entries, for models with many rules (DuckDB's LIST_SORT orders structs field
    by field)."""
    keyed = [
        exp.Struct(
            expressions=[
                exp.PropertyEQ(this=exp.to_identifier("a"), expression=exp.Neg(this=sp.ident(a))),
                exp.PropertyEQ(this=exp.to_identifier("k"), expression=exp.Literal.number(k)),
                exp.PropertyEQ(this=exp.to_identifier("s"), expression=sp.ident(s)),
            ]
        )
        for k, (a, s) in enumerate(zip(size, texts, strict=True))
    ]
    text_of = exp.Lambda(this=exp.column("s", table="x"), expressions=[exp.to_identifier("x")])
    return exp.Transform(this=exp.ArraySort(this=exp.Array(expressions=keyed)), expression=text_of)
