"""What a profile reports: the documented JSON object (docs/profile.md), and how one
column's figures become its entry.

Row numbers count data rows from 1 (the header is not a row).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from leadscore_cli import __version__
from leadscore_cli.icp import Icp, RuleCheck
from leadscore_cli.profiling.columns import COUNT, KEY, NUMBER_TYPES, VALUE, ColumnFacts

SCHEMA_VERSION = 1


@dataclass
class ColumnProfile:
    name: str
    source: str
    dtype: str
    type: str
    in_model: bool
    nulls: int
    null_share: float
    null_markers: dict[str, int]
    distinct: int
    id_like: bool
    invalid: int
    invalid_examples: list[str]
    top: list[dict[str, Any]]
    numbers: dict[str, float | int | None] | None
    dates: dict[str, str | None] | None


@dataclass
class Finding:
    """One data quality problem, with a count and where to look."""

    kind: str
    column: str
    count: int
    message: str
    examples: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)


@dataclass
class Profile:
    input: str
    rows: int
    null_values: list[str]
    model: dict[str, str] | None
    columns: list[ColumnProfile]
    findings: list[Finding]
    icp: Icp | None = None
    rules: list[RuleCheck] | None = None
    as_of: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON object (docs/profile.md), `version` first."""
        body = asdict(self)
        return {"version": SCHEMA_VERSION, "leadscore": __version__, **body}


def column_profile(c: ColumnFacts, stats: dict[str, Any], rows: int) -> ColumnProfile:
    summary = stats["summary"].row(0, named=True)
    nulls = int(summary.get("nulls") or 0)
    markers: dict[str, int] = {"": nulls} if nulls and "markers" not in stats else {}
    if "markers" in stats:
        for key, count in stats["markers"].select(KEY, COUNT).iter_rows():
            markers[key or ""] = markers.get(key or "", 0) + int(count)
    top = []
    if "top" in stats:
        for value, count in stats["top"].select(VALUE, COUNT).iter_rows():
            top.append(
                {
                    "value": format_value(value, c.type),
                    "count": int(count),
                    "share": share(count, rows),
                }
            )
    numbers = dates = None
    figures = stats["values"].row(0, named=True) if "values" in stats else {}
    if figures.get("min") is not None:  # no readable value: no range, and no mean of nothing
        if c.type in NUMBER_TYPES:
            numbers = {
                key: number_value(figures[key], c.type)
                for key in ("min", "q1", "median", "q3", "max")
            }
            numbers["mean"] = figures["mean"]
        else:
            dates = {key: format_value(figures[key], c.type) for key in ("min", "max")}
    return ColumnProfile(
        name=c.name,
        source=c.source,
        dtype=str(c.dtype),
        type=c.type,
        in_model=c.in_model,
        nulls=nulls,
        null_share=share(nulls, rows),
        null_markers=markers,
        distinct=int(summary.get("distinct", c.raw_distinct)),
        id_like=c.id_like,
        invalid=int(summary.get("invalid") or 0),
        invalid_examples=[str(v) for v in summary.get("examples") or []],
        top=top,
        numbers=numbers,
        dates=dates,
    )


def share(count: float | int | None, total: int) -> float:
    return round(float(count or 0) / total, 6) if total else 0.0


def number_value(value: float | None, ftype: str) -> float | int | None:
    if value is None:
        return None
    return int(value) if ftype == "int" else float(value)


def format_value(value: Any, ftype: str) -> str:
    """A value as the reports print it: numbers without a trailing .0, dates in ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.4f}".rstrip("0").rstrip(".")
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ") if ftype == "datetime" else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
