"""The ideal customer profile: which attributes mark the leads that convert.

Everything here works on small per-bin counts (leads and conversions per category or
quantile bin) that `leadscore_cli.profiling` aggregates from the data, plus one lazy
aggregation that replays a model's rules on history. The figures follow credit-scoring
practice, so they mean the same as in any scorecard tool:

* lift = the bin's conversion rate / the base rate;
* WoE (weight of evidence) = ln((pos_bin + 0.5) / P  /  ((neg_bin + 0.5) / N)), with P and
  N the converted and other leads overall; the 0.5 keeps empty bins finite;
* IV (information value) = sum over bins of (pos_bin / P - neg_bin / N) * WoE.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import polars as pl

from leadscore_cli.chance import CHANCE_P
from leadscore_cli.errors import DataError
from leadscore_cli.fields import iter_leaves, parse_field, resolve_field_types
from leadscore_cli.model.schema import Model, Rule
from leadscore_cli.scoring.columns import value_column
from leadscore_cli.scoring.plan import with_stages
from leadscore_cli.scoring.rules import lookup_spec, rule_points
from leadscore_cli.summary import counted

_HIT = "__lsp_hit_"
_POINTS = "__lsp_points_"
_STEP = "__lsp_rstep_"
SMOOTHING = 0.5
WEAK_IV = 0.02
LEAKY_IV = 1.0
LEAKY_HIGH_RATE = 0.95
LEAKY_SUPPORT_SHARE = 0.05
MIN_SUPPORT = 30
SUPPORT_SHARE = 0.005
FEW_LEADS = 40  # fewer converted or other leads than this: every figure is rough
SIGNAL_LIFT = 1.2
SIGNALS = 5
WRONG_WAY_P = 0.05  # a condition rule points the wrong way only beyond chance at this level
OTHER = "(other)"
MISSING = "(missing)"
ANY_VALUE = "any value"  # the one range of a number fit found no cut point in


def min_support(rows: int) -> int:
    """Leads a category needs to get its own bin: max(30, 0.5% of rows)."""
    return max(MIN_SUPPORT, math.ceil(SUPPORT_SHARE * rows))


def leaky_support(rows: int, positives: int) -> int:
    """Leads a value needs before its near-certain outcome counts as leakage: 5% of rows,
    or half the converted leads when fewer convert (a 0.5% outcome has no value of 5% of
    the rows converting), never under 30."""
    return max(MIN_SUPPORT, min(math.ceil(LEAKY_SUPPORT_SHARE * rows), half(positives)))


def leaky_upside_support(rows: int, positives: int) -> int:
    """Leads the values converting above the base rate need before their IV counts as
    leakage: `min_support`, or half the converted leads when fewer convert."""
    return max(MIN_SUPPORT, min(min_support(rows), half(positives)))


def half(count: int) -> int:
    return math.ceil(count / 2)


@dataclass
class Bin:
    """One category or value range of an attribute, with its outcome figures."""

    label: str
    count: int
    positives: int
    rate: float
    lift: float
    woe: float
    iv: float


@dataclass
class Attribute:
    name: str
    type: str
    binning: str  # "category" or "quantile"
    iv: float
    weak: bool
    leakage: str | None
    bins: list[Bin]
    # that the bins convert alike (see `bins_chance`); `chance`: predictive by IV, but its
    # bins differ no more surely than CHANCE_P (a many-valued column on few leads)
    p_value: float = 1.0
    chance: bool = False


@dataclass
class Signal:
    attribute: str
    bin: str
    count: int
    rate: float
    lift: float
    text: str


@dataclass
class RuleCheck:
    """One model rule replayed on history."""

    name: str
    category: str
    kind: str
    points: float | None  # condition rules only; lookups give several values
    fired: int
    fired_share: float
    rate_fired: float | None
    rate_not_fired: float | None
    lift: float | None
    mean_points_converted: float | None  # before decay
    mean_points_other: float | None
    direction: str  # "right", "wrong" or "unclear"
    flag: str | None


@dataclass
class Icp:
    target: str
    positive: list[str] | None
    rows: int
    positives: int
    negatives: int
    missing: int
    base_rate: float
    min_support: int
    attributes: list[Attribute] = field(default_factory=list)
    signals: dict[str, list[Signal]] = field(default_factory=dict)
    weak: list[str] = field(default_factory=list)
    chance: list[str] = field(default_factory=list)
    leakage: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def few_leads_warning(positives: int, negatives: int) -> list[str]:
    """On a handful of leads any column splits them into values that all converted or none
    did, so its IV reads as strong: say so rather than let it pass for a finding."""
    if min(positives, negatives) >= FEW_LEADS:
        return []
    return [
        f"only {counted(positives, 'converted lead')} and {counted(negatives, 'other lead')}: "
        f"with fewer than {FEW_LEADS} of either, conversion rates, lift and IV are rough "
        "(a strong IV on so few leads is often chance)"
    ]


def woe_bins(counts: Sequence[tuple[str, int, int]], positives: int, negatives: int) -> list[Bin]:
    """Figures for (label, leads, conversions) bins; empty bins are left out."""
    total = positives + negatives
    base = positives / total if total else 0.0
    bins = []
    for label, count, pos in counts:
        if count <= 0:
            continue
        neg = count - pos
        woe = math.log(((pos + SMOOTHING) / positives) / ((neg + SMOOTHING) / negatives))
        share_gap = pos / positives - neg / negatives
        rate = pos / count
        bins.append(
            Bin(
                label=label,
                count=count,
                positives=pos,
                rate=rate,
                lift=rate / base if base else 0.0,
                woe=woe,
                iv=share_gap * woe,
            )
        )
    return bins


def make_attribute(
    name: str, ftype: str, binning: str, bins: list[Bin], base_rate: float, rows: int
) -> Attribute:
    iv = sum(b.iv for b in bins)
    p_value = bins_chance(bins, binning)
    return Attribute(
        name=name,
        type=ftype,
        binning=binning,
        iv=iv,
        weak=iv < WEAK_IV,
        leakage=leakage_reason(name, binning, bins, base_rate, rows),
        bins=bins,
        p_value=p_value,
        chance=iv >= WEAK_IV and p_value > CHANCE_P,
    )


def bins_chance(bins: Sequence[Bin], binning: str) -> float:
    """p-value that the bins convert alike, by the test `fit` drops columns on (see
    `chance.column_chance`): fifty first names read as a medium IV on a few thousand
    leads, though every name converts alike."""
    import numpy as np

    from leadscore_cli.chance import column_chance

    leads = np.asarray([b.count for b in bins], dtype=np.int64)
    converted = np.asarray([b.positives for b in bins], dtype=np.int64)
    ordered = None
    if binning == "quantile":  # ranges in order, the missing bin left out of the trend
        ordered = np.asarray([b.label != MISSING for b in bins])
    return column_chance(leads, converted, ordered=ordered)


def leakage_reason(
    name: str, binning: str, bins: list[Bin], base_rate: float, rows: int
) -> str | None:
    """Why a column looks like it records the outcome, or None.

    A value that (nearly) always converts was likely written once the deal was won. A value
    that (nearly) never converts is not leakage: students and interns rarely buy, and a
    model should learn exactly that. So only the converting side counts: a common value
    converting at LEAKY_HIGH_RATE or more, or values converting above the base rate that
    together carry an IV above LEAKY_IV (many rare values that each always convert, such
    as an owner assigned after the sale) and hold at least `min_support` leads: on a
    handful of leads, any column splits them into values that all converted or none did.
    When few leads convert, half of them is support enough for either test.
    """
    positives = sum(b.positives for b in bins)
    support = leaky_support(rows, positives)
    for b in sorted(bins, key=lambda b: -b.count):
        if b.count >= support and b.label != OTHER and b.rate >= LEAKY_HIGH_RATE > base_rate:
            where = describe_bin(name, b.label, binning)
            return f"{where} converts at {b.rate:.1%} (n={b.count:,})"
    above = [b for b in bins if b.rate > base_rate]
    upside = sum(b.iv for b in above)
    if upside > LEAKY_IV and sum(b.count for b in above) >= leaky_upside_support(rows, positives):
        return (
            f"the values converting above the base rate carry IV {upside:.2f}, above {LEAKY_IV:g}"
        )
    return None


def describe_bin(attribute: str, label: str, binning: str) -> str:
    """`job_title = CTO`, `employees in [50, 200)`, `visits >= 12`, `industry is missing`."""
    if label == MISSING:
        return f"{attribute} is missing"
    if label == ANY_VALUE:  # a range binning with no cut point
        return f"{attribute} is present"
    if binning == "quantile":
        return f"{attribute} in {label}" if label.startswith("[") else f"{attribute} {label}"
    return f"{attribute} = {label}"


def format_lift(lift: float) -> str:
    """`2.4x`, `0.6x`; two decimals for very small lifts, so they do not read as 0."""
    return f"{lift:.2f}x" if lift < 0.095 else f"{lift:.1f}x"


def signal_text(attribute: Attribute, b: Bin) -> str:
    where = describe_bin(attribute.name, b.label, attribute.binning)
    return f"{where}: converts at {format_lift(b.lift)} the base rate (n={b.count:,})"


def strongest_signals(attributes: Sequence[Attribute], support: int) -> dict[str, list[Signal]]:
    """The bins that move conversion most, from attributes a model could use.

    Leaky, not predictive (weak) and could-be-chance attributes, `(other)` bins and bins
    under the support are left out; bins are ranked by their own IV (strength times
    support).
    """
    candidates = [
        (a, b)
        for a in attributes
        if not a.weak and not a.chance and a.leakage is None
        for b in a.bins
        if b.label != OTHER and b.count >= support
    ]
    ranked = sorted(candidates, key=lambda ab: (-ab[1].iv, ab[0].name, ab[1].label))

    def pick(keep) -> list[Signal]:
        return [
            Signal(a.name, b.label, b.count, b.rate, b.lift, signal_text(a, b))
            for a, b in ranked
            if keep(b)
        ][:SIGNALS]

    return {
        "positive": pick(lambda b: b.lift >= SIGNAL_LIFT),
        "negative": pick(lambda b: b.lift <= 1 / SIGNAL_LIFT),
    }


def build_icp(
    target: str,
    positive: Sequence[str] | None,
    counts: tuple[int, int, int],
    attributes: list[Attribute],
    skipped: list[dict[str, str]],
) -> Icp:
    """Rank attributes by IV and write the plain-language lists."""
    positives, negatives, missing = counts
    rows = positives + negatives
    support = min_support(rows)
    ranked = sorted(attributes, key=lambda a: (-a.iv, a.name))
    return Icp(
        target=target,
        positive=list(positive) if positive else None,
        rows=rows,
        positives=positives,
        negatives=negatives,
        missing=missing,
        base_rate=positives / rows if rows else 0.0,
        min_support=support,
        attributes=ranked,
        signals=strongest_signals(ranked, support),
        weak=[a.name for a in ranked if a.weak],
        chance=[a.name for a in ranked if a.chance],
        leakage=[{"attribute": a.name, "reason": a.leakage} for a in ranked if a.leakage],
        skipped=skipped,
        warnings=few_leads_warning(positives, negatives),
    )


# --- rules against history -------------------------------------------------------------
#
# A rule's history needs, over leads with a known outcome: how many it fires on, how many
# of those converted, and the points it gives converted and other leads. Points are taken
# before decay, so a rule's direction does not depend on the as-of date. A rule that reads
# one field is replayed on that field's distinct values (weighted by their counts); only a
# rule that combines fields needs the rows themselves.


def rule_fields(rule: Rule) -> set[str]:
    """The fields a rule's condition or lookup reads (its decay field aside)."""
    fields = {leaf.field for leaf in iter_leaves(rule.when)} if rule.when is not None else set()
    if rule.field is not None:
        fields.add(rule.field)
    return fields


