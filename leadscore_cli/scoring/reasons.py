"""The `reasons` column of --explain: every contribution to a score, largest first.

It reads the rule points and raw subtotals that the scoring stages leave in working
columns, and builds its text with column operations only (see `reasons_stages`).
"""

from __future__ import annotations

import polars as pl

from leadscore_cli.model.schema import TOTAL, Limits, Model, Rule
from leadscore_cli.scoring.columns import PREFIX, REASONS, points_column, raw_category_column
from leadscore_cli.scoring.totals import DECIMALS, added_in_order, clamp


def format_points(points: pl.Expr) -> pl.Expr:
    """`+12`, `-5`, `+4.33`: points rounded to 2 decimals, whole numbers without them."""
    rounded = points.round(DECIMALS)
    whole = rounded == rounded.round(0)
    text = (
        pl.when(whole)
        .then(rounded.cast(pl.Int64).cast(pl.String))
        .otherwise(rounded.cast(pl.String))
    )
    return pl.when(rounded > 0).then(pl.concat_str(pl.lit("+"), text)).otherwise(text)


def possible_points(rule: Rule) -> tuple[float, ...] | None:
    """Every value a rule's points can take, or None when decay makes them continuous."""
    if rule.decay is not None:
        return None
    if rule.kind == "when":
        return (rule.points, 0.0)
    if rule.kind == "map":
        return (*(p for _, p in rule.mapping), rule.default, rule.missing)
    return (*(b.points for b in rule.bands), rule.default, rule.missing)


def entry_text(label: str, points: pl.Expr, values: tuple[float, ...] | None) -> pl.Expr:
    """`label +12`, null when the points round to 0.

    Formatting numbers as text is the costly part of the reasons, so when the points
    can only take a few values each text is made once here (with `format_points`
    itself, so it reads the same) and picked per row by comparison.
    """
    if values is None:
        shown = points.round(DECIMALS) != 0
        return pl.when(shown).then(pl.concat_str(pl.lit(f"{label} "), format_points(points)))
    chain = None
    for value in dict.fromkeys(float(v) for v in values):
        point = pl.lit(value, dtype=pl.Float64)
        # polars' rounding, as for a column: Python's round(0.005, 2) is 0.01, polars' 0.0
        rounded, text = pl.select(point.round(DECIMALS).alias("r"), format_points(point)).row(0)
        if rounded == 0:
            continue
        condition = points == value
        chain = (pl.when(condition) if chain is None else chain.when(condition)).then(
            pl.lit(f"{label} {text}")
        )
    return pl.lit(None, dtype=pl.String) if chain is None else chain.otherwise(None)


def reason_entries(model: Model) -> list[tuple[str, pl.Expr, tuple[float, ...] | None]]:
    """(label, points, the values they can take or None) of every contribution to the
    score: each rule after decay, then what each cap and the 0-100 clip took away."""
    entries: list[tuple[str, pl.Expr, tuple[float, ...] | None]] = [
        (rule.name, pl.col(points_column(i)), possible_points(rule))
        for i, rule in enumerate(model.rules)
    ]
    # From the raw subtotals: the `score_<category>` columns are rounded by now, and the
    # rounding is no cap.
    capped_categories = {
        c: clamp(pl.col(raw_category_column(c)), model.cap(c)) for c in model.categories
    }
    for category in model.categories:
        if model.cap(category) != Limits():
            adjust = capped_categories[category] - pl.col(raw_category_column(category))
            entries.append((f"cap:{category}", adjust, None))
    total = added_in_order(list(capped_categories.values()))
    capped = clamp(total, model.cap(TOTAL))
    if model.cap(TOTAL) != Limits():
        entries.append(("cap:total", capped - total, None))
    if model.scale == "clip":
        entries.append(("cap:scale", capped.clip(0.0, 100.0) - capped, None))
    return entries


# Up to this many entries, `reasons_stages` ranks them with column comparisons; past
# it, whose count grows with the square of the entries, it sorts per-row lists.
RANKED_ENTRIES = 128


def reasons_stages(model: Model) -> list[list[pl.Expr]]:
    """`demo_requested +30; student -20`: every contribution after decay and caps, largest
    first (ties in model order), those that round to 0 left out."""
    entries = reason_entries(model)
    points = [f"{PREFIX}rp_{k}" for k in range(len(entries))]
    texts = [
        entry_text(label, pl.col(name), values)
        for name, (label, _, values) in zip(points, entries, strict=True)
    ]
    ordered = ranked_stages if len(entries) <= RANKED_ENTRIES else sorted_stages
    return [
        [expr.alias(name) for name, (_, expr, _) in zip(points, entries, strict=True)],
        *ordered(points, texts),
    ]


def ranked_stages(points: list[str], texts: list[pl.Expr]) -> list[list[pl.Expr]]:
    """The reasons from column operations and fixed-size arrays: per-row list programs
    (`list.eval`, variable-length lists) cost several times the whole scoring of a
    model with few rules. Each entry's rank is counted (how many entries sort before
    it); ranks packed with the entry's index sort into the order; each position picks
    its text by that order, and the positions are joined, skipping the empty ones.
    """
    count = len(points)
    size = [pl.col(name).abs() for name in points]
    ranks = []
    for k in range(count):
        ahead = [size[j] >= size[k] if j < k else size[j] > size[k] for j in range(count) if j != k]
        ranks.append(pl.sum_horizontal(ahead) if ahead else pl.lit(0))
    order, texts_in_order = f"{PREFIX}rorder", f"{PREFIX}rtexts"
    position = [f"{PREFIX}rpos_{r}" for r in range(count)]
    packed = [rank * count + k for k, rank in enumerate(ranks)]
    return [
        [
            pl.concat_arr(packed).arr.sort().alias(order),
            pl.concat_arr(texts).alias(texts_in_order),
        ],
        [
            pl.col(texts_in_order).arr.get(pl.col(order).arr.get(r) % count).alias(position[r])
            for r in range(count)
        ],
        [pl.concat_str(position, separator="; ", ignore_nulls=True).alias(REASONS)],
    ]


def sorted_stages(points: list[str], texts: list[pl.Expr]) -> list[list[pl.Expr]]:
    """The reasons of a model with many rules: each row's sizes sorted as a list (ties
    in model order). Its cost grows with n log n, where ranking
    grows with n squared (1,000 rules took 12 GB)."""
    order, texts_in_order = f"{PREFIX}rorder", f"{PREFIX}rtexts"
    sizes = pl.concat_list([pl.col(name).abs() for name in points])
    positions = pl.int_range(pl.len(), dtype=pl.UInt32)
    largest_first = positions.sort_by(pl.element(), descending=True, maintain_order=True)
    return [
        [
            sizes.list.eval(largest_first).alias(order),
            pl.concat_list(texts).alias(texts_in_order),
        ],
        [
            pl.col(texts_in_order)
            .list.gather(pl.col(order))
            .list.drop_nulls()
            .list.join("; ")
            .alias(REASONS)
        ],
    ]
