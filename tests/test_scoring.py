"""The scoring engine on small hand-built frames, with expected values worked out by hand."""

from __future__ import annotations

import datetime as dt
import re
import textwrap

import polars as pl
import pytest

from leadscore_cli.errors import DataError
from leadscore_cli.model import parse_model
from leadscore_cli.model.schema import Model
from leadscore_cli.scoring import plan_scoring

AS_OF = dt.date(2025, 6, 30)


def days_ago(days: int) -> str:
    return (AS_OF - dt.timedelta(days=days)).isoformat()


def make_model(body: str, *, header: str = "", id_column: str | None = "id") -> Model:
    """A model from a TOML body; `header` adds keys to [model]."""
    meta = '[model]\nname = "t"\n'
    if id_column:
        meta += f'id_column = "{id_column}"\n'
    return parse_model(meta + textwrap.dedent(header) + textwrap.dedent(body))


def frame(data: dict[str, list]) -> pl.DataFrame:
    """All-string columns, as a CSV reader gives them, plus an id column."""
    rows = len(next(iter(data.values())))
    columns = {"id": [f"L{i:02d}" for i in range(rows)], **data}
    return pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))


def run(model: Model, data: pl.DataFrame | dict[str, list], **options) -> pl.DataFrame:
    data = data if isinstance(data, pl.DataFrame) else frame(data)
    plan = plan_scoring(data.lazy(), model, as_of=AS_OF, source_name="leads.csv", **options)
    return plan.output.collect()


def stats(model: Model, data: pl.DataFrame | dict[str, list]) -> dict:
    data = data if isinstance(data, pl.DataFrame) else frame(data)
    plan = plan_scoring(data.lazy(), model, as_of=AS_OF, source_name="leads.csv")
    return plan.stats.collect().row(0, named=True)


def fired(condition: str, data: dict[str, list], fields: str = "") -> list[bool]:
    """Which rows a one-rule model (10 points) fires on."""
    model = make_model(
        fields + f'[[rules]]\nname = "r"\npoints = 10\nwhen = {condition}\n', id_column=None
    )
    scores = run(model, data)["score"].to_list()
    assert set(scores) <= {0.0, 10.0}, scores
    return [s == 10.0 for s in scores]


T, F = True, False

# ------------------------------------------------------------------ every operator

TEXT = ["Apple", "banana", "Cherry pie", None, "  apple  ", "N/A"]
NUMBERS = ["5", "10", "15.5", "", "-3", "1,000"]
DATES = [days_ago(0), days_ago(30), days_ago(31), "2025-07-15", "", days_ago(400)]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ('{ field = "s", op = "eq", value = "apple" }', [T, F, F, F, T, F]),
        ('{ field = "s", op = "eq", value = " APPLE " }', [T, F, F, F, T, F]),
        ('{ field = "s", op = "ne", value = "apple" }', [F, T, T, F, F, F]),
        ('{ field = "s", op = "in", value = ["banana", "CHERRY PIE"] }', [F, T, T, F, F, F]),
        ('{ field = "s", op = "not_in", value = ["apple"] }', [F, T, T, F, F, F]),
        ('{ field = "s", op = "contains", value = "an" }', [F, T, F, F, F, F]),
        ('{ field = "s", op = "contains", value = ["PIE", "pp"] }', [T, F, T, F, T, F]),
        ('{ field = "s", op = "starts_with", value = "ch" }', [F, F, T, F, F, F]),
        ('{ field = "s", op = "starts_with", value = ["B", "a"] }', [T, T, F, F, T, F]),
        ('{ field = "s", op = "ends_with", value = "PIE" }', [F, F, T, F, F, F]),
        ('{ field = "s", op = "ends_with", value = ["e", "x"] }', [T, F, T, F, T, F]),
        ('{ field = "s", op = "matches", value = "^a.*e$" }', [T, F, F, F, T, F]),
        ('{ field = "s", op = "matches", value = "(an){2}" }', [F, T, F, F, F, F]),
        ('{ field = "s", op = "is_null" }', [F, F, F, T, F, T]),
        ('{ field = "s", op = "not_null" }', [T, T, T, F, T, F]),
    ],
)
def test_text_operators(condition: str, expected: list[bool]) -> None:
    # values are trimmed, and "N/A" is a default null marker
    assert fired(condition, {"s": TEXT}) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ('{ field = "n", op = "eq", value = 10 }', [F, T, F, F, F, F]),
        ('{ field = "n", op = "eq", value = 1000 }', [F, F, F, F, F, T]),
        ('{ field = "n", op = "ne", value = 10 }', [T, F, T, F, T, T]),
        ('{ field = "n", op = "gt", value = 10 }', [F, F, T, F, F, T]),
        ('{ field = "n", op = "gte", value = 10 }', [F, T, T, F, F, T]),
        ('{ field = "n", op = "lt", value = 10 }', [T, F, F, F, T, F]),
        ('{ field = "n", op = "lte", value = 10 }', [T, T, F, F, T, F]),
        ('{ field = "n", op = "gte", value = 15.5 }', [F, F, T, F, F, T]),
        ('{ field = "n", op = "between", value = [5, 15.5] }', [T, T, T, F, F, F]),
        ('{ field = "n", op = "between", value = [-3, -3] }', [F, F, F, F, T, F]),
        ('{ field = "n", op = "in", value = [5, 15.5, 7] }', [T, F, T, F, F, F]),
        ('{ field = "n", op = "not_in", value = [5, 1000] }', [F, T, T, F, T, F]),
        ('{ field = "n", op = "is_null" }', [F, F, F, T, F, F]),
        ('{ field = "n", op = "not_null" }', [T, T, T, F, T, T]),
    ],
)
def test_number_operators(condition: str, expected: list[bool]) -> None:
    assert fired(condition, {"n": NUMBERS}) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        # within_days counts the boundary day; future dates are within any window
        ('{ field = "d", op = "within_days", value = 30 }', [T, T, F, T, F, F]),
        ('{ field = "d", op = "within_days", value = 0 }', [T, F, F, T, F, F]),
        ('{ field = "d", op = "older_than_days", value = 30 }', [F, F, T, F, F, T]),
        ('{ field = "d", op = "older_than_days", value = 365 }', [F, F, F, F, F, T]),
        ('{ field = "d", op = "gte", value = 2025-06-01 }', [T, F, F, T, F, F]),
        ('{ field = "d", op = "lt", value = 2025-05-31 }', [F, F, T, F, F, T]),
        ('{ field = "d", op = "between", value = [2025-05-31, 2025-06-30] }', [T, T, F, F, F, F]),
        ('{ field = "d", op = "is_null" }', [F, F, F, F, T, F]),
    ],
)
def test_date_operators(condition: str, expected: list[bool]) -> None:
    assert fired(condition, {"d": DATES}) == expected


