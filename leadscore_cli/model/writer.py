"""Write a Model back to TOML (commands that produce models: threshold --write, fit).

`model_to_dict` is the inverse of `loader.model_from_dict`: reading what it
writes gives an equal Model, which the tests check as a property.
"""

from __future__ import annotations

import hashlib
from typing import Any

import tomli_w

from leadscore_cli.model.schema import (
    DEFAULT_FALSE_VALUES,
    DEFAULT_NULL_VALUES,
    DEFAULT_TRUE_VALUES,
    AllOf,
    AnyOf,
    Condition,
    Decay,
    FieldSpec,
    Leaf,
    Limits,
    Model,
    Not,
    Rule,
)


def number(value: float) -> int | float:
    """Whole numbers as TOML integers, so written models read naturally."""
    return int(value) if float(value).is_integer() else value


def condition_to_dict(condition: Condition) -> dict[str, Any]:
    if isinstance(condition, AllOf):
        return {"all": [condition_to_dict(c) for c in condition.items]}
    if isinstance(condition, AnyOf):
        return {"any": [condition_to_dict(c) for c in condition.items]}
    if isinstance(condition, Not):
        return {"not": condition_to_dict(condition.item)}
    assert isinstance(condition, Leaf)
    out: dict[str, Any] = {"field": condition.field, "op": condition.op}
    if condition.value is not None:
        value = condition.value
        out["value"] = list(value) if isinstance(value, tuple) else value
    if condition.case_sensitive:
        out["case_sensitive"] = True
    return out


def decay_to_dict(decay: Decay) -> dict[str, Any]:
    out: dict[str, Any] = {"field": decay.field}
    if decay.half_life_days is not None:
        out["half_life_days"] = number(decay.half_life_days)
    if decay.lifespan_days is not None:
        out["lifespan_days"] = number(decay.lifespan_days)
    if decay.if_missing != "full":
        out["if_missing"] = decay.if_missing
    return out


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"name": rule.name, "category": rule.category}
    if rule.description:
        out["description"] = rule.description
    if rule.kind == "when":
        assert rule.when is not None
        out["points"] = number(rule.points)
        out["when"] = condition_to_dict(rule.when)
    else:
        out["field"] = rule.field
        if rule.kind == "map":
            out["map"] = {key: number(points) for key, points in rule.mapping}
        else:
            out["bands"] = [band_to_dict(band) for band in rule.bands]
        out["default"] = number(rule.default)
        out["missing"] = number(rule.missing)
        if rule.case_sensitive:
            out["case_sensitive"] = True
    if rule.decay is not None:
        out["decay"] = decay_to_dict(rule.decay)
    return out


def band_to_dict(band) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if band.min is not None:
        out["min"] = number(band.min)
    if band.max is not None:
        out["max"] = number(band.max)
    out["points"] = number(band.points)
    return out


def field_to_dict(spec: FieldSpec) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if spec.source != spec.name:
        out["source"] = spec.source
    if spec.type is not None:
        out["type"] = spec.type
    if spec.null_values:
        out["null_values"] = list(spec.null_values)
    if spec.format is not None:
        out["format"] = spec.format
    if spec.true_values != DEFAULT_TRUE_VALUES:
        out["true_values"] = list(spec.true_values)
    if spec.false_values != DEFAULT_FALSE_VALUES:
        out["false_values"] = list(spec.false_values)
    if spec.on_invalid != "error":
        out["on_invalid"] = spec.on_invalid
    return out


def limits_to_dict(limits: Limits) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if limits.min is not None:
        out["min"] = number(limits.min)
    if limits.max is not None:
        out["max"] = number(limits.max)
    return out


def model_to_dict(model: Model) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": model.name, "version": model.version}
    if model.description:
        meta["description"] = model.description
    if model.id_column:
        meta["id_column"] = model.id_column
    meta["scale"] = model.scale
    out: dict[str, Any] = {"model": meta}
    fields: dict[str, Any] = {}
    if model.null_values != DEFAULT_NULL_VALUES:
        fields["null_values"] = list(model.null_values)
    for spec in model.fields:
        fields[spec.name] = field_to_dict(spec)
    if fields:
        out["fields"] = fields
    if model.caps:
        out["caps"] = {name: limits_to_dict(limits) for name, limits in model.caps}
    if model.tiers:
        out["tiers"] = {tier.name: number(tier.min_score) for tier in model.tiers}
    if model.grading is not None:
        grading = model.grading
        out["grading"] = {
            "categories": list(grading.categories),
            "bands": {band.letter: number(band.min_score) for band in grading.bands},
            "plus_minus": grading.plus_minus,
            "scale": grading.scale,
        }
    if model.handoff:
        out["handoff"] = {"tiers": list(model.handoff)}
    out["rules"] = [rule_to_dict(rule) for rule in model.rules]
    return out


def dumps_model(model: Model, header: str = "") -> str:
    """TOML text for a model, with an optional comment block on top."""
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    body = tomli_w.dumps(model_to_dict(model), multiline_strings=False)
    return (comment + "\n" if comment else "") + body


def model_sha256(model: Model) -> str:
    """Hash of the model file's bytes, or of its canonical TOML when built in memory."""
    if model.source is not None and model.source.is_file():
        return hashlib.sha256(model.source.read_bytes()).hexdigest()
    return hashlib.sha256(dumps_model(model).encode()).hexdigest()
