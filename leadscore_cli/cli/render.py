"""Terminal rendering of run summaries (rich), kept apart from the figures themselves."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from leadscore_cli.summary import ScoreSummary, changes_text, counted, noun_for

BAR_WIDTH = 30


def print_warning(console: Console, text: str) -> None:
    """A yellow `warning:` then the text as written: brackets in it (a `[handoff]`
    section, a column name) are not read as markup."""
    console.print(f"[yellow]warning:[/yellow] {escape(text)}", highlight=False)


class PlainTable(Table):
    """A table whose text cells show as written: file names, column names and values
    hold brackets (`leads[final].csv`), which rich would otherwise read as markup."""

    def add_row(self, *renderables, **options) -> None:  # type: ignore[override]
        cells = [Text(cell) if isinstance(cell, str) else cell for cell in renderables]
        super().add_row(*cells, **options)


def new_table(title: str, columns: Sequence[tuple[str, str]]) -> Table:
    """A borderless table with a left-aligned title: the look every summary shares.

    `columns` are (header, justify) pairs, justify being "left" or "right"."""
    table = PlainTable(title=Text(title), title_justify="left", box=None, pad_edge=False)
    for header, justify in columns:
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    return table


def bar(count: int, largest: int, width: int = BAR_WIDTH) -> str:
    if largest <= 0:
        return ""
    return "█" * max(1 if count else 0, round(width * count / largest))


def histogram_table(summary: ScoreSummary) -> Table:
    table = new_table(
        "Score distribution",
        [("score", "right"), ("leads", "right"), ("share", "right"), ("", "left")],
    )
    largest = max((int(b["count"]) for b in summary.histogram), default=0)
    rows = summary.rows_scored or 1
    for b in summary.histogram:
        count = int(b["count"])
        label = f"{b['low']}-{b['high']}" if b["high"] == 100 else f"{b['low']}-<{b['high']}"
        table.add_row(label, f"{count:,}", f"{count / rows:.1%}", bar(count, largest))
    return table


# A model of thousands of rules (a fitted scorecard, a table of accounts) would print a
# line for each: the terminal shows this many, --json lists every one.
RULES_SHOWN = 40


def rules_table(summary: ScoreSummary) -> Table:
    table = new_table(
        "Rules fired",
        [("rule", "left"), ("category", "left"), ("fired", "right"), ("share", "right")],
    )
    for rule in summary.rules[:RULES_SHOWN]:
        table.add_row(rule.name, rule.category, f"{rule.fired:,}", f"{rule.share:.1%}")
    hidden = summary.rules[RULES_SHOWN:]
    if hidden:
        never = sum(1 for rule in hidden if rule.fired == 0)
        table.caption = (
            f"{counted(len(hidden), 'more rule')} not shown ({never:,} of them never fired); "
            "--json lists every rule"
        )
    return table


def tiers_table(summary: ScoreSummary) -> Table:
    table = new_table("Tiers", [("tier", "left"), ("leads", "right"), ("share", "right")])
    rows = summary.rows_scored or 1
    for name, count in summary.tiers.items():
        table.add_row(name, f"{count:,}", f"{count / rows:.1%}")
    return table


def render_score_summary(console: Console, summary: ScoreSummary) -> None:
    q = summary.quartiles
    headline = Text.assemble(
        ("Scored ", ""),
        (f"{summary.rows_scored:,}", "bold"),
        (
            f" {noun_for(summary.rows_scored, 'lead')} with {summary.model} "
            f"{summary.model_version} (as of {summary.as_of})",
            "",
        ),
        (f" -> {summary.output}" if summary.output else "", ""),
        (
            f"  [{summary.rows_written:,} written]"
            if summary.rows_written != summary.rows_scored
            else ""
        ),
    )
    if summary.mean is None:
        stats = Text("no rows")
    else:
        stats = Text(
            f"mean {summary.mean:.2f}   min {q['min']:.2f}   q1 {q['q1']:.2f}   "
            f"median {q['median']:.2f}   q3 {q['q3']:.2f}   max {q['max']:.2f}"
        )
    parts = [headline, stats, Text(""), histogram_table(summary)]
    if summary.tiers:
        parts += [Text(""), tiers_table(summary)]
    parts += [Text(""), rules_table(summary)]
    if summary.handoff is not None:
        parts.append(
            Text(
                f"\nHandoff: {counted(summary.handoff['rows'], 'lead')} newly in "
                f"{', '.join(summary.handoff['tiers'])} -> {summary.handoff['path']}"
            )
        )
    if summary.changes is not None:
        parts.append(Text(changes_text(summary.changes)))
    parts.append(Text(f"\nTook {summary.seconds:.2f} s"))
    for warning in summary.warnings:
        parts.append(Text(f"warning: {warning}", style="yellow"))
    console.print(Group(*parts))
