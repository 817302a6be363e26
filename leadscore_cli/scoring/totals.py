"""From rule points to the score: category subtotals, caps, the 0-100 scale and the tier.

Grading builds on this arithmetic and `leadscore_cli.sql` copies it, so the constants they
share with it (`DECIMALS`, `reciprocal`) live here.
"""

from __future__ import annotations

import polars as pl

from leadscore_cli.model.schema import TOTAL, Limits, Model, category_column
from leadscore_cli.scoring.columns import (
    SCORE,
    TIER,
    partial_sum_column,
    points_column,
    raw_category_column,
)

DECIMALS = 2
# The most terms one expression adds (see `added_in_stages`).
TERMS_PER_STAGE = 32


def reciprocal(divisor: float) -> float:
    """1 / divisor, for multiplying instead of dividing a column by a constant.

    polars divides a long column by a constant by multiplying with its reciprocal, but a
    one-row column by true division: the last bit of a result (and so which way a .xx5
    value rounds) would depend on the length of the file, and SQL could not copy it.
    Multiplying by a reciprocal computed here is one exactly specified operation that
    every engine performs alike; `leadscore_cli.sql` uses the same constants.
    """
    return 1.0 / float(divisor)


def added_in_order(terms: list[pl.Expr]) -> pl.Expr:
    """terms[0] + terms[1] + ..., left to right.

    Floating-point addition is not associative, and polars' `sum_horizontal` adds in an
    order of its own (pairwise), which `leadscore_cli.sql` could not copy: a subtotal
    would differ in its last bit, enough to round a .xx5 score the other way or order
    equal `reasons` entries differently. Every term here is non-null.
    """
    if not terms:
        return pl.lit(0.0)
    result = terms[0]
    for term in terms[1:]:
        result = result + term
    return result


def percent_of_range(points: pl.Expr, low: float, high: float) -> pl.Expr:
    """Points placed on 0-100 between the lowest and highest attainable, clipped."""
    span = high - low if high > low else 1.0
    return ((points - low) * (100.0 * reciprocal(span))).clip(0.0, 100.0)


def clamp(expr: pl.Expr, limits: Limits) -> pl.Expr:
    if limits.min is None and limits.max is None:
        return expr
    return expr.clip(lower_bound=limits.min, upper_bound=limits.max)


def added_in_stages(terms: list[pl.Expr], partial: str) -> tuple[list[pl.Expr], pl.Expr]:
    """`added_in_order(terms)` for any number of terms, in the same order.

    polars plans a chain of additions in time that grows with the square of its length
    (11 s for 2,000 rules): past `TERMS_PER_STAGE` terms, each partial sum of that many
    becomes a column of its own (named `partial` + its stage), and the next adds on to
    it. Returns the partial sums' expressions, one per stage, and the total's.
    """
    stages: list[pl.Expr] = []
    head: list[pl.Expr] = []
    rest = list(terms)
    while len(head) + len(rest) > TERMS_PER_STAGE:
        take = TERMS_PER_STAGE - len(head)
        name = f"{partial}{len(stages)}"
        stages.append(added_in_order(head + rest[:take]).alias(name))
        head, rest = [pl.col(name)], rest[take:]
    return stages, added_in_order(head + rest)


def category_totals(model: Model) -> list[list[pl.Expr]]:
    """Stages of columns: each category's raw subtotal and its capped subtotal, in the
    last stage, after the partial sums of a category with many rules."""
    partials: list[list[pl.Expr]] = []
    totals: list[pl.Expr] = []
    for number, category in enumerate(model.categories):
        indexes = [i for i, r in enumerate(model.rules) if r.category == category]
        terms = [pl.col(points_column(i)) for i in indexes]
        stages, raw = added_in_stages(terms, partial_sum_column(number))
        for stage, expr in enumerate(stages):
            if stage == len(partials):
                partials.append([])
            partials[stage].append(expr)
        totals.append(raw.alias(raw_category_column(category)))
        totals.append(clamp(raw, model.cap(category)).alias(category_column(category)))
    return [*partials, totals]


def total_points(model: Model) -> pl.Expr:
    return added_in_order([pl.col(category_column(c)) for c in model.categories])


def final_scores(model: Model) -> list[pl.Expr]:
    """The 0-100 score and the rounded category subtotals."""
    total = clamp(total_points(model), model.cap(TOTAL))
    if model.scale == "rescale":
        score = percent_of_range(total, *model.attainable_range())
    else:
        score = total.clip(0.0, 100.0)
    exprs = [rounded(score).alias(SCORE)]
    exprs += [
        rounded(pl.col(category_column(c))).alias(category_column(c)) for c in model.categories
    ]
    return exprs


def rounded(points: pl.Expr) -> pl.Expr:
    """Points to `DECIMALS` places, and never -0: -0.001 rounds to -0.0 (and -10 points
    decayed to nothing are -0.0), which files would print as `-0`."""
    value = points.round(DECIMALS)
    # when/then: polars skips adding a literal 0.0, which would otherwise turn -0.0 into 0.0
    return pl.when(value == 0.0).then(pl.lit(0.0)).otherwise(value)


def tier_expr(model: Model, score: pl.Expr) -> pl.Expr:
    """The tier (an ordered Enum, top tier first) from the 0-100 score."""
    names = pl.Enum([t.name for t in model.tiers])
    chain = None
    for tier in model.tiers:
        cond = score >= tier.min_score
        name = pl.lit(tier.name, dtype=names)  # an Enum literal: no text to cast per row
        chain = (pl.when(cond) if chain is None else chain.when(cond)).then(name)
    assert chain is not None
    return chain.otherwise(pl.lit(model.tiers[-1].name, dtype=names)).alias(TIER)
