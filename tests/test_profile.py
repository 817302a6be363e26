"""`leadscore profile`: figures on small frames computed by hand, findings on the shipped
sample, the JSON schema, and the command's output and errors."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest

from leadscore_cli.errors import EXIT_DATA, EXIT_INPUT, EXIT_MODEL, EXIT_USAGE
from leadscore_cli.icp import Attribute
from leadscore_cli.model import parse_model
from leadscore_cli.profiling import Profile, ProfileOptions, profile_frame
from tests.conftest import AS_OF, B2B_MODEL, SAMPLE

SAMPLE_FRAME = pl.read_csv(SAMPLE, infer_schema=False)


def profiled(data: dict[str, list], model=None, **options) -> Profile:
    """Profile text columns, as a CSV export is read."""
    frame = pl.DataFrame(data, schema={name: pl.String for name in data})
    return profile_frame(frame.lazy(), ProfileOptions(**options), model, source_name="test")


def column(profile: Profile, name: str):
    return next(c for c in profile.columns if c.name == name)


def findings(profile: Profile, kind: str) -> dict:
    return {f.column: f for f in profile.findings if f.kind == kind}


def attribute(profile: Profile, name: str) -> Attribute:
    assert profile.icp is not None
    return next(a for a in profile.icp.attributes if a.name == name)


def by_hand(bins: dict[str, tuple[int, int]]) -> dict[str, dict[str, float]]:
    """WoE, IV and lift per bin from (leads, conversions), as docs/profile.md defines them."""
    positives = sum(pos for _, pos in bins.values())
    negatives = sum(n - pos for n, pos in bins.values())
    base = positives / (positives + negatives)
    out = {}
    for label, (n, pos) in bins.items():
        neg = n - pos
        woe = math.log(((pos + 0.5) / positives) / ((neg + 0.5) / negatives))
        out[label] = {
            "woe": woe,
            "iv": (pos / positives - neg / negatives) * woe,
            "lift": pos / n / base,
            "rate": pos / n,
        }
    return out


def repeat(*groups: tuple[object, int]) -> list:
    return [value for value, times in groups for _ in range(times)]


# --- columns -------------------------------------------------------------------------------


def test_null_markers_share_distinct_and_spellings():
    values = ["software", "N/A", "", None, "select", " software ", "SaaS", "-"]
    profile = profiled({"industry": values})
    industry = column(profile, "industry")
    assert industry.nulls == 5 and industry.null_share == pytest.approx(5 / 8)
    assert industry.null_markers == {"": 2, "N/A": 1, "select": 1, "-": 1}
    assert industry.distinct == 2  # "software" (trimmed) and "SaaS"
    assert industry.type == "string"
    assert findings(profile, "mostly_null")["industry"].count == 5
    spelled = findings(profile, "mixed_spelling")["industry"]
    assert spelled.count == 1  # one cell in the less common of two spellings
    assert "' software '" in spelled.examples[0] and "'software'" in spelled.examples[0]


def test_null_value_option_replaces_the_default_markers():
    profile = profiled({"c": ["N/A", "", None, "select", "-", "x"]}, null_values=("N/A",))
    assert column(profile, "c").nulls == 3
    assert column(profile, "c").distinct == 3  # select, -, x


def test_types_quartiles_and_mean():
    data = {
        "n": [str(i) for i in range(1, 101)],
        "f": [f"{i / 4}" for i in range(100)],
        "b": repeat(("Yes", 50), ("no", 49), ("", 1)),
        "d": [f"2026-01-{1 + i % 28:02d}" for i in range(100)],
        "s": repeat(("a", 60), ("b", 40)),
        "e": [None] * 100,
    }
    profile = profiled(data)
    types = {c.name: c.type for c in profile.columns}
    assert types == {
        "n": "int",
        "f": "float",
        "b": "bool",
        "d": "date",
        "s": "string",
        "e": "empty",
    }
    # sorted value at floor(q * (n - 1)): positions 24, 49, 74 of 1..100
    assert column(profile, "n").numbers == {
        "min": 1,
        "q1": 25,
        "median": 50,
        "q3": 75,
        "max": 100,
        "mean": 50.5,
    }
    assert column(profile, "d").dates == {"min": "2026-01-01", "max": "2026-01-28"}
    assert column(profile, "s").top == [
        {"value": "a", "count": 60, "share": 0.6},
        {"value": "b", "count": 40, "share": 0.4},
    ]


def test_number_findings_outliers_and_unreadable_values():
    data = {
        "revenue": ["$1,200", "1200", "(50)", "7", "8"] * 4,
        "visits": [str(i) for i in range(1, 21)] + ["10000"],
        "employees": [str(i) for i in range(19)] + ["abc"],
    }
    profile = profiled({k: v[:20] for k, v in data.items()} | {})
    as_text = findings(profile, "number_as_text")["revenue"]
    assert as_text.count == 8 and as_text.examples[:2] == ["$1,200", "(50)"]
    assert as_text.rows[:2] == [1, 3]
    unreadable = findings(profile, "unreadable")["employees"]
    assert unreadable.count == 1 and unreadable.examples == ["abc"] and unreadable.rows == [20]
    assert column(profile, "employees").type == "int"  # 19 of 20 read: 95%

    # 1..20 and 10000: quartiles 6, 11 and 16 sit evenly, so the fences are on the values
    # themselves: 10000 is far above 16 + 3 * (16 - 6) = 46
    outliers = findings(profiled({"visits": data["visits"]}), "outliers")["visits"]
    assert outliers.count == 1 and outliers.examples == ["10000"] and outliers.rows == [21]
    assert "above 46" in outliers.message
    # a long tail: quartiles 20, 40 and 80 sit evenly on ln(1+x), so the fences are there:
    # 1000 is within them (on the values it would be above 80 + 3 * 60), 10^7 is not
    tail = repeat(("10", 4), ("20", 4), ("40", 4), ("80", 4), ("160", 3), ("1000", 1))
    outliers = findings(profiled({"amount": [*tail, "10000000"]}), "outliers")["amount"]
    assert outliers.examples == ["10000000"]
    high = math.expm1(math.log(81) + 3 * (math.log(81) - math.log(21)))
    assert f"above {high:.3f}" in outliers.message


def test_duplicates_emails_constant_and_formula_cells():
    data = {
        "lead_id": ["L1", "L2", "L1", "L3", "L4", " L2", "L5", "L6", "L1", "L7"],
        "email": [
            "a@x.com",
            "A@X.com ",
            "b@y.org",
            "c@z.io",
            "bad@",
            "noat.com",
            None,
            "d@x.com",
            "e@x.com",
            "f@x.com",
        ],
        "source": ["web"] * 9 + [None],
        "company": ["=SUM(A1)", "+1 555", "-5", "@handle", "ok", "-", " =x", "a", "b", "c"],
    }
    profile = profiled(data)
    ids = findings(profile, "duplicate_id")["lead_id"]
    assert (ids.count, ids.examples, ids.rows) == (3, ["L1", "L2"], [1, 2])
    mails = findings(profile, "duplicate_email")["email"]
    assert (mails.count, mails.examples) == (1, ["a@x.com"])
    malformed = findings(profile, "malformed_email")["email"]
    assert (malformed.count, malformed.examples, malformed.rows) == (
        2,
        ["bad@", "noat.com"],
        [5, 6],
    )
    constant = findings(profile, "constant_column")["source"]
    assert constant.count == 9 and constant.examples == ["web"]
    formula = findings(profile, "formula")["company"]
    assert (formula.count, formula.rows) == (3, [1, 2, 4])  # not -5, "-" or " =x"


def test_a_column_with_unreadable_values_beside_one_value_is_not_constant():
    # 38 fives and two words: an int column (95% read) whose present values differ
    profile = profiled({"n": ["5"] * 19 + ["abc", "xyz"] + ["5"] * 19})
    assert column(profile, "n").type == "int"
    assert "n" not in findings(profile, "constant_column")
    assert findings(profile, "unreadable")["n"].count == 2
    assert findings(profiled({"n": ["5"] * 40}), "constant_column")["n"].count == 40


def test_formula_message_names_every_start_it_flags():
    profile = profiled({"note": ["\tcmd", "\r=1", "=A1", "ok", "fine"]})
    formula = findings(profile, "formula")["note"]
    assert formula.count == 3
    assert "a tab" in formula.message and "carriage return" in formula.message


def test_a_foreign_key_that_repeats_by_design_is_not_a_duplicate_id():
    profile = profiled({"account_id": ["A1", "A1", "A1", "A2", "A2", "A2"]})
    assert "account_id" not in findings(profile, "duplicate_id")


# --- the ideal customer profile ------------------------------------------------------------


def test_category_bins_woe_iv_lift_and_other_bin():
    segment = repeat(("a", 60), ("b", 40), (None, 20), ("c", 10), ("d", 5))
    converted = repeat(("yes", 24), ("no", 36), ("yes", 8), ("no", 32), ("yes", 3), ("no", 17))
    converted += repeat(("yes", 2), ("no", 8), ("yes", 1), ("no", 4))
    profile = profiled({"segment": segment, "converted": converted}, target="converted")
    icp = profile.icp
    assert icp is not None
    assert (icp.positives, icp.negatives, icp.missing, icp.min_support) == (38, 97, 0, 30)
    assert icp.base_rate == pytest.approx(38 / 135)
    expected = by_hand({"a": (60, 24), "b": (40, 8), "(other)": (15, 3), "(missing)": (20, 3)})
    seg = attribute(profile, "segment")
    assert [b.label for b in seg.bins] == ["a", "b", "(other)", "(missing)"]
    for b in seg.bins:
        assert b.woe == pytest.approx(expected[b.label]["woe"])
        assert b.iv == pytest.approx(expected[b.label]["iv"])
        assert b.lift == pytest.approx(expected[b.label]["lift"])
    assert seg.iv == pytest.approx(sum(e["iv"] for e in expected.values()))
    assert seg.leakage is None and not seg.weak
    assert [s["column"] for s in icp.skipped] == ["converted"]
    # 135 leads: rates this far apart are chance at p = 0.053, so no signal is drawn
    assert seg.chance and seg.p_value == pytest.approx(0.0531, abs=1e-4)
    assert icp.signals == {"positive": [], "negative": []}
    # the same rates on three times the leads are a signal
    tripled = {"segment": segment * 3, "converted": converted * 3}
    icp = profiled(tripled, target="converted").icp
    assert icp is not None and icp.chance == []
    top = icp.signals["positive"][0]
    assert (
        top.text == f"segment = a: converts at {expected['a']['lift']:.1f}x the base rate (n=180)"
    )
    # by their IV: b holds four times c's leads at the same rate
    assert [s.bin for s in icp.signals["negative"]] == ["(missing)", "b", "c"]


def test_categories_ignore_case_and_spaces_and_show_the_common_spelling():
    segment = repeat(("Software", 20), ("software ", 15), ("SOFTWARE", 5), ("retail", 40))
    converted = repeat(("1", 30), ("0", 10), ("1", 10), ("0", 30))
    seg = attribute(profiled({"s": segment, "y": converted}, target="y"), "s")
    assert [(b.label, b.count, b.positives) for b in seg.bins] == [
        ("Software", 40, 30),
        ("retail", 40, 10),
    ]


def test_number_bins_are_the_quantile_bins_of_polars():
    x = list(range(1, 101))
    y = ["yes" if v > 80 else "no" for v in x]
    profile = profiled({"x": [str(v) for v in x], "y": y}, target="y")
    bins = attribute(profile, "x").bins
    # breakpoints at sorted positions floor(i * 99 / 10): 10, 20, ..., 90
    middle = ["[%d, %d)" % (a, a + 10) for a in range(10, 90, 10)]  # noqa: UP031
    labels = ["< 10", *middle, ">= 90"]
    assert [b.label for b in bins] == labels
    assert [b.count for b in bins] == [9, *([10] * 8), 11]
    assert [b.positives for b in bins] == [0] * 8 + [9, 11]
    assert attribute(profile, "x").binning == "quantile"


def test_bins_match_bin_quantiles_with_ties_and_missing_values():
    rng = np.random.default_rng(7)
    values = rng.poisson(3.0, 2000).astype(float)
    text = [None if i % 50 == 0 else f"{v:g}" for i, v in enumerate(values)]
    y = ["yes" if rng.random() < 0.3 else "no" for _ in values]
    bins = attribute(profiled({"v": text, "y": y}, target="y"), "v").bins
    present = pl.Series([float(t) for t in text if t is not None])
    polars_bins = present.bin_quantiles(10, labels=False).value_counts().sort(present.name)
    assert [b.count for b in bins if b.label != "(missing)"] == polars_bins["count"].to_list()
    assert bins[-1].label == "(missing)" and bins[-1].count == 40


def test_leakage_by_many_rare_values_that_always_convert():
    owner = [f"rep{i}" if i < 40 else "pool" for i in range(400)]  # each rep: one won deal
    converted = ["yes" if i < 40 or i % 4 == 0 else "no" for i in range(400)]
    profile = profiled({"owner": owner, "converted": converted}, target="converted")
    leak = attribute(profile, "owner").leakage
    assert leak is not None and "values converting above the base rate carry IV" in leak


def test_a_value_that_never_converts_is_a_signal_not_leakage():
    title = ["student" if i < 300 else "manager" for i in range(1000)]
    converted = ["no" if i < 300 else ("yes" if i % 2 else "no") for i in range(1000)]
    profile = profiled({"title": title, "converted": converted}, target="converted")
    found = attribute(profile, "title")
    assert found.leakage is None
    assert found.iv > 0.3  # strong, and kept as a signal
    negative = [s.text for s in profile.icp.signals["negative"]]
    assert any(text.startswith("title = student") for text in negative)


def test_leakage_by_iv_above_one_and_by_a_near_certain_value():
    stage = ["won" if i < 30 else "lost" for i in range(100)]
    converted = ["yes" if i < 30 else "no" for i in range(100)]
    profile = profiled({"stage": stage, "converted": converted}, target="converted")
    leak = attribute(profile, "stage").leakage
    assert leak == "stage = won converts at 100.0% (n=30)"
    assert profile.icp is not None and profile.icp.leakage[0]["attribute"] == "stage"
    assert profile.icp.signals == {"positive": [], "negative": []}

    # IV below 1, but 60 leads (>= 5% of 1,000) converting at 96.7%
    flag = repeat(("yes", 60), ("no", 940))
    y = repeat(("1", 58), ("0", 2), ("1", 442), ("0", 498))
    expected = by_hand({"yes": (60, 58), "no": (940, 442)})
    iv = sum(e["iv"] for e in expected.values())
    assert iv < 1
    profile = profiled({"flag": flag, "y": y}, target="y")
    found = attribute(profile, "flag")
    assert found.iv == pytest.approx(iv)
    assert found.leakage == "flag = true converts at 96.7% (n=60)"  # yes/no reads as bool


def test_weak_attributes_are_listed():
    noise = repeat(("a", 50), ("b", 50))
    y = repeat(("1", 10), ("0", 40), ("1", 11), ("0", 39))
    profile = profiled({"noise": noise, "y": y}, target="y")
    assert profile.icp is not None and profile.icp.weak == ["noise"]


def test_many_values_converting_alike_could_be_chance_and_give_no_signal():
    """Fifty names drawn at random read as a medium IV, but their bins differ by luck."""
    rng = np.random.default_rng(7)
    rows = 3000
    names = [f"name{k}" for k in rng.integers(0, 50, rows)]
    real = rng.random(rows) < 0.3
    y = [str(int(r)) for r in rng.random(rows) < np.where(real, 0.25, 0.05)]
    profile = profiled({"first_name": names, "demo": [str(r) for r in real], "y": y}, target="y")
    noise, signal = attribute(profile, "first_name"), attribute(profile, "demo")
    assert noise.iv >= 0.02 and noise.chance and noise.p_value > 0.01
    assert not signal.chance and signal.p_value < 1e-6
    assert profile.icp is not None and profile.icp.chance == ["first_name"]
    signals = [s.attribute for side in profile.icp.signals.values() for s in side]
    assert "first_name" not in signals and "demo" in signals
    # the p-value is scipy's chi-square test of the attribute's bins
    from scipy.stats import chi2_contingency

    table = [[b.positives for b in noise.bins], [b.count - b.positives for b in noise.bins]]
    assert noise.p_value == pytest.approx(chi2_contingency(table, correction=False).pvalue)


@pytest.mark.parametrize("seed", [2, 4, 5, 6])
def test_a_slope_in_a_number_is_a_signal_for_profile_as_for_fit(seed):
    """Conversion rising from 7% to 14% with x is a trend, which the chi-square test over
    ten bins alone can call chance; profile tests it as fit does, trend included."""
    from leadscore_cli.chance import CHANCE_P, column_chance

    rng = np.random.default_rng(seed)
    x = rng.random(3000)
    y = rng.random(3000) < 0.07 + 0.07 * x
    profile = profiled({"x": [str(v) for v in x], "y": [str(int(v)) for v in y]}, target="y")
    found = attribute(profile, "x")
    assert not found.chance and found.p_value <= CHANCE_P
    ranges = [b for b in found.bins if b.label != "(missing)"]
    leads = np.asarray([b.count for b in ranges])
    converted = np.asarray([b.positives for b in ranges])
    everything = np.ones(len(ranges), dtype=bool)
    assert found.p_value == pytest.approx(column_chance(leads, converted, ordered=everything))


def test_could_be_chance_is_said_in_the_terminal_and_markdown(run, tmp_path):
    rng = np.random.default_rng(3)
    rows = 2000
    source = tmp_path / "leads.csv"
    pl.DataFrame(
        {
            "first_name": [f"n{k}" for k in rng.integers(0, 60, rows)],
            "y": [str(int(v)) for v in rng.random(rows) < 0.1],
        }
    ).write_csv(source)
    terminal = run("profile", source, "--target", "y")
    assert terminal.exit_code == 0, terminal.stderr
    said = " ".join(terminal.stderr.split())
    assert "Could be chance" in said and "first_name (p = " in said and "chance?" in said
    markdown = run("profile", source, "--target", "y", "--markdown", "-q")
    assert "Could be chance" in " ".join(markdown.stdout.split())


def test_missing_target_values_are_left_out():
    profile = profiled({"s": ["a", "b", "a", "b"], "y": ["1", "0", "N/A", None]}, target="y")
    assert profile.icp is not None
    assert (profile.icp.rows, profile.icp.missing) == (2, 2)


# --- rules against history -----------------------------------------------------------------

RULES_MODEL = """
[model]
name = "t"