def rule_columns(
    model: Model, indexes: Sequence[int], types: dict, as_of: dt.date
) -> list[pl.Expr]:
    """Hit and points columns for some rules; the frame holds their fields' typed values."""
    exprs: list[pl.Expr] = []
    for index in indexes:
        rule = replace(model.rules[index], decay=None)
        hit, points = rule_points(rule, types, as_of, spec=lookup_spec(model, index))
        exprs += [hit.alias(f"{_HIT}{index}"), points.alias(f"{_POINTS}{index}")]
    return exprs


def rule_sums(indexes: Sequence[int], positives: pl.Expr, known: pl.Expr) -> list[pl.Expr]:
    """Plain weighted sums over `rule_columns`, named for `rule_checks`: `known` leads with
    an outcome, `positives` of them converted (per row: 1/0, or counts per distinct value)."""
    pos = positives.cast(pl.Float64)
    all_ = known.cast(pl.Float64)
    exprs: list[pl.Expr] = []
    for index in indexes:
        hit = pl.col(f"{_HIT}{index}").cast(pl.Float64)
        points = pl.col(f"{_POINTS}{index}")
        exprs += [
            (hit * all_).sum().alias(f"fired:{index}"),
            (hit * pos).sum().alias(f"fired_pos:{index}"),
            (points * pos).sum().alias(f"points_pos:{index}"),
            (points * all_).sum().alias(f"points_all:{index}"),
        ]
    return exprs