def test_within_and_older_than_split_every_known_date() -> None:
    within = fired('{ field = "d", op = "within_days", value = 30 }', {"d": DATES})
    older = fired('{ field = "d", op = "older_than_days", value = 30 }', {"d": DATES})
    known = [value != "" for value in DATES]
    assert [w != o for w, o in zip(within, older, strict=True)] == known


def test_bool_operators() -> None:
    flags = {"b": ["yes", "No", "TRUE", "0", "", "y", "F", " 1 "]}
    is_true = [T, F, T, F, F, T, F, T]
    is_false = [F, T, F, T, F, F, T, F]  # the empty cell is neither
    assert fired('{ field = "b", op = "eq", value = true }', flags) == is_true
    assert fired('{ field = "b", op = "ne", value = true }', flags) == is_false
    assert fired('{ field = "b", op = "in", value = [false] }', flags) == is_false
    assert fired('{ field = "b", op = "not_in", value = [false] }', flags) == is_true


def test_contains_treats_the_needle_literally() -> None:
    values = ["a.b", "axb", "c++", None]
    assert fired('{ field = "s", op = "contains", value = "." }', {"s": values}) == [T, F, F, F]
    assert fired('{ field = "s", op = "contains", value = "++" }', {"s": values}) == [F, F, T, F]


@pytest.mark.parametrize("case_sensitive", ["false", "true"])
def test_spaces_in_a_needle_are_part_of_it(case_sensitive: str) -> None:
    """Cells are trimmed, needles are not: `"vp "` is a word, not the start of `vpn`."""
    titles = {"s": ["vpn engineer", "vp sales", "disco", "acme co", " padded ", "vp"]}

    def test(op: str, value: str) -> list[bool]:
        condition = f'{{ field = "s", op = "{op}", value = "{value}", '
        return fired(condition + f"case_sensitive = {case_sensitive} }}", titles)

    assert test("contains", "vp ") == [F, T, F, F, F, F]
    assert test("ends_with", " co") == [F, F, F, T, F, F]
    assert test("contains", " ") == [T, T, F, T, F, F]


# ---------------------------------------------------------------- case sensitivity


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ('{ field = "s", op = "eq", value = "Apple", case_sensitive = true }', [T, F, F, F, F, F]),
        ('{ field = "s", op = "eq", value = "apple", case_sensitive = true }', [F, F, F, F, T, F]),
        ('{ field = "s", op = "ne", value = "apple", case_sensitive = true }', [T, T, T, F, F, F]),
        (
            '{ field = "s", op = "in", value = ["Apple", "Banana"], case_sensitive = true }',
            [T, F, F, F, F, F],
        ),
        (
            '{ field = "s", op = "not_in", value = ["apple"], case_sensitive = true }',
            [T, T, T, F, F, F],
        ),
        (
            '{ field = "s", op = "contains", value = "PIE", case_sensitive = true }',
            [F, F, F, F, F, F],
        ),
        (
            '{ field = "s", op = "contains", value = "pie", case_sensitive = true }',
            [F, F, T, F, F, F],
        ),
        (
            '{ field = "s", op = "starts_with", value = "C", case_sensitive = true }',
            [F, F, T, F, F, F],
        ),
        (
            '{ field = "s", op = "ends_with", value = "E", case_sensitive = true }',
            [F, F, F, F, F, F],
        ),
        (
            '{ field = "s", op = "matches", value = "^A", case_sensitive = true }',
            [T, F, F, F, F, F],
        ),
        ('{ field = "s", op = "matches", value = "^A" }', [T, F, F, F, T, F]),
    ],
)
def test_case_sensitive_matching(condition: str, expected: list[bool]) -> None:
    assert fired(condition, {"s": TEXT}) == expected


# -------------------------------------------------------- composition and nulls


def test_all_any_not() -> None:
    data = {"s": ["cto", "cto", "intern", None], "n": ["50", "5", "50", "50"]}
    big_cto = (
        '{ all = [{ field = "s", op = "eq", value = "cto" }, '
        '{ field = "n", op = "gte", value = 10 }] }'
    )
    assert fired(big_cto, data) == [T, F, F, F]
    either = (
        '{ any = [{ field = "s", op = "eq", value = "intern" }, '
        '{ field = "n", op = "lt", value = 10 }] }'
    )
    assert fired(either, data) == [F, T, T, F]
    assert fired(f"{{ not = {either} }}", data) == [T, F, F, T]


def test_nested_composition() -> None:
    data = {
        "s": ["VP Sales", "VP Sales", "Student", "Engineer", None],
        "n": ["500", "5", "500", "500", None],
        "b": ["yes", "yes", "yes", "no", "yes"],
    }
    condition = (
        '{ all = [{ any = [{ field = "s", op = "starts_with", value = "vp" }, '
        '{ field = "n", op = "gte", value = 100 }] }, '
        '{ not = { any = [{ field = "s", op = "contains", value = "student" }, '
        '{ field = "b", op = "eq", value = false }] } }] }'
    )
    # row 0: vp and not student/no -> fires; row 1: vp -> fires; row 2: student -> not;
    # row 3: big but b = no -> not; row 4: neither vp nor big (nulls) -> not
    assert fired(condition, data) == [T, T, F, F, F]


@pytest.mark.parametrize(
    ("op", "value"),
    [
        ("eq", "5"),
        ("ne", "5"),
        ("gt", "1"),
        ("gte", "1"),
        ("lt", "100"),
        ("lte", "100"),
        ("in", "[5]"),
        ("not_in", "[5]"),
        ("between", "[0, 100]"),
    ],
)
def test_comparison_with_missing_value_does_not_fire_but_its_not_does(op: str, value: str) -> None:
    data = {"n": ["", "N/A", None]}
    leaf = f'{{ field = "n", op = "{op}", value = {value} }}'
    assert fired(leaf, data) == [F, F, F]
    assert fired(f"{{ not = {leaf} }}", data) == [T, T, T]


