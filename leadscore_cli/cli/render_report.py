"""Turn a report into tables once, then print them for a terminal or as Markdown.

`blocks` decides what is shown and how numbers read; `terminal` and `markdown` only
lay the blocks out, so the two formats (and the HTML tables) never disagree.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from leadscore_cli.cli.render import PlainTable, print_warning
from leadscore_cli.summary import counted

TERMINAL_WIDTH = 80
BAR_WIDTH = 20
BLOCKS = " ▏▎▍▌▋▊▉█"


@dataclass
class Block:
    """One titled table; `bars` (0-1 per row) draw a bar column in the terminal."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)
    bars: list[float] | None = None
    section: str = ""


def pct(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}%}"


def num(value: float | None, pattern: str = ".3f") -> str:
    return "-" if value is None else format(value, pattern)


def count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def scaled(values: list[float | None]) -> list[float]:
    """Bar lengths relative to the largest value, so the longest bar is full."""
    top = max((v for v in values if v is not None), default=0) or 1
    return [(v or 0) / top for v in values]


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    cells = max(0.0, min(1.0, fraction)) * width
    whole = int(cells)
    part = int((cells - whole) * (len(BLOCKS) - 1))
    return ("█" * whole + (BLOCKS[part] if part and whole < width else "")).ljust(width)


# --- blocks ------------------------------------------------------------------------


def blocks(report: dict) -> list[Block]:
    out = distribution_blocks(report)
    if report.get("outcome"):
        out += outcome_blocks(report["outcome"])
    if report.get("drift"):
        out += drift_blocks(report["drift"])
    if report.get("comparison"):
        out += comparison_blocks(report["comparison"])
    return out


def headline(report: dict) -> list[str]:
    model = report["model"]
    who = f"model {model['name']} {model['version']}" if model else "scores in the input"
    how = (
        f"scored here as of {report['as_of']}"
        if report["scores"] == "scored"
        else "scores read from the input"
    )
    leads = counted(report["rows"], "lead")
    summary = f"{leads}, {who}, {how}" if model else f"{leads}, {how}"
    lines = [f"Lead score report: {report['input']}", summary]
    dist = report["distribution"]
    lines.append(f"Mean score {num(dist['mean'], '.1f')}, median {num(dist['median'], '.1f')}")
    outcome = report.get("outcome")
    if outcome:
        lines.append(
            f"Outcome {outcome['column']}: {outcome['converted']:,} of {outcome['known']:,} "
            f"converted ({pct(outcome['base_rate'])}); AUC {num(outcome['auc'])}, "
            f"Gini {num(outcome['gini'])}, KS {num(outcome['ks'])}"
        )
    drift = report.get("drift")
    if drift:
        lines.append(
            f"Score PSI against {drift['baseline']}: {num(drift['score']['psi'])} "
            f"({drift['score']['verdict']})"
        )
    return lines


def distribution_blocks(report: dict) -> list[Block]:
    dist = report["distribution"]
    hist = dist["histogram"]
    out = [
        Block(
            "Score histogram",
            ["score", "leads", "share"],
            [[f"{b['low']}-{b['high']}", count(b["count"]), pct(b["share"])] for b in hist],
            bars=scaled([b["count"] for b in hist]),
            section="distribution",
        )
    ]
    for key, label in (("tiers", "tier"), ("grades", "grade")):
        rows = dist[key]
        if rows:
            out.append(
                Block(
                    f"Leads by {label}",
                    [label, "leads", "share"],
                    [[r[label], count(r["count"]), pct(r["share"])] for r in rows],
                    bars=scaled([r["count"] for r in rows]),
                    section="distribution",
                )
            )
    if dist["matrix"]:
        tiers = [t["tier"] for t in dist["tiers"]]
        cells = {(c["grade"], c["tier"]): c["count"] for c in dist["matrix"]}
        out.append(
            Block(
                "Grade x tier (leads)",
                ["grade", *tiers],
                [
                    [g["grade"], *(count(cells.get((g["grade"], t), 0)) for t in tiers)]
                    for g in dist["grades"]
                ],
                section="distribution",
            )
        )
    return out


def rate_block(title: str, label: str, rows: list[dict]) -> Block:
    return Block(
        title,
        [label, "leads", "converted", "rate"],
        [[r[label], count(r["leads"]), count(r["converted"]), pct(r["rate"])] for r in rows],
        bars=scaled([r["rate"] for r in rows]),
        section="outcome",
    )


def population_note(outcome: dict) -> str:
    """Which leads the outcome figures are over, and which are left out."""
    note = f"{counted(outcome['known'], 'lead')} with a score and a known outcome"
    if outcome["missing"]:
        note += f", {outcome['missing']:,} left out (no outcome)"
    if outcome["unscored"]:
        note += f", {outcome['unscored']:,} left out (no readable score)"
    return note