def rule_history_frame(
    frame: pl.LazyFrame,
    outcome: str,
    model: Model,
    indexes: Sequence[int],
    as_of: dt.date,
    source_name: str,
) -> pl.LazyFrame:
    """One row of `rule_sums` for rules replayed row by row (those that combine fields).

    `frame` holds the model's fields by field name and the outcome as a Boolean column.
    """
    schema = frame.collect_schema()
    types = resolve_field_types(model.rules, model.fields)
    needed = sorted({f for i in indexes for f in rule_fields(model.rules[i])})
    parsed = []
    for name in needed:
        try:
            parsed.append(
                parse_field(
                    name, types[name], schema[name], model.field_spec(name), model.null_values
                )
            )
        except TypeError as exc:
            raise DataError(str(exc), path=source_name) from None
    known = frame.filter(pl.col(outcome).is_not_null())
    known = with_stages(known, [p.staged(_STEP, value_column(p.name), None) for p in parsed])
    return known.with_columns(rule_columns(model, indexes, types, as_of)).select(
        rule_sums(indexes, pl.col(outcome), pl.lit(1))
    )


def rule_checks(model: Model, stats: dict, known: int, positives: int) -> list[RuleCheck]:
    """Does each rule fire on leads that convert, and do its points say so?"""
    base = positives / known if known else 0.0
    return [
        check_rule(rule, index, stats, known, positives, base)
        for index, rule in enumerate(model.rules)
    ]


