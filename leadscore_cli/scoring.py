"""Build the lazy polars plan that scores leads with a model.

Nothing here reads data: `plan_scoring` turns a lazy input frame and a Model
into lazy frames for the scored rows and for the run's statistics, so the
caller can stream both in one pass over the input.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from dataclasses import dataclass

import polars as pl

from leadscore_cli.conditions import compile_condition, lowered_reads, normalise_text
from leadscore_cli.errors import DataError
from leadscore_cli.fields import (
    ParsedField,
    field_uses,
    iter_leaves,
    parse_field,
    resolve_field_types,
)
from leadscore_cli.model.schema import (
    TOTAL,
    Decay,
    Limits,
    Model,
    Rule,
    added_columns,
    category_column,
)

PREFIX = "__ls_"
SCORE = "score"
TIER = "tier"
REASONS = "reasons"
DECIMALS = 2


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


def output_columns(model: Model, *, explain: bool, grade: bool = False) -> list[str]:
    """The columns scoring adds, in the order they are written."""
    columns = [SCORE, *(category_column(c) for c in model.categories)]
    if model.tiers:
        columns.append(TIER)
    if grade:
        columns += ["grade", "priority"]
    if explain:
        columns.append(REASONS)
    return columns


@dataclass(frozen=True)
class ScoringPlan:
    """Lazy frames for one scoring run; collect them together to read the input once."""

    output: pl.LazyFrame
    stats: pl.LazyFrame
    score_counts: pl.LazyFrame
    # Every column before the output is shaped: summaries of the run branch from here,
    # so that polars computes the scores once for the output and all of them.
    scored: pl.LazyFrame
    added_columns: list[str]
    checked_fields: list[tuple[str, str]]  # (field, export column) whose values must parse
    input_columns: list[str] = dataclasses.field(default_factory=list)  # after renames

    @property
    def replaced_columns(self) -> list[str]:
        """Input columns the output replaces with this run's (`score` of an earlier run)."""
        return [c for c in self.input_columns if c in self.added_columns]


def required_columns(model: Model) -> dict[str, str]:
    """Map each field the rules read to the export column it comes from."""
    columns: dict[str, str] = {}
    for name, _, _ in field_uses(model.rules):
        spec = model.field_spec(name)
        columns[name] = spec.source if spec else name
    if model.id_column:
        columns.setdefault(model.id_column, source_of(model, model.id_column))
    return columns


def source_of(model: Model, field: str) -> str:
    spec = model.field_spec(field)
    return spec.source if spec else field


def check_working_names(columns: list[str], source_name: str) -> None:
    """Scoring names its working columns `__ls_...`; an input column named so would be
    overwritten or dropped from the output, so it stops the run instead."""
    taken = [c for c in columns if c.startswith(PREFIX)]
    if taken:
        raise DataError(
            f"column {taken[0]!r} starts with {PREFIX!r}, which leadscore keeps for its "
            "working columns; rename it in the export",
            path=source_name,
        )


def check_columns(model: Model, available: list[str], source_name: str) -> None:
    """Report every column the model needs but the data lacks, before reading any rows.

    A renamed field may come under its export name or, in a file leadscore wrote, its
    field name: such a file can be scored again with the same model."""
    missing = []
    for field, column in required_columns(model).items():
        # A file leadscore wrote holds a renamed field under the field's name already.
        if column not in available and field not in available:
            close = difflib.get_close_matches(column, available, n=3, cutoff=0.5)
            hint = f" (closest: {', '.join(repr(c) for c in close)})" if close else ""
            read_as = f" (read as field {field!r})" if field != column else ""
            missing.append(f"missing column {column!r}{read_as}{hint}")
    if missing:
        raise DataError("; ".join(missing), path=source_name, problems=missing)


