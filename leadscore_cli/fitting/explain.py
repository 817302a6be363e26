"""Comments above each fitted rule: where each of its points values came from."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from leadscore_cli.icp import ANY_VALUE, MISSING, OTHER, rule_fields
from leadscore_cli.model.schema import Model
from leadscore_cli.summary import counted

if TYPE_CHECKING:
    from leadscore_cli.fitting.run import BinReport, FeatureReport

RULE_TABLE = "[[rules]]"
SHOWN_LEVELS = 3  # values named per group of a category; the map below lists them all


def explain_rules(text: str, model: Model, features: list[FeatureReport], base_rate: float) -> str:
    """Put each feature's explanation above the first rule that scores it.

    `text` is the model as `dumps_model` wrote it: every rule starts with a `[[rules]]`
    line, in the order of `model.rules` (no string in it spans lines).
    """
    by_field = {f.name: f for f in features}
    pending = {f.name for f in features}
    lines = text.split("\n")
    out: list[str] = []
    rules = iter(model.rules)
    for line in lines:
        if line == RULE_TABLE:
            # sorted: a set's order changes from run to run, the model file must not
            owner = next((f for f in sorted(rule_fields(next(rules))) if f in pending), None)
            if owner is not None:
                pending.discard(owner)
                lines = explanation(by_field[owner], base_rate)
                out += [f"# {comment_safe(c)}".rstrip() for c in lines]
        out.append(line)
    return "\n".join(out)


def comment_safe(text: str) -> str:
    """Text that stays on one TOML comment line: a value or header holding a line break or
    another control character (which TOML refuses in comments) shows it escaped, `\\n`."""
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if unicodedata.category(ch) in ("Cc", "Zl", "Zp")
        else ch
        for ch in text
    )


def explanation(feature: FeatureReport, base_rate: float) -> list[str]:
    """One line per bin: its points, its training leads and how often they converted."""
    lines = [f"{feature.name}, IV {feature.iv:.3f} (training base rate {base_rate:.1%}):"]
    for b in sorted(feature.bins, key=lambda b: -b.points):
        lines.append(f"  {b.points:>3}  {bin_name(feature, b)}: {evidence(b, base_rate)}")
    return lines


def bin_name(feature: FeatureReport, b: BinReport) -> str:
    if b.label == MISSING:
        return "missing"
    if b.label == OTHER:
        return "any other value"
    if b.label == ANY_VALUE:
        return "present"
    if feature.kind in ("category", "bool"):
        levels = b.label.split(", ")
        more = len(levels) - SHOWN_LEVELS
        return ", ".join(levels[:SHOWN_LEVELS]) + (f" and {more} more" if more > 0 else "")
    interval = "in " if b.label.startswith("[") else ""
    return ("days old " if feature.kind == "date" else "") + interval + b.label


def evidence(b: BinReport, base_rate: float) -> str:
    if b.rate is None or not b.leads:
        return "no training lead, so the mean of the rule's weights"
    lift = b.rate / base_rate if base_rate else 0.0
    return f"{counted(b.leads, 'lead')}, {b.rate:.1%} converted ({lift:.2f}x)"
