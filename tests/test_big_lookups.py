"""Lookups of thousands of keys (target-account lists, company or postcode tables) score
like small ones, in time that does not grow with the number of keys: each is checked
against the same lookup done independently in plain polars."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import Result

from leadscore_cli.conditions import affix_test, any_of_texts
from tests.conftest import AS_OF, SAMPLE

KEYS = 5_000
# Before lookups were hashed, a 5,000-key map took over a minute on the 5,000-lead sample
# (and 10 GB); now it takes well under a second. The bound only catches that regression.
SECONDS = 20


def companies(every: int = 1) -> list[str]:
    """Every `every`-th of the sample's companies as a model compares them (trimmed, lower
    case), then made-up ones: thousands of keys of which many match, and some do not."""
    names = pl.read_csv(SAMPLE, infer_schema=False)["company"].drop_nulls()
    seen = sorted({n.strip().lower() for n in names if n.strip()})[::every]
    return (seen + [f"made-up company {i}" for i in range(KEYS)])[:KEYS]


def toml_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def score(run: Callable[..., Result], tmp_path: Path, rules: str) -> pl.DataFrame:
    model = tmp_path / "big.toml"
    model.write_text(f'[model]\nname = "big"\nid_column = "lead_id"\n\n{rules}', encoding="utf-8")
    out = tmp_path / "scored.parquet"
    started = time.perf_counter()
    result = run("score", SAMPLE, "-m", model, "-o", out, "--as-of", AS_OF, "-q")
    assert result.exit_code == 0, result.stderr
    assert time.perf_counter() - started < SECONDS
    return pl.read_parquet(out)


def sample_text(column: str) -> pl.Expr:
    """A text column as the model reads it: trimmed, null markers left as they are (none
    of them is a key), lower-cased for comparison."""
    return pl.col(column).str.strip_chars().str.to_lowercase()


def test_a_map_of_thousands_of_keys_gives_each_its_points(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    keys = companies()
    points = {key: float(i % 23 - 11) for i, key in enumerate(keys)}  # 23 distinct values
    table = ", ".join(f"{toml_text(k)} = {p:g}" for k, p in points.items())
    rules = (
        f'[[rules]]\nname = "accounts"\nfield = "company"\nmap = {{ {table} }}\n'
        "default = 3\nmissing = -4\n"
    )
    scored = score(run, tmp_path, rules)
    leads = pl.read_csv(SAMPLE, infer_schema=False)
    expected = leads.select(
        pl.when(pl.col("company").str.strip_chars().is_in(["", "N/A", "n/a", "-", "null"]))
        .then(None)
        .otherwise(sample_text("company"))
        .replace_strict(points, default=3.0, return_dtype=pl.Float64)
        .fill_null(-4.0)
        .alias("points")
    )["points"]
    assert (expected != 3.0).sum() > 1_000  # the lookup matters on this data
    assert scored["score_fit"].to_list() == expected.round().to_list()


def test_an_in_list_of_thousands_of_names_finds_each(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    # Short names, each with at most a few thousand spellings in upper and lower case:
    # listing every spelling of 20,000 of them once took minutes and gigabytes.
    short = [k for k in companies(every=2) if k.isascii() and sum(map(str.isalpha, k)) <= 12]
    keys = short + [f"account {i} inc" for i in range(4 * KEYS)]
    # Upper-cased in the model: the comparison ignores case either way.
    members = ", ".join(toml_text(k.upper()) for k in keys)
    rules = (
        '[[rules]]\nname = "target_account"\npoints = 25\n'
        f'when = {{ field = "company", op = "in", value = [{members}] }}\n\n'
        '[[rules]]\nname = "other_account"\npoints = 5\n'
        f'when = {{ field = "company", op = "not_in", value = [{members}] }}\n'
    )
    scored = score(run, tmp_path, rules)
    leads = pl.read_csv(SAMPLE, infer_schema=False)
    listed = leads.select(sample_text("company").is_in(keys).fill_null(False))["company"]
    expected = [25.0 if hit else 5.0 for hit in listed]
    assert 0 < sum(listed) < len(listed)
    assert scored["score_fit"].to_list() == expected


def test_a_number_map_of_thousands_of_keys_gives_each_its_points(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    points = {n: float(n % 7 - 3) for n in range(KEYS)}
    table = ", ".join(f'"{n}" = {p:g}' for n, p in points.items())
    rules = (
        '[fields.employees]\ntype = "int"\non_invalid = "null"\n\n'
        f'[[rules]]\nname = "headcount"\nfield = "employees"\nmap = {{ {table} }}\n'
        "default = 9\nmissing = -9\n"
    )
    scored = score(run, tmp_path, rules)
    employees = pl.read_csv(SAMPLE, infer_schema=False)["employees"]
    numbers = employees.str.replace_all(r"[\s,]", "").cast(pl.Float64, strict=False)
    # unreadable or not whole (an int field): missing, as on_invalid = "null" says
    whole = [None if n is None or n != int(n) else int(n) for n in numbers]
    expected = [-9.0 if n is None else points.get(n, 9.0) for n in whole]
    assert len(set(expected)) > 5
    assert scored["score_fit"].to_list() == expected


@pytest.mark.parametrize("later", [7, 5])
def test_a_key_written_twice_keeps_its_first_points(
    run: Callable[..., Result], tmp_path: Path, later: int
) -> None:
    """`"10"` and `"10.0"` are one number: the first one listed counts, as it always did."""
    rules = (
        '[fields.employees]\ntype = "int"\non_invalid = "null"\n\n'
        '[[rules]]\nname = "ten"\nfield = "employees"\n'
        f'map = {{ "10" = 5, "10.0" = {later} }}\n'
    )
    scored = score(run, tmp_path, rules)
    assert set(scored["score_fit"].to_list()) <= {0.0, 5.0}
    assert 5.0 in scored["score_fit"].to_list()


@pytest.mark.parametrize("op", ["starts_with", "ends_with"])
def test_thousands_of_prefixes_or_suffixes_find_each(
    run: Callable[..., Result], tmp_path: Path, op: str
) -> None:
    """A blocklist of mail domains (thousands of them) is one rule, as fast as three."""
    emails = pl.read_csv(SAMPLE, infer_schema=False)["email"].str.strip_chars().str.to_lowercase()
    cut = (lambda e: e[: e.index("@")]) if op == "starts_with" else (lambda e: e[e.index("@") :])
    seen = sorted({cut(e) for e in emails.drop_nulls() if "@" in e})[::2]
    # 20,000 made-up ones: one test each took minutes on the sample
    made_up = [f"x{i}." if op == "starts_with" else f"@mail{i}.example" for i in range(4 * KEYS)]
    needles = seen + made_up
    listed = ", ".join(toml_text(n.upper()) for n in needles)
    rules = (
        '[[rules]]\nname = "listed"\npoints = 7\n'
        f'when = {{ field = "email", op = "{op}", value = [{listed}] }}\n'
    )
    scored = score(run, tmp_path, rules)
    test = str.startswith if op == "starts_with" else str.endswith
    expected = [7.0 if e is not None and any(test(e, n) for n in seen) else 0.0 for e in emails]
    assert 0 < expected.count(7.0) < len(expected)
    assert scored["score_fit"].to_list() == expected


# Characters regexes treat specially, whitespace, quotes and text outside ASCII.
AFFIX_TEXT = st.text(alphabet=st.sampled_from(list("ab.+*?()[]{}|^$\\ \t\n-#&~'\"é😀")), max_size=4)


@settings(max_examples=200, deadline=None)
@given(
    cells=st.lists(AFFIX_TEXT, max_size=12),
    needles=st.lists(AFFIX_TEXT.filter(bool), min_size=1, max_size=12),
    where=st.sampled_from(["starts_with", "ends_with", "contains"]),
)
def test_text_tests_agree_with_python_whatever_the_text(
    cells: list[str], needles: list[str], where: str
) -> None:
    """Few needles take one test each, many one regex: both find what Python finds."""
    frame = pl.DataFrame({"t": cells}, schema={"t": pl.String})
    if where == "contains":
        test = any_of_texts(pl.col("t"), needles, lambda either: either)
    else:
        test = affix_test(pl.col("t"), needles, at_start=where == "starts_with")
    found = frame.select(test)["t"].to_list()
    python = {"starts_with": str.startswith, "ends_with": str.endswith}.get(
        where, lambda cell, needle: needle in cell
    )
    assert found == [any(python(c, n) for n in needles) for c in cells]


def test_more_texts_than_one_regex_holds_are_all_found() -> None:
    """The regex engine refuses a pattern of 20,000 domains: they are split, none lost."""
    needles = [f"@mail{i}.example" for i in range(4 * KEYS)]
    cells = [f"lead{i}{needles[i]}" for i in range(0, len(needles), 997)] + ["lead@gmail.com"]
    frame = pl.DataFrame({"t": cells})
    for test in (
        affix_test(pl.col("t"), needles, at_start=False),
        any_of_texts(pl.col("t"), needles, lambda either: either),
    ):
        assert frame.select(test)["t"].to_list() == [True] * (len(cells) - 1) + [False]