def plan_scoring(
    frame: pl.LazyFrame,
    model: Model,
    *,
    as_of: dt.date,
    source_name: str,
    explain: bool = False,
    keep_columns: list[str] | None = None,
    sort: bool = False,
    top: int | None = None,
    grade: bool = False,
) -> ScoringPlan:
    schema = frame.collect_schema()
    check_columns(model, list(schema.names()), source_name)
    check_working_names(list(schema.names()), source_name)
    frame, schema = apply_renames(frame, schema, model, source_name)
    types = resolve_field_types(model.rules, model.fields)

    parsed: list[ParsedField] = []
    for field, ftype in types.items():
        try:
            parsed.append(
                parse_field(field, ftype, schema[field], model.field_spec(field), model.null_values)
            )
        except TypeError as exc:
            raise DataError(str(exc), path=source_name) from None
    checked = [p for p in parsed if p.checked and on_invalid(model, p.name) == "error"]
    frame = with_stages(
        frame,
        [
            p.staged(
                f"{PREFIX}s",
                value_column(p.name),
                invalid_column(p.name) if p in checked else None,
            )
            for p in parsed
        ],
    )

    lowered = lowered_fields(model.rules, types)
    if lowered:
        frame = frame.with_columns(
            pl.col(value_column(f)).str.to_lowercase().alias(lowered_column(f)) for f in lowered
        )
    maps = [i for i, rule in enumerate(model.rules) if rule.kind == "map"]
    keys = {i: map_key_column(model.rules[i], i, lowered, types) for i in maps}
    computed_keys = [i for i in maps if keys[i] == key_column(i)]
    if computed_keys:
        frame = frame.with_columns(
            map_subject(model.rules[i], types)[0].alias(key_column(i)) for i in computed_keys
        )
    decays = list(dict.fromkeys(rule.decay for rule in model.rules if rule.decay is not None))
    if decays:  # one column per distinct decay, shared by the rules that use it
        frame = frame.with_columns(
            decay_factor(decay, as_of).alias(decay_column(k)) for k, decay in enumerate(decays)
        )
    rule_exprs = [
        rule_points(
            rule,
            types,
            as_of,
            hit_name=hit_column(i),
            key_name=keys.get(i),
            lowered=lowered,
            decay_name=decay_column(decays.index(rule.decay)) if rule.decay else None,
        )
        for i, rule in enumerate(model.rules)
    ]
    # A lookup without decay fires where its points are not 0: read that off its points
    # column rather than evaluate its when/then chain a second time.
    from_points = [
        i for i, rule in enumerate(model.rules) if rule.kind != "when" and rule.decay is None
    ]
    frame = frame.with_columns(
        hit.alias(hit_column(i)) for i, (hit, _) in enumerate(rule_exprs) if i not in from_points
    )
    frame = frame.with_columns(pts.alias(points_column(i)) for i, (_, pts) in enumerate(rule_exprs))
    if from_points:
        frame = frame.with_columns(
            gives_points(pl.col(points_column(i))).alias(hit_column(i)) for i in from_points
        )
    frame = frame.with_columns(*category_totals(model))
    frame = frame.with_columns(*final_scores(model))
    if model.tiers:
        frame = frame.with_columns(tier_expr(model, pl.col(SCORE)))
    if grade:
        from leadscore_cli.grading import grading_stages

        for stage in grading_stages(model, with_tier=False):
            frame = frame.with_columns(*stage)
    if explain:
        for stage in reasons_stages(model):
            frame = frame.with_columns(stage)

    added = output_columns(model, explain=explain, grade=grade)
    scored = frame
    output = shape_output(
        frame, model, list(schema.names()), added, keep_columns, sort, top, source_name
    )

    stats = scored.select(
        pl.len().alias("rows"),
        *(pl.col(hit_column(i)).sum().alias(f"fired:{i}") for i in range(len(model.rules))),
        *(pl.col(invalid_column(p.name)).sum().alias(f"invalid:{p.name}") for p in checked),
        *(
            pl.col(p.name)
            .filter(pl.col(invalid_column(p.name)))
            .first()
            .cast(pl.String)
            .alias(f"example:{p.name}")
            for p in checked
        ),
        # arg_true().first(), not arg_max(): polars' streaming engine returns the *last*
        # maximum of a boolean column, which would point at the wrong row.
        *(
            pl.col(invalid_column(p.name)).arg_true().first().alias(f"row:{p.name}")
            for p in checked
        ),
    )
    score_counts = scored.group_by(SCORE).agg(pl.len().alias("count"))
    return ScoringPlan(
        output=output,
        stats=stats,
        score_counts=score_counts,
        scored=scored,
        added_columns=added,
        checked_fields=[(p.name, source_of(model, p.name)) for p in checked],
        input_columns=list(schema.names()),
    )


