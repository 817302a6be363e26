"""The report as one self-contained HTML page: charts and tables that open offline.

Charts use plotly because it is actively maintained, draws interactive charts from
Python without a server, and can embed its whole JavaScript library inline
(`include_plotlyjs=True`), so the page loads nothing from the network.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Protocol

import plotly.graph_objects as go
import plotly.io as pio

CHART_IDS = ("chart-histogram", "chart-gains", "chart-tiers", "chart-psi")
COLOR = "#2f6db5"
ACCENT = "#d9822b"
PLOT_CONFIG = {"displaylogo": False, "responsive": True}

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto;
  max-width: 1000px; padding: 0 1rem; color: #1f2933; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { padding: 0.25rem 0.75rem; border-bottom: 1px solid #e4e7eb; text-align: right; }
th:first-child, td:first-child { text-align: left; }
p.note { color: #52606d; font-size: 0.85rem; margin: 0.25rem 0; }
.chart { margin: 1rem 0; }
.warning { color: #8a4b00; }
"""


class TableBlock(Protocol):
    """What the page needs of a table (see `leadscore_cli.cli.render_report.Block`)."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    notes: list[str]
    section: str


def layout(title: str, x: str, y: str, **extra: object) -> dict:
    return {
        "title": {"text": title},
        "xaxis": {"title": {"text": x}},
        "yaxis": {"title": {"text": y}},
        "height": 360,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "template": "plotly_white",
        **extra,
    }


def histogram_chart(report: dict) -> go.Figure:
    bins = report["distribution"]["histogram"]
    return go.Figure(
        go.Bar(
            x=[f"{b['low']}-{b['high']}" for b in bins],
            y=[b["count"] for b in bins],
            marker_color=COLOR,
            name="leads",
        ),
        layout=layout("Score histogram", "score", "leads"),
    )


def gains_chart(outcome: dict) -> go.Figure:
    deciles = [d for d in outcome["deciles"] if d["gain"] is not None]
    x = [0.0] + [d["cum_share_leads"] for d in deciles]
    y = [0.0] + [d["gain"] for d in deciles]
    figure = go.Figure(
        layout=layout(
            "Gains curve",
            "share of leads called (highest scores first)",
            "share of conversions captured",
        )
    )
    figure.add_trace(go.Scatter(x=x, y=y, mode="lines+markers", name="model", line_color=COLOR))
    figure.add_trace(
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="random", line={"dash": "dot"})
    )
    figure.update_xaxes(tickformat=".0%", range=[0, 1])
    figure.update_yaxes(tickformat=".0%", range=[0, 1])
    return figure


def tier_chart(outcome: dict) -> go.Figure:
    rows = outcome["by_tier"] or outcome["by_grade"]
    label = "tier" if outcome["by_tier"] else "grade"
    figure = go.Figure(
        go.Bar(
            x=[r[label] for r in rows],
            y=[r["rate"] or 0 for r in rows],
            marker_color=ACCENT,
            text=[f"{(r['rate'] or 0):.1%}" for r in rows],
            textposition="outside",
            name="conversion rate",
        ),
        layout=layout(f"Conversion by {label}", label, "conversion rate"),
    )
    figure.update_yaxes(tickformat=".0%")
    return figure


def psi_chart(drift: dict) -> go.Figure:
    measured = [("score", drift["score"]["psi"])] + [
        (c["column"], c["psi"]) for c in drift["columns"]
    ]
    items = [(name, value) for name, value in measured if value is not None]
    items.reverse()  # plotly draws horizontal bars bottom-up
    colors = ["#2e7d32" if v < 0.1 else "#f9a825" if v <= 0.25 else "#c62828" for _, v in items]
    figure = go.Figure(
        go.Bar(
            x=[v for _, v in items],
            y=[name for name, _ in items],
            orientation="h",
            marker_color=colors,
            name="PSI",
        ),
        layout=layout(
            "Population stability (PSI) by column", "PSI", "", height=max(300, 40 + 24 * len(items))
        ),
    )
    for edge in (0.1, 0.25):
        figure.add_vline(x=edge, line_dash="dot", line_color="#9aa5b1")
    return figure


def charts(report: dict) -> dict[str, go.Figure]:
    """The charts this report has data for, keyed by their element id."""
    found = {"chart-histogram": histogram_chart(report)}
    outcome = report.get("outcome")
    if outcome:
        found["chart-gains"] = gains_chart(outcome)
        if outcome["by_tier"] or outcome["by_grade"]:
            found["chart-tiers"] = tier_chart(outcome)
    if report.get("drift"):
        found["chart-psi"] = psi_chart(report["drift"])
    return found


def chart_html(figure: go.Figure, div_id: str, first: bool) -> str:
    """The chart's div; the first one carries the whole plotly library inline."""
    body = pio.to_html(
        figure,
        include_plotlyjs=first,
        include_mathjax=False,
        full_html=False,
        div_id=div_id,
        config=PLOT_CONFIG,
    )
    return f'<div class="chart">{body}</div>'


def table_html(block: TableBlock) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in block.headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in block.rows
    )
    notes = "".join(f'<p class="note">{esc(n)}</p>' for n in block.notes)
    return f"<h3>{esc(block.title)}</h3><table><tr>{head}</tr>{body}</table>{notes}"


SECTIONS = (
    ("distribution", "Distribution", ("chart-histogram",)),
    ("outcome", "Does the score predict conversion?", ("chart-gains", "chart-tiers")),
    ("drift", "Drift against the baseline", ("chart-psi",)),
    ("comparison", "A/B: current and other model", ()),
)


def render_html(report: dict, tables: Sequence[TableBlock], headline: Sequence[str]) -> str:
    """One page: headline, then per section its charts and tables."""
    esc = html.escape
    figures = charts(report)
    parts = [f"<h1>{esc(headline[0])}</h1>"]
    parts += [f'<p class="note">{esc(line)}</p>' for line in headline[1:]]
    first = True
    for key, title, chart_ids in SECTIONS:
        section_tables = [t for t in tables if t.section == key]
        present = [c for c in chart_ids if c in figures]
        if not section_tables and not present:
            continue
        parts.append(f'<section id="{key}"><h2>{esc(title)}</h2>')
        for chart_id in present:
            parts.append(chart_html(figures[chart_id], chart_id, first))
            first = False
        parts += [table_html(t) for t in section_tables]
        parts.append("</section>")
    if report["warnings"]:
        items = "".join(f"<li>{esc(w)}</li>" for w in report["warnings"])
        parts.append(f'<section id="warnings"><h2>Warnings</h2><ul class="warning">{items}</ul>')
        parts.append("</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(headline[0])}</title><style>{STYLE}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>\n"
    )
