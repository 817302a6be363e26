"""The cheap ways of parsing and matching must give exactly what the plain ways give.

Case-insensitive membership is tested by listing spellings instead of lower-casing,
numbers skip the character clean-up when they already read as numbers, and a text field
tested several times is lower-cased once. Each property compares against the plain
formula on text drawn to hit the edges (Unicode case, the Kelvin sign, junk characters).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from leadscore_cli.conditions import compile_leaf, lowered_reads
from leadscore_cli.fields import (
    AUTO_DATETIME_FORMATS,
    MAX_SPELLINGS,
    WHITESPACE,
    ParsedField,
    cleaned_number,
    finite,
    lowered_in,
    null_out,
    parse_text_column,
    present_after,
    spellings_of,
    steps,
    strip,
    to_bool,
    to_number,
    to_temporal,
)
from leadscore_cli.model import parse_model
from leadscore_cli.model.schema import FieldSpec, Leaf
from leadscore_cli.readers.scans import CSV_CHUNK_BYTES, limit_csv_chunks
from leadscore_cli.scoring.rules import lowered_fields

SETTINGS = settings(max_examples=150, deadline=None)
AS_OF = dt.date(2026, 1, 1)

# Letters whose case mapping is unusual: the Kelvin sign lower-cases to "k", dotted
# capital I to "i" plus a combining dot, long s upper-cases to "S", final sigma.
TRICKY = "kK\u212aiI\u0130\u0131\u017fsS\u03c3\u03c2\u03a3\u00e9\u00c9\u00df-/ "
texts = st.text(alphabet=st.sampled_from(TRICKY + "naulNAULxyz"), max_size=6)
WANTED = "naulkisxy-/ \u00e9\u0131"  # \u00e9 and \u0131 are not ASCII: lower-cased instead
values = st.lists(st.text(alphabet=st.sampled_from(WANTED), max_size=5), min_size=1, max_size=4)


def lowered_plainly(column: pl.Series, wanted: list[str]) -> list[bool | None]:
    return column.to_frame("t").select(pl.col("t").str.to_lowercase().is_in(wanted))["t"].to_list()


@st.composite
def recased(draw: st.DrawFn, wanted: list[str]) -> str:
    """One of the wanted values spelled with random case, or a near miss of one."""
    value = draw(st.sampled_from(wanted))
    swaps = {"k": "kK\u212a", "i": "iI\u0130\u0131", "s": "sS\u017f"}
    letters = [draw(st.sampled_from(swaps.get(ch, ch + ch.upper()))) for ch in value]
    return "".join(letters) + draw(st.sampled_from(["", "", "x", " "]))


@SETTINGS
@given(data=st.data(), wanted=values)
def test_listing_spellings_matches_lower_casing(data: st.DataObject, wanted: list[str]) -> None:
    wanted = [w.lower() for w in wanted]
    cells = data.draw(st.lists(st.none() | texts | recased(wanted), max_size=30))
    column = pl.Series("t", cells, dtype=pl.String)
    listed = column.to_frame().select(lowered_in(wanted)(pl.col("t")))["t"].to_list()
    assert listed == lowered_plainly(column, wanted)


def test_spellings_cover_every_case_and_the_kelvin_sign() -> None:
    spellings = spellings_of("ok")
    assert spellings is not None
    assert set(spellings) == {"ok", "oK", "Ok", "OK", "o\u212a", "O\u212a"}
    assert spellings_of("café") is None  # not ASCII: lower-cased instead
    assert spellings_of("Ok") is None  # not lower case: it can never match
    assert spellings_of("a" * 20) is None  # 2**20 spellings: too many to list
    assert len(spellings_of("a" * 14) or ()) == MAX_SPELLINGS


def test_values_too_long_to_spell_still_match() -> None:
    long_value = "united kingdom of great britain"
    column = pl.Series("t", ["United Kingdom of Great Britain", "UK", None])
    found = column.to_frame().select(lowered_in([long_value, "uk"])(pl.col("t")))["t"]
    assert found.to_list() == [True, True, None]


def to_number_plainly(text: pl.Expr) -> pl.Expr:
    digits = text.str.replace_all(r"[\s$€£¥₹,_']", "").str.replace(r"^\((.*)\)$", "-${1}")
    return digits.cast(pl.Float64, strict=False)


number_texts = st.text(
    alphabet=st.sampled_from("0123456789.,-+eE()$€ _'\u00a0\u2009infaINFN"), max_size=10
)


@SETTINGS
@given(cells=st.lists(st.none() | number_texts, max_size=40))
def test_numbers_read_directly_match_the_full_clean_up(cells: list[str | None]) -> None:
    frame = pl.DataFrame({"t": cells}, schema={"t": pl.String}).with_columns(
        pl.col("t").str.strip_chars()
    )
    got = frame.select(
        fast=to_number(pl.col("t")),
        cleaned=cleaned_number(pl.col("t")),
        plain=to_number_plainly(pl.col("t")),
    )
    for fast, cleaned, plain in got.iter_rows():
        assert fast == plain or (fast != fast and plain != plain)  # NaN equals NaN here
        assert cleaned == plain or (cleaned != cleaned and plain != plain)


def test_only_enclosing_parentheses_make_a_negative() -> None:
    cells = ["(1,200)", "$(5)", "( 7 )", "(5", "5)", "((5))", "(-5)", "()"]
    frame = pl.DataFrame({"t": cells})
    got = frame.select(to_number(pl.col("t")))["t"].to_list()
    assert got == [-1200.0, -5.0, -7.0, None, None, None, None, None]


def leaf(op: str, value: object) -> Leaf:
    return Leaf(field="t", op=op, value=value)


@SETTINGS
@given(
    cells=st.lists(st.none() | texts, max_size=30),
    op=st.sampled_from(["eq", "ne", "in", "not_in"]),
    wanted=values,
)
def test_membership_tests_match_lower_cased_comparisons(
    cells: list[str | None], op: str, wanted: list[str]
) -> None:
    test = leaf(op, tuple(wanted) if op in ("in", "not_in") else wanted[0])
    column = pl.col("t")
    frame = pl.DataFrame({"t": cells}, schema={"t": pl.String})
    fast = frame.select(compile_leaf(test, column, "string", AS_OF).fill_null(False))["t"]
    lowered = column.str.to_lowercase()
    members = [w.strip().lower() for w in wanted]
    plain = {
        "eq": lowered == members[0],
        "ne": lowered != members[0],
        "in": lowered.is_in(members),
        "not_in": lowered.is_in(members).not_(),
    }[op]
    assert fast.to_list() == frame.select(plain.fill_null(False))["t"].to_list()


def test_a_field_tested_several_times_is_lower_cased_once() -> None:
    model = parse_model(
        """
