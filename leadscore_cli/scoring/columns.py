"""Names of the columns scoring writes and of the working columns it computes on the way.

The working columns all start with `PREFIX`, so the output can drop them by name and an
input column named so can be refused (`inputs.check_working_names`).
"""

from __future__ import annotations

from leadscore_cli.model.schema import Model

PREFIX = "__ls_"
ROW = f"{PREFIX}row"  # the input row's position, for --top's second pass
SCORE = "score"
TIER = "tier"
REASONS = "reasons"


def value_column(field: str) -> str:
    return f"{PREFIX}v_{field}"


def lowered_column(field: str) -> str:
    return f"{PREFIX}lc_{field}"


def invalid_column(field: str) -> str:
    return f"{PREFIX}bad_{field}"


def hit_column(index: int) -> str:
    return f"{PREFIX}hit_{index}"


def points_column(index: int) -> str:
    return f"{PREFIX}pts_{index}"


def raw_category_column(category: str) -> str:
    return f"{PREFIX}raw_{category}"


def partial_sum_column(category_number: int) -> str:
    """The prefix of a long category's partial sums (see `totals.added_in_stages`)."""
    return f"{PREFIX}part_{category_number}_"


def decay_column(index: int) -> str:
    return f"{PREFIX}decay_{index}"


def key_column(index: int) -> str:
    return f"{PREFIX}key_{index}"


def can_grade(model: Model) -> bool:
    """`grade` needs tiers and a grading (declared, or the default over `fit`)."""
    return bool(model.tiers) and (model.grading is not None or "fit" in model.categories)