[[rules]]
name = "big"
points = 10
when = { field = "size", op = "gte", value = 100 }

[[rules]]
name = "free"
points = -5
when = { field = "email", op = "ends_with", value = "@gmail.com" }

[[rules]]
name = "big_corp"
points = 5
when = { all = [
    { field = "size", op = "gte", value = 100 },
    { field = "email", op = "ends_with", value = "@corp.com" },
] }

[[rules]]
name = "region"
field = "region"
map = { eu = 10, us = -10 }
"""


def test_rules_against_history_and_their_direction():
    data = {
        "size": ["200", "150", "120", "50", "40", "30", "20", "10", "300", "5"],
        "email": [
            "a@corp.com",
            "b@gmail.com",
            "c@corp.com",
            "d@gmail.com",
            "e@corp.com",
            "f@corp.com",
            "g@gmail.com",
            "h@corp.com",
            "i@corp.com",
            "j@x.com",
        ],
        "region": ["eu", "eu", "us", "us", "eu", "us", "us", "us", "eu", "us"],
        "won": ["no", "no", "no", "yes", "yes", "yes", "no", "yes", "no", "yes"],
    }
    profile = profiled(data, model=parse_model(RULES_MODEL), target="won")
    assert profile.rules is not None
    rules = {r.name: r for r in profile.rules}
    big = rules["big"]  # +10 on rows 1, 2, 3, 9: none converted, base rate 50%
    assert (big.fired, big.rate_fired, big.direction) == (4, 0.0, "wrong")
    assert big.rate_not_fired == pytest.approx(5 / 6)
    assert "positive points (+10)" in (big.flag or "")
    free = rules["free"]  # -5 on rows 2, 4, 7: one in three converted
    assert (free.fired, free.direction, free.flag) == (3, "right", None)
    assert free.rate_fired == pytest.approx(1 / 3) and free.lift == pytest.approx(2 / 3)
    combo = rules["big_corp"]  # two fields: replayed row by row
    assert (combo.fired, combo.rate_fired, combo.direction) == (3, 0.0, "wrong")
    region = rules["region"]  # converted leads average -6 points, the others +2
    assert region.fired == 10 and region.points is None
    assert region.mean_points_converted == pytest.approx(-6)
    assert region.mean_points_other == pytest.approx(2)
    assert region.direction == "wrong"
    # the model's fields come first, read as the model reads them
    assert [c.name for c in profile.columns][:3] == ["size", "email", "region"]
    assert column(profile, "size").in_model and column(profile, "size").type == "float"


# --- the shipped sample and the command ----------------------------------------------------


@pytest.fixture(scope="module")
def sample_report() -> dict:
    from typer.testing import CliRunner

    from leadscore_cli.cli.app import app

    args = ["profile", str(SAMPLE), "--target", "converted", "-m", str(B2B_MODEL)]
    result = CliRunner().invoke(app, [*args, "--as-of", AS_OF, "--json"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return json.loads(result.stdout)


def test_sample_null_markers_and_spellings(sample_report):
    columns = {c["name"]: c for c in sample_report["columns"]}
    industry = columns["industry"]
    raw = SAMPLE_FRAME["industry"]
    assert industry["null_markers"]["N/A"] == (raw == "N/A").sum()
    assert industry["null_markers"]["Select"] == (raw == "Select").sum()
    assert industry["nulls"] == raw.is_null().sum() + raw.is_in(["N/A", "Select"]).sum()
    spelled = {f["column"]: f for f in sample_report["findings"] if f["kind"] == "mixed_spelling"}
    software = next(e for e in spelled["industry"]["examples"] if "'software'" in e)
    assert "'SOFTWARE'" in software and "'software '" in software


def test_sample_quality_findings_match_the_data(sample_report):
    found = {(f["kind"], f["column"]): f for f in sample_report["findings"]}
    ids = SAMPLE_FRAME["lead_id"]
    assert found["duplicate_id", "lead_id"]["count"] == ids.len() - ids.n_unique() > 0
    revenue = found["number_as_text", "annual_revenue"]
    assert revenue["count"] == SAMPLE_FRAME["Annual Revenue"].str.contains(r"[$€,]").sum()
    assert revenue["examples"][0].startswith(("$", "€"))
    company = SAMPLE_FRAME["company"]
    formula = company.str.contains(r"^[=+\-@]") & company.cast(pl.Float64, strict=False).is_null()
    assert found["formula", "company"]["count"] == formula.sum() > 0
    assert ("malformed_email", "email") in found


def test_sample_icp_flags_stage_as_leakage_and_finds_the_demo_signal(sample_report):
    icp = sample_report["icp"]
    assert icp["leakage"][0]["attribute"] == "stage"
    texts = [s["text"] for s in icp["signals"]["positive"]]
    assert any(t.startswith("demo_requested = true: converts at") for t in texts)
    assert "lead_source" in icp["weak"]  # carries no signal by construction
    ivs = [a["iv"] for a in icp["attributes"]]
    assert ivs == sorted(ivs, reverse=True)
    # signals are ranked by their bin's own IV, as docs/profile.md says
    bin_iv = {(a["name"], b["label"]): b["iv"] for a in icp["attributes"] for b in a["bins"]}
    for side in ("positive", "negative"):
        ranked = [bin_iv[s["attribute"], s["bin"]] for s in icp["signals"][side]]
        assert ranked == sorted(ranked, reverse=True)


def test_json_schema(sample_report):
    report = sample_report
    assert list(report)[:2] == ["version", "leadscore"] and report["version"] == 1
    assert set(report) == {
        "version",
        "leadscore",
        "input",
        "rows",
        "null_values",
        "model",
        "columns",
        "findings",
        "icp",
        "rules",
        "as_of",
        "seconds",
    }
    assert report["rows"] == SAMPLE_FRAME.height and report["as_of"] == AS_OF
    column_types = {
        "name": str,
        "source": str,
        "dtype": str,
        "type": str,
        "in_model": bool,
        "nulls": int,
        "null_share": float,
        "null_markers": dict,
        "distinct": int,
        "id_like": bool,
        "invalid": int,
        "invalid_examples": list,
        "top": list,
    }
    for c in report["columns"]:
        assert set(c) == {*column_types, "numbers", "dates"}
        for key, kind in column_types.items():
            assert isinstance(c[key], kind), (c["name"], key)
        if c["numbers"] is not None:
            assert set(c["numbers"]) == {"min", "q1", "median", "q3", "max", "mean"}
        for top in c["top"]:
            assert set(top) == {"value", "count", "share"} and isinstance(top["value"], str)
    for f in report["findings"]:
        assert set(f) == {"kind", "column", "count", "message", "examples", "rows"}
        assert all(isinstance(r, int) for r in f["rows"])
    icp = report["icp"]
    assert set(icp) == {
        "target",
        "positive",
        "rows",
        "positives",
        "negatives",
        "missing",
        "base_rate",
        "min_support",
        "attributes",
        "signals",
        "weak",
        "chance",
        "leakage",
        "skipped",
        "warnings",
    }
    assert icp["warnings"] == []  # 573 converted and 4,427 not: enough leads
    bin_keys = {"label", "count", "positives", "rate", "lift", "woe", "iv"}
    for a in icp["attributes"]:
        assert set(a) == {
            *("name", "type", "binning", "iv", "weak", "leakage", "bins", "p_value", "chance")
        }
        assert all(set(b) == bin_keys for b in a["bins"])
    signal_keys = {"attribute", "bin", "count", "rate", "lift", "text"}
    assert all(set(s) == signal_keys for s in icp["signals"]["positive"])
    rule_keys = {
        "name",
        "category",
        "kind",
        "points",
        "fired",
        "fired_share",
        "rate_fired",
        "rate_not_fired",
        "lift",
        "mean_points_converted",
        "mean_points_other",
        "direction",
        "flag",
    }
    assert all(set(r) == rule_keys for r in report["rules"])
    assert {r["direction"] for r in report["rules"]} <= {"right", "wrong", "unclear"}


def test_terminal_report_goes_to_stderr(run):
    result = run("profile", SAMPLE, "--target", "stage", "--positive", "Closed Won")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    for text in ("Columns", "Data quality", "Ideal customer profile", "Strongest signals"):
        assert text in result.stderr
    assert "converted nearly decides the outcome" in result.stderr
    text = " ".join(result.stderr.split())
    assert "Not analysed: lead_id (id-like" in text  # as in the JSON and Markdown
    assert "stage (the target)" in text
    assert "Not predictive (IV < 0.02), better left out of a model:" in text


def test_markdown_report_and_quiet(run):
    result = run("profile", SAMPLE, "--target", "converted", "--markdown")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("# Profile of `")
    for text in ("## Columns", "## Data quality", "## Ideal customer profile", "| --- |"):
        assert text in result.stdout
    marked = run("profile", SAMPLE, "-m", B2B_MODEL, "--markdown")
    assert marked.exit_code == 0, marked.stderr
    assert "| `email` * |" in marked.stdout  # the model's fields, with no stray backslash
    assert "\\*" not in marked.stdout
    quiet = run("profile", SAMPLE, "-q")
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""


def assert_failure(result, code: int, *needles: str) -> None:
    assert result.exit_code == code, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("leadscore: ") and "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr


def test_errors_have_exit_codes(run, tmp_path):
    assert_failure(
        run("profile", SAMPLE, "--target", "convertd"), EXIT_DATA, "closest: 'converted'"
    )
    assert_failure(
        run("profile", SAMPLE, "--target", "stage"),
        EXIT_DATA,
        "target column 'stage' is not boolean-like",
        "--positive",
    )
    single = tmp_path / "single.csv"
    single.write_text("id,won\n1,yes\n2,yes\n3,\n")
    assert_failure(run("profile", single, "--target", "won"), EXIT_DATA, "single class")
    assert_failure(run("profile", SAMPLE, "--positive", "x"), EXIT_USAGE, "--positive needs")
    assert_failure(run("profile", SAMPLE, "--json", "--markdown"), EXIT_USAGE)
    assert_failure(run("profile", tmp_path / "nope.csv"), EXIT_INPUT, "no such file")
    assert_failure(run("profile", SAMPLE, "-m", tmp_path / "nope.toml"), EXIT_MODEL)


def test_typed_parquet_columns(tmp_path):
    import datetime as dt

    path = tmp_path / "leads.parquet"
    pl.DataFrame(
        {
            "visits": list(range(80)),
            "demo": [i % 2 == 0 for i in range(80)],
            "created": [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(80)],
            "won": [i % 4 == 0 for i in range(80)],
        }
    ).write_parquet(path)
    from leadscore_cli.profiling import profile_file

    profile = profile_file(str(path), ProfileOptions(target="won"))
    assert {c.name: c.type for c in profile.columns} == {
        "visits": "int",
        "demo": "bool",
        "created": "date",
        "won": "bool",
    }
    demo = attribute(profile, "demo")  # won rows are all even: demo = true
    assert [(b.label, b.count, b.positives) for b in demo.bins] == [  # ties: first seen first
        ("true", 40, 20),
        ("false", 40, 0),
    ]


def test_types_come_from_every_value_when_the_first_rows_have_none():
    late = [None] * 10_000 + [str(i) for i in range(50)]
    profile = profiled({"late": late})
    assert column(profile, "late").type == "int"
    assert column(profile, "late").numbers == {
        "min": 0,
        "q1": 12,
        "median": 24,
        "q3": 36,
        "max": 49,
        "mean": 24.5,
    }


def test_null_value_option_on_the_command_line(run, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text("id,industry\n1,unknown\n2,N/A\n3,software\n4,\n")
    result = run("profile", path, "--json", "--null-value", "unknown")
    assert result.exit_code == 0, result.stderr
    industry = next(c for c in json.loads(result.stdout)["columns"] if c["name"] == "industry")
    assert industry["null_markers"] == {"": 1, "unknown": 1}  # N/A is a value now
    assert industry["nulls"] == 2 and industry["distinct"] == 2


def test_rules_fire_as_scoring_fires_them(sample_report):
    import datetime as dt

    from leadscore_cli.model import load_model
    from leadscore_cli.score_run import check_data

    summary = check_data(str(SAMPLE), load_model(B2B_MODEL), dt.date.fromisoformat(AS_OF))
    scored = {rule.name: rule.fired for rule in summary.rules}
    assert {r["name"]: r["fired"] for r in sample_report["rules"]} == scored


def test_a_wide_export_is_profiled_in_seconds():
    """CRM exports carry hundreds of custom fields. Each column's figures are a few small
    queries, and polars' streaming engine paid a set-up cost for each: 300 columns of
    5,000 leads took 40 s. Every column is still described."""
    import time

    wide = SAMPLE_FRAME.head(1_000).with_columns(
        pl.col("lead_id").str.slice(-3).alias(f"custom_{i}") for i in range(300)
    )
    started = time.perf_counter()
    profile = profile_frame(wide.lazy(), ProfileOptions(target="converted"))
    assert time.perf_counter() - started < 20  # about 4 s; 40 s before
    described = {c.name: c for c in profile.columns}
    assert set(described) == set(wide.columns)
    assert described["custom_299"].distinct == wide["custom_299"].n_unique()


def test_evenly_spread_numbers_have_no_outliers_at_the_low_end():
    """Sequential ids, percentages and ages in days are spread evenly: their lowest values
    are not extreme, though on ln(1+x) they would sit far below the quartiles."""
    data = {
        "seq": [str(i) for i in range(1, 5001)],
        "percent": [str(i % 101) for i in range(5000)],
        "age_days": [str(i % 366) for i in range(5000)],
    }
    assert findings(profiled(data), "outliers") == {}
    data["percent"][-1] = "100000"  # a typo is still seen
    assert findings(profiled(data), "outliers")["percent"].examples == ["100000"]
