"""Compile a scoring model into one SQL query, so it can run where the leads live.

The query is a sqlglot expression tree, built once and printed per dialect; every
identifier is quoted and every value a literal, so nothing in a model or a column name
can change what the query does. It reproduces `leadscore score`/`grade` on text columns
(as a CSV loaded as VARCHAR): the same tolerant parsing, two-valued conditions, lookups,
decay, caps, scaling, polars' half-to-even rounding, tiers and grades. What a dialect
cannot express faithfully is refused with an error naming the rule or field.

`dialects` holds the targets, `builder` the query's layers, `parts` the portable building
blocks, `fields` the typed field values, `rules` each rule's points, `scores` the scores,
tiers, grades and reasons, and `query` the whole query over a table.
"""

from leadscore_cli.sql.query import compile_model

__all__ = ["compile_model"]
