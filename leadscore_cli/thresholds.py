"""Pick score cutoffs from history with a known outcome.

Everything starts from 101 buckets (leads and conversions per whole score
point), so the work is the same for a thousand leads or a hundred million.
A cutoff c sends to sales every lead with score >= c.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import polars as pl

from leadscore_cli.errors import DataError, UsageError
from leadscore_cli.summary import noun_for

CUTOFFS = np.arange(0, 101)
MIN_CLASS = 40  # fewer positives or negatives than this makes cutoffs unreliable
MIN_TIER_SHARE = 0.02  # a recommended tier holds at least this share of leads


@dataclass(frozen=True)
class Cutoff:
    cutoff: int
    leads: int
    share: float
    converted: int
    recall: float
    precision: float | None
    lift: float | None
    f1: float
    ks: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TierPick:
    name: str
    min_score: int
    leads: int
    share: float
    converted: int
    rate: float

    def to_dict(self) -> dict:
        return asdict(self)


def bucket_counts(frame: pl.LazyFrame, score: str, outcome: str) -> pl.LazyFrame:
    """Leads and conversions per whole score point (rows with no outcome are left out)."""
    return (
        frame.filter(pl.col(outcome).is_not_null() & pl.col(score).is_not_null())
        .group_by(pl.col(score).floor().clip(0, 100).cast(pl.Int64).alias("bucket"))
        .agg(pl.len().alias("leads"), pl.col(outcome).sum().cast(pl.Int64).alias("converted"))
    )


@dataclass
class CutoffTable:
    """Per-cutoff counts: leads[c] and converted[c] at or above cutoff c."""

    leads: np.ndarray
    converted: np.ndarray

    @classmethod
    def from_buckets(cls, buckets: pl.DataFrame) -> CutoffTable:
        leads = np.zeros(101, dtype=np.int64)
        converted = np.zeros(101, dtype=np.int64)
        index = buckets["bucket"].to_numpy()
        leads[index] = buckets["leads"].to_numpy()
        converted[index] = buckets["converted"].to_numpy()
        # at or above: reverse cumulative sums
        return cls(leads[::-1].cumsum()[::-1], converted[::-1].cumsum()[::-1])

    @property
    def total(self) -> int:
        return int(self.leads[0])

    @property
    def positives(self) -> int:
        return int(self.converted[0])

    @property
    def negatives(self) -> int:
        return self.total - self.positives

    @property
    def base_rate(self) -> float:
        return self.positives / self.total

    def row(self, c: int) -> Cutoff:
        leads, converted = int(self.leads[c]), int(self.converted[c])
        recall = converted / self.positives
        precision = converted / leads if leads else None
        false_positive_rate = (leads - converted) / self.negatives
        f1 = 2 * precision * recall / (precision + recall) if precision and recall else 0.0
        return Cutoff(
            cutoff=c,
            leads=leads,
            share=round(leads / self.total, 6),
            converted=converted,
            recall=round(recall, 6),
            precision=None if precision is None else round(precision, 6),
            lift=None if precision is None else round(precision / self.base_rate, 6),
            f1=round(f1, 6),
            ks=round(recall - false_positive_rate, 6),
        )

    def rows(self) -> list[Cutoff]:
        return [self.row(int(c)) for c in CUTOFFS]


def check_classes(
    table: CutoffTable, outcome: str, source_name: str, positive: Sequence[str] = ()
) -> list[str]:
    """Refuse single-class history; warn when a class is too small for reliable cutoffs.

    With `--positive`, a single class is most often a typo in the value: the message
    names the values given, so the fix is in sight."""
    if table.total == 0:
        raise DataError(f"no rows with a known outcome in column {outcome!r}", path=source_name)
    if table.positives == 0 or table.negatives == 0:
        missing = "positive (converted)" if table.positives == 0 else "negative (not converted)"
        given = f" with --positive {', '.join(repr(p) for p in positive)}" if positive else ""
        raise DataError(
            f"outcome column {outcome!r} has no {missing} rows{given}; cutoffs need both",
            path=source_name,
        )
    warnings = []
    if table.positives < MIN_CLASS or table.negatives < MIN_CLASS:
        warnings.append(
            f"only {table.positives} {noun_for(table.positives, 'positive row')} and "
            f"{table.negatives} {noun_for(table.negatives, 'negative row')}: "
            f"cutoffs from fewer than {MIN_CLASS} of either are unreliable"
        )
    return warnings


def best_ks(table: CutoffTable) -> int | None:
    """The cutoff with the largest KS (the highest such cutoff on ties), or None when no
    cutoff passes a larger share of converters than of other leads (KS 0 or below
    everywhere: tied scores, or scores that rank converters lower).

    KS is compared exactly, as TP * N - FP * P (KS times P * N, a whole number), so equal
    gaps tie and rounding never picks a lower KS."""
    gaps = table.converted * table.negatives - (table.leads - table.converted) * table.positives
    best = int(gaps.max())
    if best <= 0:
        return None
    return int(np.flatnonzero(gaps == best).max())


def by_target_rate(table: CutoffTable, rate: float) -> int | None:
    """Lowest cutoff whose conversion rate at or above reaches `rate` (unrounded)."""
    for c in CUTOFFS:
        leads = int(table.leads[c])
        if leads and int(table.converted[c]) / leads >= rate:
            return int(c)
    return None


def by_recall(table: CutoffTable, recall: float) -> int | None:
    """Highest cutoff still capturing at least `recall` of conversions (unrounded)."""
    for c in CUTOFFS[::-1]:
        if int(table.converted[c]) / table.positives >= recall:
            return int(c)
    return None


def by_capacity(table: CutoffTable, capacity: float, periods: float) -> int | None:
    """Lowest cutoff sending at most `capacity` leads per period on average."""
    for c in CUTOFFS:
        if table.leads[c] / periods <= capacity:
            return int(c)
    return None


def fewest_sent(table: CutoffTable) -> tuple[int, int] | None:
    """(cutoff, leads) of the highest cutoff that still sends any lead."""
    sending = np.flatnonzero(table.leads > 0)
    if not sending.size:
        return None
    cutoff = int(sending.max())
    return cutoff, int(table.leads[cutoff])


PERIOD_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}


def count_periods(first: object, last: object, per: str) -> float:
    """How many periods the history spans (at least one)."""
    if per not in PERIOD_DAYS:
        raise UsageError(f"--per must be one of {', '.join(PERIOD_DAYS)}, not {per!r}")
    days = (last - first).days + 1  # type: ignore[operator]
    return max(1.0, days / PERIOD_DAYS[per])


def default_tier_names(count: int) -> list[str]:
    names = ["sql", "mql", "nurture"]
    top = names[: count - 1] if count - 1 <= len(names) else [f"tier{i}" for i in range(1, count)]
    return [*top, "cold"]


@dataclass(frozen=True)
class TierNames:
    """Names for the K+1 tiers of `--tiers K`, and how they differ from the model's."""

    names: list[str]
    dropped: list[str]  # model tiers with no place among the new ones
    added: list[str]  # new tiers the model had no name for

    def note(self, model_names: Sequence[str], k: int) -> str | None:
        """A plain sentence on what changed, or None when the model's names all stay."""
        if not self.dropped and not self.added:
            return None
        kept = [n for n in self.names if n not in self.added]
        text = (
            f"--tiers {k} makes {k + 1} tiers and the model has {len(model_names)}: "
            f"{join_names(kept)} {noun_for(len(kept), 'keeps its name', 'keep their names')}"
        )
        if self.dropped:
            verb = noun_for(len(self.dropped), "is", "are")
            text += f"; {join_names(self.dropped)} {verb} dropped"
        if self.added:
            what = noun_for(len(self.added), "tier is", "tiers are")
            text += f"; the new {what} named {join_names(self.added)}"
        return text


