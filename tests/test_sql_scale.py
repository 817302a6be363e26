"""`leadscore sql` on models with thousands of lookup keys and list values: target-account
lists, title and postcode lookups. They compile in time that grows with the number of
keys, in every dialect, and the query scores as `score` does."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import pytest

from leadscore_cli.model import parse_model
from leadscore_cli.model.schema import Model
from leadscore_cli.sql import compile_model
from leadscore_cli.sql.dialects import DIALECTS
from leadscore_cli.sql.scores import RANKED_ENTRIES
from tests.conftest import SAMPLE
from tests.test_sql import DAY, assert_same, duckdb_output, engine_output

SIZE = 5000
BOUND = 10.0  # seconds per compile on a slow machine; minutes when it grows quadratically
POINTS = (-3.0, 5.0, 2.5, 0.0, 10.0, -0.5, 7.0)  # several keys share each value


def toml_text(value: str) -> str:
    """A TOML basic string (JSON's escapes, written as UTF-8)."""
    return json.dumps(value, ensure_ascii=False)


def sample_companies(size: int) -> list[str]:
    """The sample's companies, one spelling each once case and spaces are ignored (as the
    model's validation requires of map keys), alternately upper-cased, then made-up ones."""
    names = pl.read_csv(SAMPLE, infer_schema=False)["company"].drop_nulls().to_list()
    distinct = {name.strip().lower(): name.strip() for name in names if name.strip()}
    spelled = [name.upper() if i % 2 else name for i, name in enumerate(distinct.values())]
    return (spelled + [f"Prospect {i} Ltd" for i in range(size)])[:size]


def numeric_keys(size: int) -> list[str]:
    """0..size-1 written as `12`, `12.0` or `1.2e1`: compared as numbers, all match."""
    spellings = (str, lambda i: f"{i}.0", lambda i: f"{i:e}")
    return [spellings[i % 3](i) for i in range(size)]


def big_model(size: int) -> str:
    """Two lookups of `size` keys (most of them the sample's values), and `in`/`not_in`
    lists of SIZE values."""
    companies = sample_companies(size)
    company_map = ", ".join(
        f"{toml_text(c)} = {POINTS[i % len(POINTS)]}" for i, c in enumerate(companies)
    )
    size_map = ", ".join(f'"{k}" = {POINTS[i % 5]}' for i, k in enumerate(numeric_keys(size)))
    listed = sample_companies(SIZE)
    targets = ", ".join(toml_text(c) for c in listed[1::2] + listed[::2])
    excluded = ", ".join(str(i) for i in range(1, SIZE * 2, 2))
    return f"""
[model]
name = "accounts"
id_column = "lead_id"

[fields.employees]
type = "int"
on_invalid = "null"

[[rules]]
name = "account"
field = "company"
map = {{ {company_map} }}
default = 1
missing = -2

[[rules]]
name = "size"
category = "firmographics"
field = "employees"
map = {{ {size_map} }}
default = -1
missing = 0

[[rules]]
name = "target"
category = "abm"
points = 4
when = {{ field = "company", op = "in", value = [{targets}] }}

[[rules]]
name = "even_size"
category = "abm"
points = 3
when = {{ field = "employees", op = "not_in", value = [{excluded}] }}
"""


def long_or_model() -> str:
    """Conditions of thousands of alternatives: needles, `any` and a regex alternation."""
    titles = ", ".join(toml_text(f"title {i}") for i in range(SIZE)) + ', "director"'
    anyof = ", ".join(
        f'{{ field = "country", op = "eq", value = "country {i}" }}' for i in range(2000)
    )
    pattern = "|".join(f"title {i}" for i in range(SIZE)) + "|^VP"
    return f"""
[model]
name = "alternatives"
id_column = "lead_id"

[[rules]]
name = "titles"
points = 5
when = {{ field = "job_title", op = "contains", value = [{titles}] }}

[[rules]]
name = "countries"
points = 2
when = {{ any = [{anyof}, {{ field = "country", op = "eq", value = "France" }}] }}

[[rules]]
name = "pattern"
points = 3
when = {{ field = "job_title", op = "matches", value = {toml_text(pattern)} }}
"""


@pytest.fixture(scope="module")
def accounts() -> Model:
    return parse_model(big_model(SIZE))


@pytest.fixture(scope="module")
def alternatives() -> Model:
    return parse_model(long_or_model())


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail at `seconds` instead of running on: a slow compile takes many minutes."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still compiling after {seconds:.0f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def compile_in_time(model: Model, dialect: str) -> str:
    with deadline(BOUND):
        return compile_model(model, dialect, "leads", DAY)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_thousands_of_keys_and_values_compile_quickly(accounts: Model, dialect: str) -> None:
    assert "prospect 0 ltd" in compile_in_time(accounts, dialect)


@pytest.mark.parametrize("dialect", [d.name for d in DIALECTS.values() if d.regex])
def test_thousands_of_alternatives_compile_quickly(alternatives: Model, dialect: str) -> None:
    assert "title 4999" in compile_in_time(alternatives, dialect)


def test_lookup_branches_do_not_grow_with_keys(accounts: Model) -> None:
    """A map is one membership test per points value, not one branch per key: a query
    databases plan quickly."""
    assert compile_in_time(accounts, "duckdb").count("WHEN") < 100


def test_thousands_of_keys_score_as_the_engine() -> None:
    model = parse_model(big_model(SIZE))
    want = engine_output(model, SAMPLE, True)
    got = duckdb_output(model, SAMPLE, True)
    assert_same(want, got)
    matched = want.filter(pl.col("reasons").str.contains("account"))
    assert matched["reasons"].str.extract(r"account ([-+0-9.]+)").n_unique() >= 5
    assert want["reasons"].str.contains("size").sum() > 1000
    assert want["reasons"].str.contains("target").sum() > 1000


def test_thousands_of_alternatives_score_as_the_engine(alternatives: Model) -> None:
    want = engine_output(alternatives, SAMPLE, True)
    assert_same(want, duckdb_output(alternatives, SAMPLE, True))
    for rule in ("titles", "countries", "pattern"):
        assert want["reasons"].str.contains(rule).any(), rule


INFINITE_MODEL = """
[model]
name = "infinite"
id_column = "lead_id"

[fields.employees]
type = "float"
on_invalid = "null"

[[rules]]
name = "lookup"
field = "employees"
map = { "1034" = 5, "1034.0" = 8, "8" = -1, "8e0" = 9 }

[[rules]]
name = "listed"
points = 1
when = { field = "employees", op = "in", value = [8, 1e300] }
"""


def test_numeric_keys_compare_as_numbers(tmp_path: Path) -> None:
    """Of two keys that are the same number, the first one in the model gives the points;
    large numbers are values, not column names. (Infinite and NaN keys and values are
    refused: a cell is never one.)"""
    csv = tmp_path / "sizes.csv"
    frame = pl.DataFrame({"lead_id": ["a", "b", "c", "d"], "employees": ["1034", "8", "", "5"]})
    frame.write_csv(csv)
    model = parse_model(INFINITE_MODEL)
    want = engine_output(model, csv, False)
    assert_same(want, duckdb_output(model, csv, False))
    assert want["score"].to_list() == [5.0, 0.0, 0.0, 0.0]


# --- models of thousands of rules ----------------------------------------------------------

MANY = 1200  # past DuckDB's max_expression_depth (1000) and Python's recursion limit


def many_rules_model(count: int, cap: float) -> str:
    """`count` rules in one category, with points whose sum depends on the order they are
    added in, and a cap on their sum."""
    rules = "".join(
        f"""
[[rules]]
name = "r{i}"
category = "fit"
points = {((i % 7) - 3) * 0.1 + 0.013 * i!r}
when = {{ field = "website_visits", op = "gte", value = {i % 50} }}
"""
        for i in range(count)
    )
    return f"""
[model]
name = "many_rules"
id_column = "lead_id"

[caps.fit]
max = {cap}
{rules}"""


@pytest.fixture(scope="module")
def many_rules() -> Model:
    return parse_model(many_rules_model(MANY, 2500))


@pytest.fixture(scope="module")
def sample_head(tmp_path_factory: pytest.TempPathFactory) -> Path:
    csv = tmp_path_factory.mktemp("many") / "leads.csv"
    pl.read_csv(SAMPLE, infer_schema=False).head(1000).write_csv(csv)
    return csv


def test_thousands_of_rules_score_as_the_engine(many_rules: Model, sample_head: Path) -> None:
    """The category's points are added left to right in DuckDB as in `score`."""
    want = engine_output(many_rules, sample_head, False)
    assert_same(want, duckdb_output(many_rules, sample_head, False))
    assert want["score_fit"].n_unique() > 10


def test_reasons_of_many_rules_as_the_engine(sample_head: Path) -> None:
    """Past the entries whose order is computed pair by pair, the reasons are sorted,
    largest first and ties in model order, as `score --explain` lists them."""
    model = parse_model(many_rules_model(RANKED_ENTRIES + 50, 50))
    want = engine_output(model, sample_head, True)
    assert_same(want, duckdb_output(model, sample_head, True))
    assert want["reasons"].str.contains("cap:fit").any()
    assert want["reasons"].str.count_matches(";").max() > RANKED_ENTRIES


@pytest.mark.parametrize("dialect", DIALECTS)
def test_thousands_of_rules_compile_quickly(many_rules: Model, dialect: str) -> None:
    assert '"__ls_p1199"' in compile_in_time(many_rules, dialect).replace("`", '"')


def test_explain_of_thousands_of_rules_needs_duckdb(run, tmp_path: Path) -> None:
    path = tmp_path / "many.toml"
    path.write_text(many_rules_model(MANY, 2500), encoding="utf-8")
    result = run("sql", "-m", path, "--dialect", "bigquery", "--explain", "--as-of", "2026-11-01")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--dialect duckdb" in result.stderr and len(result.stderr.splitlines()) == 1
