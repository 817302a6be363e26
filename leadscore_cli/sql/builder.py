"""The query under construction: layers of new columns, each over the layer before.

Every module that adds columns (fields, rules, scores) adds them to one `Builder`. Every
column it adds carries the `INTERNAL` prefix, so the finished query can leave them out and
no expression can read an input column by mistake: an input's own `tier` must not be the
tier `priority` is computed from. The columns the query returns are computed under
`output_column` names and take their public names only in its final select.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot import exp

from leadscore_cli.model.schema import FieldType, Model
from leadscore_cli.sql.dialects import Dialect

INTERNAL = "__ls_"
OUTPUT = f"{INTERNAL}o_"


def output_column(public: str) -> str:
    """The working name of a column the query returns as `public` (`score`, `tier`, ...)."""
    return f"{OUTPUT}{public}"


def public_name(column: str) -> str:
    """The name an `output_column` is returned under."""
    return column.removeprefix(OUTPUT)


@dataclass
class Builder:
    """Accumulates query layers: each is `SELECT *, <new columns> FROM <previous layer>`."""

    model: Model
    dialect: Dialect
    as_of: dt.date
    source: Callable[[str], exp.Expression]
    layers: list[list[tuple[str, exp.Expression]]] = field(default_factory=list)
    helpers: list[str] = field(default_factory=list)  # every column the layers add
    outputs: list[str] = field(default_factory=list)  # the `output_column`s among them
    types: dict[str, FieldType] = field(default_factory=dict)
    index: dict[str, int] = field(default_factory=dict)  # field -> number in helper names
    checked: list[tuple[str, int]] = field(default_factory=list)  # on_invalid = "error"

    def layer(self, columns: list[tuple[str, exp.Expression]]) -> None:
        if columns:
            self.layers.append(columns)
            for name, _ in columns:
                assert name.startswith(INTERNAL), name
                self.helpers.append(name)
                if name.startswith(OUTPUT):
                    self.outputs.append(name)
