"""`leadscore sql`: the compiled DuckDB query must score exactly like the polars engine."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import polars as pl
import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadscore_cli.errors import DataError, LeadscoreError, ModelError, UsageError
from leadscore_cli.model import load_model, parse_model
from leadscore_cli.model.schema import (
    AnyOf,
    Band,
    Decay,
    FieldSpec,
    Leaf,
    Limits,
    Model,
    Not,
    Rule,
    Tier,
)
from leadscore_cli.readers import open_source
from leadscore_cli.sample import generate_leads
from leadscore_cli.scoring import plan_scoring
from leadscore_cli.scoring.columns import can_grade
from leadscore_cli.sql import compile_model
from leadscore_cli.sql.dialects import DIALECTS
from leadscore_cli.sql.query import build_query
from tests.conftest import AS_OF, B2B_MODEL, EXAMPLE_MODELS, SAMPLE

DAY = dt.date.fromisoformat(AS_OF)
ADDED = ("score", "tier", "grade", "priority", "reasons")


def engine_output(model: Model, csv: Path | pl.DataFrame, explain: bool) -> pl.DataFrame:
    """What `score`/`grade` write; a frame is scored as is (for headers polars' CSV reader
    does not unescape, such as `"a""b"`)."""
    if isinstance(csv, pl.DataFrame):
        return run_engine(model, csv.lazy(), "<frame>", explain)
    with open_source(str(csv)) as source:
        return run_engine(model, source.frame, source.name, explain)


def run_engine(model: Model, frame: pl.LazyFrame, name: str, explain: bool) -> pl.DataFrame:
    plan = plan_scoring(
        frame, model, as_of=DAY, source_name=name, explain=explain, grade=can_grade(model)
    )
    result = plan.output.collect()
    stats = plan.stats.collect()
    for field, _ in plan.checked_fields:  # the engine stops on unreadable values
        if stats[f"invalid:{field}"][0]:
            raise DataError(f"column {field!r} cannot be read")
    return result


def duckdb_output(model: Model, csv: Path, explain: bool, shape: str = "") -> pl.DataFrame:
    query = build_query(model, DIALECTS["duckdb"], "leads", DAY, explain, shape=shape)
    con = duckdb.connect()
    path = str(csv).replace("'", "''")
    con.execute(f"CREATE TABLE leads AS SELECT * FROM read_csv('{path}', all_varchar = true)")
    return con.sql(query.sql("duckdb")).pl()


def assert_same(want: pl.DataFrame, got: pl.DataFrame) -> None:
    """Row by row, every column identical: scores to the last digit, tiers, grades and
    reasons (so every .xx5 value rounds the same way in both engines)."""
    assert got.columns == want.columns
    assert got.height == want.height
    for column in want.columns:
        a, b = want[column], got[column]
        if column == "score" or column.startswith("score_"):
            left, right = a.cast(pl.Float64), b.cast(pl.Float64)
        else:
            left, right = a.cast(pl.String), b.cast(pl.String)
        mismatch = (left != right).fill_null(True) & ~(left.is_null() & right.is_null())
        assert not mismatch.any(), (
            column,
            left.filter(mismatch)[:3].to_list(),
            right.filter(mismatch)[:3].to_list(),
        )


@pytest.fixture(scope="module")
def generated_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sql") / "generated.csv"
    generate_leads(4000, seed=7).write_csv(path)
    return path


# --- equivalence on the example models -----------------------------------------------------


@pytest.mark.parametrize("model_path", EXAMPLE_MODELS, ids=lambda p: p.stem)
@pytest.mark.parametrize("explain", [False, True], ids=["plain", "explain"])
def test_example_models_match_engine_on_sample(model_path: Path, explain: bool) -> None:
    model = load_model(model_path)
    assert_same(engine_output(model, SAMPLE, explain), duckdb_output(model, SAMPLE, explain))


@pytest.mark.parametrize("model_path", EXAMPLE_MODELS, ids=lambda p: p.stem)
def test_example_models_match_engine_on_generated_data(model_path: Path, generated_csv) -> None:
    model = load_model(model_path)
    want = engine_output(model, generated_csv, True)
    assert_same(want, duckdb_output(model, generated_csv, True))


def test_lateral_shape_matches_engine() -> None:
    """The shape used for postgres and spark, run in DuckDB."""
    model = load_model(EXAMPLE_MODELS[-1])
    model = without_renames(model)
    want = engine_output(model, SAMPLE, True)
    assert_same(want, duckdb_output(model, SAMPLE, True, shape="lateral"))


def without_renames(model: Model) -> Model:
    from dataclasses import replace

    return replace(model, fields=tuple(f for f in model.fields if f.source == f.name))


# --- hypothesis: random models over the sample ---------------------------------------------

NUMBER_FIELDS = ("website_visits", "pages_viewed", "email_clicks", "employees", "revenue")
TEXT_FIELDS = ("industry", "job_title", "country", "email", "lead_source")
BOOL_FIELDS = ("demo_requested", "webinar_attended", "unsubscribed")
DATE_FIELDS = ("last_activity_date", "created_date")
FIELDS = (
    FieldSpec("revenue", "Annual Revenue", "float", on_invalid="null"),
    FieldSpec("employees", "employees", "float"),
)
WORDS = ("software", "us", "director", "gmail", "Org", "SaaS ", "n/a", "education", "")


def leaf_strategy() -> st.SearchStrategy[Leaf]:
    numbers = st.builds(
        lambda f, op, v, w: Leaf(f, op, sorted((v, w)) if op == "between" else v),
        st.sampled_from(NUMBER_FIELDS),
        st.sampled_from(("eq", "ne", "gt", "gte", "lt", "lte", "between")),
        st.integers(0, 60),
        st.integers(0, 60),
    )
    texts = st.builds(
        lambda f, op, words, cs: Leaf(
            f, op, tuple(words) if op in ("in", "not_in") else words[0], cs
        ),
        st.sampled_from(TEXT_FIELDS),
        st.sampled_from(("eq", "ne", "in", "not_in", "contains", "starts_with", "ends_with")),
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
        st.booleans(),
    )
    regex = st.builds(
        lambda f, p, cs: Leaf(f, "matches", p, cs),
        st.sampled_from(TEXT_FIELDS),
        st.sampled_from((r"\b(vp|chief)\b", "^s", "com$", "[0-9]", 'o\'k|"q"|Dir')),
        st.booleans(),
    )
    bools = st.builds(lambda f, v: Leaf(f, "eq", v), st.sampled_from(BOOL_FIELDS), st.booleans())
    dates = st.builds(
        lambda f, op, days: Leaf(f, op, days),
        st.sampled_from(DATE_FIELDS),
        st.sampled_from(("within_days", "older_than_days")),
        st.integers(0, 400),
    )
    nulls = st.builds(
        lambda f, op: Leaf(f, op),
        st.sampled_from(NUMBER_FIELDS + TEXT_FIELDS),
        st.sampled_from(("is_null", "not_null")),
    )
    return st.one_of(numbers, texts, regex, bools, dates, nulls)


def condition_strategy():
    leaf = leaf_strategy()
    return st.one_of(
        leaf,
        st.builds(lambda a, b: AnyOf((a, b)), leaf, leaf),
        st.builds(Not, leaf),
    )


CATEGORIES = st.sampled_from(("fit", "engagement", "intent"))
POINTS = st.integers(-30, 40).map(float) | st.floats(-20, 20).map(lambda x: round(x, 3))
DECAYS = st.none() | st.builds(
    lambda f, h, life, full: Decay(
        f,
        half_life_days=None if life else h,
        lifespan_days=h if life else None,
        if_missing="full" if full else "none",
    ),
    st.sampled_from(DATE_FIELDS),
    st.integers(1, 200).map(float),
    st.booleans(),
    st.booleans(),
)


@st.composite
def rule_strategy(draw, index: int) -> Rule:
    kind = draw(st.sampled_from(("when", "when", "map", "bands")))
    name, category, decay = f"r{index}", draw(CATEGORIES), draw(DECAYS)
    if kind == "when":
        return Rule(
            name, category, "when", draw(POINTS), when=draw(condition_strategy()), decay=decay
        )
    if kind == "map":
        field = draw(st.sampled_from(TEXT_FIELDS + BOOL_FIELDS))
        keys = draw(st.lists(st.sampled_from((*WORDS, "true", "no")), min_size=1, max_size=4))
        mapping = tuple((k, draw(POINTS)) for k in dict.fromkeys(k.strip().lower() for k in keys))
        return Rule(
            name,
            category,
            "map",
            field=field,
            mapping=mapping,
            default=draw(POINTS),
            missing=draw(POINTS),
            decay=decay,
        )
    cuts = sorted(set(draw(st.lists(st.integers(0, 2000), min_size=1, max_size=4))))
    edges = [None, *cuts, None]
    bands = tuple(Band(draw(POINTS), edges[i], edges[i + 1]) for i in range(len(edges) - 1))
    field = draw(st.sampled_from(NUMBER_FIELDS))
    return Rule(
        name,
        category,
        "bands",
        field=field,
        bands=bands,
        default=draw(POINTS),
        missing=draw(POINTS),
        decay=decay,
    )


@st.composite
def model_strategy(draw) -> Model:
    count = draw(st.integers(1, 6))
    rules = tuple(draw(rule_strategy(i)) for i in range(count))
    caps = []
    for category in dict.fromkeys(r.category for r in rules):
        if draw(st.booleans()):
            low = draw(st.integers(-40, 0))
            caps.append((category, Limits(low, low + draw(st.integers(5, 80)))))
    if draw(st.booleans()):
        caps.append(("total", Limits(None, float(draw(st.integers(20, 120))))))
    tiers = (Tier("hot", float(draw(st.integers(30, 90)))), Tier("cold", 0.0))
    return Model(
        name="random",
        version="1",
        id_column="lead_id",
        rules=rules,
        scale=draw(st.sampled_from(("clip", "rescale"))),
        fields=FIELDS,
        caps=tuple(caps),
        tiers=tiers if draw(st.booleans()) else (),
    )


@pytest.fixture(scope="module")
def small_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample's first 1,500 rows: enough variety, and fast enough for many models."""
    path = tmp_path_factory.mktemp("sql") / "small.csv"
    pl.read_csv(SAMPLE, infer_schema=False).head(1500).write_csv(path)
    return path


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(model=model_strategy(), explain=st.booleans())
def test_random_models_match_engine(small_sample: Path, model: Model, explain: bool) -> None:
    try:
        want = engine_output(model, small_sample, explain)
    except LeadscoreError:
        with pytest.raises(duckdb.Error):
            duckdb_output(model, small_sample, explain)
        return
    assert_same(want, duckdb_output(model, small_sample, explain))


