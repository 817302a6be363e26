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
from leadscore_cli.sql import parts as sp
from leadscore_cli.sql.dialects import Dialect

INTERNAL = "__ls_"
OUTPUT = f"{INTERNAL}o_"
# Terms one expression adds: `a + b + c` is a tree as deep as its terms, for sqlglot
# (which prints it recursively) and for databases (DuckDB refuses expressions deeper than
# its max_expression_depth, 1000 by default). Longer sums are added in layers.
SUM_TERMS = 100


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

    def sums(self, sums: list[tuple[str, list[exp.Expression]]]) -> None:
        """Each `name` as its terms added left to right, as scoring.totals.added_in_order
        adds. A sum of more than `SUM_TERMS` terms is added that many at a time, one layer
        per step, each step adding the next terms to the partial sum of the step before:
        the same additions in the same order, in expressions of bounded depth."""
        steps = max(sum_steps(terms) for _, terms in sums) if sums else 0
        for step in range(steps):
            columns = []
            for name, terms in sums:
                if step < sum_steps(terms):
                    start = [sp.ident(partial_name(name, step - 1))] if step else []
                    chunk = terms[step * SUM_TERMS : (step + 1) * SUM_TERMS]
                    done = step == sum_steps(terms) - 1
                    columns.append(
                        (name if done else partial_name(name, step), sp.total(start + chunk))
                    )
            self.layer(columns)

    def summed(self, name: str, terms: list[exp.Expression]) -> exp.Expression:
        """The terms added left to right: inline when few, else a column `name` (`sums`)."""
        if len(terms) <= SUM_TERMS:
            return sp.total(terms)
        self.sums([(name, terms)])
        return sp.ident(name)


def sum_steps(terms: list[exp.Expression]) -> int:
    return max(1, -(-len(terms) // SUM_TERMS))


def partial_name(name: str, step: int) -> str:
    """The partial sum of `name` after `step` + 1 steps of `SUM_TERMS` terms."""
    return f"{name}_part{step}"
