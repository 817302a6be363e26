"""The data quality problems in one column's figures, each kind with its message."""

from __future__ import annotations

from typing import Any

from leadscore_cli.profiling.columns import EXAMPLES, KEY, VALUE, ColumnFacts
from leadscore_cli.profiling.results import Finding, format_value
from leadscore_cli.summary import counted

MOSTLY_NULL = 0.5


def column_findings(c: ColumnFacts, stats: dict[str, Any], rows: int) -> list[Finding]:
    """Every problem found in one column, in a fixed order of kinds."""
    found: list[Finding] = []
    summary = stats["summary"].row(0, named=True)
    nulls = int(summary.get("nulls") or 0)

    def add(kind: str, count: int, message: str, result: dict | None = None) -> None:
        if count <= 0:
            return
        found.append(
            Finding(
                kind=kind,
                column=c.name,
                count=int(count),
                message=message,
                examples=[str(v) for v in (result or {}).get("examples") or []],
                rows=[int(r) for r in (result or {}).get("rows") or []],
            )
        )

    def part(name: str) -> dict[str, Any] | None:
        frame = stats.get(name)
        return frame.row(0, named=True) if frame is not None and frame.height else None

    if (d := part("duplicate_id")) and d["count"]:
        add(
            "duplicate_id",
            d["count"],
            f"{counted(d['count'], 'row')} with an id already used on an earlier row "
            f"({counted(d['values'], 'id')} used more than once)",
            d,
        )
    if (d := part("duplicate_email")) and d["count"]:
        add(
            "duplicate_email",
            d["count"],
            f"{counted(d['count'], 'row')} with an address already used on an earlier row, "
            f"ignoring case ({counted(d['values'], 'address', 'addresses')} used more than once)",
            d,
        )
    if (d := part("malformed_email")) and d["count"]:
        message = f"{counted(d['count'], 'value')} not shaped like an address (name@domain.tld)"
        add("malformed_email", d["count"], message, d)
    present = rows - nulls
    distinct = int(summary.get("distinct", c.raw_distinct))
    invalid = int(summary.get("invalid") or 0)
    # unreadable values differ from the one readable value: not constant
    if c.supported and present > 0 and distinct == 1 and invalid == 0 and rows > 1:
        value = stats["top"][VALUE][0] if "top" in stats and stats["top"].height else None
        add(
            "constant_column",
            present,
            f"every present value is {format_value(value, c.type)!r}",
            {"examples": [format_value(value, c.type)]},
        )
    if rows and nulls / rows > MOSTLY_NULL:
        markers = stats.get("markers")
        seen = [k or "" for k in markers[KEY].to_list()[:EXAMPLES]] if markers is not None else []
        message = f"{nulls / rows:.0%} of the values are missing"
        add("mostly_null", nulls, message, {"examples": seen})
    if (d := part("number_as_text")) and d["count"]:
        add(
            "number_as_text",
            d["count"],
            f"{counted(d['count'], 'number')} written as text (currency signs, thousands "
            "separators or spaces)",
            d,
        )
    if invalid:
        message = f"{counted(invalid, 'value')} not readable as {c.type}"
        if c.in_model and (c.spec is None or c.spec.on_invalid == "error"):
            message += ' (score stops on them unless the field says on_invalid = "null")'
        add("unreadable", invalid, message, summary)
    if (d := part("spelling")) and d["count"]:
        lists = d["lists"] or []
        add(
            "mixed_spelling",
            d["count"],
            f"{counted(d['values'], 'value')} spelled several ways; "
            f"{counted(d['count'], 'cell')} in a less common spelling",
            {"examples": [" / ".join(repr(s) for s in spelled) for spelled in lists]},
        )
    values = part("values")
    if values and values.get("outliers"):
        sides = []
        if values["min"] < values["low_fence"]:
            sides.append(f"below {format_value(values['low_fence'], 'float')}")
        if values["max"] > values["high_fence"]:
            sides.append(f"above {format_value(values['high_fence'], 'float')}")
        add(
            "outliers",
            values["outliers"],
            f"{counted(values['outliers'], 'value')} far outside the usual range "
            f"({' or '.join(sides)})",
            {
                "examples": [format_value(v, c.type) for v in values["examples"] or []],
                "rows": values["rows"],
            },
        )
    if (d := part("formula")) and d["count"]:
        add(
            "formula",
            d["count"],
            f"{counted(d['count'], 'cell')} starting with =, +, -, @, a tab or a carriage "
            "return, which a spreadsheet would run as a formula",
            d,
        )
    return found
