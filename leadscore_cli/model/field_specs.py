"""The `[fields]` table: how each column of the export is read, and its null markers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadscore_cli.model.problems import Problems, did_you_mean, join, string_list, text_value
from leadscore_cli.model.schema import (
    DEFAULT_FALSE_VALUES,
    DEFAULT_NULL_VALUES,
    DEFAULT_TRUE_VALUES,
    FIELD_TYPES,
    FieldSpec,
)

FIELD_KEYS = (
    "source",
    "type",
    "null_values",
    "format",
    "true_values",
    "false_values",
    "on_invalid",
)


def parse_fields(
    data: Mapping[str, Any], problems: Problems
) -> tuple[tuple[str, ...], tuple[FieldSpec, ...]]:
    null_values = DEFAULT_NULL_VALUES
    specs: list[FieldSpec] = []
    sources: dict[str, str] = {}
    for name, spec in data.items():
        path = f"fields.{name}"
        if name == "null_values":
            null_values = string_list(spec, path, problems)
            continue
        if not isinstance(spec, dict):
            hint = did_you_mean(name, ["null_values"]) if isinstance(spec, list) else ""
            problems.add(
                path,
                'must be a table such as { source = "Annual Revenue", type = "float" }' + hint,
            )
            continue
        problems.unknown_keys(spec, FIELD_KEYS, path)
        source = text_value(spec, "source", path, problems) or name
        if source in sources:
            problems.add(
                join(path, "source"),
                f"column {source!r} is already read as field {sources[source]!r}",
            )
        sources[source] = name
        ftype = spec.get("type")
        if ftype is not None and ftype not in FIELD_TYPES:
            problems.add(
                join(path, "type"),
                f"unknown type {ftype!r}{did_you_mean(ftype, FIELD_TYPES)} "
                f"(expected one of {', '.join(FIELD_TYPES)})",
            )
            ftype = None
        fmt = text_value(spec, "format", path, problems)
        if fmt is not None and ftype not in ("date", "datetime"):
            problems.add(join(path, "format"), "only applies to fields of type date or datetime")
        on_invalid = spec.get("on_invalid", "error")
        if on_invalid not in ("error", "null"):
            problems.add(join(path, "on_invalid"), f"must be 'error' or 'null', not {on_invalid!r}")
            on_invalid = "error"
        specs.append(
            FieldSpec(
                name=name,
                source=source,
                type=ftype,
                null_values=string_list(spec["null_values"], join(path, "null_values"), problems)
                if "null_values" in spec
                else (),
                format=fmt,
                true_values=lowered(spec, "true_values", path, problems, DEFAULT_TRUE_VALUES),
                false_values=lowered(spec, "false_values", path, problems, DEFAULT_FALSE_VALUES),
                on_invalid=on_invalid,
            )
        )
    return null_values, tuple(specs)


def lowered(
    spec: Mapping[str, Any], key: str, path: str, problems: Problems, default: tuple[str, ...]
) -> tuple[str, ...]:
    if key not in spec:
        return default
    return tuple(v.strip().lower() for v in string_list(spec[key], join(path, key), problems))
