"""Build the lazy polars plan that scores leads with a model.

Nothing here reads data: `plan_scoring` turns a lazy input frame and a Model
into lazy frames for the scored rows and for the run's statistics, so the
caller can stream both in one pass over the input. The stages it chains come from
`inputs` (column checks and renames), `rules`, `totals` and `reasons`, in the working
columns `columns` names.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from leadscore_cli.errors import DataError
from leadscore_cli.fields import (
    TYPE_WORDS,
    ParsedField,
    parse_field,
    resolve_field_types,
    unreadable_hint,
)
from leadscore_cli.model.schema import Model, category_column
from leadscore_cli.scoring.columns import (
    PREFIX,
    REASONS,
    ROW,
    SCORE,
    TIER,
    decay_column,
    hit_column,
    invalid_column,
    key_column,
    lowered_column,
    points_column,
    value_column,
)
from leadscore_cli.scoring.inputs import (
    apply_renames,
    check_columns,
    check_working_names,
    hint_for,
    source_of,
)
from leadscore_cli.scoring.reasons import reasons_stages
from leadscore_cli.scoring.rules import (
    decay_factor,
    gives_points,
    lookup_spec,
    lowered_fields,
    map_key_column,
    map_subject,
    rule_points,
)
from leadscore_cli.scoring.totals import category_totals, final_scores, tier_expr


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
    # (field, export column) with on_invalid = "null": unreadable values become missing,
    # counted in `stats` as invalid:<field> so the run can say how many
    nulled_fields: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    # With --top: `ranking` finds the best rows' positions (a pass of its own), and the
    # output is `top_rows(those positions)`: see `plan_top`.
    ranking: pl.LazyFrame | None = None
    top_rows: Callable[[pl.Series], pl.LazyFrame] | None = None
    # date fields read with the automatic formats (no `format`): where a refused value
    # looks like a two-digit year, the stop message can say which format reads it
    auto_dated: frozenset[str] = frozenset()
    # field -> (what its values must be, what to do about those that are not), for the
    # message that stops a run on unreadable values
    unreadable: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)

    @property
    def replaced_columns(self) -> list[str]:
        """Input columns the output replaces with this run's (`score` of an earlier run)."""
        return [c for c in self.input_columns if c in self.added_columns]


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
    if top is not None:
        frame = frame.with_row_index(ROW)
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
    nulled = [p for p in parsed if p.checked and on_invalid(model, p.name) == "null"]
    frame = with_stages(
        frame,
        [
            p.staged(
                f"{PREFIX}s",
                value_column(p.name),
                invalid_column(p.name) if p in checked or p in nulled else None,
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
            map_subject(model.rules[i], types, lookup_spec(model, i))[0].alias(key_column(i))
            for i in computed_keys
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
            spec=lookup_spec(model, i),
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
    for stage in category_totals(model):
        frame = frame.with_columns(stage)
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

    ranking, top_rows = None, None
    if top is not None:
        ranking, top_rows = plan_top(scored, model, list(schema.names()), added, keep_columns, top)
    stats = scored.select(
        pl.len().alias("rows"),
        *(pl.col(hit_column(i)).sum().alias(f"fired:{i}") for i in range(len(model.rules))),
        *(
            pl.col(invalid_column(p.name)).sum().alias(f"invalid:{p.name}")
            for p in [*checked, *nulled]
        ),
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
        nulled_fields=[(p.name, source_of(model, p.name)) for p in nulled],
        input_columns=list(schema.names()),
        ranking=ranking,
        top_rows=top_rows,
        auto_dated=frozenset(
            field
            for field, ftype in types.items()
            if ftype in ("date", "datetime") and not declared_format(model, field)
        ),
        unreadable={
            p.name: (
                TYPE_WORDS[types[p.name]],
                unreadable_hint(model.rules, p.name, model.field_spec(p.name), types[p.name]),
            )
            for p in checked
        },
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
    if sort or top is not None:  # ties by id even when --columns leaves it out
        frame = ranked(frame, model, columns)
    output = frame.select(*inputs, *added)
    if top is not None:
        output = output.head(top)
    return output


def ranked(frame: pl.LazyFrame, model: Model, inputs: list[str]) -> pl.LazyFrame:
    """Highest score first; ties by id (text order), then in input order."""
    by, descending = [SCORE], [True]
    if model.id_column and model.id_column in inputs:
        by.append(model.id_column)
        descending.append(False)
    return frame.sort(by, descending=descending, maintain_order=True, nulls_last=True)


def own_strings(frame: pl.LazyFrame) -> pl.LazyFrame:
    """The frame with its text copied: a kept row's strings otherwise point into (and keep
    alive) the whole buffer they were read into, megabytes for a few rows."""
    text = [name for name, dtype in frame.collect_schema().items() if dtype == pl.String]
    return frame.with_columns(pl.concat_str(pl.col(name), pl.lit("")).alias(name) for name in text)


def plan_top(
    scored: pl.LazyFrame,
    model: Model,
    columns: list[str],
    added: list[str],
    keep_columns: list[str] | None,
    top: int,
) -> tuple[pl.LazyFrame, Callable[[pl.Series], pl.LazyFrame]]:
    """--top N without holding the input: memory must not grow with it.

    Ranking whole rows keeps every string buffer a kept row points into: 2.5 GB for the
    best 100 of 5M leads. So, after the summaries' pass, one pass ranks only each row's
    position, score and id; another reads the input again, scores only the rows picked,
    with their text copied out of the buffers it was read into, and ranks those the
    same way. (Ranking in the summaries' pass would make polars buffer the input between
    the two.) Three passes cost time (8 s instead of 5 s for 5M leads) to keep memory
    flat (0.4 GB instead of 2.5 GB; 0.5 GB at 20M).
    """
    keys = [SCORE] + ([model.id_column] if model.id_column in columns else [])
    narrow = own_strings(scored.select(ROW, *dict.fromkeys(keys)))
    ranking = ranked(narrow, model, columns).head(top).select(ROW)

    def top_rows(positions: pl.Series) -> pl.LazyFrame:
        chosen = own_strings(scored.filter(pl.col(ROW).is_in(positions.implode())))
        return shape_output(chosen, model, columns, added, keep_columns, True, top, "")

    return ranking, top_rows


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


def declared_format(model: Model, field: str) -> str | None:
    spec = model.field_spec(field)
    return spec.format if spec else None


def on_invalid(model: Model, field: str) -> str:
    spec = model.field_spec(field)
    return spec.on_invalid if spec else "error"