@pytest.mark.parametrize(
    "leaf",
    [
        '{ field = "s", op = "contains", value = "x" }',
        '{ field = "s", op = "starts_with", value = "x" }',
        '{ field = "s", op = "ends_with", value = "x" }',
        '{ field = "s", op = "matches", value = ".*" }',
        '{ field = "s", op = "ne", value = "x" }',
        '{ field = "d", op = "within_days", value = 10000 }',
        '{ field = "d", op = "older_than_days", value = 0 }',
    ],
)
def test_missing_text_and_dates_do_not_fire(leaf: str) -> None:
    data = {"s": [None, ""], "d": [None, "null"]}
    assert fired(leaf, data) == [F, F]
    assert fired(f"{{ not = {leaf} }}", data) == [T, T]


def test_any_with_a_missing_value_still_fires_on_the_other_branch() -> None:
    data = {"n": [None, None, "3"], "s": ["x", "y", None]}
    either = (
        '{ any = [{ field = "n", op = "gt", value = 1 }, { field = "s", op = "eq", value = "x" }] }'
    )
    both = '{ all = [{ field = "n", op = "gt", value = 1 }, { field = "s", op = "is_null" }] }'
    assert fired(either, data) == [T, F, T]
    assert fired(both, data) == [F, F, T]


# ------------------------------------------------------------------------ map rules

MAP_RULE = """
[[rules]]
name = "industry"
field = "industry"
map = { Software = 15, "Financial Services" = 10, "non-profit" = -10 }
default = 2
missing = -3
"""


def test_map_rule_hit_default_missing_and_case() -> None:
    data = {
        "industry": [
            "software",
            "FINANCIAL SERVICES",
            " Software ",
            "retail",
            "",
            "N/A",
            "Non-Profit",
            None,
        ],
    }
    result = run(make_model(MAP_RULE), data)
    assert result["score_fit"].to_list() == [15, 10, 15, 2, -3, -3, -10, -3]
    # A lookup fires when it gives points: here the default (2) and missing (-3) too.
    assert stats(make_model(MAP_RULE), data)["fired:0"] == 8
    no_default = make_model(MAP_RULE.replace("default = 2", "default = 0"))
    assert run(no_default, data)["score_fit"].to_list() == [15, 10, 15, 0, -3, -3, -10, -3]
    assert stats(no_default, data)["fired:0"] == 7


def test_case_sensitive_map() -> None:
    model = make_model(MAP_RULE.replace("missing = -3", "missing = -3\ncase_sensitive = true"))
    data = {"industry": ["Software", "software", "Financial Services", "financial services"]}
    assert run(model, data)["score_fit"].to_list() == [15, 2, 10, 2]


def test_map_on_a_number_field_compares_numbers() -> None:
    model = make_model(
        """
        [fields.n]
        type = "int"

        [[rules]]
        name = "seats"
        field = "n"
        map = { "1" = 5, "2" = 7, "10" = 9 }
        default = 1
        missing = -1
        """
    )
    data = {"n": ["1", "2", "10", "3", "", "1,0"]}
    assert run(model, data)["score_fit"].to_list() == [5, 7, 9, 1, -1, 9]


# ---------------------------------------------------------------------- band rules

BANDS_RULE = """
[[rules]]
name = "size"
field = "employees"
bands = [
  { max = 10, points = 1 },
  { min = 10, max = 50, points = 2 },
  { min = 100, points = 4 },
]
default = 7
missing = -5
"""


def test_bands_edges_open_ends_default_and_missing() -> None:
    data = {"employees": ["-20", "9.99", "10", "49.99", "50", "99", "100", "1e6", "", "Select"]}
    model = make_model("[fields]\nnull_values = ['', 'Select']\n" + BANDS_RULE)
    # min is inclusive and max exclusive; 50-100 is not covered so gets the default
    assert run(model, data)["score_fit"].to_list() == [1, 1, 2, 2, 7, 7, 4, 4, -5, -5]
    assert stats(model, data)["fired:0"] == 10  # every lead gets points
    quiet = make_model(
        "[fields]\nnull_values = ['', 'Select']\n"
        + BANDS_RULE.replace("default = 7", "default = 0").replace("points = 2", "points = 0")
    )
    assert run(quiet, data)["score_fit"].to_list() == [1, 1, 0, 0, 0, 0, 4, 4, -5, -5]
    assert stats(quiet, data)["fired:0"] == 6


def test_bands_on_typed_column() -> None:
    data = pl.DataFrame(
        {"id": ["a", "b", "c", "d"], "employees": [10, 60, None, 5000]},
        schema={"id": pl.String, "employees": pl.Int64},
    )
    assert run(make_model(BANDS_RULE), data)["score_fit"].to_list() == [2, 7, -5, 4]


def test_typed_columns_read_as_the_same_values_would_from_csv() -> None:
    """Parquet types must not change a score: a categorical `N/A`, a float 12.0 looked up
    as text, 12.5 in an int field and a zoned timestamp read as they would from CSV."""
    model = make_model(
        """
        [fields]
        null_values = ["", "N/A"]
        [fields.n]
        type = "int"
        on_invalid = "null"

        [[rules]]
        name = "no_industry"
        points = 1
        when = { field = "cat", op = "is_null" }
        [[rules]]
        name = "twelve"
        field = "emp"
        map = { "12" = 10 }
        [[rules]]
        name = "big"
        points = 20
        when = { field = "n", op = "gte", value = 10 }
        [[rules]]
        name = "fresh"
        points = 40
        when = { field = "seen", op = "within_days", value = 0 }
        """
    )
    zone = "America/Los_Angeles"
    as_of_evening = dt.datetime(AS_OF.year, AS_OF.month, AS_OF.day, 19, 0)
    typed = pl.DataFrame(
        {
            "id": ["a", "b", "c"],
            "cat": pl.Series(["software", "N/A", None], dtype=pl.Categorical),
            "emp": [12.0, 12.5, None],
            "n": [12.0, 12.5, 9.0],
            "seen": [as_of_evening - dt.timedelta(days=1), as_of_evening, None],
        }
    ).with_columns(pl.col("seen").dt.replace_time_zone(zone))
    as_text = typed.with_columns(
        pl.col("cat").cast(pl.String),
        pl.col("emp").map_elements(lambda v: f"{v:g}", return_dtype=pl.String),
        pl.col("n").map_elements(lambda v: f"{v:g}", return_dtype=pl.String),
        pl.col("seen").dt.strftime("%Y-%m-%d %H:%M:%S"),
    )
    # a: 12 -> +10, n 12 -> +20, seen the day before as-of (its own zone) -> no;
    # b: N/A -> +1, 12.5 is no int, seen on the as-of evening -> +40; c: no industry -> +1
    assert run(model, as_text)["score"].to_list() == [30.0, 41.0, 1.0]
    assert run(model, typed)["score"].to_list() == [30.0, 41.0, 1.0]


