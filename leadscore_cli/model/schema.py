"""The scoring model as plain, immutable data.

Parsing and validation live in `loader` and the table readers it calls;
turning a model into polars expressions lives in `leadscore_cli.scoring`.
Keeping the model as frozen dataclasses lets every other part (scoring, SQL,
fitting, writing) share one definition and lets tests compare models with `==`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

FieldType = Literal["string", "int", "float", "bool", "date", "datetime"]
FIELD_TYPES: tuple[str, ...] = ("string", "int", "float", "bool", "date", "datetime")

Scale = Literal["clip", "rescale"]
SCALES: tuple[str, ...] = ("clip", "rescale")

# Operators grouped by the kind of value they compare, so that a field's type
# can be inferred from how the rules use it.
TEXT_OPERATORS = ("contains", "starts_with", "ends_with", "matches")
ORDER_OPERATORS = ("gt", "gte", "lt", "lte", "between")
EQUALITY_OPERATORS = ("eq", "ne", "in", "not_in")
NULL_OPERATORS = ("is_null", "not_null")
AGE_OPERATORS = ("within_days", "older_than_days")
OPERATORS: tuple[str, ...] = (
    EQUALITY_OPERATORS + ORDER_OPERATORS + TEXT_OPERATORS + NULL_OPERATORS + AGE_OPERATORS
)

# "Select" is what a CRM picklist exports when nothing was picked.
DEFAULT_NULL_VALUES: tuple[str, ...] = (
    "",
    "N/A",
    "NA",
    "n/a",
    "null",
    "NULL",
    "None",
    "-",
    "Select",
)
DEFAULT_TRUE_VALUES: tuple[str, ...] = ("true", "t", "yes", "y", "1")
DEFAULT_FALSE_VALUES: tuple[str, ...] = ("false", "f", "no", "n", "0")

TOTAL = "total"  # reserved name for the cap on the sum of all categories
# Columns `score` and `grade` write beside the input's (and `score_<category>` for each
# category): an export column renamed to one of them would be overwritten by it.
ADDED_COLUMNS = (
    "score",
    "tier",
    "grade",
    "priority",
    "reasons",
    "previous_score",
    "score_change",
    "tier_change",
)
# Categories whose `score_<category>` subtotal would be one of those columns (score_change,
# which --previous adds): subtotal and added column would overwrite each other.
RESERVED_CATEGORIES: tuple[str, ...] = tuple(
    column.removeprefix("score_") for column in ADDED_COLUMNS if column.startswith("score_")
)


def category_column(category: str) -> str:
    return f"score_{category}"


def added_columns(categories: Iterable[str]) -> set[str]:
    """Every column a leadscore run may add to a file scored with these categories."""
    return {*ADDED_COLUMNS, *(category_column(c) for c in categories)}


@dataclass(frozen=True)
class FieldSpec:
    """How one export column is read into a typed value the rules compare."""

    name: str
    source: str
    type: FieldType | None = None  # None: inferred from how rules use the field
    null_values: tuple[str, ...] = ()
    format: str | None = None
    true_values: tuple[str, ...] = DEFAULT_TRUE_VALUES
    false_values: tuple[str, ...] = DEFAULT_FALSE_VALUES
    on_invalid: Literal["error", "null"] = "error"


@dataclass(frozen=True)
class Leaf:
    """One comparison of a field with a value."""

    field: str
    op: str
    value: Any = None
    case_sensitive: bool = False


@dataclass(frozen=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = Leaf | AllOf | AnyOf | Not


@dataclass(frozen=True)
class Decay:
    """Scale a rule's points down by the age of a date field."""

    field: str
    half_life_days: float | None = None
    lifespan_days: float | None = None
    if_missing: Literal["full", "none"] = "full"