def shape_output(
    frame: pl.LazyFrame,
    model: Model,
    columns: list[str],
    added: list[str],
    keep_columns: list[str] | None,
    sort: bool,
    top: int | None,
    source_name: str,
) -> pl.LazyFrame:
    """Input columns (all, or those asked for) then the added ones; ranked when asked."""
    inputs = [c for c in columns if c not in added and not c.startswith(PREFIX)]
    if keep_columns is not None:
        missing = [c for c in keep_columns if c not in inputs]
        if missing:
            hints = [f"{c!r}" + hint_for(c, inputs) for c in missing]
            raise DataError(
                f"--columns names unknown column(s): {', '.join(hints)}", path=source_name
            )
        inputs = list(dict.fromkeys(keep_columns))
    output = frame.select(*inputs, *added)
    if sort or top is not None:
        by, descending = [SCORE], [True]
        if model.id_column and model.id_column in inputs:
            by.append(model.id_column)
            descending.append(False)
        output = output.sort(by, descending=descending, maintain_order=True, nulls_last=True)
    if top is not None:
        output = output.head(top)
    return output


def has_scores(columns: list[str], model: Model) -> bool:
    """Whether a file already holds the scores this model writes (so it is not scored twice)."""
    return all(c in columns for c in (SCORE, *(category_column(c) for c in model.categories)))


def restore_sources(frame: pl.LazyFrame, model: Model) -> pl.LazyFrame:
    """A scored file names renamed fields by field name; give `model` its export names back."""
    names = frame.collect_schema().names()
    renames = {
        spec.name: spec.source
        for spec in model.fields
        if spec.source != spec.name and spec.source not in names and spec.name in names
    }
    return frame.rename(renames) if renames else frame


def without_scores(frame: pl.LazyFrame, model: Model) -> tuple[pl.LazyFrame, list[str]]:
    """A scored file as an export again, to score it afresh with `model`; and the names
    of the columns it dropped, for the warning that says so.

    Drops the columns `score` and `grade` write (stale `reasons` and last run's
    `previous_score` included) and gives renamed fields their export names back.
    """
    added = added_columns(model.categories)
    dropped = [c for c in frame.collect_schema().names() if c in added]
    return restore_sources(frame.drop(dropped), model), dropped


def plan_from_scores(
    frame: pl.LazyFrame,
    model: Model,
    *,
    source_name: str,
    keep_columns: list[str] | None = None,
    sort: bool = False,
    top: int | None = None,
) -> pl.LazyFrame:
    """Grade a file `score` already wrote: read its scores, recompute tier, add grade."""
    from leadscore_cli.grading import grading_stages

    columns = list(frame.collect_schema().names())
    score_columns = [SCORE, *(category_column(c) for c in model.categories)]
    frame = frame.with_columns(pl.col(score_columns).cast(pl.Float64, strict=False))
    for stage in grading_stages(model, with_tier=True):
        frame = frame.with_columns(*stage)
    added = output_columns(model, explain=False, grade=True)
    keep_reasons = [REASONS] if REASONS in columns else []
    return shape_output(
        frame, model, columns, added + keep_reasons, keep_columns, sort, top, source_name
    )


def with_stages(frame: pl.LazyFrame, per_field: list[list[list[pl.Expr]]]) -> pl.LazyFrame:
    """Add every field's parsing steps, step k of all fields in one `with_columns`."""
    depth = max((len(stages) for stages in per_field), default=0)
    for k in range(depth):
        exprs = [e for stages in per_field if k < len(stages) for e in stages[k]]
        frame = frame.with_columns(exprs)
    return frame


