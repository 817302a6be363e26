"""From rule points to what `score` and `grade` add: capped category scores, the score,
its tier, grade and priority, and the `reasons` column of `--explain`.
"""

from __future__ import annotations

from sqlglot import exp

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
    points = sp.total([sp.ident(output_column(category_column(c))) for c in grading.categories])
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


def rank_test(theirs: exp.Expression, mine: exp.Expression, earlier: bool) -> exp.Expression:
    """Whether an entry sorts before mine: larger |points|, or equal and earlier (stable)."""
    return (exp.GTE if earlier else exp.GT)(this=theirs, expression=mine)


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
    b.layer([(output_column("reasons"), joined)])