# --- hostile identifiers and values --------------------------------------------------------

HOSTILE_MODEL = """
[model]
name = "hostile"
version = "1"

[fields.odd]
source = 'a"b; --x'

[[rules]]
name = "irish"
field = "odd"
map = { "O'Brien; DROP TABLE leads; --" = 10, "/* x */" = 3 }
default = 1
missing = -1

[[rules]]
name = "quoted"
points = 7
when = { field = "odd", op = "matches", value = "'\\"|it's" }

[[rules]]
name = "category"
category = "intent"
points = 5
when = { field = "odd", op = "contains", value = "--" }

[caps.intent]
max = 4
"""


def test_hostile_identifiers_and_values(tmp_path: Path) -> None:
    csv = tmp_path / "hostile.csv"
    values = ["O'Brien; DROP TABLE leads; --", "/* x */", 'it\'s "quoted"', "n/a", "plain --"]
    frame = pl.DataFrame({"id": [str(i) for i in range(5)], 'a"b; --x': values})
    frame.write_csv(csv)
    model_path = tmp_path / "hostile.toml"
    model_path.write_text(HOSTILE_MODEL, encoding="utf-8")
    model = load_model(model_path)
    want = engine_output(model, frame, True)
    got = duckdb_output(model, csv, True)
    assert_same(want, got)
    assert got["score"].to_list() == [14.0, 3.0, 8.0, 0.0, 5.0]
    assert "score_intent" in got.columns
    con = duckdb.connect()
    con.execute("CREATE TABLE leads AS SELECT * FROM read_csv(?, all_varchar = true)", [str(csv)])
    con.sql(compile_model(model, "duckdb", "leads", DAY)).fetchall()
    assert con.execute("SELECT count(*) FROM leads").fetchall() == [(5,)]