@dataclass(frozen=True)
class Band:
    """A numeric range [min, max) worth some points; an open end is None."""

    points: float
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Rule:
    """A condition rule (`when`), or a lookup rule (`map` or `bands`) on one field."""

    name: str
    category: str
    kind: Literal["when", "map", "bands"]
    points: float = 0.0
    when: Condition | None = None
    field: str | None = None
    mapping: tuple[tuple[str, float], ...] = ()
    bands: tuple[Band, ...] = ()
    default: float = 0.0
    missing: float = 0.0
    case_sensitive: bool = False
    decay: Decay | None = None
    description: str | None = None

    def point_values(self) -> tuple[float, ...]:
        """Every value this rule can contribute before decay (0 included for `when` rules)."""
        if self.kind == "when":
            return (0.0, self.points)
        if self.kind == "map":
            return (self.default, self.missing, *(p for _, p in self.mapping))
        return (self.default, self.missing, *(b.points for b in self.bands))


@dataclass(frozen=True)
class Limits:
    """A cap: the lowest and highest points a category (or the total) may reach."""

    min: float | None = None
    max: float | None = None

    def clamp(self, low: float, high: float) -> tuple[float, float]:
        if self.min is not None:
            low, high = max(low, self.min), max(high, self.min)
        if self.max is not None:
            low, high = min(low, self.max), min(high, self.max)
        return low, high


@dataclass(frozen=True)
class Tier:
    name: str
    min_score: float


@dataclass(frozen=True)
class GradeBand:
    letter: str
    min_score: float


@dataclass(frozen=True)
class Grading:
    """How the fit grade is computed: from which categories, and the letter cutoffs."""

    categories: tuple[str, ...] = ("fit",)
    bands: tuple[GradeBand, ...] = ()
    plus_minus: bool = False
    scale: Literal["points", "percent"] = "percent"

    def letter_bands(self) -> tuple[GradeBand, ...]:
        """The bands to apply, best first; with plus_minus each band but the last is split
        into +, plain and - thirds (Pardot-style A+ ... F)."""
        if not self.plus_minus:
            return self.bands
        out: list[GradeBand] = []
        top = 100.0
        for index, band in enumerate(self.bands):
            upper = top if index == 0 else self.bands[index - 1].min_score
            if index == len(self.bands) - 1:
                out.append(band)
                continue
            step = (upper - band.min_score) / 3
            out.extend(
                [
                    GradeBand(band.letter + "+", band.min_score + 2 * step),
                    GradeBand(band.letter, band.min_score + step),
                    GradeBand(band.letter + "-", band.min_score),
                ]
            )
        return tuple(out)


@dataclass(frozen=True)
class Model:
    name: str
    version: str
    id_column: str | None
    rules: tuple[Rule, ...]
    description: str = ""
    scale: Scale = "clip"
    null_values: tuple[str, ...] = DEFAULT_NULL_VALUES
    fields: tuple[FieldSpec, ...] = ()
    caps: tuple[tuple[str, Limits], ...] = ()
    tiers: tuple[Tier, ...] = ()
    grading: Grading | None = None
    handoff: tuple[str, ...] = ()
    source: Path | None = field(default=None, compare=False)

    @property
    def categories(self) -> tuple[str, ...]:
        """Rule categories in order of first appearance."""
        return tuple(dict.fromkeys(rule.category for rule in self.rules))

    def field_spec(self, name: str) -> FieldSpec | None:
        return next((spec for spec in self.fields if spec.name == name), None)

    def cap(self, category: str) -> Limits:
        return dict(self.caps).get(category, Limits())

    def category_bounds(self, category: str) -> tuple[float, float]:
        """Lowest and highest capped points a category can reach, rules taken independently."""
        low = high = 0.0
        for rule in self.rules:
            if rule.category == category:
                values = rule.point_values()
                if rule.decay is not None:  # decay can take any value down to 0
                    values = (*values, 0.0)
                low += min(values)
                high += max(values)
        return self.cap(category).clamp(low, high)

    def attainable_range(self) -> tuple[float, float]:
        """Bounds of the capped raw total: what `rescale` maps onto 0-100."""
        low = high = 0.0
        for category in self.categories:
            cat_low, cat_high = self.category_bounds(category)
            low, high = low + cat_low, high + cat_high
        return self.cap(TOTAL).clamp(low, high)
