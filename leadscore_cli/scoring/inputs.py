"""What scoring asks of its input's columns, checked before any row is read.

Which export column each field comes from, the columns the model needs, the renames from
export headers to field names (and back, for a file `score` wrote), and whether a file
already holds scores.
"""

from __future__ import annotations

import difflib

import polars as pl

from leadscore_cli.errors import DataError
from leadscore_cli.fields import field_uses
from leadscore_cli.model.schema import Model, category_column
from leadscore_cli.scoring.columns import PREFIX, REASONS, SCORE, TIER, can_grade


def required_columns(model: Model) -> dict[str, str]:
    """Map each field the rules read to the export column it comes from."""
    columns: dict[str, str] = {}
    for name, _, _, _ in field_uses(model.rules):
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
            read_as = f" (read as field {field!r})" if field != column else ""
            hint = missing_hint(model, field, column, available)
            missing.append(f"missing column {column!r}{read_as}{hint}")
    if missing:
        raise DataError("; ".join(missing), path=source_name, problems=missing)


def missing_hint(model: Model, field: str, column: str, available: list[str]) -> str:
    """The columns most like a missing one; or, when a field the model declares is more
    like the name a rule reads (`annual_revenu` beside `[fields.annual_revenue]`), that
    field: the rule has a typo, and the fix is the field's name, not its header."""
    columns = closest(column, available, 3)
    declared = closest(field, [spec.name for spec in model.fields if spec.name != field], 1)
    if declared and (not columns or likeness(field, declared[0]) > likeness(column, columns[0])):
        return f" (closest: field {declared[0]!r})"
    return f" (closest: {', '.join(repr(c) for c in columns)})" if columns else ""


def closest(name: str, candidates: list[str], n: int) -> list[str]:
    """Up to `n` candidates most like `name`, ignoring case (`lead_id` finds `Lead ID`)."""
    by_lower: dict[str, list[str]] = {}
    for candidate in candidates:
        by_lower.setdefault(candidate.lower(), []).append(candidate)
    matches = difflib.get_close_matches(name.lower(), list(by_lower), n=n, cutoff=0.5)
    return [candidate for match in matches for candidate in by_lower[match]][:n]


def likeness(a: str, b: str) -> float:
    """How alike two names are, ignoring case, as `closest` ranks them."""
    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio()


def apply_renames(
    frame: pl.LazyFrame, schema: pl.Schema, model: Model, source_name: str
) -> tuple[pl.LazyFrame, pl.Schema]:
    """Rename export headers to the model's field names (`Annual Revenue` -> `annual_revenue`)."""
    renames = {s.source: s.name for s in model.fields if s.source != s.name and s.source in schema}
    clashes = [
        f"[fields.{new}] reads column {old!r} under the name {new!r}, but the export has a "
        f"column {new!r} of its own, which it would hide: give the field another name "
        f"(and use that name in the rules)"
        for old, new in renames.items()
        if new in schema and new not in renames
    ]
    if clashes:
        raise DataError("; ".join(clashes), path=source_name, problems=clashes)
    if not renames:
        return frame, schema
    frame = frame.rename(renames)
    return frame, frame.collect_schema()


def hint_for(column: str, available: list[str]) -> str:
    close = closest(column, available, 1)
    return f" (did you mean {close[0]!r}?)" if close else ""


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


def model_run_columns(model: Model) -> list[str]:
    """Every column a `score` or `grade` run with `model` can add: `tier` only with tiers,
    `grade` and `priority` only when it can grade, the --previous columns only with an
    id column. A column of the same name that no such run writes (a CRM's own `tier`
    beside a model without tiers) is the input's own."""
    from leadscore_cli.nightly import DELTA_COLUMNS  # nightly builds on scoring

    columns = [SCORE, *(category_column(c) for c in model.categories)]
    if model.tiers:
        columns.append(TIER)
    if can_grade(model):
        columns += ["grade", "priority"]
    columns.append(REASONS)
    if model.id_column:
        columns += DELTA_COLUMNS
    return columns


def without_scores(frame: pl.LazyFrame, model: Model) -> tuple[pl.LazyFrame, list[str]]:
    """A scored file as an export again, to score it afresh with `model`; and the names
    of the columns it dropped, for the warning that says so.

    Drops the columns a run with `model` could have written (stale `reasons` and last
    run's `previous_score` included), keeps the others, and gives renamed fields their
    export names back.
    """
    written = model_run_columns(model)
    dropped = [c for c in frame.collect_schema().names() if c in written]
    return restore_sources(frame.drop(dropped), model), dropped
