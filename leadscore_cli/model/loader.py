"""Read a TOML model and validate all of it at once.

Every problem is collected with its key path (`rules[3].when.op: ...`) so a
user fixes a model in one round trip instead of one error per run. Each table
is read by the module that owns it (`field_specs`, `rules`, `score_tables`);
this one reads the document and checks what spans several tables.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from leadscore_cli.errors import ModelError
from leadscore_cli.model.field_specs import parse_fields
from leadscore_cli.model.map_keys import check_map_keys
from leadscore_cli.model.problems import (
    MODEL_KEYS,
    TOP_KEYS,
    Problems,
    did_you_mean,
    join,
    meant,
    shown,
    table,
    text_value,
)
from leadscore_cli.model.rules import leaves_with_paths, parse_rules
from leadscore_cli.model.schema import (
    AGE_OPERATORS,
    EQUALITY_OPERATORS,
    SCALES,
    FieldSpec,
    FieldType,
    Model,
    Rule,
    added_columns,
)
from leadscore_cli.model.score_tables import parse_caps, parse_grading, parse_handoff, parse_tiers
from leadscore_cli.model.toml_hints import syntax_hint


def load_model(path: str | Path) -> Model:
    """Read and validate a model file; raise ModelError listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # editors such as Notepad add a BOM
    except FileNotFoundError:
        raise ModelError("no such model file", path=path) from None
    except IsADirectoryError:
        raise ModelError("is a directory, not a model file", path=path) from None
    except PermissionError:
        raise ModelError("permission denied", path=path) from None
    except UnicodeDecodeError as exc:
        raise ModelError(f"not UTF-8 text (byte {exc.start})", path=path) from None
    return parse_model(text, source=path)