# ---------------------------------------------------------------------------- caps

CAPPED = """
[caps.fit]
min = -10
max = 20

[[rules]]
name = "a"
points = 15
when = { field = "a", op = "eq", value = true }

[[rules]]
name = "b"
points = 15
when = { field = "b", op = "eq", value = true }

[[rules]]
name = "c"
points = -8
when = { field = "c", op = "eq", value = true }

[[rules]]
name = "d"
points = -8
when = { field = "d", op = "eq", value = true }

[[rules]]
name = "e"
category = "engagement"
points = 45
when = { field = "e", op = "eq", value = true }
"""


def test_category_caps() -> None:
    data = {
        "a": ["y", "y", "n", "y", "y"],
        "b": ["n", "y", "n", "y", "y"],
        "c": ["n", "n", "y", "y", "y"],
        "d": ["n", "n", "y", "n", "y"],
        "e": ["n", "n", "y", "y", "y"],
    }
    result = run(make_model(CAPPED), data)
    # fit raw: 15, 30 -> 20, -16 -> -10, 22 -> 20, 14; engagement is uncapped
    assert result["score_fit"].to_list() == [15, 20, -10, 20, 14]
    assert result["score_engagement"].to_list() == [0, 0, 45, 45, 45]
    assert result["score"].to_list() == [15, 20, 35, 65, 59]


def test_total_cap() -> None:
    model = make_model(CAPPED + "\n[caps.total]\nmin = 5\nmax = 50\n")
    data = {
        "a": ["y", "n", "y", "n"],
        "b": ["y", "n", "n", "n"],
        "c": ["n", "n", "n", "y"],
        "d": ["n", "n", "n", "y"],
        "e": ["y", "n", "n", "n"],
    }
    result = run(model, data)
    # totals 20+45 = 65 -> 50; 0 -> 5; 15; -10 -> 5. Category subtotals are not changed.
    assert result["score"].to_list() == [50, 5, 15, 5]
    assert result["score_fit"].to_list() == [20, 0, 15, -10]


# --------------------------------------------------------------------------- decay


def decay_model(decay: str) -> Model:
    return make_model(
        f"""
        [[rules]]
        name = "visits"
        points = 40
        when = {{ field = "visits", op = "gte", value = 1 }}
        decay = {{ field = "last", {decay} }}
        """
    )


def test_half_life_decay() -> None:
    data = {
        "visits": ["3", "3", "3", "3", "3", "3", "0"],
        "last": [
            days_ago(0),
            days_ago(10),
            days_ago(20),
            days_ago(5),
            "2025-12-31",
            "",
            days_ago(0),
        ],
    }
    result = run(decay_model("half_life_days = 10"), data)
    # 40 * 0.5 ** (age / 10); future dates count as age 0; missing date keeps full points
    expected = [40, 20, 10, 40 * 0.5**0.5, 40, 40, 0]
    assert result["score"].to_list() == pytest.approx([round(x, 2) for x in expected])


def test_linear_decay() -> None:
    data = {
        "visits": ["1"] * 6,
        "last": [
            days_ago(0),
            days_ago(25),
            days_ago(99),
            days_ago(100),
            days_ago(150),
            "2026-01-01",
        ],
    }
    result = run(decay_model("lifespan_days = 100"), data)
    # 40 * (1 - age / 100), zero from the lifespan on
    assert result["score"].to_list() == pytest.approx([40, 30, 0.4, 0, 0, 40])


def test_decay_gives_the_same_bits_in_a_one_row_file_and_a_long_one() -> None:
    """polars divides a long column by a constant via its reciprocal but a one-row column
    truly; decay multiplies by reciprocals itself, so the last bit, and with it the order
    of two equal-looking reasons, does not depend on the file's length."""
    model = make_model(
        """
        [[rules]]
        name = "country"
        points = 8
        when = { field = "country", op = "eq", value = "us" }
        [[rules]]
        name = "unsubscribed"
        points = -30
        when = { field = "unsubscribed", op = "eq", value = true }
        decay = { field = "last", lifespan_days = 180 }
        """
    )
    lead = {"country": ["us"], "unsubscribed": ["yes"], "last": [days_ago(132)]}
    alone = run(model, lead, explain=True)
    many = run(model, {k: v * 1000 for k, v in lead.items()}, explain=True)
    assert many["reasons"].unique().to_list() == alone["reasons"].to_list()
    assert many["score"].unique().to_list() == alone["score"].to_list()
    # -30 * (1 - 132 * (1/180)) is a hair below -8: it ranks after the +8 in model order
    assert alone["reasons"][0] == "country +8; unsubscribed -8"


def test_decay_with_missing_date_none() -> None:
    data = {"visits": ["1", "1", "1"], "last": ["", "garbage", days_ago(10)]}
    result = run(decay_model('half_life_days = 10, if_missing = "none"'), data)
    assert result["score"].to_list() == [0, 0, 20]
    full = run(decay_model("half_life_days = 10"), data)
    assert full["score"].to_list() == [40, 40, 20]


