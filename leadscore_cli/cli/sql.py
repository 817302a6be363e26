"""`leadscore sql`: compile a model into one SQL query for a warehouse."""

from __future__ import annotations

from typing import Annotated

import typer

from leadscore_cli.cli.common import (
    AsOfOpt,
    DebugOpt,
    ModelOpt,
    QuietOpt,
    parse_as_of,
    read_model,
    reporting_errors,
    stderr,
)
from leadscore_cli.writers import STDOUT, atomic_path, check_destination

# The keys of leadscore_cli.sql.dialects.DIALECTS, spelled out so that start-up does not load
# sqlglot for commands that never compile SQL (a test keeps the two in step).
DIALECT_NAMES = ("duckdb", "snowflake", "bigquery", "databricks", "spark", "postgres")


def sql(
    model: ModelOpt,
    dialect: Annotated[
        str, typer.Option("--dialect", help=f"Target SQL dialect: {', '.join(DIALECT_NAMES)}.")
    ] = "duckdb",
    table: Annotated[
        str, typer.Option("--table", help="Table (or view) of leads, text columns as exported.")
    ] = "leads",
    as_of: AsOfOpt = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Add the `reasons` column, as `score --explain`.")
    ] = False,
    output: Annotated[
        str,
        typer.Option(
            "--output", "-o", help="Write the query here (default: stdout).", show_default=False
        ),
    ] = "-",
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Print one SELECT that adds what `score` and `grade` add, to run where the data is.

    The as-of date is written into the query, so it gives the same result
    every run; -o writes the query to a file. Example:

        leadscore sql -m configs/b2b_saas.toml --dialect bigquery \\
            --table crm.raw.leads -o score.sql
    """
    with reporting_errors(debug):
        from leadscore_cli.sql import compile_model

        loaded = read_model(model)
        check_destination(output, {"model file": loaded.source})
        query = compile_model(loaded, dialect, table, parse_as_of(as_of), explain)
        with atomic_path(output) as path:
            path.write_text(query + ";\n", encoding="utf-8")
        if not quiet and output != STDOUT:
            stderr.print(
                f"Wrote the {dialect.lower()} query for {loaded.name} {loaded.version} to {output}",
                highlight=False,
                markup=False,
            )