def test_accounting_negatives_read_alike(tmp_path: Path) -> None:
    csv = tmp_path / "parens.csv"
    values = ["(20)", "(12,000,000)", "$(5)", " (1,200) ", "((5))", "(5", "5)", "30", "n/a"]
    pl.DataFrame({"id": [str(i) for i in range(len(values))], "n": values}).write_csv(csv)
    model_path = tmp_path / "parens.toml"
    model_path.write_text(
        '[model]\nname = "p"\nid_column = "id"\n'
        '[fields.n]\ntype = "float"\non_invalid = "null"\n'
        '[[rules]]\nname = "neg"\npoints = 10\nwhen = { field = "n", op = "lt", value = 0 }\n'
        '[[rules]]\nname = "gone"\npoints = 1\nwhen = { field = "n", op = "is_null" }\n'
    )
    model = load_model(model_path)
    want = engine_output(model, csv, True)
    assert_same(want, duckdb_output(model, csv, True))
    assert want["score"].to_list() == [10.0, 10.0, 10.0, 10.0, 1.0, 1.0, 1.0, 0.0, 1.0]


NEEDLES_MODEL = """
[model]
name = "needles"
[[rules]]
name = "vp"
points = 1
when = { field = "t", op = "contains", value = "vp " }
[[rules]]
name = "co"
points = 2
when = { field = "t", op = "ends_with", value = " CO" }
[[rules]]
name = "space"
points = 4
when = { field = "t", op = "contains", value = " " }
[[rules]]
name = "exact"
points = 8
when = { field = "t", op = "contains", value = ["D ", " Z"], case_sensitive = true }
"""


