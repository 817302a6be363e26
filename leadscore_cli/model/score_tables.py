"""The tables read after the rules: caps on points, tiers, grading and handoff.

They need the rules' categories (caps, grading) or the tiers (handoff), so the
loader reads them once `[[rules]]` is parsed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any

from leadscore_cli.model.problems import (
    NAME_PATTERN,
    RULE_ONLY_KEYS,
    Problems,
    did_you_mean,
    is_number,
    misplaced_hint,
    name_problem,
    number_value,
    shown,
    string_list,
    unquoted,
)
from leadscore_cli.model.schema import TOTAL, GradeBand, Grading, Limits, Tier

LIMIT_KEYS = ("min", "max")
GRADING_KEYS = ("categories", "bands", "plus_minus", "scale")
HANDOFF_KEYS = ("tiers",)
DEFAULT_GRADE_BANDS = (("A", 80.0), ("B", 60.0), ("C", 40.0), ("D", 20.0), ("F", 0.0))
GRADE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


def parse_caps(data: Mapping[str, Any], categories: tuple[str, ...], problems: Problems):
    caps: list[tuple[str, Limits]] = []
    allowed = (*categories, TOTAL)
    for name, raw in data.items():
        path = f"caps.{name}"
        if name in LIMIT_KEYS and name not in allowed:  # [caps] max = 100: a limit of what?
            problems.add(path, cap_without_category(name, raw))
            continue
        if name not in allowed:
            problems.add(path, f"no rule has category {name!r}{did_you_mean(name, allowed)}")
            continue
        if not isinstance(raw, dict):
            problems.add(path, "must be a table { min = ..., max = ... }" + limit_hint(name, raw))
            continue
        problems.unknown_keys(raw, LIMIT_KEYS, path)
        low = number_value(raw, "min", path, problems)
        high = number_value(raw, "max", path, problems)
        if low is not None and high is not None and low > high:
            problems.add(path, f"min ({shown(low)}) is above max ({shown(high)})")
        caps.append((name, Limits(min=low, max=high)))
    return tuple(caps)


def cap_without_category(key: str, value: Any) -> str:
    """A limit written straight under [caps] caps nothing: say how to name what it caps."""
    limit = shown(value) if is_number(value) else "..."
    return (
        f"a cap names what it limits: for the total of all categories write "
        f"total = {{ {key} = {limit} }}, for one category e.g. fit = {{ {key} = {limit} }}"
    )


def limit_hint(name: str, value: Any) -> str:
    """`fit = 50` under [caps], as a scoring tool's "score limit": a maximum."""
    if not is_number(value):
        return ""
    return f" (for at most {shown(value)} points, write {name} = {{ max = {shown(value)} }})"


def parse_tiers(data: Any, problems: Problems) -> tuple[Tier, ...]:
    if data is None:
        return ()
    if not isinstance(data, dict) or not data:
        problems.add("tiers", "must be a table of tier = lowest score, e.g. sql = 75")
        return ()
    tiers: list[Tier] = []
    for name, low in data.items():
        path = f"tiers.{name}"
        if name in RULE_ONLY_KEYS:  # not a tier named `points`: a rule lacking its header
            problems.add(path, "unknown key" + misplaced_hint(name, "tiers"))
            continue
        if not NAME_PATTERN.match(name):
            problems.add(path, f"a tier name {name_problem(name)}")
        if not is_number(low):
            problems.add(
                path,
                f"must be a number (the tier's lowest score), not {shown(low)}{unquoted(low)}"
                + misplaced_hint(name, "tiers", data),
            )
            continue
        if not 0 <= low <= 100:
            problems.add(path, f"{shown(low)} is outside the 0-100 score scale")
        tiers.append(Tier(name=name, min_score=float(low)))
    ordered = True
    for before, after in itertools.pairwise(tiers):
        if after.min_score >= before.min_score:
            ordered = False
            problems.add(
                f"tiers.{after.name}",
                f"tiers must be listed from highest to lowest with strictly falling scores "
                f"({shown(after.min_score)} is not below "
                f"{before.name} = {shown(before.min_score)})",
            )
    # Out of order, or with the last one unreadable, the lowest tier is not known yet.
    last_known = bool(tiers) and tiers[-1].name == list(data)[-1]
    if last_known and ordered and 0 < tiers[-1].min_score <= 100:
        problems.add(
            f"tiers.{tiers[-1].name}",
            f"the lowest tier must start at 0 so every lead gets a tier (set {tiers[-1].name} "
            f"= 0, or add a tier from 0 after it)",
        )
    return tuple(tiers)