def outcome_blocks(outcome: dict) -> list[Block]:
    out = [
        Block(
            "Ranking quality",
            ["metric", "value"],
            [
                ["AUC", num(outcome["auc"])],
                ["Gini", num(outcome["gini"])],
                ["KS", num(outcome["ks"])],
                ["KS reached at score >=", num(outcome["ks_score"], ".2f")],
                ["base rate", pct(outcome["base_rate"])],
            ],
            notes=[population_note(outcome)],
            section="outcome",
        )
    ]
    if outcome["by_tier"]:
        out.append(rate_block("Conversion by tier", "tier", outcome["by_tier"]))
    if outcome["by_grade"]:
        out.append(rate_block("Conversion by grade", "grade", outcome["by_grade"]))
    deciles = outcome["deciles"]
    out.append(
        Block(
            "Gains and lift by score decile (1 = highest scores)",
            ["decile", "scores", "leads", "rate", "gain", "lift", "cum lift"],
            [
                [
                    str(d["decile"]),
                    "-" if d["min_score"] is None else f"{d['min_score']:g}-{d['max_score']:g}",
                    count(d["leads"]),
                    pct(d["rate"]),
                    pct(d["gain"], 0),
                    num(d["lift"], ".2f"),
                    num(d["cum_lift"], ".2f"),
                ]
                for d in deciles
            ],
            notes=["gain: cumulative share of conversions captured down to that decile"],
            section="outcome",
        )
    )
    cal = outcome["calibration"]
    shape = (
        "never falls from one band to the next higher one"
        if cal["monotonic"]
        else ("falls in band(s) " + ", ".join(cal["drops"]) if cal["drops"] else "has no data")
    )
    out.append(
        Block(
            "Calibration: observed conversion per score band",
            ["band", "leads", "mean score", "rate"],
            [
                [
                    f"{b['low']}-{b['high']}",
                    count(b["leads"]),
                    num(b["mean_score"], ".1f"),
                    pct(b["rate"]),
                ]
                for b in cal["bands"]
            ],
            notes=[f"Conversion {shape}."],
            bars=[b["rate"] or 0 for b in cal["bands"]],
            section="outcome",
        )
    )
    speed = outcome.get("velocity")
    if speed:
        left_out = speed["negative_left_out"]
        out.append(
            Block(
                f"Lead velocity: days from {speed['created_column']} to "
                f"{speed['converted_at_column']} (converted leads)",
                ["tier", "converted", "median days"],
                [
                    [r["tier"], count(r["converted"]), num(r["median_days"], ".1f")]
                    for r in speed["by_tier"]
                ]
                + [["all", count(speed["converted"]), num(speed["median_days"], ".1f")]],
                notes=[f"{counted(left_out, 'lead')} converted before created left out"]
                if left_out
                else [],
                section="outcome",
            )
        )
    return out


def unwatched_notes(drift: dict) -> list[str]:
    """The watched columns a file lacks, whose drift the table cannot show."""
    lacking = (
        ("Not in this file", "columns_missing"),
        ("Not in the baseline", "columns_missing_baseline"),
    )
    return [f"{label}: {', '.join(drift[key])}" for label, key in lacking if drift.get(key)]


def drift_blocks(drift: dict) -> list[Block]:
    score = drift["score"]
    notes = [f"Baseline {drift['baseline']} ({counted(drift['baseline_rows'], 'lead')})."]
    if drift["fail_on_drift"] is not None:
        state = "over" if drift["failed"] else "within"
        note = f"Score PSI {num(score['psi'])} is {state} the limit {drift['fail_on_drift']}."
        if score["psi"] is None:
            note = f"Score PSI not measured, so the limit {drift['fail_on_drift']} is not met."
        notes.append(note)
    out = [
        Block(
            f"Score drift: PSI {num(score['psi'])} ({score['verdict']})",
            ["score", "baseline", "current", "PSI part"],
            [
                [b["bin"], pct(b["baseline_share"]), pct(b["current_share"]), num(b["psi"], ".4f")]
                for b in score["bins"]
            ],
            notes=notes,
            section="drift",
        )
    ]
    if drift["columns"]:
        out.append(
            Block(
                "Input drift: PSI per column (< 0.1 stable, 0.1-0.25 watch, > 0.25 shifted)",
                ["column", "kind", "PSI", "verdict"],
                [
                    [c["column"], c["kind"], num(c["psi"], ".4f"), c["verdict"]]
                    for c in drift["columns"]
                ],
                bars=[min(1.0, (c["psi"] or 0) / 0.5) for c in drift["columns"]],
                notes=unwatched_notes(drift),
                section="drift",
            )
        )
    if drift["tiers"]:
        out.append(
            Block(
                "Tier mix: baseline vs current",
                ["tier", "baseline", "current", "change"],
                [
                    [
                        t["tier"],
                        pct(t["baseline_share"]),
                        pct(t["current_share"]),
                        f"{(t['change'] or 0) * 100:+.1f} pts",
                    ]
                    for t in drift["tiers"]
                ],
                section="drift",
            )
        )
    return out