def hint_for(column: str, available: list[str]) -> str:
    close = difflib.get_close_matches(column, available, n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def on_invalid(model: Model, field: str) -> str:
    spec = model.field_spec(field)
    return spec.on_invalid if spec else "error"


def apply_renames(
    frame: pl.LazyFrame, schema: pl.Schema, model: Model, source_name: str
) -> tuple[pl.LazyFrame, pl.Schema]:
    """Rename export headers to the model's field names (`Annual Revenue` -> `annual_revenue`)."""
    renames = {s.source: s.name for s in model.fields if s.source != s.name and s.source in schema}
    clashes = [new for old, new in renames.items() if new in schema and new not in renames]
    if clashes:
        raise DataError(
            f"cannot rename to {clashes[0]!r}: the input already has a column of that name",
            path=source_name,
        )
    if not renames:
        return frame, schema
    frame = frame.rename(renames)
    return frame, frame.collect_schema()


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
) -> tuple[pl.Expr, pl.Expr]:
    """(fired flag, points after decay) for one rule.

    With `hit_name`, a condition rule's points read the flag from that column instead of
    evaluating the condition a second time; `lowered` names the fields that have a
    lower-cased column (see `lowered_fields`); `decay_name` the column holding the
    rule's decay factor.
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
        hit, points = map_points(rule, types, key_name)
    else:
        hit, points = band_points(rule)
    if rule.decay is not None:
        factor = decay_factor(rule.decay, as_of) if decay_name is None else pl.col(decay_name)
        points = points * factor
    return hit, points


def number_key(key: str) -> float | None:
    """A map key read as a number, or None when it is not one (it then never matches)."""
    try:
        return float(key)
    except ValueError:
        return None


def map_subject(rule: Rule, types: dict) -> tuple[pl.Expr, list[tuple[object, float]]]:
    """The value a map rule looks up, normalised like its keys, and its (key, points) pairs."""
    assert rule.field is not None
    value = pl.col(value_column(rule.field))
    if types[rule.field] in ("int", "float"):
        # Map keys are TOML keys, always text: compare numerically, since the number read
        # from "1" is 1.0, whose text "1.0" would never equal the key "1".
        numeric = ((number_key(k), p) for k, p in rule.mapping)
        return value, [(k, p) for k, p in numeric if k is not None]
    subject = value.cast(pl.String)
    if types[rule.field] == "string" and not rule.case_sensitive:
        subject = subject.str.to_lowercase()
    return subject, [(normalise_text(k, rule.case_sensitive), p) for k, p in rule.mapping]


def map_points(rule: Rule, types: dict, key_name: str | None = None) -> tuple[pl.Expr, pl.Expr]:
    """Look the value up with a when/then chain: it streams, where `replace_strict` makes
    polars hold the whole column. With `key_name`, the normalised value is read from that
    column instead of being computed once per key."""
    subject, pairs = map_subject(rule, types)
    if key_name is not None:
        subject = pl.col(key_name)
    chain = None
    for key, points in pairs:
        condition = subject == key
        chain = (pl.when(condition) if chain is None else chain.when(condition)).then(
            pl.lit(float(points))
        )
    looked_up = pl.lit(rule.default) if chain is None else chain.otherwise(pl.lit(rule.default))
    value = pl.col(value_column(rule.field or ""))
    points = pl.when(value.is_null()).then(pl.lit(rule.missing)).otherwise(looked_up)
    return gives_points(points), points


def gives_points(points: pl.Expr) -> pl.Expr:
    """A lookup rule fires when it gives a lead points: a matched value, or the default
    or missing points. One that gives every lead its default must not read "never fires"."""
    return (points != 0).fill_null(False)


def decay_column(index: int) -> str:
    return f"{PREFIX}decay_{index}"


def key_column(index: int) -> str:
    return f"{PREFIX}key_{index}"


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


def reciprocal(divisor: float) -> float:
    """1 / divisor, for multiplying instead of dividing a column by a constant.

    polars divides a long column by a constant by multiplying with its reciprocal, but a
    one-row column by true division: the last bit of a result (and so which way a .xx5
    value rounds) would depend on the length of the file, and SQL could not copy it.
    Multiplying by a reciprocal computed here is one exactly specified operation that
    every engine performs alike; `leadscore_cli.sql` uses the same constants.
    """
    return 1.0 / float(divisor)


def percent_of_range(points: pl.Expr, low: float, high: float) -> pl.Expr:
    """Points placed on 0-100 between the lowest and highest attainable, clipped."""
    span = high - low if high > low else 1.0
    return ((points - low) * (100.0 * reciprocal(span))).clip(0.0, 100.0)


def clamp(expr: pl.Expr, limits: Limits) -> pl.Expr:
    if limits.min is None and limits.max is None:
        return expr
    return expr.clip(lower_bound=limits.min, upper_bound=limits.max)


def category_totals(model: Model) -> list[pl.Expr]:
    exprs = []
    for category in model.categories:
        indexes = [i for i, r in enumerate(model.rules) if r.category == category]
        raw = pl.sum_horizontal([pl.col(points_column(i)) for i in indexes])
        exprs.append(raw.alias(raw_category_column(category)))
        exprs.append(clamp(raw, model.cap(category)).alias(category_column(category)))
    return exprs


def total_points(model: Model) -> pl.Expr:
    return pl.sum_horizontal([pl.col(category_column(c)) for c in model.categories])


def final_scores(model: Model) -> list[pl.Expr]:
    """The 0-100 score and the rounded category subtotals."""
    total = clamp(total_points(model), model.cap(TOTAL))
    if model.scale == "rescale":
        score = percent_of_range(total, *model.attainable_range())
    else:
        score = total.clip(0.0, 100.0)
    exprs = [score.round(DECIMALS).alias(SCORE)]
    exprs += [pl.col(category_column(c)).round(DECIMALS) for c in model.categories]
    return exprs


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
        if round(value, DECIMALS) == 0:
            continue
        text = pl.select(format_points(pl.lit(value, dtype=pl.Float64))).item()
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
    total = pl.sum_horizontal(list(capped_categories.values()))
    capped = clamp(total, model.cap(TOTAL))
    if model.cap(TOTAL) != Limits():
        entries.append(("cap:total", capped - total, None))
    if model.scale == "clip":
        entries.append(("cap:scale", capped.clip(0.0, 100.0) - capped, None))
    return entries


def reasons_stages(model: Model) -> list[list[pl.Expr]]:
    """`demo_requested +30; student -20`: every contribution after decay and caps, largest
    first (ties in model order), those that round to 0 left out.

    Built from column operations and fixed-size arrays: per-row list programs
    (`list.eval`, variable-length lists) cost several times the whole scoring. Each
    entry's rank is counted (how many entries sort before it); ranks packed with the
    entry's index sort into the order; each position picks its text by that order, and
    the positions are joined, skipping the empty ones.
    """
    entries = reason_entries(model)
    count = len(entries)
    points = [f"{PREFIX}rp_{k}" for k in range(count)]
    size = [pl.col(name).abs() for name in points]
    ranks = []
    for k in range(count):
        ahead = [size[j] >= size[k] if j < k else size[j] > size[k] for j in range(count) if j != k]
        ranks.append(pl.sum_horizontal(ahead) if ahead else pl.lit(0))
    texts = [
        entry_text(label, pl.col(name), values)
        for name, (label, _, values) in zip(points, entries, strict=True)
    ]
    order, texts_in_order = f"{PREFIX}rorder", f"{PREFIX}rtexts"
    position = [f"{PREFIX}rpos_{r}" for r in range(count)]
    packed = [rank * count + k for k, rank in enumerate(ranks)]
    return [
        [expr.alias(name) for name, (_, expr, _) in zip(points, entries, strict=True)],
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
