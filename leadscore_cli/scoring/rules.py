"""Each rule's points and whether it fired, as polars expressions.

Conditions, map lookups and bands, with decay applied; and the shared columns that let
several rules read one lower-cased value or one lookup key instead of computing it again.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from leadscore_cli.conditions import compile_condition, lowered_reads, normalise_text
from leadscore_cli.fields import iter_leaves
from leadscore_cli.model.map_keys import boolean_key, number_key
from leadscore_cli.model.schema import Decay, FieldSpec, Model, Rule
from leadscore_cli.scoring.columns import key_column, lowered_column, value_column
from leadscore_cli.scoring.totals import reciprocal


def lowered_fields(rules: tuple[Rule, ...], types: dict) -> list[str]:
    """Text fields several rules compare lower-cased: each gets one lower-cased column,
    shared by those comparisons (a single comparison lower-cases in place)."""
    uses: dict[str, int] = {}
    for rule in rules:
        if rule.when is not None:
            for leaf in iter_leaves(rule.when):
                reads = lowered_reads(leaf, types[leaf.field])
                if reads:
                    uses[leaf.field] = uses.get(leaf.field, 0) + reads
        if rule.kind == "map" and rule.field and lowered_map(rule, types):
            uses[rule.field] = uses.get(rule.field, 0) + 1
    return [field for field, count in uses.items() if count > 1]


def lowered_map(rule: Rule, types: dict) -> bool:
    return types[rule.field] == "string" and not rule.case_sensitive


def map_key_column(rule: Rule, index: int, lowered: list[str], types: dict) -> str:
    """Where a map rule's lookup key lives: the field's lower-cased column when it has one."""
    if rule.field in lowered and lowered_map(rule, types):
        return lowered_column(rule.field)
    return key_column(index)


def rule_points(
    rule: Rule,
    types: dict,
    as_of: dt.date,
    hit_name: str | None = None,
    key_name: str | None = None,
    lowered: list[str] | None = None,
    decay_name: str | None = None,
    spec: FieldSpec | None = None,
) -> tuple[pl.Expr, pl.Expr]:
    """(fired flag, points after decay) for one rule.

    With `hit_name`, a condition rule's points read the flag from that column instead of
    evaluating the condition a second time; `lowered` names the fields that have a
    lower-cased column (see `lowered_fields`); `decay_name` the column holding the
    rule's decay factor; `spec` the lookup field's spec (see `map_subject`).
    """
    if rule.kind == "when":
        assert rule.when is not None
        shared = set(lowered or ())
        hit = compile_condition(
            rule.when,
            value_column,
            types,
            as_of,
            lambda field: lowered_column(field) if field in shared else None,
        )
        fired = hit if hit_name is None else pl.col(hit_name)
        points = pl.when(fired).then(pl.lit(rule.points)).otherwise(pl.lit(0.0))
    elif rule.kind == "map":
        hit, points = map_points(rule, types, key_name, spec)
    else:
        hit, points = band_points(rule)
    if rule.decay is not None:
        factor = decay_factor(rule.decay, as_of) if decay_name is None else pl.col(decay_name)
        points = points * factor
    return hit, points


def lookup_spec(model: Model, index: int) -> FieldSpec | None:
    """The spec of the field rule `index` looks up (None for a condition rule, or a field
    read with the defaults)."""
    field = model.rules[index].field
    return model.field_spec(field) if field else None


def map_subject(
    rule: Rule, types: dict, spec: FieldSpec | None = None
) -> tuple[pl.Expr, list[tuple[object, float]]]:
    """The value a map rule looks up, normalised like its keys, and its (key, points) pairs;
    `spec` is the field's, whose spellings of booleans a bool field's keys may use."""
    assert rule.field is not None
    value = pl.col(value_column(rule.field))
    if types[rule.field] in ("int", "float"):
        # Map keys are TOML keys, always text: compare numerically, since the number read
        # from "1" is 1.0, whose text "1.0" would never equal the key "1".
        numeric = ((number_key(k), p) for k, p in rule.mapping)
        return value, [(k, p) for k, p in numeric if k is not None]
    if types[rule.field] in ("date", "datetime"):
        value = value.cast(pl.Date)  # keys name calendar days, as rules compare date-times
    subject = value.cast(pl.String)
    if types[rule.field] == "bool":  # "true"/"false", as the keys are read
        spelled = ((boolean_key(k, spec), p) for k, p in rule.mapping)
        return subject, [(k, p) for k, p in spelled if k is not None]
    if types[rule.field] == "string" and not rule.case_sensitive:
        subject = subject.str.to_lowercase()
    return subject, [(normalise_text(k, rule.case_sensitive), p) for k, p in rule.mapping]


# Keys up to which a map is a when/then chain (see `looked_up`).
SHORT_MAP = 32


def map_points(
    rule: Rule, types: dict, key_name: str | None = None, spec: FieldSpec | None = None
) -> tuple[pl.Expr, pl.Expr]:
    """A map rule's points: the value looked up (see `looked_up`), its missing points
    where it is null. With `key_name`, the normalised value is read from that column
    instead of being computed again."""
    subject, pairs = map_subject(rule, types, spec)
    if key_name is not None:
        subject = pl.col(key_name)
    numeric = types[rule.field] in ("int", "float")
    found = looked_up(subject, pairs, rule.default, numeric=numeric)
    value = pl.col(value_column(rule.field or ""))
    points = pl.when(value.is_null()).then(pl.lit(rule.missing)).otherwise(found)
    return gives_points(points), points


def looked_up(
    subject: pl.Expr, pairs: list[tuple[object, float]], default: float, *, numeric: bool
) -> pl.Expr:
    """Each value's points from (key, points) pairs, `default` for any other value.

    A short map is a when/then chain, one comparison per key: the fastest form, and
    elementwise, so polars can still push filters below it. Past SHORT_MAP keys the cost
    per row must not grow with their number (a target-account list has thousands) and
    the lookup must stream, which `replace_strict` does not (it holds the whole column):
    text is cast to an Enum of the keys, whose position picks the points (one hash
    lookup); numbers take one membership test per distinct points value. Where a key
    repeats, the first one counts.
    """
    points_by_key: dict[object, float] = {}
    for key, points in pairs:
        points_by_key.setdefault(key, float(points))
    if not points_by_key:
        return pl.lit(float(default))
    if len(points_by_key) <= SHORT_MAP:
        chain = None
        for key, points in points_by_key.items():
            condition = subject == key
            chain = (pl.when(condition) if chain is None else chain.when(condition)).then(
                pl.lit(points)
            )
        assert chain is not None
        return chain.otherwise(pl.lit(float(default)))
    if not numeric:
        position = subject.cast(pl.Enum(list(points_by_key)), strict=False).to_physical()
        table = pl.Series(list(points_by_key.values()), dtype=pl.Float64)
        return pl.lit(table).gather(position).fill_null(float(default))
    keys_by_points: dict[str, tuple[float, list[object]]] = {}
    for key, points in points_by_key.items():  # repr keeps -0.0 apart from 0.0
        keys_by_points.setdefault(repr(points), (points, []))[1].append(key)
    chain = None
    for points, keys in keys_by_points.values():
        inside = subject.is_in(pl.Series(keys, dtype=pl.Float64).implode())
        chain = (pl.when(inside) if chain is None else chain.when(inside)).then(pl.lit(points))
    assert chain is not None
    return chain.otherwise(pl.lit(float(default)))


def gives_points(points: pl.Expr) -> pl.Expr:
    """A lookup rule fires when it gives a lead points: a matched value, or the default
    or missing points. One that gives every lead its default must not read "never fires"."""
    return (points != 0).fill_null(False)


def band_points(rule: Rule) -> tuple[pl.Expr, pl.Expr]:
    assert rule.field is not None
    value = pl.col(value_column(rule.field))
    chain: pl.Expr | None = None
    for band in rule.bands:
        inside = pl.lit(True)
        if band.min is not None:
            inside = inside & (value >= band.min)
        if band.max is not None:
            inside = inside & (value < band.max)
        chain = (pl.when(inside) if chain is None else chain.when(inside)).then(pl.lit(band.points))
    assert chain is not None
    banded = chain.otherwise(pl.lit(rule.default))
    points = pl.when(value.is_null()).then(pl.lit(rule.missing)).otherwise(banded)
    return gives_points(points), points


def decay_factor(decay: Decay, as_of: dt.date) -> pl.Expr:
    """Weight in [0, 1] from the age in days of the decay field at the as-of date.

    Ages are multiplied by reciprocals computed here (see `reciprocal`).
    """
    when = pl.col(value_column(decay.field)).cast(pl.Date)
    age = (pl.lit(as_of) - when).dt.total_days().cast(pl.Float64).clip(lower_bound=0.0)
    if decay.half_life_days is not None:
        factor = pl.lit(0.5).pow(age * reciprocal(decay.half_life_days))
    else:
        factor = (1.0 - age * reciprocal(decay.lifespan_days or 1)).clip(lower_bound=0.0)
    return factor.fill_null(1.0 if decay.if_missing == "full" else 0.0)