def test_spaces_in_needles_count_alike(tmp_path: Path) -> None:
    csv = tmp_path / "needles.csv"
    values = ["vpn engineer", "VP sales", "disco", "Acme Co", "  padded  ", "ad z", "AD Z"]
    pl.DataFrame({"t": values}).write_csv(csv)
    model = parse_model(NEEDLES_MODEL)
    want = engine_output(model, csv, True)
    assert_same(want, duckdb_output(model, csv, True))
    assert want["score"].to_list() == [4.0, 5.0, 0.0, 6.0, 0.0, 4.0, 12.0]


ZERO_MODEL = """
[model]
name = "zero"
[[rules]]
name = "tiny"
points = -0.001
when = { field = "t", op = "not_null" }
[[rules]]
name = "gone"
category = "engagement"
points = -10
when = { field = "t", op = "not_null" }
decay = { field = "d", lifespan_days = 10 }
"""


def test_no_score_is_negative_zero(tmp_path: Path) -> None:
    """-0.001 rounds to -0.0 and -10 points decayed to nothing are -0.0: both print as 0."""
    csv = tmp_path / "zero.csv"
    pl.DataFrame({"t": ["x", "x"], "d": ["2020-01-01", "2025-06-30"]}).write_csv(csv)
    model = parse_model(ZERO_MODEL)
    want, got = engine_output(model, csv, True), duckdb_output(model, csv, True)
    assert_same(want, got)
    for result in (want, got):
        for column in ("score", "score_fit", "score_engagement"):
            assert [math.copysign(1.0, v) for v in result[column]] == [1.0, 1.0], column


def rules_on_t(*rules: tuple[str, str, float, str]) -> str:
    """[[rules]] tables (name, category, points, `not_null` or `is_null` of the field t)."""
    return "".join(
        f'[[rules]]\nname = "{name}"\ncategory = "{category}"\npoints = {points}\n'
        f'when = {{ field = "t", op = "{op}" }}\n'
        for name, category, points, op in rules
    )


SUM_ORDER_MODEL = '[model]\nname = "sums"\n' + rules_on_t(
    ("a", "fit", 32.57, "not_null"),
    ("b", "fit", -8.205, "not_null"),
    ("c", "fit", -9.2, "not_null"),
    ("d", "intent", 21, "is_null"),
    ("e", "intent", -21, "is_null"),
    ("f", "intent", -12.2417, "is_null"),
)


def test_points_add_up_left_to_right_alike(tmp_path: Path) -> None:
    """32.57 - 8.205 - 9.2 is 15.165000000000003 added left to right (15.17), 15.165 added
    the other way (15.16); 21 - 21 - 12.2417 is exactly -12.2417 left to right, so the
    clip to 0 takes exactly as much and the rule, listed first, comes first."""
    csv = tmp_path / "sums.csv"
    pl.DataFrame({"id": ["1", "2"], "t": ["x", None]}).write_csv(csv)
    model = parse_model(SUM_ORDER_MODEL)
    want = engine_output(model, csv, True)
    assert_same(want, duckdb_output(model, csv, True))
    assert want["score"].to_list() == [15.17, 0.0]
    assert want["reasons"][1] == "d +21; e -21; f -12.24; cap:scale +12.24"


