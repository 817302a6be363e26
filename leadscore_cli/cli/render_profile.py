"""How `leadscore profile` looks: rich tables on the terminal, or a Markdown report.

Both read the same Profile; the wording of problems and signals comes from the library,
so the terminal, the wiki page and the JSON never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from leadscore_cli.chance import CHANCE_P
from leadscore_cli.cli.render import new_table
from leadscore_cli.icp import WEAK_IV, Attribute, Icp, RuleCheck, format_lift
from leadscore_cli.profiling import ColumnProfile, Finding, Profile
from leadscore_cli.summary import counted, noun_for

TOP_SHOWN = 3
BINS_SHOWN = 12
LEAKAGE_ADVICE = (
    "fields like this are often filled in after the sale and make a model look better than it is"
)
KIND_TEXT = {
    "duplicate_id": "duplicate ids",
    "duplicate_email": "duplicate emails",
    "malformed_email": "malformed emails",
    "constant_column": "constant column",
    "mostly_null": "mostly missing",
    "number_as_text": "numbers as text",
    "unreadable": "unreadable values",
    "mixed_spelling": "one value, several spellings",
    "outliers": "extreme outliers",
    "formula": "formula-like cells",
}


# --- shared wording ----------------------------------------------------------------------


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def whole_percent(share: float) -> str:
    """A share in whole percent, where a few leads of many read `<1%`, not `0%`."""
    return "<1%" if 0 < share < 0.005 else f"{share:.0%}"


def lift_text(value: float | None) -> str:
    return "-" if value is None else format_lift(value)


def number_text(value: float | int | None) -> str:
    if value is None:
        return "-"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def strength(attribute: Attribute) -> str:
    """The usual reading of IV in scorecard practice."""
    iv = attribute.iv
    if iv < WEAK_IV:
        return "not predictive"
    if attribute.chance:
        return "chance?"
    if iv < 0.1:
        return "weak"
    if iv < 0.3:
        return "medium"
    if iv < 0.5:
        return "strong"
    return "very strong"


def values_text(column: ColumnProfile) -> str:
    """What a column holds, in one line."""
    if column.numbers is not None:
        n = column.numbers
        return (
            f"min {number_text(n['min'])} · median {number_text(n['median'])} · "
            f"max {number_text(n['max'])} (mean {number_text(n['mean'])})"
        )
    if column.dates is not None:
        return f"{column.dates['min']} to {column.dates['max']}"
    if column.id_like:
        return "id-like: nearly every value is distinct"
    tops = [f"{t['value']!r} {whole_percent(t['share'])}" for t in column.top[:TOP_SHOWN]]
    return ", ".join(tops) if tops else "-"


def finding_examples(finding: Finding) -> str:
    parts = []
    for index, example in enumerate(finding.examples):
        shown = example if finding.kind == "mixed_spelling" else repr(example)
        if index < len(finding.rows):
            shown += f" (row {finding.rows[index]:,})"
        parts.append(shown)
    return "; ".join(parts)


def headline(profile: Profile) -> str:
    text = (
        f"Profiled {counted(profile.rows, 'row')} and "
        f"{len(profile.columns)} {noun_for(len(profile.columns), 'column')} of {profile.input}"
        f" in {profile.seconds:.2f} s"
    )
    if profile.model:
        text += (
            f"; the fields of model {profile.model['name']} {profile.model['version']} come "
            "first, read the way it reads them (*)"
        )
    return text


def base_rate_text(icp: Icp) -> str:
    positive = f" ({', '.join(icp.positive)})" if icp.positive else ""
    text = (
        f"{icp.target}{positive}: {icp.base_rate:.1%} of {counted(icp.rows, 'lead')} converted "
        f"({icp.positives:,} converted, {icp.negatives:,} not)"
    )
    if icp.missing:
        are = noun_for(icp.missing, "is", "are")
        text += f"; {counted(icp.missing, 'lead')} with no outcome {are} left out"
    return text


def leakage_lines(icp: Icp) -> list[str]:
    return [
        f"{item['attribute']} nearly decides the outcome ({item['reason']}): {LEAKAGE_ADVICE}"
        for item in icp.leakage
    ]


def weak_text(icp: Icp) -> str:
    """The attributes under WEAK_IV, named as `strength` reads that IV."""
    return f"Not predictive (IV < {WEAK_IV:g}), better left out of a model: " + (
        ", ".join(icp.weak) if icp.weak else "none"
    )


def chance_text(icp: Icp) -> str | None:
    """The attributes whose IV reads as a signal though their bins differ by chance."""
    if not icp.chance:
        return None
    p_values = {a.name: a.p_value for a in icp.attributes}
    named = [f"{name} (p = {p_values[name]:.2f})" for name in icp.chance]
    return (
        f"Could be chance (their values convert no more apart than chance would make "
        f"them, p > {CHANCE_P:g}; fit leaves such columns out): " + ", ".join(named)
    )


def skipped_text(icp: Icp, quote: Callable[[str], str] = str) -> str:
    """The columns the profile did not analyse as attributes, each with its reason."""
    skipped = [f"{quote(s['column'])} ({s['reason']})" for s in icp.skipped]
    return "Not analysed: " + ", ".join(skipped)


def best_bin(attribute: Attribute) -> str:
    if not attribute.bins:
        return "-"
    top = max(attribute.bins, key=lambda b: (abs(b.woe) * b.count, -b.count))
    return f"{top.label}: {percent(top.rate)} ({lift_text(top.lift)}, n={top.count:,})"


def rule_note(rule: RuleCheck) -> str:
    if rule.flag:
        return "wrong way"
    if rule.fired == 0:
        return "never fires"
    if rule.rate_not_fired is None:
        return "fires on every lead"
    return ""


# --- terminal ----------------------------------------------------------------------------


def columns_table(profile: Profile) -> Table:
    table = new_table(
        "Columns",
        (
            ("column", "left"),
            ("type", "left"),
            ("missing", "right"),
            ("distinct", "right"),
            ("values", "left"),
        ),
    )
    for column in profile.columns:
        name = column.name + (" *" if column.in_model else "")
        if column.source != column.name:
            name += f" ({column.source})"
        table.add_row(
            name,
            column.type,
            f"{column.null_share:.1%}",
            f"{column.distinct:,}",
            Text(values_text(column), overflow="ellipsis", no_wrap=True),
        )
    return table


def findings_table(findings: Iterable[Finding]) -> Table:
    table = new_table(
        "Data quality",
        (("column", "left"), ("problem", "left"), ("count", "right"), ("examples", "left")),
    )
    for finding in findings:
        table.add_row(
            finding.column,
            KIND_TEXT.get(finding.kind, finding.kind),
            f"{finding.count:,}",
            finding_examples(finding),
        )
    return table


def attributes_table(icp: Icp) -> Table:
    table = new_table(
        "Attributes by information value",
        (
            ("attribute", "left"),
            ("IV", "right"),
            ("strength", "left"),
            ("bins", "right"),
            ("most telling bin", "left"),
        ),
    )
    for attribute in icp.attributes:
        label = strength(attribute)
        style = "yellow" if attribute.leakage else ("dim" if attribute.weak else "")
        if attribute.leakage:
            label = "leakage?"
        table.add_row(
            attribute.name,
            f"{attribute.iv:.3f}",
            label,
            str(len(attribute.bins)),
            best_bin(attribute),
            style=style,
        )
    return table


def rules_table(rules: Sequence[RuleCheck], as_of: str | None) -> Table:
    title = "Rules against history" + (f" (as of {as_of})" if as_of else "")
    table = new_table(
        title,
        (
            ("rule", "left"),
            ("points", "right"),
            ("fired", "right"),
            ("conv. fired", "right"),
            ("conv. not", "right"),
            ("lift", "right"),
            ("", "left"),
        ),
    )
    for rule in rules:
        table.add_row(
            rule.name,
            "lookup" if rule.points is None else f"{rule.points:+g}",
            f"{rule.fired:,} ({whole_percent(rule.fired_share)})",
            percent(rule.rate_fired),
            percent(rule.rate_not_fired),
            lift_text(rule.lift),
            Text(rule_note(rule), style="yellow" if rule.flag else ""),
        )
    return table


def icp_parts(icp: Icp) -> list[RenderableType]:
    parts: list[RenderableType] = [Text("Ideal customer profile", style="bold")]
    parts.append(Text(base_rate_text(icp)))
    for line in icp.warnings + leakage_lines(icp):
        parts.append(Text(f"warning: {line}", style="yellow"))
    parts.append(Text(""))
    parts.append(Text("Strongest signals", style="bold"))
    for signal in icp.signals.get("positive", []):
        parts.append(Text(f"  + {signal.text}", style="green"))
    for signal in icp.signals.get("negative", []):
        parts.append(Text(f"  - {signal.text}", style="red"))
    if not any(icp.signals.values()):
        parts.append(Text("  none with enough support"))
    parts += [Text(""), Text(weak_text(icp))]
    if chance := chance_text(icp):
        parts.append(Text(chance))
    if icp.skipped:
        parts.append(Text(skipped_text(icp)))
    parts += [Text(""), attributes_table(icp)]
    return parts


def render_profile(console: Console, profile: Profile) -> None:
    """The terminal report (stderr): columns, problems, then ICP and rules when asked."""
    parts: list[RenderableType] = [Text(headline(profile)), Text(""), columns_table(profile)]
    parts.append(Text(""))
    if profile.findings:
        parts.append(findings_table(profile.findings))
    else:
        parts.append(Text("No data quality problems found."))
    if profile.icp is not None:
        parts += [Text(""), *icp_parts(profile.icp)]
    if profile.rules is not None:
        parts += [Text(""), rules_table(profile.rules, profile.as_of)]
        for rule in profile.rules:
            if rule.flag:
                parts.append(Text(f"warning: rule {rule.name}: {rule.flag}", style="yellow"))
    console.print(Group(*parts))


# --- Markdown ----------------------------------------------------------------------------


def cell(value: object) -> str:
    """Text safe inside a Markdown table cell."""
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def md_table(headers: Sequence[str], rows: Iterable[Sequence[object]], right: str = "") -> str:
    """A pipe table; columns whose header is in `right` are right-aligned."""
    lines = [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join("---:" if h in right.split(",") else "---" for h in headers) + " |",
    ]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def md_columns(profile: Profile) -> str:
    rows = []
    for c in profile.columns:
        name = f"`{c.name}`" + (" *" if c.in_model else "")  # a lone * is not emphasis
        if c.source != c.name:
            name += f" (`{c.source}`)"
        markers = ", ".join(f"{k!r} {v:,}" for k, v in c.null_markers.items())
        rows.append(
            (name, c.type, f"{c.null_share:.1%}", markers, f"{c.distinct:,}", values_text(c))
        )
    headers = ("column", "type", "missing", "null markers", "distinct", "values")
    return md_table(headers, rows, right="missing,distinct")


def md_findings(findings: Sequence[Finding]) -> str:
    if not findings:
        return "No data quality problems found."
    rows = [
        (
            f"`{f.column}`",
            KIND_TEXT.get(f.kind, f.kind),
            f"{f.count:,}",
            f.message,
            finding_examples(f),
        )
        for f in findings
    ]
    return md_table(("column", "problem", "count", "detail", "examples"), rows, right="count")


def md_icp(icp: Icp) -> list[str]:
    out = ["## Ideal customer profile", "", base_rate_text(icp) + ".", ""]
    out += [f"**Warning: {line}.**\n" for line in icp.warnings]
    if icp.leakage:
        out += ["### Possible target leakage", ""]
        out += [f"- **{line}**" for line in leakage_lines(icp)]
        out.append("")
    out += ["### Strongest signals", ""]
    signals = [f"- {s.text}" for s in icp.signals.get("positive", [])]
    signals += [f"- {s.text}" for s in icp.signals.get("negative", [])]
    out += signals or ["None with enough support."]
    out += ["", "### Not predictive attributes", "", weak_text(icp) + ".", ""]
    if chance := chance_text(icp):
        out += [f"{chance}.", ""]
    out += ["### Attributes by information value", ""]
    rows = [
        (
            f"`{a.name}`",
            f"{a.iv:.3f}",
            "leakage?" if a.leakage else strength(a),
            len(a.bins),
            best_bin(a),
        )
        for a in icp.attributes
    ]
    out += [
        md_table(
            ("attribute", "IV", "strength", "bins", "most telling bin"), rows, right="IV,bins"
        ),
        "",
    ]
    for a in icp.attributes:
        if a.weak:
            continue
        out += [f"#### `{a.name}` (IV {a.iv:.3f})", ""]
        bins = sorted(a.bins, key=lambda b: -abs(b.iv))[:BINS_SHOWN]
        out.append(
            md_table(
                ("bin", "leads", "converted", "rate", "lift", "WoE", "IV"),
                [
                    (
                        b.label,
                        f"{b.count:,}",
                        f"{b.positives:,}",
                        percent(b.rate),
                        lift_text(b.lift),
                        f"{b.woe:+.3f}",
                        f"{b.iv:.4f}",
                    )
                    for b in bins
                ],
                right="leads,converted,rate,lift,WoE,IV",
            )
        )
        out.append("")
    if icp.skipped:
        out += [skipped_text(icp, lambda name: f"`{name}`") + ".", ""]
    return out


def md_rules(rules: Sequence[RuleCheck], as_of: str | None) -> list[str]:
    title = "## Rules against history" + (f" (as of {as_of})" if as_of else "")
    rows = [
        (
            f"`{r.name}`",
            "lookup" if r.points is None else f"{r.points:+g}",
            f"{r.fired:,} ({whole_percent(r.fired_share)})",
            percent(r.rate_fired),
            percent(r.rate_not_fired),
            lift_text(r.lift),
            rule_note(r),
        )
        for r in rules
    ]
    headers = ("rule", "points", "fired", "conv. fired", "conv. not fired", "lift", "note")
    out = [title, "", md_table(headers, rows, right="points,fired,conv. fired"), ""]
    flags = [f"- **{r.name}**: {r.flag}" for r in rules if r.flag]
    return out + ([*flags, ""] if flags else [])


def render_markdown(profile: Profile) -> str:
    """A report to paste into a wiki page."""
    out = [f"# Profile of `{profile.input}`", "", headline(profile) + ".", ""]
    out += ["## Columns", "", md_columns(profile), ""]
    out += ["## Data quality", "", md_findings(profile.findings), ""]
    if profile.icp is not None:
        out += md_icp(profile.icp)
    if profile.rules is not None:
        out += md_rules(profile.rules, profile.as_of)
    return "\n".join(out).rstrip() + "\n"