def check_rule(
    rule: Rule, index: int, stats: dict, known: int, positives: int, base: float
) -> RuleCheck:
    fired = round(stats[f"fired:{index}"] or 0)
    fired_pos = round(stats[f"fired_pos:{index}"] or 0)
    rest = known - fired
    rate_fired = fired_pos / fired if fired else None
    rate_not = (positives - fired_pos) / rest if rest else None
    negatives = known - positives
    points_pos = float(stats[f"points_pos:{index}"] or 0.0)
    points_neg = float(stats[f"points_all:{index}"] or 0.0) - points_pos
    mean_pos = points_pos / positives if positives else None
    mean_neg = points_neg / negatives if negatives else None
    direction, flag = rule_direction(rule, fired, known, rate_fired, base, mean_pos, mean_neg)
    if direction == "wrong" and rule.kind == "when":
        p = two_by_two_chance(fired_pos, fired - fired_pos, positives - fired_pos, rest)
        if p > WRONG_WAY_P:  # 4 of 34 converting against a base rate of 11.5% says nothing
            direction, flag = "unclear", None
    return RuleCheck(
        name=rule.name,
        category=rule.category,
        kind=rule.kind,
        points=rule.points if rule.kind == "when" else None,
        fired=fired,
        fired_share=fired / known if known else 0.0,
        rate_fired=rate_fired,
        rate_not_fired=rate_not,
        lift=rate_fired / base if rate_fired is not None and base else None,
        mean_points_converted=mean_pos,
        mean_points_other=mean_neg,
        direction=direction,
        flag=flag,
    )


def two_by_two_chance(fired_pos: int, fired_neg: int, rest_pos: int, rest: int) -> float:
    """p-value of a chi-square test (1 degree of freedom) that the leads a rule fires on
    convert like the others; 1.0 when a margin is empty."""
    rest_neg = rest - rest_pos
    rows = (fired_pos + fired_neg, rest)
    cols = (fired_pos + rest_pos, fired_neg + rest_neg)
    if 0 in rows or 0 in cols:
        return 1.0
    total = sum(rows)
    statistic = total * (fired_pos * rest_neg - fired_neg * rest_pos) ** 2
    statistic /= rows[0] * rows[1] * cols[0] * cols[1]
    return math.erfc(math.sqrt(statistic / 2))


def rule_direction(
    rule: Rule,
    fired: int,
    known: int,
    rate_fired: float | None,
    base: float,
    mean_pos: float | None,
    mean_neg: float | None,
) -> tuple[str, str | None]:
    """Condition rules: do the leads it fires on convert on the side its points say?
    Lookup rules: do converted leads get more points from it than the others?"""
    if rule.kind == "when":
        if fired == 0 or fired == known or rule.points == 0 or rate_fired is None:
            return "unclear", None
        above = rate_fired > base
        if (rule.points > 0) == above or rate_fired == base:
            return "right", None
        sign = "positive" if rule.points > 0 else "negative"
        side = "below" if rule.points > 0 else "above"
        return "wrong", (
            f"{sign} points ({rule.points:+g}) but its leads convert {side} the base rate "
            f"({rate_fired:.1%} vs {base:.1%}, n={fired:,})"
        )
    if mean_pos is None or mean_neg is None or math.isclose(mean_pos, mean_neg):
        return "unclear", None
    if mean_pos > mean_neg:
        return "right", None
    shown_pos, shown_neg = apart(mean_pos, mean_neg)
    return "wrong", (
        f"converted leads get fewer points from it on average ({shown_pos}) "
        f"than the others ({shown_neg})"
    )


def apart(low: float, high: float, most: int = 3) -> tuple[str, str]:
    """Two means with the fewest decimals (1 to `most`) that show they differ: 0.82 and
    0.84, not 0.8 and 0.8."""
    for decimals in range(1, most + 1):
        shown = f"{low:.{decimals}f}", f"{high:.{decimals}f}"
        if shown[0] != shown[1]:
            break
    return shown