def test_decay_applies_to_negative_points_and_lookups() -> None:
    model = make_model(
        """
        [caps.fit]
        min = -100

        [[rules]]
        name = "bad"
        points = -30
        when = { field = "flag", op = "eq", value = true }
        decay = { field = "last", half_life_days = 7 }

        [[rules]]
        name = "tier"
        field = "plan"
        map = { gold = 16 }
        decay = { field = "last", lifespan_days = 28 }
        """
    )
    data = {"flag": ["y", "y"], "plan": ["gold", "gold"], "last": [days_ago(7), days_ago(14)]}
    result = run(model, data)
    # row 0: -30 * 0.5 + 16 * 0.75 = -3; row 1: -30 * 0.25 + 16 * 0.5 = 0.5
    assert result["score_fit"].to_list() == pytest.approx([-3.0, 0.5])


# ---------------------------------------------------------------------------- scale

SCALED = """
[[rules]]
name = "a"
points = 30
when = { field = "a", op = "eq", value = true }

[[rules]]
name = "b"
points = 50
when = { field = "b", op = "eq", value = true }

[[rules]]
name = "c"
category = "other"
points = -20
when = { field = "c", op = "eq", value = true }

[[rules]]
name = "m"
category = "other"
field = "m"
map = { x = 40, y = 10 }
default = 5
missing = 0
"""

SCALE_DATA = {
    "a": ["y", "n", "n", "y", "y", "n"],
    "b": ["n", "n", "n", "y", "y", "n"],
    "c": ["n", "y", "n", "n", "n", "y"],
    "m": ["", "", "", "x", "y", "zzz"],
}
# raw totals of the rows above: 30, -20, 0, 120, 90, -15
RAW_TOTALS = [30, -20, 0, 120, 90, -15]


def test_scale_clip() -> None:
    result = run(make_model(SCALED), SCALE_DATA)
    assert result["score"].to_list() == [30, 0, 0, 100, 90, 0]


def test_scale_rescale() -> None:
    model = make_model(SCALED, header='scale = "rescale"\n')
    # fit can reach 0..80, other -20 (c fires, m missing) .. 40 (m = x)
    low, high = -20.0, 120.0
    assert model.attainable_range() == (low, high)
    expected = [round((t - low) / (high - low) * 100, 2) for t in RAW_TOTALS]
    result = run(model, SCALE_DATA)
    assert result["score"].to_list() == pytest.approx(expected)
    assert result["score"].to_list()[1] == 0 and result["score"].to_list()[3] == 100


def test_scale_rescale_with_caps() -> None:
    model = make_model(
        SCALED + "\n[caps.fit]\nmax = 60\n[caps.total]\nmin = -10\n", header='scale = "rescale"\n'
    )
    low, high = -10.0, 100.0  # fit 0..60, other -20..40, total -20..100 with floor -10
    assert model.attainable_range() == (low, high)
    capped = [30, -10, 0, 100, 70, -10]  # fit capped at 60, total floored at -10
    expected = [round((t - low) / (high - low) * 100, 2) for t in capped]
    assert run(model, SCALE_DATA)["score"].to_list() == pytest.approx(expected)


def test_rescale_range_of_decayed_lookups_reaches_zero() -> None:
    # docs/model.md: a rule with decay can also contribute 0 (fully decayed), so the
    # attainable range of a decayed lookup spans from 0 to its highest value.
    model = make_model(
        """
        [[rules]]
        name = "plan"
        field = "plan"
        map = { gold = 20, silver = 10 }
        default = 10
        missing = 10
        decay = { field = "last", half_life_days = 10 }
        """,
        header='scale = "rescale"\n',
    )
    low, high = 0.0, 20.0
    assert model.attainable_range() == (low, high)
    data = {
        "plan": ["gold", "silver", "gold", "gold"],
        "last": [days_ago(0), days_ago(0), days_ago(5), days_ago(20)],
    }
    points = [20, 10, 20 * 0.5**0.5, 5]
    expected = [round((p - low) / (high - low) * 100, 2) for p in points]
    assert run(model, data)["score"].to_list() == pytest.approx(expected)
    assert expected[-1] == 25  # 5 of 20 points: inside the range, not clipped


# ---------------------------------------------------------------------------- tiers

TIERED = """
[tiers]
sql = 75
mql = 50
cold = 0

[[rules]]
name = "p"
field = "p"
map = { a = 75, b = 74.99, c = 50, d = 49.99, e = 100 }
missing = 0
"""


def test_tiers_have_inclusive_lower_bounds() -> None:
    result = run(make_model(TIERED), {"p": ["a", "b", "c", "d", "e", ""]})
    assert result["tier"].cast(pl.String).to_list() == ["sql", "mql", "mql", "cold", "sql", "cold"]
    assert result["tier"].dtype == pl.Enum(["sql", "mql", "cold"])


def test_tiers_sort_from_top_to_bottom() -> None:
    result = run(make_model(TIERED), {"p": ["d", "a", "c", "e"]})
    assert result.sort("tier")["tier"].cast(pl.String).to_list() == ["sql", "sql", "mql", "cold"]
    assert result.sort("tier", descending=True)["tier"].cast(pl.String).to_list()[0] == "cold"


def test_no_tier_column_without_tiers() -> None:
    result = run(make_model(MAP_RULE), {"industry": ["software"]})
    assert "tier" not in result.columns
    assert result.columns == ["id", "industry", "score", "score_fit"]


# -------------------------------------------------------------------------- reasons

REASONED = """
[caps.engagement]
max = 20

[[rules]]
name = "demo"
category = "engagement"
points = 30
when = { field = "demo", op = "eq", value = true }

[[rules]]
name = "cto"
points = 20
when = { field = "title", op = "eq", value = "cto" }

[[rules]]
name = "visits"
category = "engagement"
points = 5
when = { field = "visits", op = "gte", value = 3 }

[[rules]]
name = "student"
points = -30
when = { field = "title", op = "contains", value = "student" }

[[rules]]
name = "half"
points = 2.5
when = { field = "visits", op = "gte", value = 100 }
"""


def reasons_sum(text: str) -> float:
    return sum(float(m) for m in re.findall(r" ([+-][0-9.]+)(?:;|$)", text))