def join_names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def tier_names(model_names: Sequence[str], k: int) -> TierNames:
    """Names for K+1 tiers that keep the model's where the count allows.

    A handoff, grade report or CRM rule refers to tiers by name, so the top tiers keep the
    model's top names and the bottom tier keeps the model's last name (the tier that starts
    at 0). Fewer tiers drop the model's lowest names above the bottom one; more tiers get
    positional names (`tier4` for the fourth from the top) between the kept ones and the
    bottom. A model without tiers gets the defaults.
    """
    if not model_names:
        return TierNames(default_tier_names(k + 1), [], [])
    upper, bottom = list(model_names[:-1]), model_names[-1]
    if len(upper) >= k:
        return TierNames([*upper[:k], bottom], upper[k:], [])
    used = set(model_names)
    added = []
    for position in range(len(upper) + 1, k + 1):
        name, suffix = f"tier{position}", 2
        while name in used:
            name, suffix = f"tier{position}_{suffix}", suffix + 1
        used.add(name)
        added.append(name)
    return TierNames([*upper, *added, bottom], [], added)


class TiersDoNotFit(DataError):
    """No cutoffs give the tiers asked for; `reason` says why without the advice, which
    names threshold's --tiers, for commands (fit) that give their own."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def recommend_tiers(table: CutoffTable, k: int, names: list[str]) -> list[TierPick]:
    """K cutoffs making K+1 tiers with strictly falling conversion rates.

    Dynamic programming over whole-point boundaries maximises the between-tier
    sum of squares of conversion (the share of outcome variance the tiers
    explain), subject to each tier holding at least MIN_TIER_SHARE of leads and
    each tier converting strictly less than the one above it. The state is the
    lowest tier so far, [low, high): its rate decides which tier may go below
    it, so keeping only the best value per `low` would lose feasible splits.
    """
    if k < 1:
        raise UsageError("--tiers needs at least 1 cutoff")
    top = 101  # a tier [low, high) holds scores low <= score < high; high 101 = the top
    leads_at = np.append(table.leads, 0)  # leads_at[c] = leads with score >= c; [101] = 0
    conv_at = np.append(table.converted, 0)
    minimum = max(1, math.ceil(MIN_TIER_SHARE * table.total))
    base = table.base_rate
    # seg_n[low, high], seg_rate[low, high]: leads and rate of the tier [low, high)
    seg_n = leads_at[:, None] - leads_at[None, :]
    seg_c = conv_at[:, None] - conv_at[None, :]
    allowed = seg_n >= minimum
    with np.errstate(divide="ignore", invalid="ignore"):
        seg_rate = np.where(allowed, seg_c / np.maximum(seg_n, 1), np.nan)
    gain = np.where(allowed, seg_n * (seg_rate - base) ** 2, -np.inf)
    # value[low, high]: best objective for j tiers covering [low, 101), the lowest [low, high)
    value = np.full((top + 1, top + 1), -np.inf)
    value[1:top, top] = gain[1:top, top]
    choice: list[np.ndarray] = []  # choice[j-2][low, high]: the `high` of the tier above
    for _ in range(2, k + 1):
        new = np.full_like(value, -np.inf)
        above = np.zeros(value.shape, dtype=np.int64)
        for high in range(2, top):
            lows = np.arange(1, high)
            # the tier above is [high, higher); it must convert strictly more
            ok = seg_rate[high, None, :] > seg_rate[lows, high][:, None]
            candidates = np.where(ok, value[high, None, :], -np.inf)
            best = candidates.argmax(axis=1)
            new[lows, high] = candidates[np.arange(len(lows)), best] + gain[lows, high]
            above[lows, high] = best
        value = new
        choice.append(above)
    # the bottom tier [0, low) goes below the lowest tier [low, high)
    lows = np.arange(1, top)
    ok = seg_rate[lows, :] > seg_rate[0, lows][:, None]
    totals = np.where(ok, value[lows, :], -np.inf) + gain[0, lows][:, None]
    if not np.isfinite(totals).any():
        reason = (
            f"no {k} {noun_for(k, 'cutoff gives', 'cutoffs give')} {k + 1} tiers with falling "
            f"conversion rates and at least {MIN_TIER_SHARE:.0%} of leads each"
        )
        advice = "try fewer --tiers" if k > 1 else "the scores do not separate converters"
        raise TiersDoNotFit(f"{reason}; {advice}", reason=reason)
    row, high = np.unravel_index(int(totals.argmax()), totals.shape)
    low = int(lows[row])
    bounds = [0, low]
    high = int(high)
    for above in reversed(choice):
        low, high = high, int(above[low, high])
        bounds.append(low)
    bounds.reverse()  # highest lower bound first, 0 last
    picks = []
    for index, low in enumerate(bounds):
        high = top if index == 0 else bounds[index - 1]
        n, conv = int(seg_n[low, high]), int(seg_c[low, high])
        picks.append(
            TierPick(
                name=names[index],
                min_score=low,
                leads=n,
                share=round(n / table.total, 6),
                converted=conv,
                rate=round(conv / n, 6),
            )
        )
    return picks
