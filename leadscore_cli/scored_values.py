"""Reading the scores a file `score` wrote: as numbers, and stopping on those that are not.

`grade`, `threshold` and `report` read such files instead of scoring again; a value
that is not a number would otherwise become null and land in the lowest tier unseen.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from leadscore_cli.errors import DataError
from leadscore_cli.model.schema import Model, category_column
from leadscore_cli.scoring.columns import SCORE
from leadscore_cli.summary import counted, noun_for


def readable_score(column: str) -> pl.Expr:
    """A score column as numbers, null where a value is not a finite number: NaN and inf
    (a Parquet float, or the text `NaN`) would otherwise rank above every score."""
    value = pl.col(column).cast(pl.Float64, strict=False)
    return pl.when(value.is_finite()).then(value)


def unreadable_scores_check(
    frame: pl.LazyFrame, model: Model, source_name: str, *, blank_stops: bool = True
) -> tuple[pl.LazyFrame, Callable[[list[pl.DataFrame]], None]]:
    """A frame counting score values that are not numbers, and the check stopping on them.

    Scores read from a file `score` wrote are cast to numbers; a value that cannot be
    read would otherwise become null and silently land in the lowest tier and grade. A
    blank score would too, so with `blank_stops` (grade, which labels every row) it stops
    the run as well; `threshold` leaves such leads out and says so instead.
    """
    columns = [SCORE, *(category_column(c) for c in model.categories)]
    bad = {c: pl.col(c).is_not_null() & readable_score(c).is_null() for c in columns}
    counts = frame.select(
        *(bad[c].sum().alias(f"invalid:{c}") for c in columns),
        *(pl.col(c).filter(bad[c]).first().cast(pl.String).alias(f"example:{c}") for c in columns),
        *(bad[c].arg_true().first().alias(f"row:{c}") for c in columns),
        *(pl.col(c).null_count().alias(f"blank:{c}") for c in columns),
        *(pl.col(c).is_null().arg_true().first().alias(f"blank_row:{c}") for c in columns),
    )

    def check(results: list[pl.DataFrame]) -> None:
        stats = results[0]
        problems = [
            unreadable_scores_problem(c, stats)
            for c in columns
            if int(stats[f"invalid:{c}"][0] or 0)
        ]
        blank = [c for c in columns if int(stats[f"blank:{c}"][0] or 0)]
        if blank_stops and blank:
            problems.append(blank_scores_problem(blank, stats))
        if problems:
            raise DataError("; ".join(problems), path=source_name, problems=problems)

    return counts, check


def unreadable_scores_problem(column: str, stats: pl.DataFrame) -> str:
    """How many of a column's scores are not numbers, and the first of them."""
    count = int(stats[f"invalid:{column}"][0])
    what = noun_for(count, "score value is not a number", "score values are not numbers")
    return (
        f"column {column!r}: {count} {what}, first {stats[f'example:{column}'][0]!r} "
        f"at row {int(stats[f'row:{column}'][0]) + 1}"
    )


def blank_scores_problem(columns: list[str], stats: pl.DataFrame) -> str:
    """Which score columns have blank rows, the first of them, and the way out."""
    first = min(int(stats[f"blank_row:{c}"][0]) for c in columns)
    most = max(int(stats[f"blank:{c}"][0]) for c in columns)
    names = ", ".join(repr(c) for c in columns)
    return (
        f"{counted(most, 'row')} {noun_for(most, 'has', 'have')} no value in score column(s) "
        f"{names}, first at row {first + 1}: pass --rescore to score the leads with the model"
    )