def parse_grading(data: Any, categories: tuple[str, ...], problems: Problems) -> Grading | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        problems.add("grading", "must be a table")
        return None
    problems.unknown_keys(data, GRADING_KEYS, "grading")
    cats = data.get("categories", ["fit"])
    if isinstance(cats, str):
        cats = [cats]
    cat_tuple = string_list(cats, "grading.categories", problems)
    for cat in cat_tuple:
        if cat not in categories:
            problems.add(
                "grading.categories", f"no rule has category {cat!r}{did_you_mean(cat, categories)}"
            )
    scale = data.get("scale", "percent")
    if scale not in ("percent", "points"):
        problems.add("grading.scale", f"must be 'percent' or 'points', not {shown(scale)}")
        scale = "percent"
    raw_bands = data.get("bands", dict(DEFAULT_GRADE_BANDS))
    bands: list[GradeBand] = []
    if not isinstance(raw_bands, dict) or not raw_bands:
        problems.add("grading.bands", "must be a table of letter = lowest value, e.g. A = 80")
    else:
        for letter, low in raw_bands.items():
            if not GRADE_PATTERN.match(letter):
                problems.add(
                    f"grading.bands.{letter}",
                    "a grade is a letter, optionally followed by letters or digits (e.g. A, B2)",
                )
            if not is_number(low):
                problems.add(
                    f"grading.bands.{letter}", f"must be a number, not {shown(low)}{unquoted(low)}"
                )
                continue
            bands.append(GradeBand(letter=letter, min_score=float(low)))
    before_order = len(problems.items)
    for before, after in itertools.pairwise(bands):
        if after.min_score >= before.min_score:
            problems.add(
                f"grading.bands.{after.letter}",
                "bands must be listed from best to worst with strictly falling cutoffs",
            )
    if scale == "percent":
        complete = isinstance(raw_bands, dict) and len(bands) == len(raw_bands)
        ordered = complete and len(problems.items) == before_order
        check_percent_bands(tuple(bands), ordered, problems)
    plus_minus = data.get("plus_minus", False)
    if not isinstance(plus_minus, bool):
        problems.add("grading.plus_minus", "must be true or false")
        plus_minus = False
    return Grading(categories=cat_tuple, bands=tuple(bands), plus_minus=plus_minus, scale=scale)


def check_percent_bands(bands: tuple[GradeBand, ...], ordered: bool, problems: Problems) -> None:
    """Percent cutoffs lie on 0-100, and the lowest starts at 0: a lead below every cutoff
    would otherwise get the lowest letter without having earned it."""
    for band in bands:
        if not 0 <= band.min_score <= 100:
            problems.add(
                f"grading.bands.{band.letter}",
                f"{shown(band.min_score)} is outside the 0-100 percent scale (cutoffs are percents "
                f"of the graded categories' attainable range; for raw points set "
                f'scale = "points")',
            )
    lowest = bands[-1] if bands else None
    if ordered and lowest is not None and 0 < lowest.min_score <= 100:
        example = "" if any(band.letter == "F" for band in bands) else ", e.g. F = 0"
        problems.add(
            f"grading.bands.{lowest.letter}",
            f"the lowest band must start at 0 so every lead gets a letter: set "
            f"{lowest.letter} = 0, or add a band after {lowest.letter} that starts at 0{example}",
        )


def parse_handoff(data: Any, tiers: tuple[Tier, ...], problems: Problems) -> tuple[str, ...]:
    if data is None:
        return ()
    if not isinstance(data, dict):
        problems.add("handoff", "must be a table { tiers = [...] }")
        return ()
    problems.unknown_keys(data, HANDOFF_KEYS, "handoff")
    raw = data.get("tiers", [])
    if isinstance(raw, str):
        problems.add("handoff.tiers", f"must be a list of tier names: write [{shown(raw)}]")
        raw = []
    names = string_list(raw, "handoff.tiers", problems)
    known = tuple(t.name for t in tiers)
    if names and not known:
        problems.add(
            "handoff.tiers",
            "names tiers, but [tiers] defines none: add [tiers] (e.g. sql = 75, mql = 50, "
            "cold = 0), or drop [handoff]",
        )
        return names
    for name in names:
        if name not in known:
            problems.add("handoff.tiers", f"unknown tier {name!r}{did_you_mean(name, known)}")
    return names