[model]
name = "m"
[[rules]]
name = "free_mail"
points = -5
when = { field = "email", op = "ends_with", value = ["@gmail.com", "@yahoo.com"] }
[[rules]]
name = "student"
points = -5
when = { field = "title", op = "contains", value = "student" }
[[rules]]
name = "country"
points = 5
when = { field = "country", op = "in", value = ["us", "uk"] }
"""
    )
    types = {"email": "string", "title": "string", "country": "string"}
    assert lowered_fields(model.rules, types) == ["email"]  # two suffixes, one lower-casing
    assert lowered_reads(model.rules[2].when, "string") == 0  # spelled out, never lower-cased


def test_cli_sets_csv_chunks_unless_told_otherwise(monkeypatch) -> None:
    monkeypatch.delenv("POLARS_CSV_CHUNK_SIZE", raising=False)
    limit_csv_chunks()
    assert os.environ["POLARS_CSV_CHUNK_SIZE"] == str(CSV_CHUNK_BYTES)
    monkeypatch.setenv("POLARS_CSV_CHUNK_SIZE", "123456")
    limit_csv_chunks()
    assert os.environ["POLARS_CSV_CHUNK_SIZE"] == "123456"


def test_start_up_does_not_load_what_only_some_commands_need() -> None:
    probe = (
        "import sys, leadscore_cli.cli.app; "
        "print(sorted(m for m in ('numpy', 'pyarrow', 'sqlglot', 'sklearn', 'plotly') "
        "if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


MARKERS = ["", "n/a", "na", "null", "none", "-", "select"]
CELL_PIECES = st.sampled_from(
    [
        "12",
        "1,200",
        "$3,400.50",
        "(300)",
        "-7",
        "+5",
        "1e3",
        "nan",
        "Inf",
        "4.0",
        "4.5",
        "true",
        "FALSE",
        "Yes",
        "n",
        "0",
        "1",
        "T",
        "2026-03-01",
        "2026-03-01 10:00:00",
        "2026/03/01",
        "2026-02-30",
        "N/A",
        "NA",
        "Null",
        "none",
        "-",
        "Select",
        "",
        "junk",
    ]
)
PADDING = st.sampled_from(["", "", " ", "\t", "\u00a0"])


@st.composite
def export_cells(draw: st.DrawFn) -> str | None:
    if draw(st.integers(0, 9)) == 0:
        return None
    return draw(PADDING) + draw(CELL_PIECES) + draw(PADDING)


def read_plainly(ftype: str, markers: list[str], fmt: str | None) -> ParsedField:
    """The plain reading: trim, null markers, parse, every cell the same way."""
    clean = (strip, null_out(markers))
    if ftype in ("int", "float"):
        chain = (*clean, to_number, finite(ftype == "int"))
    elif ftype == "bool":
        chain = (*clean, to_bool(["true", "t", "yes", "y", "1"], ["false", "f", "no", "n", "0"]))
    else:
        formats = (fmt,) if fmt else AUTO_DATETIME_FORMATS
        chain = (*clean, to_temporal(formats, ftype == "date"))
    return ParsedField("v", "t", steps(*chain), present_after(2))


@SETTINGS
@given(
    cells=st.lists(export_cells(), max_size=40),
    ftype=st.sampled_from(["int", "float", "bool", "date", "datetime"]),
    fmt=st.sampled_from([None, "%Y-%m-%d"]),
    markers=st.sampled_from([MARKERS, [*MARKERS, "0"], [*MARKERS, "nan"], ["no", "-"]]),
)
def test_reading_clean_cells_first_matches_the_plain_reading(
    cells: list[str | None], ftype: str, fmt: str | None, markers: list[str]
) -> None:
    spec = FieldSpec("v", "t", ftype, format=fmt)
    fast = parse_text_column(pl.col("t"), "v", ftype, spec, sorted(markers))
    plain = read_plainly(ftype, sorted(markers), fmt)
    frame = pl.DataFrame({"t": cells}, schema={"t": pl.String})
    assert fast.invalid is not None and plain.invalid is not None
    got = frame.select(value=fast.value, invalid=fast.invalid)
    want = frame.select(value=plain.value, invalid=plain.invalid)
    assert got.to_dicts() == want.to_dicts()
    staged = frame.lazy()
    for stage in fast.staged("s", "value", "invalid"):
        staged = staged.with_columns(stage)
    assert staged.select("value", "invalid").collect().to_dicts() == want.to_dicts()


def test_a_marker_that_reads_as_a_value_turns_the_direct_read_off() -> None:
    number = parse_text_column(pl.col("t"), "v", "float", None, ["", "0"])
    frame = pl.DataFrame({"t": ["0", "5"]})
    assert frame.select(number.value.alias("v"))["v"].to_list() == [None, 5.0]
    assert len(number.stages) < len(parse_text_column(pl.col("t"), "v", "float", None, []).stages)


def test_whitespace_is_exactly_what_polars_trims_and_regex_calls_space() -> None:
    chars = pl.Series("c", [chr(c) for c in range(0x3100) if not 0xD800 <= c < 0xE000])
    frame = chars.to_frame().select(
        pl.col("c"),
        space=pl.col("c").str.contains(r"^\s$"),
        trimmed=pl.col("c").str.strip_chars() == "",
    )
    expected = [c in WHITESPACE for c in frame["c"]]
    assert frame["space"].to_list() == expected
    assert frame["trimmed"].to_list() == expected