GRADE_CUTOFF_MODEL = """
[model]
name = "cutoffs"
[[rules]]
name = "x"
points = 0.7
when = { field = "a", op = "gte", value = 1 }
[[rules]]
name = "y"
category = "intent"
points = 0.1
when = { field = "a", op = "gte", value = 2 }
[[rules]]
name = "z"
category = "intent"
points = 1.6
when = { field = "a", op = "gte", value = 3 }
[tiers]
hot = 50
cold = 0
[grading]
categories = ["fit", "intent"]
"""


@pytest.mark.parametrize(
    ("grading", "grades"),
    [
        ('scale = "points"\nbands = { A = 0.8, B = 0.3, F = 0 }', ["F", "B", "A", "A"]),
        # 0.8 of 2.4 points is 33.33%, on the cutoff 33.333... of D+ (20 + 2 * 20 / 3)
        ("plus_minus = true", ["F", "D", "D+", "A+"]),
    ],
    ids=["points", "plus_minus"],
)
def test_grade_basis_on_a_cutoff_takes_its_band(tmp_path: Path, grading: str, grades) -> None:
    """0.7 + 0.1 points are 0.7999999999999999 in floating point: the grade rounds them
    to 0.8 before comparing, and so must the query; a plus/minus cutoff such as 33.333...
    is met by a rounded basis of 33.33."""
    csv = tmp_path / "grades.csv"
    pl.DataFrame({"a": ["0", "1", "2", "3"]}).write_csv(csv)
    model = parse_model(GRADE_CUTOFF_MODEL + grading)
    want = engine_output(model, csv, False)
    assert_same(want, duckdb_output(model, csv, False))
    assert want["grade"].cast(pl.String).to_list() == grades


@pytest.mark.parametrize("fmt", [None, "%Y-%m-%dT%H:%M:%S%.fZ"], ids=["auto", "format"])
def test_fractional_seconds_keep_their_day(tmp_path: Path, fmt: str | None) -> None:
    """More than 6 digits of a second are cut, not rounded up into the next day, and more
    than 9 digits are read too, as `score` reads them."""
    suffix = "Z" if fmt else ""
    values = [
        "2026-10-25T23:59:59.9999999",
        "2026-10-25T23:59:59.999999999",
        "2026-10-25T23:59:59.1234567891234",
        "2026-10-25T23:59:59.5",
        "2026-10-25T23:59:59.",
    ]
    csv = tmp_path / "fractions.csv"
    pl.DataFrame({"d": [v + suffix for v in values]}).write_csv(csv)
    model = parse_model(
        '[model]\nname = "f"\n[fields.d]\ntype = "datetime"\non_invalid = "null"\n'
        + (f'format = "{fmt}"\n' if fmt else "")
        + '[[rules]]\nname = "week"\npoints = 10\n'
        + 'when = { field = "d", op = "older_than_days", value = 6 }\n'
        + '[[rules]]\nname = "gone"\npoints = 1\nwhen = { field = "d", op = "is_null" }\n'
    )
    want = engine_output(model, csv, True)
    assert_same(want, duckdb_output(model, csv, True))
    assert want["score"].to_list() == [10.0, 10.0, 10.0, 10.0, 1.0]


def test_full_month_and_weekday_names_read_abbreviations_too(tmp_path: Path) -> None:
    """`%B` and `%A` read `Mar` and `Wed` as well as `March` and `Wednesday`, as in
    `score`; `%b` and `%a` read only the abbreviations."""
    values = ["Wed 04 Mar 2026", "Wednesday 04 March 2026", "WED 04 MAR 2026", "x"]
    csv = tmp_path / "names.csv"
    pl.DataFrame({"long": values, "short": values}).write_csv(csv)
    model = parse_model(
        '[model]\nname = "n"\n'
        '[fields.long]\ntype = "date"\nformat = "%A %d %B %Y"\non_invalid = "null"\n'
        '[fields.short]\ntype = "date"\nformat = "%a %d %b %Y"\non_invalid = "null"\n'
        '[[rules]]\nname = "long"\npoints = 10\n'
        'when = { field = "long", op = "older_than_days", value = 7 }\n'
        '[[rules]]\nname = "short"\npoints = 1\n'
        'when = { field = "short", op = "older_than_days", value = 7 }\n'
    )
    want = engine_output(model, csv, True)
    assert_same(want, duckdb_output(model, csv, True))
    assert want["score"].to_list() == [11.0, 10.0, 11.0, 0.0]


