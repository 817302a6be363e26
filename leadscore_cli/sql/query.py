"""The whole query: the layers as a chain of CTEs or of LATERAL subqueries, over a table.

`compile_model` is the entry point; `build_query` returns the tree before it is printed.
"""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from leadscore_cli.errors import UsageError
from leadscore_cli.model.schema import Model
from leadscore_cli.scoring.inputs import source_of
from leadscore_cli.sql.builder import INTERNAL, Builder, public_name
from leadscore_cli.sql.dialects import DIALECTS, Dialect, refuse
from leadscore_cli.sql.fields import add_fields
from leadscore_cli.sql.rules import add_points
from leadscore_cli.sql.scores import add_scores


def compile_model(
    model: Model,
    dialect: str = "duckdb",
    table: str = "leads",
    as_of: dt.date | None = None,
    explain: bool = False,
) -> str:
    """The model as one SELECT over `table` in `dialect`; raises ModelError/UsageError."""
    target = DIALECTS.get(dialect.lower())
    if target is None:
        raise UsageError(f"--dialect must be one of {', '.join(DIALECTS)}, not {dialect!r}")
    return build_query(model, target, table, as_of or dt.date.today(), explain).sql(
        dialect=target.name, pretty=True
    )


def build_query(
    model: Model, target: Dialect, table: str, as_of: dt.date, explain: bool, *, shape: str = ""
) -> exp.Select:
    """The expression tree; `shape` overrides the dialect's (tests run both in DuckDB)."""
    shape = shape or target.shape
    if explain and not target.explain:
        raise UsageError(
            f"--explain needs an array join that skips NULLs, which {target.name} lacks "
            "(ARRAY_TO_STRING keeps them); drop --explain for this dialect"
        )
    renames = [(s.source, s.name) for s in model.fields if s.source != s.name]
    if renames and shape == "lateral":
        raise refuse(
            f"fields.{renames[0][1]}: {target.name} cannot rename columns in SELECT *; "
            f"create a view that names {renames[0][0]!r} {renames[0][1]!r} and leave out "
            "`source`",
            model,
        )
    alias = "__ls_t" if shape == "lateral" else None

    def source(field_name: str) -> exp.Expression:
        return exp.column(source_of(model, field_name), table=alias, quoted=True)

    builder = Builder(model, target, as_of, source)
    add_fields(builder)
    add_points(builder)
    add_scores(builder, explain)
    return parenthesize(assemble(builder, table_expr(table), renames, shape, alias))


def parenthesize(tree: exp.Select) -> exp.Select:
    """Wrap every operator operand that is itself an operator: sqlglot prints a tree as
    built, so `Div(Sub(a, b), c)` would otherwise read back as `a - b / c`. A chain of
    one AND or OR is left flat (`a OR b OR c` means the same in any grouping): sqlglot
    prints a flat chain in a loop, but recurses once per parenthesis, so a condition
    with thousands of alternatives would exceed Python's recursion limit."""
    for node in list(tree.walk()):
        if isinstance(node, exp.Binary | exp.Not | exp.Between | exp.In):
            for key in ("this", "expression"):
                child = node.args.get(key)
                if needs_parentheses(node, child):
                    node.set(key, exp.Paren(this=child))
    return tree


def needs_parentheses(node: exp.Expression, child: object) -> bool:
    if isinstance(child, exp.And | exp.Or) and type(child) is type(node):
        return False
    return isinstance(child, exp.Binary | exp.Not | exp.Between | exp.In)


def table_expr(table: str) -> exp.Table:
    """`catalog.schema.table`, each part a quoted identifier."""
    parts = [p for p in table.split(".")]
    if not table or any(not p for p in parts) or len(parts) > 3:
        raise UsageError(f"--table must be NAME, SCHEMA.NAME or CATALOG.SCHEMA.NAME, not {table!r}")
    parts = [*([None] * (3 - len(parts))), *parts]
    return exp.table_(parts[2], db=parts[1], catalog=parts[0], quoted=True)


def assemble(
    b: Builder, table: exp.Table, renames: list[tuple[str, str]], shape: str, alias: str | None
) -> exp.Select:
    if shape == "lateral":
        return assemble_lateral(b, table, alias or "__ls_t")
    star_args: dict = {}
    first: list[exp.Expression] = []
    if renames and b.dialect.rename:
        star_args["rename"] = [
            exp.alias_(exp.column(old, quoted=True), new, quoted=True) for old, new in renames
        ]
    elif renames:
        star_args["except_"] = [exp.column(old, quoted=True) for old, _ in renames]
        first = [exp.alias_(exp.column(old, quoted=True), new, quoted=True) for old, new in renames]
    ctes: list[tuple[str, exp.Select]] = []
    previous: exp.Expression = table
    for index, columns in enumerate(b.layers):
        star = exp.Star(**star_args) if index == 0 else exp.Star()
        select = exp.select(star, *(first if index == 0 else [])).from_(previous, copy=False)
        select = select.select(
            *(exp.alias_(e, n, quoted=True, copy=False) for n, e in columns),
            append=True,
            copy=False,
        )
        name = f"{INTERNAL}l{index}"
        ctes.append((name, select))
        previous = exp.table_(name, quoted=True)
    query = exp.select(
        exp.Star(except_=[exp.column(h, quoted=True) for h in b.helpers]),
        *(exp.alias_(exp.column(n, quoted=True), public_name(n), quoted=True) for n in b.outputs),
    ).from_(previous, copy=False)
    for name, select in ctes:
        query = query.with_(exp.to_identifier(name, quoted=True), as_=select, copy=False)
    return query


def assemble_lateral(b: Builder, table: exp.Table, alias: str) -> exp.Select:
    """t.* beside a chain of LATERAL subqueries, one per layer: for dialects without
    SELECT * EXCEPT. Flat, not nested: nested lateral subqueries are slow to plan."""
    query = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(alias, quoted=True)))
    query = query.from_(table.as_(alias, quoted=True), copy=False)
    home: dict[str, str] = {}
    for index, columns in enumerate(b.layers):
        name = f"{INTERNAL}l{index}"
        select = exp.select(*(exp.alias_(e, n, quoted=True, copy=False) for n, e in columns))
        lateral = exp.Lateral(
            this=select.subquery(copy=False),
            alias=exp.TableAlias(this=exp.to_identifier(name, quoted=True)),
        )
        query = query.join(lateral, join_type="cross", copy=False)
        home.update((n, name) for n, _ in columns)
    outputs = (exp.column(n, table=home[n], quoted=True) for n in b.outputs)
    return query.select(
        *(exp.alias_(column, public_name(column.name), quoted=True) for column in outputs),
        append=True,
        copy=False,
    )
