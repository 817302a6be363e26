"""The engine against docs/model.md, read literally: a second, plain-Python scorer.

`reference_scores` works through one lead at a time the way the model reference
describes it (cells read, conditions, lookups, decay, caps, scale, the `reasons` of
--explain, tier, grade and priority), with no polars and no code shared with the engine.
Generated models and messy exports must come out the same in both, so a change to the
engine that drifts from the documented meaning fails here, whichever part it touches.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from dataclasses import dataclass
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_properties import (
    AS_OF,
    SETTINGS,
    build,
    day_leaf,
    days_ago,
    flag_leaf,
    number_leaf,
    scoring_models,
    text_leaf,
)

MANY = settings(SETTINGS, max_examples=400)

MARKERS = {m.lower() for m in ("", "N/A", "NA", "n/a", "null", "NULL", "None", "-", "Select")}
TRUE_SPELLINGS = {"true", "t", "yes", "y", "1"}
FALSE_SPELLINGS = {"false", "f", "no", "n", "0"}
NUMBER_JUNK = " $€£¥₹,_'"
AUTO_DATE = re.compile(
    r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?)?", re.ASCII
)


# ------------------------------------------------------------------ the data

CELLS = {
    "num": [
        *("", "N/A", "0", "5", "12.5", "-3", "$1,200", "(40)", "abc", "1e3", "99", "2000"),
        *(" 1 200 ", "€5", "1'000", "£(12)", "NaN", "inf", "-0", "1_000.5", "+7", ".5", "20."),
    ],
    "txt": [
        *("", "cto", "CTO ", "VP Sales", "intern", "Software", "retail", "n/a", "café", "a.b"),
        *("  intern  ", "Vice VP", "CAFÉ", "retail store", "sales", "Select", "xcto", "A.B."),
    ],
    "flag": ["", "yes", "no", "TRUE", "0", "maybe", "Y", " yes ", "T", "f", "1", "N", "null"],
}
DATE_FORMS = ("{:%Y-%m-%d}", "{:%Y/%m/%d}", "{0.year}-{0.month}-{0.day}", "{:%Y-%m-%dT10:00:00}")
DATE_FORMS += ("{:%Y-%m-%d 23:59:59.5}",)
DAY_OFFSETS = (-10, 0, 1, 7, 30, 31, 44, 90, 179, 180, 181, 365, 900)


def leaves(condition: dict[str, Any]) -> list[dict[str, Any]]:
    for key in ("all", "any"):
        if key in condition:
            return [leaf for item in condition[key] for leaf in leaves(item)]
    return leaves(condition["not"]) if "not" in condition else [condition]


def edges(doc: dict[str, Any]) -> tuple[list[float], list[dt.date]]:
    """The numbers and days a model compares with: cells on and beside them find the
    off-by-one mistakes (an included end taken as excluded) that random cells miss."""
    numbers: list[float] = []
    days: list[dt.date] = []
    for rule in doc["rules"]:
        for band in rule.get("bands", []):
            numbers += [band[end] for end in ("min", "max") if end in band]
        for leaf in leaves(rule["when"]) if "when" in rule else []:
            if "value" not in leaf:
                continue
            values = leaf["value"]
            values = values if isinstance(values, list) else [values]
            if leaf["field"] == "num":
                numbers += values
            elif leaf["op"] in ("within_days", "older_than_days"):
                days += [AS_OF - dt.timedelta(days=v) for v in values]
            elif leaf["field"] == "day":
                days += [toml_date(v) for v in values]
    return numbers, days


def number_cells(numbers: list[float]) -> st.SearchStrategy[str]:
    near = st.sampled_from(numbers or [0]).flatmap(
        lambda v: st.sampled_from([v, v - 1, v + 1, v - 0.01, v + 0.01])
    )
    written = near.flatmap(
        lambda v: st.sampled_from([repr(v), f"${v:,.2f}", f"({-v})" if v < 0 else f" {v} "])
    )
    return st.sampled_from(CELLS["num"]) | written


@st.composite
def date_cells(draw: st.DrawFn, days: list[dt.date]) -> str:
    """A date near the as-of date or the model's own, in a form read without a `format`,
    or junk."""
    if draw(st.integers(0, 5)) == 0:
        return draw(st.sampled_from(["", "garbage", "26-03-04", "2026-13-01", "N/A", " - "]))
    if days and draw(st.integers(0, 3)):
        day = draw(st.sampled_from(days)) + dt.timedelta(days=draw(st.integers(-1, 1)))
    else:
        day = dt.date.fromisoformat(days_ago(draw(st.sampled_from(DAY_OFFSETS))))
    return draw(st.sampled_from(DATE_FORMS)).format(day)


@st.composite
def messy_exports(draw: st.DrawFn, doc: dict[str, Any]) -> pl.DataFrame:
    """Export cells as CRMs write them, many on or next to the values `doc` tests."""
    numbers, days = edges(doc)
    rows = draw(st.integers(min_value=1, max_value=25))
    cells = {
        "num": number_cells(numbers),
        "txt": st.sampled_from(CELLS["txt"]),
        "flag": st.sampled_from(CELLS["flag"]),
        "day": date_cells(days),
    }
    columns: dict[str, list[str]] = {"id": [f"L{i:03d}" for i in range(rows)]}
    for name, strategy in cells.items():
        columns[name] = draw(st.lists(strategy, min_size=rows, max_size=rows))
    return pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))


# Single leaves in a category of their own, without a cap: whether one fires shows in
# `score_edge` whatever the rest of the model does.
edge_rules = st.lists(
    st.builds(
        lambda points, when: {"category": "edge", "points": points, "when": when},
        st.integers(min_value=1, max_value=50),
        st.one_of(number_leaf(), day_leaf(), text_leaf(), flag_leaf()),
    ),
    min_size=1,
    max_size=3,
)


@st.composite
def tolerant_models(draw: st.DrawFn) -> dict[str, Any]:
    """Generated models whose fields count unreadable cells as missing (`on_invalid`)."""
    doc = draw(scoring_models())
    for spec in doc["fields"].values():
        spec["on_invalid"] = "null"
    extra = draw(edge_rules)
    count = len(doc["rules"])
    doc["rules"] += [{"name": f"r{count + i}", **rule} for i, rule in enumerate(extra)]
    doc["tiers"] = draw(tier_tables())
    categories = list(dict.fromkeys(rule["category"] for rule in doc["rules"]))
    doc["grading"] = draw(gradings(categories))
    return doc


@st.composite
def tier_tables(draw: st.DrawFn) -> dict[str, float]:
    cuts = draw(st.sets(st.integers(min_value=1, max_value=99), max_size=3))
    names = ["hot", "warm", "mql"][: len(cuts)]
    return {**dict(zip(names, sorted(cuts, reverse=True), strict=True)), "cold": 0}


@st.composite
def gradings(draw: st.DrawFn, categories: list[str]) -> dict[str, Any]:
    scale = draw(st.sampled_from(["percent", "points"]))
    bottom = 0 if scale == "percent" else draw(st.integers(min_value=-40, max_value=40))
    cuts = draw(st.sets(st.integers(min_value=bottom + 1, max_value=99), min_size=1, max_size=4))
    letters = ["A", "B", "C", "D"][: len(cuts)]
    return {
        "categories": draw(st.lists(st.sampled_from(categories), min_size=1, unique=True)),
        "scale": scale,
        "plus_minus": draw(st.booleans()),
        "bands": {**dict(zip(letters, sorted(cuts, reverse=True), strict=True)), "F": bottom},
    }


# ------------------------------------------------------------ reading cells


def read_text(cell: str | None) -> str | None:
    if cell is None or cell.strip().lower() in MARKERS:
        return None
    return cell.strip()


def read_number(cell: str | None) -> float | None:
    text = read_text(cell)
    if text is None:
        return None
    digits = "".join(ch for ch in text if ch not in NUMBER_JUNK)
    sign = 1.0
    if len(digits) >= 2 and digits[0] == "(" and digits[-1] == ")":
        sign, digits = -1.0, digits[1:-1]
    try:
        value = sign * float(digits)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_bool(cell: str | None) -> bool | None:
    text = read_text(cell)
    if text is None:
        return None
    if text.lower() in TRUE_SPELLINGS:
        return True
    return False if text.lower() in FALSE_SPELLINGS else None


def read_date(cell: str | None) -> dt.date | None:
    text = read_text(cell)
    found = AUTO_DATE.fullmatch(text) if text is not None else None
    if found is None:
        return None
    year, _, month, day = found.groups()[:4]
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


READERS = {"num": read_number, "txt": read_text, "flag": read_bool, "day": read_date}


def age(day: dt.date) -> int:
    return (AS_OF - day).days


def toml_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


# --------------------------------------------------------------- conditions


def text_holds(leaf: dict[str, Any], cell: str) -> bool:
    op, value = leaf["op"], leaf.get("value")
    folded = (lambda s: s) if leaf.get("case_sensitive") else (lambda s: s.lower())
    listed = value if isinstance(value, list) else [value]
    if op in ("eq", "ne", "in", "not_in"):
        inside = folded(cell) in {folded(v.strip()) for v in listed}
        return inside if op in ("eq", "in") else not inside
    if op == "contains":
        return any(folded(v) in folded(cell) for v in listed)
    if op == "starts_with":
        return any(folded(cell).startswith(folded(v)) for v in listed)
    if op == "ends_with":
        return any(folded(cell).endswith(folded(v)) for v in listed)
    assert op == "matches", op
    flags = 0 if leaf.get("case_sensitive") else re.IGNORECASE
    return re.search(value, cell, flags) is not None


def ordered_holds(op: str, cell: Any, value: Any) -> bool:
    if op in ("eq", "ne", "in", "not_in"):
        inside = cell in (value if isinstance(value, list) else [value])
        return inside if op in ("eq", "in") else not inside
    if op == "between":
        return value[0] <= cell <= value[1]
    return {
        "gt": cell > value,
        "gte": cell >= value,
        "lt": cell < value,
        "lte": cell <= value,
    }[op]


def leaf_holds(leaf: dict[str, Any], lead: dict[str, Any]) -> bool:
    op, cell = leaf["op"], lead[leaf["field"]]
    if op in ("is_null", "not_null"):
        return (cell is None) == (op == "is_null")
    if cell is None:
        return False
    if leaf["field"] == "txt":
        return text_holds(leaf, cell)
    value = leaf["value"]
    if leaf["field"] == "day":
        if op == "within_days":
            return age(cell) <= value
        if op == "older_than_days":
            return age(cell) > value
        value = [toml_date(v) for v in value] if isinstance(value, list) else toml_date(value)
    return ordered_holds(op, cell, value)


def holds(condition: dict[str, Any], lead: dict[str, Any]) -> bool:
    if "all" in condition:
        return all(holds(c, lead) for c in condition["all"])
    if "any" in condition:
        return any(holds(c, lead) for c in condition["any"])
    if "not" in condition:
        return not holds(condition["not"], lead)
    return leaf_holds(condition, lead)


# -------------------------------------------------------------------- points


def decay_factor(decay: dict[str, Any] | None, lead: dict[str, Any]) -> float:
    if decay is None:
        return 1.0
    day = lead[decay["field"]]
    if day is None:
        return 1.0 if decay.get("if_missing", "full") == "full" else 0.0
    days = max(0, age(day))
    if "half_life_days" in decay:
        return 0.5 ** (days / decay["half_life_days"])
    return max(0.0, 1.0 - days / decay["lifespan_days"])


def lookup_points(rule: dict[str, Any], cell: Any) -> float:
    if cell is None:
        return rule.get("missing", 0)
    if "map" in rule:
        if rule.get("case_sensitive"):
            keys = {key.strip(): points for key, points in rule["map"].items()}
            return keys.get(cell, rule.get("default", 0))
        keys = {key.strip().lower(): points for key, points in rule["map"].items()}
        return keys.get(cell.lower(), rule.get("default", 0))
    for band in rule["bands"]:
        if band.get("min", -math.inf) <= cell < band.get("max", math.inf):
            return band["points"]
    return rule.get("default", 0)


def rule_points(rule: dict[str, Any], lead: dict[str, Any]) -> float:
    if "when" in rule:
        points = rule["points"] if holds(rule["when"], lead) else 0
    else:
        points = lookup_points(rule, lead[rule["field"]])
    return points * decay_factor(rule.get("decay"), lead)


def clamped(value: float, limits: dict[str, float] | None) -> float:
    limits = limits or {}
    return min(max(value, limits.get("min", -math.inf)), limits.get("max", math.inf))


def rule_range(rule: dict[str, Any]) -> tuple[float, float]:
    """What one rule can add, as docs/model.md's `rescale` paragraph counts it."""
    if "when" in rule:
        values = [0, rule["points"]]
    else:
        listed = rule["map"].values() if "map" in rule else [b["points"] for b in rule["bands"]]
        values = [*listed, rule.get("default", 0), rule.get("missing", 0)]
        if "decay" in rule:
            values.append(0)
    return min(values), max(values)


