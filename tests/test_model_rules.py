"""Model rules that keep a run from going silently wrong: reserved names, grade bands that
give every lead a letter, values that can never (or always) match, and messages that show
values the way the model file wrote them."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from typer.testing import Result

from leadscore_cli.errors import EXIT_MODEL
from leadscore_cli.fields import AUTO_DATETIME_FORMATS, to_temporal
from leadscore_cli.model import parse_model
from tests.test_model_loader import HEADER, RULE, only, problems_of

# ------------------------------------------------------------- reserved categories


def test_category_whose_subtotal_is_the_score_change_column_is_refused() -> None:
    text = HEADER + RULE.replace('name = "r"', 'name = "r"\ncategory = "change"')
    problem = only(problems_of(text))
    assert problem.startswith("rules[0].category: 'change' is reserved: ")
    assert "'score_change'" in problem and "--previous" in problem


def test_reserved_category_is_reported_with_every_other_problem(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    model = tmp_path / "m.toml"
    model.write_text(
        HEADER + "colour = 1\n" + RULE.replace('name = "r"', 'name = "r"\ncategory = "change"'),
        encoding="utf-8",
    )
    result = run("validate", "-m", model)
    assert result.exit_code == EXIT_MODEL
    assert "model.colour: unknown key" in result.stderr
    assert "rules[0].category: 'change' is reserved" in result.stderr
    assert result.stdout == ""


# -------------------------------------------------------------------- grade bands


@pytest.mark.parametrize(
    ("bands", "expected"),
    [
        (
            "{ A = 80, B = 50 }",
            "grading.bands.B: the lowest band must start at 0 so every lead gets a letter: "
            "set B = 0, or add a band after B that starts at 0, e.g. F = 0",
        ),
        (
            "{ A = 80, F = 10 }",
            "grading.bands.F: the lowest band must start at 0 so every lead gets a letter: "
            "set F = 0, or add a band after F that starts at 0",
        ),
        (
            "{ A = 180, F = 0 }",
            "grading.bands.A: 180 is outside the 0-100 percent scale (cutoffs are percents of "
            'the graded categories\' attainable range; for raw points set scale = "points")',
        ),
    ],
)
def test_percent_bands_cover_every_lead_on_the_0_100_scale(bands: str, expected: str) -> None:
    assert only(problems_of(HEADER + f"[grading]\nbands = {bands}\n" + RULE)) == expected


def test_a_negative_percent_cutoff_is_out_of_range_only() -> None:
    problem = only(problems_of(HEADER + "[grading]\nbands = { A = 50, F = -5 }\n" + RULE))
    assert problem.startswith("grading.bands.F: -5 is outside the 0-100 percent scale")


def test_lowest_band_check_survives_other_problems() -> None:
    problems = problems_of(HEADER + "colour = 1\n[grading]\nbands = { A = 80, B = 50 }\n" + RULE)
    assert problems[0] == "model.colour: unknown key"
    assert problems[1].startswith("grading.bands.B: the lowest band must start at 0")
    assert len(problems) == 2


def test_points_bands_give_the_lowest_letter_to_every_lead_below() -> None:
    # raw points have no floor: the lowest band takes every lead below the one above it
    grading = '[grading]\nbands = { A = 40, B = 20, F = 0 }\nscale = "points"\n'
    negative = RULE.replace("points = 10", "points = -10")
    model = parse_model(HEADER + grading + RULE + negative.replace('"r"', '"r2"'))
    assert model.grading is not None and model.grading.bands[-1].min_score == 0


# ------------------------------------------------------------- true/false values

BOOL_RULE = '[[rules]]\nname = "r"\npoints = 1\nwhen = { field = "x", op = "eq", value = true }\n'


@pytest.mark.parametrize(
    ("spellings", "expected"),
    [
        (
            'true_values = ["Yes"]\nfalse_values = [" yes ", "no"]',
            "fields.x.false_values: ' yes ' is also in true_values once case and surrounding "
            "spaces are ignored, so a cell holding it would read as true",
        ),
        (
            'false_values = ["no", "Y"]',
            "fields.x.false_values: 'Y' is also in the default true_values (true, t, yes, y, 1) "
            "once case and surrounding spaces are ignored, so a cell holding it would read as "
            "true; set true_values without it",
        ),
        (
            'true_values = ["ja", "0"]',
            "fields.x.true_values: '0' is also in the default false_values (false, f, no, n, 0) "
            "once case and surrounding spaces are ignored, so a cell holding it would read as "
            "true; set false_values without it",
        ),
    ],
)
def test_a_spelling_cannot_be_both_true_and_false(spellings: str, expected: str) -> None:
    text = HEADER + f'[fields.x]\ntype = "bool"\n{spellings}\n' + BOOL_RULE
    assert only(problems_of(text)) == expected


def test_separate_true_and_false_spellings_load() -> None:
    text = HEADER + '[fields.x]\ntrue_values = ["ja"]\nfalse_values = ["nein"]\n' + BOOL_RULE
    assert parse_model(text).fields[0].false_values == ("nein",)


# ------------------------------------------------------------------ type conflicts


def contains_rule(name: str, field: str = "x") -> str:
    return (
        f'[[rules]]\nname = "{name}"\npoints = 1\n'
        f'when = {{ field = "{field}", op = "contains", value = "y" }}\n'
    )


def test_every_use_conflicting_with_the_declared_type_is_reported() -> None:
    rules = "".join(contains_rule(f"r{i}") for i in range(12))
    problems = problems_of(HEADER + '[fields.x]\ntype = "int"\n' + rules)
    assert problems == [
        f"rules[{i}].when (contains): field 'x' is declared int but this use needs a text value"
        for i in range(12)
    ]


def test_every_use_of_each_kind_is_listed_when_uses_disagree() -> None:
    gte = '[[rules]]\nname = "n"\npoints = 1\nwhen = { field = "x", op = "gte", value = 5 }\n'
    text = HEADER + contains_rule("a") + gte + contains_rule("b")
    assert only(problems_of(text)) == (
        "fields.x: used as text in rules[0].when (contains) and rules[2].when (contains), "
        "number in rules[1].when (gte); a field is read as one type, so make its uses agree "
        "(with type declared in [fields.x], the uses that do not fit it are listed)"
    )


# ------------------------------------------------- values shown as the model wrote them

ONE_RULE = '[[rules]]\nname = "r"\n'


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "points = 1000001\nwhen = { field = 'x', op = 'not_null' }",
            "rules[0].points: must be between -1,000,000 and 1,000,000, not 1,000,001",
        ),
        (
            "points = -1_234_567.5\nwhen = { field = 'x', op = 'not_null' }",
            "rules[0].points: must be between -1,000,000 and 1,000,000, not -1,234,567.5",
        ),
        (
            "points = 2026-03-04\nwhen = { field = 'x', op = 'not_null' }",
            "rules[0].points: must be a number, not 2026-03-04",
        ),
        (
            "points = 1\nwhen = { field = 'x', op = 'gte', value = true }",
            "rules[0].when.value: 'gte' needs a number or a date, not true",
        ),
        (
            "points = 1\nwhen = { field = 'x', op = 'eq', value = [false, 2026-03-04T10:00:00] }",
            "rules[0].when.value: 'eq' needs a string, finite number or boolean, "
            "not [false, 2026-03-04T10:00:00] (to compare with a list, use op = 'in')",
        ),
        (
            "points = 1\nwhen = { field = 'x', op = 'matches', value = '(a)\\1' }",
            "rules[0].when.value: invalid regular expression '(a)\\1': "
            "error: backreferences are not supported",
        ),
        (
            "field = 'x'\nmap = { a = 1 }\ndecay = { field = 'd', lifespan_days = 30, "
            "if_missing = false }",
            "rules[0].decay.if_missing: must be 'full' or 'none', not false",
        ),
    ],
)
def test_values_are_shown_as_toml_writes_them(rule: str, expected: str) -> None:
    assert only(problems_of(HEADER + ONE_RULE + rule + "\n")) == expected


def test_missing_points_say_missing_and_a_near_key_is_suggested_once() -> None:
    text = HEADER + ONE_RULE + "pionts = 3\nwhen = { field = 'x', op = 'is_null' }\n"
    assert problems_of(text) == [
        "rules[0].pionts: unknown key (did you mean 'points'?)",
        "rules[0].points: missing",
    ]
    band = HEADER + ONE_RULE + "field = 'x'\nbands = [{ min = 1 }]\n"
    assert only(problems_of(band)) == "rules[0].bands[0].points: missing"


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "field = 'x'\nbands = [{ points = 1 }, { min = 1, max = 0, points = 2 }]",
            [
                "rules[0].bands[0]: needs a min, a max, or both",
                "rules[0].bands[1]: min (1) must be below max (0)",
            ],
        ),
        (
            "field = 'x'\nbands = [{ max = true, points = 1 }]",
            ["rules[0].bands[0].max: must be a number, not true"],
        ),
        (
            "points = 1\nwhen = { field = 'x', op = 'is_null' }\n"
            "decay = { field = 'd', half_life_days = true }",
            ["rules[0].decay.half_life_days: must be a number of days, not true"],
        ),
        (
            "points = 1\nwhen = { field = 'x', op = 'is_null' }\n"
            "decay = { field = 'd', half_life_days = '30', lifespan_days = 9 }",
            [
                "rules[0].decay.half_life_days: must be a number of days, not '30' "
                "(write 30, without quotes)",
                "rules[0].decay: needs exactly one of half_life_days or lifespan_days",
            ],
        ),
    ],
)
def test_no_follow_on_errors_after_a_bad_value(rule: str, expected: list[str]) -> None:
    assert problems_of(HEADER + ONE_RULE + rule + "\n") == expected


# ------------------------------------------------------------------------- version


@pytest.mark.parametrize("version", ["1.10", "2", "1e3"])
def test_a_version_written_as_a_number_is_refused(version: str) -> None:
    assert only(problems_of(HEADER + f"version = {version}\n" + RULE)) == (
        'model.version: must be a string: write it in quotes, e.g. version = "1.10" '
        "(as a number, 1.10 would read as 1.1)"
    )


def test_a_version_in_quotes_is_kept_as_written() -> None:
    assert parse_model(HEADER + 'version = "1.10"\n' + RULE).version == "1.10"


# ----------------------------------------- values that never (or always) match a cell


def rule_problems(rule: str, fields: str = "") -> list[str]:
    return problems_of(HEADER + fields + ONE_RULE + rule + "\n")


def test_a_map_key_that_is_a_null_marker_or_empty_points_at_missing() -> None:
    fields = "[fields.x]\nnull_values = ['Unknown']\n"
    problems = rule_problems(
        "field = 'x'\nmap = { 'N/A' = 40, a = 1, '' = 3, unknown = 2 }", fields
    )
    assert problems == [
        "rules[0].map.N/A: 'N/A' is a null marker: a cell holding it is missing, so this key "
        "never matches (give missing cells points with missing = 40)",
        "rules[0].map.'': an empty cell is missing, so this key never matches "
        "(give missing cells points with missing = 3)",
        "rules[0].map.unknown: 'unknown' is a null marker: a cell holding it is missing, so this "
        "key never matches (give missing cells points with missing = 2)",
    ]


def test_a_marker_of_another_field_or_replaced_default_is_a_fine_key() -> None:
    fields = "[fields]\nnull_values = ['']\n[fields.y]\nnull_values = ['Unknown']\n"
    model = parse_model(
        HEADER + fields + ONE_RULE + "field = 'x'\nmap = { 'N/A' = 1, unknown = 2 }\n"
    )
    assert model.rules[0].mapping == (("N/A", 1.0), ("unknown", 2.0))


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (
            "{ field = 'x', op = 'eq', value = '' }",
            "rules[0].when.value: an empty cell is missing, so 'eq' never finds it in a cell "
            '(test for a missing value with op = "is_null")',
        ),
        (
            "{ all = [{ field = 'x', op = 'eq', value = 'b' }, "
            "{ not = { field = 'x', op = 'in', value = ['a', ' '] } }] }",
            "rules[0].when.all[1].not.value: an empty cell is missing, so 'in' never finds it in "
            'a cell (test for a missing value with op = "is_null")',
        ),
        (
            "{ any = [{ field = 'x', op = 'eq', value = 'b' }, "
            "{ field = 'x', op = 'ne', value = 'NULL' }] }",
            "rules[0].when.any[1].value: 'NULL' is a null marker: a cell holding it is missing, so "
            "'ne' never finds it in a cell (test for a present value with op = \"not_null\")",
        ),
        (
            "{ field = 'x', op = 'contains', value = '' }",
            "rules[0].when.value: '' is in every text, so 'contains' fires on every present value "
            '(test for a present value with op = "not_null")',
        ),
        (
            "{ field = 'x', op = 'starts_with', value = ['a', '  '] }",
            "rules[0].when.value: '  ' starts with a space, and cells are trimmed: 'starts_with' "
            "never finds it",
        ),
        (
            "{ field = 'x', op = 'ends_with', value = 'co ' }",
            "rules[0].when.value: 'co ' ends with a space, and cells are trimmed: 'ends_with' "
            "never finds it",
        ),
        (
            "{ field = 'x', op = 'ends_with', value = '' }",
            "rules[0].when.value: '' is in every text, so 'ends_with' fires on every present value "
            '(test for a present value with op = "not_null")',
        ),
    ],
)
def test_a_value_no_cell_can_hold_is_refused(condition: str, expected: str) -> None:
    assert only(rule_problems(f"points = 1\nwhen = {condition}")) == expected


def test_never_matching_values_are_reported_with_every_other_problem() -> None:
    problems = rule_problems(
        "points = 'x'\nwhen = { field = 'x', op = 'in', value = ['-', 'a'] }", "colour = 1\n"
    )
    assert problems[0] == "model.colour: unknown key"
    assert problems[1] == "rules[0].points: must be a number, not 'x'"
    assert problems[2].startswith("rules[0].when.value: '-' is a null marker")
    assert len(problems) == 3


# ------------------------------------------------------------------- docs/model.md

MODEL_DOC = Path(__file__).resolve().parent.parent / "docs" / "model.md"


def test_every_toml_example_in_the_model_doc_parses() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", MODEL_DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) > 5
    for block in blocks:
        tomllib.loads(block)  # a block pasted as it is must be valid TOML


def test_the_model_doc_lists_every_date_form_read_without_a_format() -> None:
    doc = MODEL_DOC.read_text(encoding="utf-8")
    moment = dt.datetime(2026, 3, 4, 10, 0, 0)
    for fmt in AUTO_DATETIME_FORMATS:
        example = moment.strftime(fmt.replace("%.f", ".123"))
        assert f"`{example}`" in doc, example
        frame = pl.DataFrame({"t": [example]})
        assert frame.select(to_temporal(AUTO_DATETIME_FORMATS, True)(pl.col("t"))).item()


def test_a_reason_that_rounds_to_0_is_left_out_without_decay(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    model = tmp_path / "m.toml"
    tiny = RULE.replace('"r"', '"tiny"').replace("points = 10", "points = 0.004")
    model.write_text(HEADER + RULE + tiny, encoding="utf-8")
    data = tmp_path / "leads.csv"
    data.write_text("x\na\n", encoding="utf-8")
    result = run("score", data, "-m", model, "-o", "-", "--explain", "--as-of", "2026-01-01", "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1] == "a,10,10,r +10"