def test_points_that_round_to_zero_are_left_out_alike(tmp_path: Path) -> None:
    """0.005 rounds half to even, to 0 (Python's round() says 0.01): no `half 0` entry."""
    csv = tmp_path / "halves.csv"
    pl.DataFrame({"t": ["x", "y"]}).write_csv(csv)
    model = parse_model(
        '[model]\nname = "h"\n'
        + rules_on_t(("half", "fit", 0.005, "not_null"), ("more", "fit", 0.015, "not_null"))
        + '[[rules]]\nname = "pick"\nfield = "t"\nmap = { x = -0.005, y = 3 }\n'
    )
    want = engine_output(model, csv, True)
    assert_same(want, duckdb_output(model, csv, True))
    assert want["reasons"].to_list() == ["more +0.02", "pick +3; more +0.02"]


BOOLEAN_MAP_MODEL = """
[model]
name = "booleans"
[fields.demo]
type = "bool"
[fields.trial]
type = "bool"
true_values = ["si"]
false_values = ["nein"]
[[rules]]
name = "demo"
field = "demo"
map = { Yes = 10, " N " = -5 }
default = 1
missing = 0
[[rules]]
name = "trial"
field = "trial"
map = { SI = 100, false = 50 }
missing = 0
"""


def test_boolean_map_keys_read_like_cells(tmp_path: Path) -> None:
    """`yes` and ` N ` are spellings of true and false, as in a cell. A key that spells
    neither, or a value twice, is refused (test_model_mistakes)."""
    csv = tmp_path / "booleans.csv"
    demo = ["yes", "no", "TRUE", "f", "1", ""]
    trial = ["si", "nein", "Si", "", "", "nein"]
    pl.DataFrame({"demo": demo, "trial": trial}).write_csv(csv)
    model = parse_model(BOOLEAN_MAP_MODEL)
    want = engine_output(model, csv, True)
    assert_same(want, duckdb_output(model, csv, True))
    assert want["score_fit"].to_list() == [110.0, 45.0, 110.0, -5.0, 10.0, 50.0]


STALE = {"score": "x", "score_fit": "x", "tier": "crm", "grade": "Z", "priority": "Z9"}


@pytest.mark.parametrize("shape", ["except", "lateral"])
def test_input_columns_named_like_added_ones_are_never_read(tmp_path: Path, shape: str) -> None:
    """A CRM's own `tier` must not be the tier `priority` is computed from. DuckDB keeps
    both columns: a table made from the query has the input's under the plain name and
    the computed one suffixed (`tier_1`), as docs/sql.md says."""
    model = load_model(B2B_MODEL)
    leads = pl.read_csv(SAMPLE, infer_schema=False).head(400)
    if shape == "lateral":
        model = without_renames(model)
        leads = leads.rename({"Annual Revenue": "annual_revenue"})
    plain, crowded = tmp_path / "plain.csv", tmp_path / "crowded.csv"
    leads.write_csv(plain)
    leads.with_columns(
        pl.lit(v).alias(k) for k, v in {**STALE, "reasons": "old"}.items()
    ).write_csv(crowded)
    want = engine_output(model, plain, True)
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE leads AS SELECT * FROM read_csv(?, all_varchar = true)", [str(crowded)]
    )
    query = build_query(model, DIALECTS["duckdb"], "leads", DAY, True, shape=shape)
    con.execute(f"CREATE TABLE scored AS {query.sql('duckdb')}")
    got = con.sql("SELECT * FROM scored").pl()
    for name, value in {**STALE, "reasons": "old"}.items():
        assert got[name].unique().to_list() == [value]
    computed = {f"{name}_1": name for name in (*STALE, "reasons")}
    assert_same(want, got.drop(*STALE, "reasons").rename(computed).select(want.columns))
    assert want["priority"].null_count() == 0


def test_hostile_table_name_is_quoted() -> None:
    model = load_model(EXAMPLE_MODELS[-1])
    query = compile_model(model, "duckdb", 'x"; DROP TABLE y; --', DAY)
    assert sqlglot.parse(query, read="duckdb") and len(sqlglot.parse(query, read="duckdb")) == 1