def attainable(doc: dict[str, Any], categories: list[str]) -> tuple[float, float]:
    caps = doc.get("caps", {})
    low = high = 0.0
    for category in categories:
        ranges = [rule_range(r) for r in doc["rules"] if r["category"] == category]
        low += clamped(sum(r[0] for r in ranges), caps.get(category))
        high += clamped(sum(r[1] for r in ranges), caps.get(category))
    return clamped(low, caps.get("total")), clamped(high, caps.get("total"))


@dataclass
class Reference:
    """One lead as docs/model.md scores it: unrounded figures, and every contribution
    `--explain` lists, in entry order (rules in model order, then the caps)."""

    figures: dict[str, float]
    entries: list[tuple[str, float]]
    exact: set[str]  # entries whose points are a literal of the model, not a product


def reference_scores(doc: dict[str, Any], cells: dict[str, str | None]) -> Reference:
    lead = {name: READERS[name](cells[name]) for name in READERS}
    categories = list(dict.fromkeys(rule["category"] for rule in doc["rules"]))
    caps = doc.get("caps", {})
    points = [rule_points(rule, lead) for rule in doc["rules"]]
    entries = [(rule["name"], p) for rule, p in zip(doc["rules"], points, strict=True)]
    exact = {rule["name"] for rule in doc["rules"] if "decay" not in rule}
    subtotals = {}
    for category in categories:
        raw = sum(p for r, p in zip(doc["rules"], points, strict=True) if r["category"] == category)
        subtotals[f"score_{category}"] = clamped(raw, caps.get(category))
        if category in caps:
            entries.append((f"cap:{category}", subtotals[f"score_{category}"] - raw))
    uncapped = sum(subtotals.values())
    total = clamped(uncapped, caps.get("total"))
    if "total" in caps:
        entries.append(("cap:total", total - uncapped))
    if doc["model"]["scale"] == "rescale":
        low, high = attainable(doc, categories)
        score = min(100.0, max(0.0, (total - low) / (high - low) * 100))
    else:
        score = min(100.0, max(0.0, total))
        entries.append(("cap:scale", score - total))
    return Reference({"score": score, **subtotals}, entries, exact)