def test_reasons_text() -> None:
    data = {
        "demo": ["yes", "no", "no", "yes", "no"],
        "title": ["cto", "student", "ceo", "ceo", "cto"],
        "visits": ["5", "0", "0", "1", "150"],
    }
    result = run(make_model(REASONED), data, explain=True)
    assert result["reasons"].to_list() == [
        # engagement 35 capped to 20: the cap shows as its own entry; ties keep rule order
        "demo +30; cto +20; cap:engagement -15; visits +5",
        # a negative total is clipped to 0 by the score scale
        "student -30; cap:scale +30",
        # nothing fired, nothing capped: no entries at all
        "",
        # engagement 30 capped to 20
        "demo +30; cap:engagement -10",
        "cto +20; visits +5; half +2.5",
    ]
    assert result["score"].to_list() == [40, 0, 0, 20, 27.5]
    for text, score in zip(result["reasons"], result["score"], strict=True):
        assert reasons_sum(text) == pytest.approx(score)


def test_reasons_show_decayed_fractions_and_total_cap() -> None:
    model = make_model(
        """
        [caps.total]
        max = 25

        [[rules]]
        name = "recent"
        points = 20
        when = { field = "n", op = "gte", value = 1 }
        decay = { field = "last", half_life_days = 30 }

        [[rules]]
        name = "big"
        points = 20
        when = { field = "n", op = "gte", value = 10 }
        """
    )
    data = {"n": ["5", "50"], "last": [days_ago(15), days_ago(0)]}
    result = run(model, data, explain=True)
    decayed = 20 * 0.5**0.5  # 14.142...
    assert result["reasons"].to_list() == [
        f"recent +{decayed:.2f}",
        "recent +20; big +20; cap:total -15",
    ]
    for text, score in zip(result["reasons"], result["score"], strict=True):
        assert reasons_sum(text) == pytest.approx(score, abs=0.011)


def test_reasons_only_with_explain() -> None:
    data = {"demo": ["y"], "title": ["x"], "visits": ["1"]}
    assert "reasons" not in run(make_model(REASONED), data).columns


# ---------------------------------------------------------------- tolerant parsing


def test_numbers_with_currency_separators_and_parentheses() -> None:
    model = make_model(
        """
        [fields.rev]
        source = "Revenue"
        type = "float"

        [[rules]]
        name = "rev"
        field = "rev"
        bands = [{ max = 0, points = -1 }, { min = 0, max = 1000, points = 1 },
                 { min = 1000, max = 2000, points = 2 }, { min = 1000000, points = 3 }]
        default = 9
        missing = -9
        """
    )
    raw = ["$1,200,000.00", "1,200", "(500)", "€ 1 500", "£999", "N/A", "", "  ", "1_500", "-$5"]
    result = run(model, {"Revenue": raw})
    assert result["score_fit"].to_list() == [3, 2, -1, 2, 1, -9, -9, -9, 2, -1]


def test_number_values_parse_exactly() -> None:
    values = ["$1,200,000.00", "1,200", "(500)", "1e3"]
    expect = [1_200_000, 1200, -500, 1000]
    for value, number in zip(values, expect, strict=True):
        condition = f'{{ field = "n", op = "eq", value = {number} }}'
        assert fired(condition, {"n": [value, "0"]}) == [T, F], value


def test_custom_null_markers() -> None:
    data = {"s": ["Select", "select", "-", "n/a", "unknown", "x"]}
    leaf = '{ field = "s", op = "is_null" }'
    # "Select" (a CRM picklist's "nothing picked"), "-" and "n/a" are default null markers
    assert fired(leaf, data) == [T, T, T, T, F, F]
    with_model_list = "[fields]\nnull_values = ['-']\n"  # replaces the default
    assert fired(leaf, data, with_model_list) == [F, F, T, F, F, F]
    with_field_list = "[fields.s]\nnull_values = ['unknown']\n"  # adds to it
    assert fired(leaf, data, with_field_list) == [T, T, T, T, T, F]


def test_boolean_spellings() -> None:
    trues = ["yes", "YES", "Y", "true", "True", "t", "1", " yes "]
    falses = ["no", "N", "false", "FALSE", "f", "0"]
    data = {"b": trues + falses + ["", "maybe"]}
    expected = [T] * len(trues) + [F] * len(falses) + [F, F]
    assert fired('{ field = "b", op = "eq", value = true }', data) == expected
    not_false = fired('{ field = "b", op = "eq", value = false }', data)
    assert not_false == [F] * len(trues) + [T] * len(falses) + [F, F]


def test_custom_boolean_spellings() -> None:
    fields = "[fields.b]\ntrue_values = ['Sí', 'ja']\nfalse_values = ['nein']\n"
    data = {"b": ["sí", "JA", "nein", "yes"]}
    assert fired('{ field = "b", op = "eq", value = true }', data, fields) == [T, T, F, F]
    assert fired('{ field = "b", op = "eq", value = false }', data, fields) == [F, F, T, F]


def test_dates_with_a_custom_format() -> None:
    fields = "[fields.d]\ntype = 'date'\nformat = '%d/%m/%Y'\n"
    data = {"d": ["31/12/2024", "1/2/2024", "2024-12-31", ""]}
    on_eve = '{ field = "d", op = "between", value = [2024-12-31, 2024-12-31] }'
    assert fired(on_eve, data, fields) == [T, F, F, F]
    feb = '{ field = "d", op = "between", value = [2024-02-01, 2024-02-01] }'
    assert fired(feb, data, fields) == [F, T, F, F]


def test_dates_in_automatic_formats() -> None:
    data = {"d": ["2024-12-31", "2024/12/31", "2024-12-31T23:59:00", "2024-12-31 08:00:00.5"]}
    leaf = '{ field = "d", op = "between", value = [2024-12-31, 2024-12-31] }'
    assert fired(leaf, data) == [T, T, T, T]


# ------------------------------------------------------------------ invalid values

INVALID = """
[fields.n]
type = "int"

[[rules]]
name = "n"
points = 10
when = { field = "n", op = "gte", value = 1 }

[[rules]]
name = "d"
points = 5
when = { field = "d", op = "within_days", value = 30 }

[[rules]]
name = "b"
points = 1
when = { field = "b", op = "eq", value = true }
"""