def test_unreadable_value_stops_the_query(tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text("lead_id,website_visits\n1,3\n2,lots\n", encoding="utf-8")
    model = Model(
        "m", "1", None, (Rule("v", "fit", "when", 5.0, Leaf("website_visits", "gte", 2)),)
    )
    with pytest.raises(DataError):
        engine_output(model, csv, False)
    with pytest.raises(duckdb.Error, match="website_visits"):
        duckdb_output(model, csv, False)


# --- dialects and the command --------------------------------------------------------------


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_every_dialect_compiles_or_refuses_clearly(dialect: str) -> None:
    for path in EXAMPLE_MODELS:
        try:
            query = compile_model(load_model(path), dialect, "crm.leads", DAY)
        except ModelError as error:
            assert "rules[" in str(error) or "fields." in str(error)
            continue
        assert len(sqlglot.parse(query, read=dialect)) == 1
        assert "TRY_STRPTIME" not in query or dialect == "duckdb"


def test_refusals_name_the_rule() -> None:
    model = load_model(EXAMPLE_MODELS[-1])
    with pytest.raises(ModelError, match=r"rules\[0\] \(decision_maker\).*matches"):
        compile_model(model, "postgres", "leads", DAY)
    with pytest.raises(UsageError, match="--explain"):
        compile_model(model, "snowflake", "leads", DAY, explain=True)
    with pytest.raises(UsageError, match="--dialect"):
        compile_model(model, "oracle", "leads", DAY)


def test_cli_writes_the_query(run, tmp_path: Path) -> None:
    out = tmp_path / "q.sql"
    result = run("sql", "-m", EXAMPLE_MODELS[0], "--as-of", AS_OF, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "DATE" in out.read_text() and AS_OF in out.read_text()
    result = run("sql", "-m", EXAMPLE_MODELS[0], "--dialect", "postgres")
    assert result.exit_code == 3 and "bad model" in result.stderr
    assert run("sql", "-m", EXAMPLE_MODELS[0], "--dialect", "nope").exit_code == 2


def test_cli_lists_every_dialect_the_compiler_knows() -> None:
    from leadscore_cli.cli.sql import DIALECT_NAMES

    assert tuple(DIALECTS) == DIALECT_NAMES


def test_documented_examples_on_shipped_models_compile(run, tmp_path: Path) -> None:
    """The `leadscore sql` lines of the README and of `--help` that name a shipped model."""
    import re
    import shlex

    from leadscore_cli.cli.sql import sql
    from tests.conftest import ROOT

    texts = [(ROOT / "README.md").read_text(), sql.__doc__ or ""]
    lines = {
        line.strip()
        for text in texts
        for line in re.sub(r"\\\n\s*", " ", text).splitlines()  # a continued line is one
        if re.match(r"\s*leadscore sql -m configs/", line)
    }
    assert len(lines) >= 2
    for line in lines:
        args = shlex.split(line)[1:]
        if "-o" in args:
            args[args.index("-o") + 1] = str(tmp_path / "q.sql")
        args = [str(ROOT / a) if a.startswith("configs/") else a for a in args]
        result = run(*args, "--as-of", AS_OF) if "--as-of" not in args else run(*args)
        assert result.exit_code == 0, (line, result.stderr)


def test_a_datetime_map_matches_the_calendar_day_as_score_does(tmp_path: Path) -> None:
    """The query reads a date-time field's day for its keys, as `score` does (it refused
    such a map before)."""
    csv = tmp_path / "seen.csv"
    seen = ["2026-03-04 10:00:00", "2026-03-05T23:59:59.9", "2026-03-04", "", "2026-03-06 00:00:00"]
    pl.DataFrame({"id": ["a", "b", "c", "d", "e"], "seen": seen}).write_csv(csv)
    model = parse_model(
        '[model]\nname = "days"\n[fields.seen]\ntype = "datetime"\n'
        '[[rules]]\nname = "day"\nfield = "seen"\n'
        'map = { "2026-03-04" = 5, "2026-03-05" = 7 }\ndefault = 1\nmissing = -1\n'
    )
    want = engine_output(model, csv, True)
    assert_same(want, duckdb_output(model, csv, True))
    assert want["score_fit"].to_list() == [5.0, 7.0, 5.0, -1.0, 1.0]