# ---------------------------------------------------------------- the check

HALF_CENT = 0.005
# Both sides round to 2 decimals; they may part on a .xx5 that floating point holds a
# hair above or below.
ROUNDING = HALF_CENT + 1e-4


def engine_scores(doc: dict[str, Any], data: pl.DataFrame) -> pl.DataFrame:
    from leadscore_cli.scoring import plan_scoring

    plan = plan_scoring(
        data.lazy(), build(doc), as_of=AS_OF, source_name="leads.csv", explain=True, grade=True
    )
    return plan.output.collect()


def category_range(doc: dict[str, Any], category: str) -> tuple[float, float]:
    ranges = [rule_range(r) for r in doc["rules"] if r["category"] == category]
    cap = doc.get("caps", {}).get(category)
    return clamped(sum(r[0] for r in ranges), cap), clamped(sum(r[1] for r in ranges), cap)


def letter_cuts(doc: dict[str, Any]) -> list[tuple[str, float]]:
    """The grading bands best first, each cut in thirds (A+, A, A-) with `plus_minus`,
    the top one up to 100 (percent) or the most points the graded categories reach."""
    grading = doc["grading"]
    bands = list(grading["bands"].items())
    if not grading["plus_minus"]:
        return bands
    most = sum(category_range(doc, c)[1] for c in grading["categories"])
    cuts = []
    for index, (letter, low) in enumerate(bands):
        if index == len(bands) - 1:
            cuts.append((letter, low))
            continue
        top = bands[index - 1][1] if index else 100 if grading["scale"] == "percent" else most
        step = (max(top, low) - low) / 3
        cuts += [(letter + "+", low + 2 * step), (letter, low + step), (letter + "-", low)]
    return cuts


