"""Grades (how well a lead fits) and priority labels (grade joined with tier).

The score says how interested a lead is; the grade rates fit from some
categories only (default `fit`). The priority label (`A1` = grade A in the top
tier) orders leads the way sales should call them: tier first, then grade.
"""

from __future__ import annotations

import polars as pl

from leadscore_cli.errors import ModelError
from leadscore_cli.model.schema import GradeBand, Grading, Model, category_column
from leadscore_cli.model.score_tables import DEFAULT_GRADE_BANDS
from leadscore_cli.scoring.columns import SCORE, TIER
from leadscore_cli.scoring.totals import DECIMALS, added_in_order, percent_of_range, tier_expr

GRADE = "grade"
PRIORITY = "priority"


def grading_of(model: Model) -> Grading:
    """The model's [grading], or the default (fit, A=80 ... F=0) when it has a fit category."""
    if model.grading is not None:
        return model.grading
    if "fit" not in model.categories:
        raise ModelError(
            "grading: the model has no [grading] section and no 'fit' category to grade from; "
            "add [grading] with categories = [...]",
            path=model.source,
        )
    bands = tuple(GradeBand(letter, low) for letter, low in DEFAULT_GRADE_BANDS)
    return Grading(categories=("fit",), bands=bands)


def require_tiers(model: Model) -> None:
    if not model.tiers:
        raise ModelError(
            "tiers: grading needs [tiers] in the model (e.g. sql = 75, mql = 50, cold = 0); "
            "`leadscore threshold --write` can propose them",
            path=model.source,
        )


def letter_bands(model: Model) -> tuple[GradeBand, ...]:
    """The bands to apply, best first (with plus_minus: A+, A, A- ... F).

    `Grading.letter_bands` splits the top band up to 100, right for percent. With
    `scale = "points"` the top is the most points the grading categories can reach.
    """
    grading = grading_of(model)
    if not grading.plus_minus or grading.scale != "points":
        return grading.letter_bands()
    bands = grading.bands
    high = sum(model.category_bounds(c)[1] for c in grading.categories)
    out: list[GradeBand] = []
    for index, band in enumerate(bands):
        if index == len(bands) - 1:
            out.append(band)
            continue
        upper = max(high, band.min_score) if index == 0 else bands[index - 1].min_score
        step = (upper - band.min_score) / 3
        out += [
            GradeBand(band.letter + "+", band.min_score + 2 * step),
            GradeBand(band.letter, band.min_score + step),
            GradeBand(band.letter + "-", band.min_score),
        ]
    return tuple(out)


def letters(model: Model) -> list[str]:
    return [band.letter for band in letter_bands(model)]


def base_letters(grading: Grading) -> list[str]:
    return [band.letter for band in grading.bands]


def priority_labels(model: Model) -> list[str]:
    """`A1, B1, ..., F1, A2, ...`: tier-major, so sorting gives the calling order."""
    grading = grading_of(model)
    return [
        f"{letter}{rank}"
        for rank in range(1, len(model.tiers) + 1)
        for letter in base_letters(grading)
    ]


def grade_basis(model: Model) -> pl.Expr:
    """The value the letter bands cut: grading categories' points, as percent or raw points."""
    grading = grading_of(model)
    points = added_in_order([pl.col(category_column(c)) for c in grading.categories])
    if grading.scale == "points":
        return points.round(DECIMALS)
    low = high = 0.0
    for category in grading.categories:
        cat_low, cat_high = model.category_bounds(category)
        low, high = low + cat_low, high + cat_high
    return percent_of_range(points, low, high).round(DECIMALS)


def grade_expr(model: Model) -> pl.Expr:
    bands = letter_bands(model)
    basis = grade_basis(model)
    grades = pl.Enum(letters(model))
    chain = None
    for band in bands:
        # the basis is rounded to DECIMALS, so the cutoffs are too: 83.33 is on the cutoff
        # 83.333... (75 + 25/3), which is inclusive
        condition = basis >= round(band.min_score, DECIMALS)
        chain = (pl.when(condition) if chain is None else chain.when(condition)).then(
            pl.lit(band.letter, dtype=grades)
        )
    assert chain is not None
    return chain.otherwise(pl.lit(bands[-1].letter, dtype=grades)).alias(GRADE)


def priority_expr(model: Model) -> pl.Expr:
    """`A1` ... from the grade's base letter and the tier's rank, null when either is.

    A when/then chain of Enum literals: a lookup with `replace_strict` would make polars
    hold the whole column in memory instead of streaming it.
    """
    grading = grading_of(model)
    labels = pl.Enum(priority_labels(model))
    base = {band.letter: band.letter for band in grading.bands}
    for band in letter_bands(model):
        base.setdefault(band.letter, band.letter.rstrip("+-"))
    letters_of: dict[str, list[str]] = {}
    for letter, base_letter in base.items():
        letters_of.setdefault(base_letter, []).append(letter)
    chain = None
    for rank, tier in enumerate(model.tiers, start=1):
        in_tier = pl.col(TIER) == tier.name
        for base_letter in base_letters(grading):
            condition = in_tier & pl.col(GRADE).is_in(letters_of[base_letter])
            label = pl.lit(f"{base_letter}{rank}", dtype=labels)
            chain = (pl.when(condition) if chain is None else chain.when(condition)).then(label)
    assert chain is not None
    return chain.otherwise(pl.lit(None, dtype=labels)).alias(PRIORITY)


def grading_stages(model: Model, *, with_tier: bool) -> list[list[pl.Expr]]:
    """Expression stages adding (tier,) grade and priority to a frame that has the scores."""
    require_tiers(model)
    first = [grade_expr(model)]
    if with_tier:
        first.insert(0, tier_expr(model, pl.col(SCORE)))
    return [first, [priority_expr(model)]]
