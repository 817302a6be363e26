"""The query under construction: layers of new columns, each over the layer before.

Every module that adds columns (fields, rules, scores) adds them to one `Builder`; helper
columns carry the `INTERNAL` prefix so the finished query can leave them out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from leadscore_cli.model.schema import FieldType, Model
from leadscore_cli.sql.dialects import Dialect

INTERNAL = "__ls_"


@dataclass
class Builder:
    """Accumulates query layers: each is `SELECT *, <new columns> FROM <previous layer>`."""

    model: Model
    dialect: Dialect
    as_of: dt.date
    source: Callable[[str], exp.Expression]
    layers: list[list[tuple[str, exp.Expression]]] = field(default_factory=list)
    helpers: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    types: dict[str, FieldType] = field(default_factory=dict)
    index: dict[str, int] = field(default_factory=dict)  # field -> number in helper names
    checked: list[tuple[str, int]] = field(default_factory=list)  # on_invalid = "error"

    def layer(self, columns: list[tuple[str, exp.Expression]]) -> None:
        if columns:
            self.layers.append(columns)
            for name, _ in columns:
                (self.helpers if name.startswith(INTERNAL) else self.outputs).append(name)