def test_invalid_values_are_counted_in_stats() -> None:
    data = {
        "n": ["3", "1.5", "abc", "", "7"],
        "d": ["yesterday", days_ago(1), "2025-13-01", "N/A", days_ago(2)],
        "b": ["yes", "no", "perhaps", "", "1"],
    }
    model = make_model(INVALID)
    figures = stats(model, data)
    assert figures["rows"] == 5
    assert (figures["invalid:n"], figures["invalid:d"], figures["invalid:b"]) == (2, 2, 1)
    assert (figures["example:n"], figures["row:n"]) == ("1.5", 1)
    assert (figures["example:d"], figures["row:d"]) == ("yesterday", 0)
    assert (figures["example:b"], figures["row:b"]) == ("perhaps", 2)
    assert [figures[f"fired:{i}"] for i in range(3)] == [2, 2, 2]
    # unreadable values score as missing
    assert run(model, data)["score"].to_list() == [11, 5, 0, 0, 16]


def test_invalid_row_points_at_the_first_bad_value() -> None:
    data = {"n": ["1", "x", "2", "y", "z"], "d": [""] * 5, "b": [""] * 5}
    figures = stats(make_model(INVALID), data)
    assert (figures["invalid:n"], figures["example:n"], figures["row:n"]) == (3, "x", 1)


def test_on_invalid_null_silences_the_field() -> None:
    model = make_model(INVALID.replace('type = "int"', 'type = "int"\non_invalid = "null"'))
    data = {"n": ["abc", "4"], "d": ["", ""], "b": ["", ""]}
    figures = stats(model, data)
    assert figures["invalid:n"] == 1  # counted for the warning, not an error
    assert "example:n" not in figures
    assert figures["invalid:d"] == 0
    assert run(model, data)["score"].to_list() == [0, 10]


def test_checked_fields_name_their_export_column() -> None:
    model = make_model(INVALID.replace('type = "int"', 'type = "int"\nsource = "Employees"'))
    plan = plan_scoring(
        frame({"Employees": ["1"], "d": [""], "b": [""]}).lazy(),
        model,
        as_of=AS_OF,
        source_name="x",
    )
    assert ("n", "Employees") in plan.checked_fields


# ------------------------------------------------------------- typed (Parquet) input


def test_typed_columns_score_like_text() -> None:
    model = make_model(
        """
        [[rules]]
        name = "big"
        points = 10
        when = { field = "employees", op = "gte", value = 100 }

        [[rules]]
        name = "demo"
        points = 20
        when = { field = "demo", op = "eq", value = true }

        [[rules]]
        name = "recent"
        points = 30
        when = { field = "seen", op = "within_days", value = 7 }

        [[rules]]
        name = "rev"
        points = 5
        when = { field = "revenue", op = "between", value = [1.5, 2.5] }
        decay = { field = "stamp", half_life_days = 1 }

        [[rules]]
        name = "title"
        points = 1
        when = { field = "title", op = "eq", value = "cto" }
        """
    )
    typed = pl.DataFrame(
        {
            "id": ["a", "b", "c"],
            "employees": [150, 99, None],
            "demo": [True, False, None],
            "seen": [AS_OF - dt.timedelta(days=7), AS_OF - dt.timedelta(days=8), None],
            "revenue": [2.5, 1.0, 2.0],
            "stamp": [
                dt.datetime(2025, 6, 29, 13, 0),
                dt.datetime(2025, 6, 30, 9, 0),
                dt.datetime(2025, 6, 30, 0, 0),
            ],
            "title": [" CTO ", "cfo", None],
        }
    )
    text = frame(
        {
            "employees": ["150", "99", ""],
            "demo": ["true", "false", ""],
            "seen": [days_ago(7), days_ago(8), ""],
            "revenue": ["2.5", "1", "2"],
            "stamp": ["2025-06-29 13:00:00", "2025-06-30 09:00:00", "2025-06-30"],
            "title": [" CTO ", "cfo", ""],
        }
    ).with_columns(id=pl.Series(["a", "b", "c"]))
    # a: 10 + 20 + 30 + 5 * 0.5 (one day old by date) + 1; b: 0; c: 5 (today)
    expected = [63.5, 0, 5]
    assert run(model, typed)["score"].to_list() == expected
    assert run(model, text)["score"].to_list() == expected


BOOL_RULE = """
[fields.b]
type = "bool"
[[rules]]
name = "yes"
points = 10
when = { field = "b", op = "eq", value = true }
[[rules]]
name = "no"
points = 1
when = { field = "b", op = "eq", value = false }
"""


@pytest.mark.parametrize("dtype", [pl.Int64, pl.Int8, pl.UInt32])
def test_an_integer_column_read_as_bool_takes_only_1_and_0(dtype: pl.DataType) -> None:
    """As from CSV: 5 is no boolean, whatever the integer type."""
    values = [1, 0, 5, None, 1, 100]
    typed = pl.DataFrame({"id": [str(i) for i in range(6)], "b": pl.Series(values, dtype=dtype)})
    text = frame({"b": ["" if v is None else str(v) for v in values]})
    for data in (typed, text):
        figures = stats(make_model(BOOL_RULE), data)
        assert (figures["invalid:b"], figures["example:b"], figures["row:b"]) == (2, "5", 2)
        lenient = make_model(BOOL_RULE.replace('"bool"', '"bool"\non_invalid = "null"'))
        assert run(lenient, data)["score"].to_list() == [10, 1, 0, 0, 10, 0]


def test_a_negative_integer_read_as_bool_is_unreadable() -> None:
    typed = pl.DataFrame({"id": ["a", "b"], "b": [-1, 1]})
    assert stats(make_model(BOOL_RULE), typed)["invalid:b"] == 1


def test_typed_column_of_the_wrong_kind_is_a_data_error() -> None:
    model = make_model(
        '[[rules]]\nname = "r"\npoints = 1\nwhen = { field = "n", op = "gt", value = 1 }\n'
    )
    data = pl.DataFrame({"id": ["a"], "n": [dt.date(2024, 1, 1)]})
    with pytest.raises(DataError, match=r"column 'n' holds dates, the model reads it as float"):
        run(model, data)


# ------------------------------------------------------- columns, sort, top, errors


def test_keep_columns() -> None:
    model = make_model(MAP_RULE)
    data = frame({"industry": ["software"], "name": ["Ann"], "email": ["a@x.com"]})
    result = run(model, data, keep_columns=["email", "id", "email"])
    assert result.columns == ["email", "id", "score", "score_fit"]
    result = run(model, data, keep_columns=[], explain=True)
    assert result.columns == ["score", "score_fit", "reasons"]
    assert run(model, data).columns == ["id", "industry", "name", "email", "score", "score_fit"]