def check_grade(doc: dict[str, Any], scored: dict[str, Any]) -> None:
    """Tier from the score, grade from the rounded graded subtotals, priority from both."""
    tiers = list(doc["tiers"].items())
    tier = next(name for name, low in tiers if scored["score"] >= low)
    assert scored["tier"] == tier, (scored["score"], scored["tier"], tiers)
    grading = doc["grading"]
    points = sum(scored[f"score_{c}"] for c in grading["categories"])
    basis = points
    if grading["scale"] == "percent":
        bounds = [category_range(doc, c) for c in grading["categories"]]
        low, high = sum(b[0] for b in bounds), sum(b[1] for b in bounds)
        span = high - low if high > low else 1.0
        basis = min(100.0, max(0.0, (points - low) / span * 100))
    cuts = letter_cuts(doc)
    if any(abs(basis - round(cut, 2)) < 0.006 for _, cut in cuts):
        return  # the two sides round a basis this close to a cutoff each their own way
    grade = next((letter for letter, cut in cuts if basis >= round(cut, 2)), cuts[-1][0])
    assert scored["grade"] == grade, (basis, scored["grade"], grade, cuts)
    rank = [name for name, _ in tiers].index(tier) + 1
    assert scored["priority"] == f"{grade.rstrip('+-')}{rank}", scored["priority"]