def model_labels(*models: dict) -> list[str]:
    """`name version` of each model, with its file when that alone tells them apart."""
    names = [f"{m['name']} {m['version']}".strip() for m in models]
    files = [m.get("file") for m in models]
    if len(set(names)) == len(names) or None in files:
        return names
    shown = [Path(f).name for f in files]  # type: ignore[arg-type]
    if len(set(shown)) < len(shown):
        shown = files  # type: ignore[assignment]
    return [f"{name}, {file}" for name, file in zip(names, shown, strict=True)]


def comparison_blocks(comparison: dict) -> list[Block]:
    current, other = comparison["models"]
    names = model_labels(current, other)
    low, high = comparison["interval"]
    interval = "-" if low is None else f"[{signed_auc(low)}, {signed_auc(high)}]"
    out = [
        Block(
            "A/B: the same leads scored by both models",
            ["metric", f"current: {names[0]}", f"other: {names[1]}"],
            [
                ["AUC", num(current["auc"]), num(other["auc"])],
                ["Gini", num(current["gini"]), num(other["gini"])],
                ["KS", num(current["ks"]), num(other["ks"])],
                [
                    "top decile lift",
                    num(current["top_decile_lift"], ".2f"),
                    num(other["top_decile_lift"], ".2f"),
                ],
            ],
            notes=[
                f"AUC difference (other - current): {num(comparison['auc_difference'], '+.3f')}, "
                f"95% bootstrap interval {interval} ({comparison['replicates']} replicates).",
                f"Verdict: {comparison['verdict']}.",
            ],
            section="comparison",
        )
    ]
    for role, model, name in (("current", current, names[0]), ("other", other, names[1])):
        if model["tiers"]:
            out.append(
                Block(
                    f"Tiers of the {role} model ({name})",
                    ["tier", "leads", "share", "rate"],
                    [
                        [t["tier"], count(t["count"]), pct(t["share"]), pct(t["rate"])]
                        for t in model["tiers"]
                    ],
                    section="comparison",
                )
            )
    return out


# --- layouts -----------------------------------------------------------------------


def rich_table(block: Block) -> Table:
    table = PlainTable(box=None, pad_edge=False)
    for index, header in enumerate(block.headers):
        table.add_column(header, justify="left" if index == 0 else "right")
    if block.bars is not None:
        table.add_column("", no_wrap=True)
    for index, row in enumerate(block.rows):
        cells: list[str | Text] = list(row)
        if block.bars is not None:
            cells.append(Text(bar(block.bars[index]), style="cyan"))
        table.add_row(*cells)
    return table


def print_terminal(report: dict, console: Console) -> None:
    for line in headline(report):
        console.print(line, highlight=False)
    for block in blocks(report):
        console.print()
        console.print(Text(block.title, style="bold"))
        console.print(rich_table(block))
        for note in block.notes:
            console.print(note, highlight=False, markup=False)
    for warning in report["warnings"]:
        print_warning(console, warning)


def terminal_text(report: dict) -> str:
    """The terminal report as plain text, 80 columns wide: for a file (-o report.txt)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=TERMINAL_WIDTH, no_color=True, force_terminal=False)
    print_terminal(report, console)
    return buffer.getvalue()


def md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(report: dict) -> str:
    lines = ["# " + md_cell(headline(report)[0]), ""]
    lines += [md_cell(line) + "  " for line in headline(report)[1:]]
    for block in blocks(report):
        lines += ["", f"## {md_cell(block.title)}", ""]
        lines.append("| " + " | ".join(md_cell(h) for h in block.headers) + " |")
        aligns = [":---"] + ["---:"] * (len(block.headers) - 1)
        lines.append("| " + " | ".join(aligns) + " |")
        lines += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in block.rows]
        if block.notes:
            lines += ["", *(md_cell(note) for note in block.notes)]
    if report["warnings"]:
        lines += ["", "## Warnings", "", *(f"- {md_cell(w)}" for w in report["warnings"])]
    return "\n".join(lines) + "\n"


def signed_auc(value: float) -> str:
    """+0.012, or -0.00048 where three decimals would print -0.000 beside a verdict that
    the interval lies below 0."""
    if value != 0 and abs(value) < 0.0005:
        return f"{value:+.2g}"
    return f"{value:+.3f}"