def parse_model(text: str, *, source: Path | None = None) -> Model:
    """Parse TOML text into a validated Model."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(
            f"TOML syntax error: {exc}{syntax_hint(text, str(exc))}", path=source
        ) from None
    return model_from_dict(data, source=source)


def model_from_dict(data: Mapping[str, Any], *, source: Path | None = None) -> Model:
    """Validate a decoded TOML document; the single place a Model is built from data."""
    problems = Problems()
    problems.unknown_keys(data, TOP_KEYS, "")
    meta = table(data, "model", problems, required=True)
    problems.unknown_keys(meta, MODEL_KEYS, "model")
    name = text_value(meta, "name", "model", problems, required=True) or "unnamed"
    version = meta.get("version", "0")
    if not isinstance(version, str):
        problems.add("model.version", version_problem(version))
        version = "0"
    description = text_value(meta, "description", "model", problems) or ""
    id_column = text_value(meta, "id_column", "model", problems)
    scale = meta.get("scale", "clip")
    if scale not in SCALES:
        problems.add("model.scale", f"must be one of {', '.join(SCALES)}, not {shown(scale)}")
        scale = "clip"

    null_values, fields = parse_fields(table(data, "fields", problems), problems)
    rules = parse_rules(data.get("rules"), problems)
    categories = tuple(dict.fromkeys(rule.category for rule in rules))
    caps = parse_caps(table(data, "caps", problems), categories, problems)
    tiers = parse_tiers(data.get("tiers"), problems)
    grading = parse_grading(data.get("grading"), categories, problems)
    handoff = parse_handoff(data.get("handoff"), tiers, problems)
    types = check_field_usage(rules, fields, problems)
    check_map_keys(rules, fields, types, problems)
    check_case_sensitive(rules, types, problems)
    check_renamed_columns(rules, fields, id_column, problems)
    check_null_marker_values(rules, fields, null_values, problems)
    check_output_names(fields, rules, categories, problems)

    if problems.items:
        raise ModelError("invalid model", path=source, problems=problems.items)
    model = Model(
        name=name,
        version=version,
        description=description,
        id_column=id_column,
        scale=scale,
        null_values=null_values,
        fields=fields,
        rules=rules,
        caps=caps,
        tiers=tiers,
        grading=grading,
        handoff=handoff,
        source=source,
    )
    low, high = model.attainable_range()
    if scale == "rescale" and high <= low:
        raise ModelError(
            f"model.scale: rescale needs points that can vary, but every lead gets {shown(low)}",
            path=source,
        )
    return model


def idle_field_notes(model: Model) -> list[str]:
    """[fields] entries whose settings no rule sees: no rule (nor the id column) reads the
    field, so its type, format or markers change nothing. Most often the entry's name is
    misspelt, and the rules read the column with an inferred type instead. A note, not a
    problem: an entry that only renames a column renames it in the output too."""
    from leadscore_cli.fields import field_uses

    read = {name for name, _, _, _ in field_uses(model.rules)} | {model.id_column}
    notes = []
    for spec in model.fields:
        if spec.name in read or spec == FieldSpec(name=spec.name, source=spec.source):
            continue
        like = meant(spec.name, sorted(name for name in read if name))
        notes.append(
            f"fields.{spec.name}: no rule reads this field, so its settings change nothing"
            + (f" (did you mean {like!r}, which the rules read?)" if like else "")
        )
    return notes


def version_problem(version: Any) -> str:
    """A version written as a number loses its trailing zeros (1.10 reads as 1.1)."""
    if isinstance(version, int | float) and not isinstance(version, bool):
        return (
            'must be a string: write it in quotes, e.g. version = "1.10" '
            "(as a number, 1.10 would read as 1.1)"
        )
    return 'must be a string such as "1.0.0"'


def check_output_names(
    fields: tuple[FieldSpec, ...],
    rules: tuple[Rule, ...],
    categories: tuple[str, ...],
    problems: Problems,
) -> None:
    """A field named like a column the output adds would be overwritten by it: its data
    lost, and the scored file could not be scored again. Read it under another name."""
    from leadscore_cli.fields import iter_leaves

    added = added_columns(categories)
    declared = {spec.name for spec in fields}
    for spec in fields:
        if spec.name in added:
            problems.add(
                f"fields.{spec.name}",
                f"{spec.name!r} is a column leadscore adds to the output, so the export's "
                f"{spec.source!r} would be lost: name the field otherwise "
                f"([fields.crm_{spec.name}] with source = {shown(spec.source)})",
            )
    reported: set[str] = set()
    for index, rule in enumerate(rules):
        names = {leaf.field for leaf in iter_leaves(rule.when)} if rule.when is not None else set()
        names |= {n for n in (rule.field, rule.decay.field if rule.decay else None) if n}
        for name in sorted(names & added - declared - reported):
            reported.add(name)
            problems.add(
                f"rules[{index}]",
                f"reads {name!r}, a column leadscore adds to the output: read the export's "
                f"column under another name ([fields.crm_{name}] with source = {shown(name)})",
            )


def check_renamed_columns(
    rules: tuple[Rule, ...],
    fields: tuple[FieldSpec, ...],
    id_column: str | None,
    problems: Problems,
) -> None:
    """A field renames its export column, so the column's own name no longer exists once
    the export is read: a rule or the id column naming it would find nothing there."""
    from leadscore_cli.fields import field_uses

    declared = {spec.name for spec in fields}
    renamed = {spec.source: spec.name for spec in fields if spec.source != spec.name}
    uses = [(name, key) for name, _, _, key in field_uses(rules)]
    if id_column is not None:
        uses.append((id_column, "model.id_column"))
    reported: set[tuple[str, str]] = set()
    for name, path in uses:
        field = renamed.get(name)
        if field is None or name in declared or (name, path) in reported:
            continue
        reported.add((name, path))
        key = "id_column" if path == "model.id_column" else "field"
        problems.add(
            path,
            f"{name!r} is the export column that [fields.{field}] reads (source = "
            f"{shown(name)}), so the model knows it as {field!r}: write {key} = {shown(field)}",
        )


def check_case_sensitive(
    rules: tuple[Rule, ...], types: dict[str, FieldType], problems: Problems
) -> None:
    """`case_sensitive = true` on a number, date or yes/no field changes nothing: say so,
    or its author believes `eq "Yes"` on a bool field now tells Yes from yes."""

    def check(field: str, path: str) -> None:
        ftype = types.get(field)
        if ftype is not None and ftype != "string":
            problems.add(
                join(path, "case_sensitive"),
                f"has no effect: field {field!r} is read as {ftype}, and only text has a "
                "case (remove it)",
            )

    for index, rule in enumerate(rules):
        path = f"rules[{index}]"
        if rule.kind == "map" and rule.case_sensitive and rule.field:
            check(rule.field, path)
        if rule.when is not None:
            for leaf, at in leaves_with_paths(rule.when, f"{path}.when"):
                if leaf.case_sensitive:
                    check(leaf.field, at)


def check_null_marker_values(
    rules: tuple[Rule, ...],
    fields: tuple[FieldSpec, ...],
    null_values: tuple[str, ...],
    problems: Problems,
) -> None:
    """A cell that is empty or holds a null marker is missing, so a map key or an equality
    value equal to one never matches: point at what does test missing cells."""
    from leadscore_cli.fields import null_markers

    def marker_problem(field: str, value: object) -> str | None:
        if not isinstance(value, str):
            return None
        text = value.strip()
        if not text:
            return "an empty cell is missing, so"
        spec = next((spec for spec in fields if spec.name == field), None)
        if text.lower() in null_markers(spec, null_values):
            return f"{shown(value)} is a null marker: a cell holding it is missing, so"
        return None

    for index, rule in enumerate(rules):
        path = f"rules[{index}]"
        for key, points in rule.mapping:
            if start := marker_problem(rule.field or "", key):
                problems.add(
                    f"{path}.map.{key if key.strip() else shown(key)}",
                    f"{start} this key never matches (give missing cells points with "
                    f"missing = {shown(points)})",
                )
        leaves = leaves_with_paths(rule.when, f"{path}.when") if rule.when is not None else ()
        for leaf, leaf_path in leaves:
            if leaf.op not in EQUALITY_OPERATORS:
                continue
            values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
            instead = 'a missing value with op = "is_null"'
            if leaf.op in ("ne", "not_in"):
                instead = 'a present value with op = "not_null"'
            for value in values:
                if start := marker_problem(leaf.field, value):
                    problems.add(
                        f"{leaf_path}.value",
                        f"{start} '{leaf.op}' never finds it in a cell (test for {instead})",
                    )


def check_field_usage(
    rules: tuple[Rule, ...], fields: tuple[FieldSpec, ...], problems: Problems
) -> dict[str, FieldType]:
    """Check that each field is used in ways its (declared or inferred) type allows, and
    return each field's type (none when the uses disagree)."""
    from leadscore_cli.fields import resolve_field_types

    try:
        return resolve_field_types(rules, fields)
    except ValueError as exc:
        for line in exc.args[0]:
            problems.add("", line)
        return {}


__all__ = [
    "AGE_OPERATORS",
    "EQUALITY_OPERATORS",
    "ModelError",
    "Problems",
    "did_you_mean",
    "idle_field_notes",
    "load_model",
    "model_from_dict",
    "parse_model",
]