def listed(reasons: str) -> list[tuple[str, float]]:
    """`r3 +12; cap:fit -2.5` as (label, points) pairs."""
    pairs = [entry.rsplit(" ", 1) for entry in reasons.split("; ")] if reasons else []
    return [(label, float(points)) for label, points in pairs]


def check_reasons(shown: list[tuple[str, float]], reference: Reference) -> None:
    expected = dict(reference.entries)
    order = [label for label, _ in reference.entries]
    for label, points in shown:
        assert abs(points - expected[label]) <= ROUNDING, (label, points, expected[label])
    labels = [label for label, _ in shown]
    assert len(set(labels)) == len(labels), labels
    for label, points in reference.entries:
        if abs(points) > HALF_CENT + 1e-4:
            assert label in labels, (label, points, shown)
        elif abs(points) < HALF_CENT - 1e-4:
            assert label not in labels, (label, points, shown)
    for first, second in itertools.pairwise(labels):  # largest first, ties in model order
        big, small = abs(expected[first]), abs(expected[second])
        assert big >= small - 1e-9, (first, second, shown)
        if big == small and {first, second} <= reference.exact:
            assert order.index(first) < order.index(second), (first, second, shown)


@MANY
@given(doc=tolerant_models(), draw=st.data())
def test_engine_scores_as_the_model_reference_says(
    doc: dict[str, Any], draw: st.DataObject
) -> None:
    data = draw.draw(messy_exports(doc))
    result = engine_scores(doc, data)
    for cells, scored in zip(data.iter_rows(named=True), result.iter_rows(named=True), strict=True):
        reference = reference_scores(doc, cells)
        for column, value in reference.figures.items():
            assert abs(scored[column] - value) <= ROUNDING, (column, cells, scored[column], value)
        check_reasons(listed(scored["reasons"] or ""), reference)
        check_grade(doc, scored)


def test_the_reference_reads_cells_as_documented() -> None:
    """The second scorer's own reading, pinned, so that it cannot drift with the engine."""
    assert [read_number(c) for c in ["$1,200", "(40)", " 1 200 ", "£(12)", "1'000"]] == [
        1200.0,
        -40.0,
        1200.0,
        -12.0,
        1000.0,
    ]
    assert [read_number(c) for c in ["NaN", "inf", "abc", "N/A", ""]] == [None] * 5
    assert [read_bool(c) for c in [" yes ", "T", "N", "maybe", "null"]] == [
        True,
        True,
        False,
        None,
        None,
    ]
    assert read_date("2026-3-4") == dt.date(2026, 3, 4)
    assert read_date("2026/03/04") == dt.date(2026, 3, 4)
    assert read_date("2026-03-04 23:59:59.5") == dt.date(2026, 3, 4)
    assert [read_date(c) for c in ["26-03-04", "2026-13-01", "2026-03/04", " - "]] == [None] * 4
    assert read_text("  intern  ") == "intern" and read_text("Select") is None