def test_keep_columns_unknown_column() -> None:
    data = frame({"industry": ["software"], "email": ["a@x.com"]})
    with pytest.raises(DataError) as info:
        run(make_model(MAP_RULE), data, keep_columns=["emial", "id", "zzz"])
    assert str(info.value) == (
        "leads.csv: --columns names unknown column(s): 'emial' (did you mean 'email'?), 'zzz'"
    )


def test_sort_breaks_ties_on_the_id() -> None:
    model = make_model(MAP_RULE)
    data = pl.DataFrame(
        {
            "id": ["c", "a", "e", "b", "d"],
            "industry": ["retail", "software", "software", "retail", "non-profit"],
        }
    )
    result = run(model, data, sort=True)
    assert result["id"].to_list() == ["a", "e", "b", "c", "d"]
    assert result["score"].to_list() == [15, 15, 2, 2, 0]
    unsorted = run(model, data)
    assert unsorted["id"].to_list() == ["c", "a", "e", "b", "d"]


def test_top_keeps_the_best_rows() -> None:
    model = make_model(MAP_RULE)
    data = pl.DataFrame(
        {"id": ["c", "a", "e", "b", "d"], "industry": ["retail", "software", "x", "software", ""]}
    )
    result = run(model, data, top=3)
    assert result["id"].to_list() == ["a", "b", "c"]
    assert run(model, data, top=0).height == 0
    assert run(model, data, top=10).height == 5


def test_missing_columns_are_reported_at_once_with_closest_names() -> None:
    model = make_model(
        """
        [fields.revenue]
        source = "Annual Revenue"

        [[rules]]
        name = "r"
        points = 1
        when = { all = [{ field = "revenue", op = "gt", value = 1 },
                        { field = "job_title", op = "contains", value = "vp" },
                        { field = "zzz", op = "is_null" }] }
        """
    )
    data = frame({"Annual revenue": ["1"], "JobTitle": ["x"]})
    with pytest.raises(DataError) as info:
        run(model, data)
    message = str(info.value)
    assert message.startswith("leads.csv: 3 problems: ")
    assert info.value.problems[0] == (
        "missing column 'Annual Revenue' (read as field 'revenue') (closest: 'Annual revenue')"
    )
    assert "missing column 'job_title' (closest: 'JobTitle')" in message
    assert "missing column 'zzz'" in message and "'zzz' (closest" not in message
    assert message.count("missing column") == 3


def missing_columns(model: Model, data: pl.DataFrame) -> list[str]:
    with pytest.raises(DataError) as info:
        run(model, data)
    return info.value.problems or [str(info.value)]


def test_closest_names_ignore_case() -> None:
    model = make_model(MAP_RULE, id_column="lead_id")
    data = pl.DataFrame({"Lead ID": ["L1"], "Industry": ["software"]})
    assert missing_columns(model, data) == [
        "missing column 'industry' (closest: 'Industry')",
        "missing column 'lead_id' (closest: 'Lead ID')",
    ]
    keep = pl.DataFrame({"lead_id": ["L1"], "industry": ["software"]})
    with pytest.raises(DataError, match=r"'Industry' \(did you mean 'industry'\?\)"):
        run(model, keep, keep_columns=["Industry"])


def test_a_misspelt_field_is_pointed_at_the_declared_field() -> None:
    """A rule reading `annual_revenu` beside `[fields.annual_revenue]` has a typo in the
    field's name: pointing at the export header `Annual Revenue` would mislead."""
    model = make_model(
        """
        [fields.annual_revenue]
        source = "Annual Revenue"
        [[rules]]
        name = "big"
        points = 1
        when = { field = "annual_revenu", op = "gt", value = 1 }
        [[rules]]
        name = "rich"
        points = 1
        when = { field = "annual_revenue", op = "gt", value = 1 }
        """
    )
    data = frame({"Annual Revenue": ["5"]})
    assert missing_columns(model, data) == [
        "missing column 'annual_revenu' (closest: field 'annual_revenue')"
    ]


def test_missing_id_column_is_reported() -> None:
    with pytest.raises(DataError, match=r"missing column 'id'"):
        run(make_model(MAP_RULE), pl.DataFrame({"industry": ["software"]}))


def test_renamed_field_reads_its_source_header() -> None:
    model = make_model(
        """
        [fields.revenue]
        source = "Annual Revenue"

        [[rules]]
        name = "rich"
        points = 25
        when = { field = "revenue", op = "gte", value = 1000000 }
        """
    )
    result = run(model, {"Annual Revenue": ["$2,000,000", "10"]})
    assert result["score"].to_list() == [25, 0]
    assert result["revenue"].to_list() == ["$2,000,000", "10"]  # raw values pass through


def test_rename_onto_an_existing_column_is_refused() -> None:
    model = make_model(
        '[fields.revenue]\nsource = "Revenue"\n'
        '[[rules]]\nname = "r"\npoints = 1\nwhen = { field = "revenue", op = "gt", value = 1 }\n'
    )
    with pytest.raises(DataError, match="has a column 'revenue' of its own"):
        run(model, {"Revenue": ["1"], "revenue": ["2"]})


def test_score_counts_and_stats_fired() -> None:
    model = make_model(MAP_RULE)
    data = {"industry": ["software", "software", "retail", "non-profit"]}
    plan = plan_scoring(frame(data).lazy(), model, as_of=AS_OF, source_name="x")
    counts = dict(plan.score_counts.collect().iter_rows())
    assert counts == {15.0: 2, 2.0: 1, 0.0: 1}
    assert plan.added_columns == ["score", "score_fit"]


def test_scores_are_rounded_to_two_decimals() -> None:
    model = make_model(
        '[[rules]]\nname = "r"\npoints = 33.33333\nwhen = { field = "x", op = "is_null" }\n'
        '[[rules]]\nname = "s"\ncategory = "e"\npoints = 0.004\n'
        'when = { field = "x", op = "is_null" }\n'
    )
    result = run(model, {"x": [None]})
    assert result.row(0, named=True) == {
        "id": "L00",
        "x": None,
        "score": 33.34,
        "score_fit": 33.33,
        "score_e": 0.0,
    }
