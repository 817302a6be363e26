"""The SQL targets, what each can express faithfully, and how each stops a query.

A model feature a target cannot express faithfully is refused with an error naming the
rule or field, never approximated.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from leadscore_cli.errors import ModelError
from leadscore_cli.model.schema import Model
from leadscore_cli.sql import parts as sp


@dataclass(frozen=True)
class Dialect:
    """What a target can express faithfully; anything else is refused, never approximated."""

    name: str
    shape: str  # "except": SELECT * EXCEPT(helpers); "lateral": t.* JOIN LATERAL (...)
    rename: bool  # SELECT * RENAME keeps a renamed column in place
    try_cast: bool
    regex: str  # the engine of `matches`: "re2", "java", or "" for one unlike Rust's (refused)
    dates: str  # "all" formats, "plain" (no fractional seconds) or "none"
    explain: bool  # ARRAY_TO_STRING / ARRAY_JOIN skip NULL elements
    fail: str  # how to stop the query on an unreadable value


DIALECTS: dict[str, Dialect] = {
    "duckdb": Dialect("duckdb", "except", True, True, "re2", "all", True, "ERROR"),
    "snowflake": Dialect("snowflake", "except", True, True, "", "plain", False, "CAST"),
    "bigquery": Dialect("bigquery", "except", False, True, "re2", "plain", True, "ERROR"),
    "databricks": Dialect("databricks", "except", False, True, "java", "none", True, "RAISE_ERROR"),
    "spark": Dialect("spark", "lateral", False, True, "java", "none", True, "RAISE_ERROR"),
    "postgres": Dialect("postgres", "lateral", False, False, "", "none", True, "CAST"),
}


def refuse(message: str, model: Model) -> ModelError:
    return ModelError(message, path=model.source)


def fail(dialect: Dialect, message: exp.Expression) -> exp.Expression:
    if dialect.fail == "CAST":  # no error function: a failing cast that shows the message
        return exp.cast(exp.cast(message, "text"), sp.DOUBLE.copy())
    return exp.cast(exp.Anonymous(this=dialect.fail, expressions=[message]), sp.DOUBLE.copy())
