"""Validation of TOML models: every problem is reported with its key path, all at once."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from leadscore_cli.errors import EXIT_MODEL, ModelError
from leadscore_cli.model import load_model, model_from_dict, parse_model
from leadscore_cli.model.problems import shown
from leadscore_cli.model.schema import (
    DEFAULT_FALSE_VALUES,
    DEFAULT_NULL_VALUES,
    DEFAULT_TRUE_VALUES,
    OPERATORS,
    AllOf,
    AnyOf,
    Band,
    Decay,
    FieldSpec,
    GradeBand,
    Grading,
    Leaf,
    Limits,
    Not,
    Tier,
)

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
HEADER = '[model]\nname = "t"\n'
RULE = '[[rules]]\nname = "r"\npoints = 10\nwhen = { field = "x", op = "eq", value = "a" }\n'


def toml(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def problems_of(text: str) -> list[str]:
    """The problems a model text is rejected with (fails the test if it loads)."""
    with pytest.raises(ModelError) as info:
        parse_model(toml(text))
    return info.value.problems


def leaf_problems(condition: str) -> list[str]:
    """Problems of a one-rule model whose condition is the given inline table."""
    return problems_of(HEADER + f'[[rules]]\nname = "r"\npoints = 1\nwhen = {condition}\n')


def only(problems: list[str]) -> str:
    assert len(problems) == 1, problems
    return problems[0]


# ------------------------------------------------------------------ valid models


def test_valid_model_loads_with_expected_values() -> None:
    model = parse_model(
        toml(
            """
            [model]
            name = "demo"
            version = "2"
            description = "A test model."
            id_column = "lead_id"
            scale = "rescale"

            [fields]
            null_values = ["", "Select"]

            [fields.revenue]
            source = "Annual Revenue"
            type = "float"
            null_values = ["unknown"]
            on_invalid = "null"

            [fields.active]
            type = "bool"
            true_values = [" Sí ", "JA"]
            false_values = ["Nein"]

            [fields.seen]
            type = "date"
            format = "%d/%m/%Y"

            [caps.fit]
            min = -10
            max = 40.5

            [caps.total]
            max = 60

            [tiers]
            hot = 60
            warm = 30.5
            cold = 0

            [grading]
            categories = "fit"
            bands = { A = 70, B = 40, F = 0 }
            plus_minus = true
            scale = "points"

            [handoff]
            tiers = ["hot"]

            [[rules]]
            name = "big"
            category = "fit"
            points = 25
            description = "Large companies."
            when = { all = [
              { field = "revenue", op = "gte", value = 1_000_000 },
              { not = { field = "title", op = "contains", value = ["Intern", "student"] } },
              { any = [{ field = "active", op = "eq", value = true },
                       { field = "title", op = "matches", value = "^VP", case_sensitive = true }] },
            ] }

            [[rules]]
            name = "industry"
            field = "industry"
            map = { Software = 15, "Financial Services" = 7.5 }
            default = 1
            missing = -2
            case_sensitive = true

            [[rules]]
            name = "size"
            category = "fit"
            field = "employees"
            bands = [
              { max = 10, points = -5 },
              { min = 10, max = 500, points = 10 },
              { min = 500, points = 4 },
            ]
            missing = -1
            decay = { field = "seen", lifespan_days = 90, if_missing = "none" }

            [[rules]]
            name = "recent"
            category = "engagement"
            points = 20
            when = { field = "seen", op = "between", value = [2024-01-01, 2024-12-31] }
            decay = { field = "seen", half_life_days = 30 }
            """
        )
    )
    assert (model.name, model.version, model.description) == ("demo", "2", "A test model.")
    assert (model.id_column, model.scale) == ("lead_id", "rescale")
    assert model.null_values == ("", "Select")
    assert model.fields == (
        FieldSpec(
            name="revenue",
            source="Annual Revenue",
            type="float",
            null_values=("unknown",),
            on_invalid="null",
        ),
        # true/false spellings are stored stripped and lower-cased
        FieldSpec(
            name="active",
            source="active",
            type="bool",
            true_values=("sí", "ja"),
            false_values=("nein",),
        ),
        FieldSpec(name="seen", source="seen", type="date", format="%d/%m/%Y"),
    )
    assert model.caps == (("fit", Limits(-10.0, 40.5)), ("total", Limits(None, 60.0)))
    assert model.tiers == (Tier("hot", 60.0), Tier("warm", 30.5), Tier("cold", 0.0))
    assert model.grading == Grading(
        categories=("fit",),
        bands=(GradeBand("A", 70.0), GradeBand("B", 40.0), GradeBand("F", 0.0)),
        plus_minus=True,
        scale="points",
    )
    assert model.handoff == ("hot",)
    assert [r.name for r in model.rules] == ["big", "industry", "size", "recent"]
    assert model.categories == ("fit", "engagement")

    big, industry, size, recent = model.rules
    assert (big.kind, big.category, big.points, big.description) == (
        "when",
        "fit",
        25.0,
        "Large companies.",
    )
    assert big.when == AllOf(
        (
            Leaf("revenue", "gte", 1_000_000),
            Not(Leaf("title", "contains", ("Intern", "student"))),
            AnyOf(
                (
                    Leaf("active", "eq", True),
                    Leaf("title", "matches", "^VP", case_sensitive=True),
                )
            ),
        )
    )
    assert industry.kind == "map" and industry.category == "fit"  # category defaults to fit
    assert industry.mapping == (("Software", 15.0), ("Financial Services", 7.5))
    assert (industry.field, industry.default, industry.missing) == ("industry", 1.0, -2.0)
    assert industry.case_sensitive is True
    assert size.bands == (Band(-5.0, None, 10.0), Band(10.0, 10.0, 500.0), Band(4.0, 500.0, None))
    assert size.decay == Decay("seen", lifespan_days=90.0, if_missing="none")
    assert recent.when == Leaf("seen", "between", (dt.date(2024, 1, 1), dt.date(2024, 12, 31)))
    assert recent.decay == Decay("seen", half_life_days=30.0)
    # fit: big 0..25, industry -2..15, size -5..10 (default 0 included) => -7..50,
    # capped to -7..40.5; engagement 0..20; total -7..60.5, capped at 60.
    assert model.category_bounds("fit") == (-7.0, 40.5)
    assert model.attainable_range() == (-7.0, 60.0)


def test_minimal_model_gets_defaults() -> None:
    model = parse_model(HEADER + RULE)
    assert (model.version, model.description, model.id_column, model.scale) == (
        "0",
        "",
        None,
        "clip",
    )
    assert model.null_values == DEFAULT_NULL_VALUES
    assert model.fields == () and model.caps == () and model.tiers == ()
    assert model.grading is None and model.handoff == ()
    (rule,) = model.rules
    assert (rule.category, rule.kind, rule.points) == ("fit", "when", 10.0)
    assert rule.when == Leaf("x", "eq", "a", case_sensitive=False)


def test_grading_defaults_to_the_usual_letters() -> None:
    model = parse_model(HEADER + "[grading]\n" + RULE)
    assert model.grading == Grading(
        categories=("fit",),
        bands=tuple(
            GradeBand(letter, low)
            for letter, low in (("A", 80.0), ("B", 60.0), ("C", 40.0), ("D", 20.0), ("F", 0.0))
        ),
    )


def test_field_spec_defaults() -> None:
    model = parse_model(HEADER + '[fields.x]\nsource = "X col"\n' + RULE)
    assert model.fields == (FieldSpec("x", "X col"),)
    spec = model.fields[0]
    assert spec.true_values == DEFAULT_TRUE_VALUES and spec.false_values == DEFAULT_FALSE_VALUES
    assert spec.on_invalid == "error" and spec.type is None


@pytest.mark.parametrize("name", ["b2b_saas.toml", "simple.toml"])
def test_example_configs_load(name: str) -> None:
    model = load_model(CONFIGS / name)
    assert model.source == CONFIGS / name
    assert model.id_column == "lead_id"
    assert len({rule.name for rule in model.rules}) == len(model.rules)


def test_b2b_example_config_values() -> None:
    model = load_model(CONFIGS / "b2b_saas.toml")
    assert (model.name, model.version, model.scale) == ("b2b-saas", "1.0.0", "clip")
    assert len(model.rules) == 18
    assert model.categories == ("fit", "engagement")
    assert dict(model.caps) == {"fit": Limits(-30.0, 50.0), "engagement": Limits(-40.0, 60.0)}
    assert [t.name for t in model.tiers] == ["sql", "mql", "nurture", "cold"]
    assert model.handoff == ("sql",)
    assert model.field_spec("annual_revenue") == FieldSpec(
        "annual_revenue", "Annual Revenue", type="float"
    )
    assert "Select" in model.null_values
    # caps bound each category, so the total can reach -30-40 .. 50+60
    assert model.attainable_range() == (-70.0, 110.0)


def test_simple_example_config_values() -> None:
    model = load_model(CONFIGS / "simple.toml")
    assert (model.name, model.scale) == ("starter", "clip")
    assert [r.points for r in model.rules] == [25.0, 15.0, 40.0, 10.0, 10.0, -20.0]
    assert model.tiers == (Tier("mql", 40.0), Tier("cold", 0.0))
    assert model.rules[4].when == Leaf("website_visits", "between", (5, 10000))


def test_model_from_dict_accepts_plain_data() -> None:
    model = model_from_dict(
        {
            "model": {"name": "d"},
            "rules": [{"name": "r", "points": 3, "when": {"field": "x", "op": "is_null"}}],
        }
    )
    assert model.rules[0].when == Leaf("x", "is_null")


# -------------------------------------------------------------- file and syntax


def test_toml_syntax_error_reports_line_and_column() -> None:
    text = '[model]\nname = "t"\nfoo bar\n'
    problem = only(problems_of(text))
    assert problem.startswith("TOML syntax error:")
    assert "line 3" in problem and "column 5" in problem


def test_load_model_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as info:
        load_model(tmp_path / "nope.toml")
    assert info.value.exit_code == EXIT_MODEL
    assert str(info.value) == f"{tmp_path / 'nope.toml'}: no such model file"


def test_load_model_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(HEADER + "[[rules]]\nname = 'r'\n", encoding="utf-8")
    with pytest.raises(ModelError) as info:
        load_model(path)
    assert str(info.value).startswith(f"{path}: ")


# ------------------------------------------------------------------ unknown keys


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[modle]\n" + HEADER + RULE, "modle: unknown key (did you mean 'model'?)"),
        (HEADER + "nmae = 'x'\n" + RULE, "model.nmae: unknown key (did you mean 'name'?)"),
        (HEADER + "colour = 'x'\n" + RULE, "model.colour: unknown key"),
        (
            HEADER + "[fields.x]\nsorce = 'X'\n" + RULE,
            "fields.x.sorce: unknown key (did you mean 'source'?)",
        ),
        (
            HEADER
            + "[[rules]]\nname = 'r'\npoint = 1\npoints = 2\n"
            + "when = { field = 'x', op = 'is_null' }\n",
            "rules[0].point: unknown key (did you mean 'points'?)",
        ),
        (
            HEADER
            + "[[rules]]\nname = 'r'\npoints = 1\n"
            + "when = { feild = 'x', field = 'x', op = 'is_null' }\n",
            "rules[0].when.feild: unknown key (did you mean 'field'?)",
        ),
        (
            HEADER + "[[rules]]\nname = 'r'\nfield = 'x'\nmap = { a = 1 }\ndefualt = 2\n",
            "rules[0].defualt: unknown key (did you mean 'default'?)",
        ),
        (
            HEADER
            + "[[rules]]\nname = 'r'\nfield = 'x'\nbands = [{ min = 1, pionts = 2, points = 2 }]\n",
            "rules[0].bands[0].pionts: unknown key (did you mean 'points'?)",
        ),
        (
            HEADER
            + RULE.replace(
                "\nwhen", "\ndecay = { field = 'd', half_lif_days = 3, half_life_days = 3 }\nwhen"
            ),
            "rules[0].decay.half_lif_days: unknown key (did you mean 'half_life_days'?)",
        ),
        (
            HEADER + "[caps.fit]\nmaxx = 3\n" + RULE,
            "caps.fit.maxx: unknown key (did you mean 'max'?)",
        ),
        (
            HEADER + "[grading]\ncategorys = ['fit']\n" + RULE,
            "grading.categorys: unknown key (did you mean 'categories'?)",
        ),
        (
            HEADER + "[tiers]\nhot = 1\ncold = 0\n[handoff]\ntier = ['hot']\n" + RULE,
            "handoff.tier: unknown key (did you mean 'tiers'?)",
        ),
    ],
)
def test_unknown_keys_are_reported_with_suggestion(text: str, expected: str) -> None:
    assert only(problems_of(text)) == expected


def test_missing_model_table_and_name() -> None:
    assert problems_of(RULE) == [
        "model: missing table (add a [model] section)",
        "model.name: missing",
    ]
    assert only(problems_of("[model]\nversion = '1'\n" + RULE)) == "model.name: missing"
    assert only(problems_of("[model]\nname = '  '\n" + RULE)) == (
        "model.name: must be a non-empty string"
    )


def test_bad_model_scale_and_version() -> None:
    problems = problems_of(HEADER + "scale = 'linear'\nversion = [1]\n" + RULE)
    assert "model.scale: must be one of clip, rescale, not 'linear'" in problems
    assert 'model.version: must be a string such as "1.0.0"' in problems
    assert len(problems) == 2


def test_rescale_needs_points_that_can_vary() -> None:
    text = HEADER + "scale = 'rescale'\n" + RULE.replace("points = 10", "points = 0")
    assert only(problems_of(text)) == (
        "model.scale: rescale needs points that can vary, but every lead gets 0"
    )
    # a cap that pins the total also leaves nothing to rescale
    pinned = HEADER + "scale = 'rescale'\n[caps.total]\nmin = 5\nmax = 5\n" + RULE
    assert "every lead gets 5" in only(problems_of(pinned))


# --------------------------------------------------------------------- operators


def test_unknown_operator_lists_the_operators() -> None:
    problem = only(leaf_problems("{ field = 'x', op = 'equals', value = 1 }"))
    assert problem == (
        "rules[0].when.op: unknown operator 'equals' (did you mean 'eq'?) (expected one of "
        "eq, ne, in, not_in, gt, gte, lt, lte, between, contains, starts_with, ends_with, "
        "matches, is_null, not_null, within_days, older_than_days)"
    )
    assert all(op in problem for op in OPERATORS)


def test_unknown_operator_suggests_the_closest() -> None:
    problem = only(leaf_problems("{ field = 'x', op = 'gtee', value = 1 }"))
    assert problem.startswith("rules[0].when.op: unknown operator 'gtee' (did you mean 'gte'?)")


def test_missing_operator_and_field() -> None:
    assert only(leaf_problems("{ field = 'x' }")).startswith(
        "rules[0].when.op: missing (expected one of eq, ne,"
    )
    assert only(leaf_problems("{ op = 'is_null' }")) == "rules[0].when.field: missing"


def test_bad_regex_is_reported_with_the_engine_reason() -> None:
    problem = only(leaf_problems("{ field = 'x', op = 'matches', value = '(unclosed' }"))
    assert problem.startswith("rules[0].when.value: invalid regular expression '(unclosed': ")
    assert "unclosed" in problem.split(": ", 2)[2].lower()


def test_a_regex_too_big_to_compile_is_shown_cut_with_the_way_out() -> None:
    words = "|".join(f"word{i}" for i in range(60_000))
    problem = only(leaf_problems(f"{{ field = 'x', op = 'matches', value = '({words})' }}"))
    assert problem.startswith("rules[0].when.value: invalid regular expression '(word0|word1|")
    assert f"… ({len(words) + 2:,} characters)" in problem
    assert "size limit" in problem and "list them with `contains`" in problem
    assert len(problem) < 500


def test_a_long_list_is_shown_cut_with_its_length() -> None:
    shown_list = shown([f"account {i}" for i in range(20_000)])
    assert shown_list.startswith("['account 0', 'account 1', ")
    assert shown_list.endswith(", … (20,000 values)]")
    assert len(shown_list) < 250


def test_regex_valid_in_rust_is_accepted() -> None:
    # \b and (?i) are fine for the Rust engine the data is matched with
    model = parse_model(
        HEADER + "[[rules]]\nname = 'r'\npoints = 1\n"
        "when = { field = 'x', op = 'matches', value = '(?i)\\bvp\\b' }\n"
    )
    assert model.rules[0].when == Leaf("x", "matches", r"(?i)\bvp\b")


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("{ field = 'x', op = 'eq' }", "missing: 'eq' needs a string, finite number or boolean"),
        (
            "{ field = 'x', op = 'eq', value = [1, 2] }",
            "'eq' needs a string, finite number or boolean, not [1, 2] "
            "(to compare with a list, use op = 'in')",
        ),
        (
            "{ field = 'x', op = 'ne', value = { a = 1 } }",
            "'ne' needs a string, finite number or boolean, not { a = 1 }",
        ),
        (
            "{ field = 'x', op = 'in', value = 'a' }",
            "'in' needs a non-empty list of strings, finite numbers or booleans, not 'a'",
        ),
        (
            "{ field = 'x', op = 'in', value = [] }",
            "'in' needs a non-empty list of strings, finite numbers or booleans, not []",
        ),
        (
            "{ field = 'x', op = 'not_in', value = [[1]] }",
            "'not_in' needs a non-empty list of strings, finite numbers or booleans, not [[1]]",
        ),
        ("{ field = 'x', op = 'gt', value = 'ten' }", "'gt' needs a number or a date, not 'ten'"),
        ("{ field = 'x', op = 'gte', value = true }", "'gte' needs a number or a date, not true"),
        ("{ field = 'x', op = 'lt' }", "missing: 'lt' needs a number or a date"),
        ("{ field = 'x', op = 'lte', value = [1] }", "'lte' needs a number or a date, not [1]"),
        (
            "{ field = 'x', op = 'between', value = [1] }",
            "'between' needs a list of two numbers or dates [low, high], not [1]",
        ),
        (
            "{ field = 'x', op = 'between', value = [1, 'b'] }",
            "'between' needs a list of two numbers or dates [low, high], not [1, 'b']",
        ),
        ("{ field = 'x', op = 'between', value = [10, 5] }", "low (10) is above high (5)"),
        (
            "{ field = 'x', op = 'between', value = [2026-01-01, 2025-01-01] }",
            "low (2026-01-01) is above high (2025-01-01)",
        ),
        (
            "{ field = 'x', op = 'between', value = [1, 2026-01-01] }",
            "mixes dates, numbers: every value of 'between' must be of one kind",
        ),
        (
            "{ field = 'x', op = 'in', value = [1, 'x'] }",
            "mixes numbers, texts: every value of 'in' must be of one kind",
        ),
        (
            "{ field = 'x', op = 'not_in', value = [true, 'x'] }",
            "mixes booleans, texts: every value of 'not_in' must be of one kind",
        ),
        (
            "{ field = 'x', op = 'contains', value = 5 }",
            "'contains' needs a string or a list of strings, not 5",
        ),
        (
            "{ field = 'x', op = 'starts_with', value = ['a', 1] }",
            "'starts_with' needs a string or a list of strings, not ['a', 1]",
        ),
        (
            "{ field = 'x', op = 'ends_with', value = [] }",
            "'ends_with' needs a string or a list of strings, not []",
        ),
        (
            "{ field = 'x', op = 'matches', value = ['a'] }",
            "'matches' needs a regular expression string, not ['a']",
        ),
        ("{ field = 'x', op = 'is_null', value = 1 }", "'is_null' takes no value"),
        ("{ field = 'x', op = 'not_null', value = 'x' }", "'not_null' takes no value"),
        (
            "{ field = 'x', op = 'within_days', value = -1 }",
            "'within_days' needs a whole number of days (0 to 36,500), not -1",
        ),
        (
            "{ field = 'x', op = 'older_than_days', value = '30' }",
            "'older_than_days' needs a whole number of days (0 to 36,500), not '30' "
            "(write 30, without quotes)",
        ),
        (
            "{ field = 'x', op = 'within_days', value = 100_000_000 }",
            "'within_days' needs a whole number of days (0 to 36,500), not 100000000",
        ),
        (
            "{ field = 'x', op = 'within_days', value = nan }",
            "'within_days' needs a whole number of days (0 to 36,500), not nan",
        ),
    ],
)
def test_operand_shapes(condition: str, message: str) -> None:
    assert only(leaf_problems(condition)) == f"rules[0].when.value: {message}"


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        ("points = 1e308\nwhen = { field = 'x', op = 'not_null' }", "rules[0].points"),
        ("field = 'x'\nmap = { a = -2e6 }", "rules[0].map.a"),
        ("field = 'x'\nmap = { a = 1 }\nmissing = 1e7", "rules[0].missing"),
        ("field = 'x'\nmap = { a = 1 }\ndefault = -1e9", "rules[0].default"),
        ("field = 'x'\nbands = [{ min = 1, points = 5e6 }]", "rules[0].bands[0].points"),
    ],
)
def test_points_beyond_a_million_are_refused(rule: str, path: str) -> None:
    with pytest.raises(ModelError) as info:
        parse_model(f'[model]\nname = "m"\n[[rules]]\nname = "r"\n{rule}\n')
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith(f"{path}: ")
    assert "between -1,000,000 and 1,000,000" in info.value.problems[0]


@pytest.mark.parametrize("name", ["score", "tier", "reasons", "score_fit", "grade"])
def test_a_field_cannot_take_the_name_of_a_column_the_output_adds(name: str) -> None:
    rule = (
        f'[[rules]]\nname = "r"\ncategory = "fit"\npoints = 1\n'
        f'when = {{ field = "{name}", op = "gte", value = 100 }}\n'
    )
    with pytest.raises(ModelError) as info:
        parse_model(
            f'[model]\nname = "m"\n[fields.{name}]\nsource = "employees"\ntype = "int"\n' + rule
        )
    assert info.value.problems == [
        f"fields.{name}: {name!r} is a column leadscore adds to the output, so the export's "
        f"'employees' would be lost: name the field otherwise ([fields.crm_{name}] with "
        "source = 'employees')"
    ]
    with pytest.raises(ModelError) as info:  # read as it is, without a [fields] entry
        parse_model('[model]\nname = "m"\n' + rule)
    assert info.value.problems == [
        f"rules[0]: reads {name!r}, a column leadscore adds to the output: read the "
        f"export's column under another name ([fields.crm_{name}] with source = {name!r})"
    ]
    renamed = parse_model(  # the advice works
        f'[model]\nname = "m"\n[fields.crm_{name}]\nsource = "{name}"\n'
        + rule.replace(f'field = "{name}"', f'field = "crm_{name}"')
    )
    assert renamed.field_spec(f"crm_{name}") is not None


def test_a_misspelt_null_values_gets_a_suggestion() -> None:
    with pytest.raises(ModelError) as info:
        parse_model(
            '[model]\nname = "m"\n[fields]\nnull_value = ["x"]\n'
            '[[rules]]\nname = "r"\npoints = 1\nwhen = { field = "a", op = "is_null" }\n'
        )
    assert info.value.problems[0].startswith("fields.null_value: must be a table")
    assert info.value.problems[0].endswith("(did you mean 'null_values'?)")


def test_nested_condition_paths() -> None:
    problems = leaf_problems(
        "{ all = [{ field = 'a', op = 'is_null' }, "
        "{ any = [{ not = { field = 'b', op = 'gt', value = 'x' } }, "
        "{ field = 'c', op = 'nope' }] }] }"
    )
    assert problems[0] == (
        "rules[0].when.all[1].any[0].not.value: 'gt' needs a number or a date, not 'x'"
    )
    assert problems[1].startswith("rules[0].when.all[1].any[1].op: unknown operator 'nope'")
    assert len(problems) == 2


def test_composer_must_stand_alone_and_be_non_empty() -> None:
    problems = leaf_problems("{ all = [{ field = 'a', op = 'is_null' }], field = 'b' }")
    assert (
        only(problems) == "rules[0].when: 'all' must stand alone in its table (also found: field)"
    )
    assert only(leaf_problems("{ any = [] }")) == (
        "rules[0].when.any: must be a non-empty array of conditions"
    )
    assert only(leaf_problems("'x'")) == (
        'rules[0].when: must be a table such as { field = "visits", op = "gte", value = 5 }'
    )


def test_case_sensitive_must_be_boolean() -> None:
    problem = only(leaf_problems("{ field = 'x', op = 'eq', value = 'a', case_sensitive = 'yes' }"))
    assert problem == "rules[0].when.case_sensitive: must be true or false"


# ------------------------------------------------------------------------- rules


def test_missing_rules() -> None:
    assert only(problems_of(HEADER)) == (
        "rules: the model has no rules (add at least one [[rules]] table)"
    )
    assert only(problems_of("rules = []\n" + HEADER)) == (
        "rules: must be a non-empty array of [[rules]] tables"
    )


def test_duplicate_rule_names() -> None:
    problems = problems_of(HEADER + RULE + RULE + RULE)
    assert problems == [
        "rules[1].name: duplicate rule name 'r'",
        "rules[2].name: duplicate rule name 'r'",
    ]


def test_rule_name_and_category_shapes() -> None:
    text = HEADER + RULE.replace('name = "r"', 'name = "my rule"\ncategory = "total"')
    assert problems_of(text) == [
        "rules[0].name: 'my rule' must be ASCII letters (a-z, A-Z), digits and underscores, "
        "not starting with a digit (e.g. 'my_rule')",
        "rules[0].category: 'total' is reserved for the cap on the total",
    ]
    bad_category = HEADER + RULE.replace('name = "r"', 'name = "r"\ncategory = "a-b"')
    assert only(problems_of(bad_category)) == (
        "rules[0].category: 'a-b' must be ASCII letters (a-z, A-Z), digits and underscores, "
        "not starting with a digit (e.g. 'a_b')"
    )


def test_rule_needs_exactly_one_kind() -> None:
    none = problems_of(HEADER + "[[rules]]\nname = 'r'\npoints = 1\n")
    assert (
        only(none) == "rules[0]: a rule needs exactly one of 'when', 'map' or 'bands' (found none)"
    )
    both = problems_of(
        HEADER
        + "[[rules]]\nname = 'r'\nfield = 'x'\nmap = { a = 1 }\nbands = [{ min = 1, points = 1 }]\n"
    )
    assert only(both) == (
        "rules[0]: a rule needs exactly one of 'when', 'map' or 'bands' (found map and bands)"
    )


def test_when_rule_points_must_be_a_number() -> None:
    text = HEADER + RULE.replace("points = 10", 'points = "10"')
    assert (
        only(problems_of(text))
        == "rules[0].points: must be a number, not '10' (write 10, without quotes)"
    )
    text = HEADER + RULE.replace("points = 10\n", "")
    assert only(problems_of(text)) == "rules[0].points: missing"


def test_map_rule_problems() -> None:
    problems = problems_of(
        HEADER
        + "[[rules]]\nname = 'r'\nmap = { Software = 1, ' software ' = 2, x = 'a' }\n"
        + "default = 'low'\ncase_sensitive = 1\n"
    )
    assert problems == [
        "rules[0].field: missing",
        "rules[0].default: must be a number, not 'low'",
        "rules[0].case_sensitive: must be true or false",
        "rules[0].map. software : same value as 'Software' once case and spaces are ignored",
        "rules[0].map.x: points must be a number, not 'a'",
    ]
    assert only(problems_of(HEADER + "[[rules]]\nname = 'r'\nfield = 'x'\nmap = {}\n")) == (
        "rules[0].map: must be a non-empty table of value = points"
    )


def test_case_sensitive_map_allows_keys_differing_in_case() -> None:
    model = parse_model(
        HEADER
        + "[[rules]]\nname = 'r'\nfield = 'x'\nmap = { A = 1, a = 2 }\ncase_sensitive = true\n"
    )
    assert model.rules[0].mapping == (("A", 1.0), ("a", 2.0))


@pytest.mark.parametrize(
    ("bands", "expected"),
    [
        (
            "[{ min = 0, max = 10, points = 1 }, { min = 5, max = 20, points = 2 }]",
            ["rules[0].bands: bands overlap: [0, 10) and [5, 20)"],
        ),
        (
            "[{ max = 10, points = 1 }, { max = 5, points = 2 }]",
            ["rules[0].bands: bands overlap: [-inf, 10) and [-inf, 5)"],
        ),
        (
            "[{ min = 10, points = 1 }, { min = 50, max = 60, points = 2 }]",
            ["rules[0].bands: bands overlap: [10, inf) and [50, 60)"],
        ),
        (
            "[{ min = 5, max = 5, points = 1 }]",
            ["rules[0].bands[0]: min (5) must be below max (5)"],
        ),
        ("[{ points = 1 }]", ["rules[0].bands[0]: needs a min, a max, or both"]),
        ("[{ min = 1, points = 'x' }]", ["rules[0].bands[0].points: must be a number, not 'x'"]),
        ("[{ min = 'a', points = 1 }]", ["rules[0].bands[0].min: must be a number, not 'a'"]),
        ("[]", ["rules[0].bands: must be a non-empty array of { min, max, points } tables"]),
        ("[1]", ["rules[0].bands[0]: must be a table { min = ..., max = ..., points = ... }"]),
    ],
)
def test_band_problems(bands: str, expected: list[str]) -> None:
    assert (
        problems_of(HEADER + f"[[rules]]\nname = 'r'\nfield = 'x'\nbands = {bands}\n") == expected
    )


def test_touching_bands_do_not_overlap() -> None:
    model = parse_model(
        HEADER + "[[rules]]\nname = 'r'\nfield = 'x'\n"
        "bands = [{ min = 10, points = 3 }, { max = 0, points = 1 }, "
        "{ min = 0, max = 10, points = 2 }]\n"
    )
    assert [b.points for b in model.rules[0].bands] == [3.0, 1.0, 2.0]  # order kept


@pytest.mark.parametrize(
    ("decay", "expected"),
    [
        (
            "{ field = 'd' }",
            ["rules[0].decay: needs exactly one of half_life_days or lifespan_days"],
        ),
        (
            "{ field = 'd', half_life_days = 1, lifespan_days = 2 }",
            ["rules[0].decay: needs exactly one of half_life_days or lifespan_days"],
        ),
        ("{ field = 'd', half_life_days = 0 }", ["rules[0].decay.half_life_days: must be above 0"]),
        ("{ field = 'd', lifespan_days = -3 }", ["rules[0].decay.lifespan_days: must be above 0"]),
        ("{ half_life_days = 3 }", ["rules[0].decay.field: missing"]),
        (
            "{ field = 'd', half_life_days = 3, if_missing = 'zero' }",
            ["rules[0].decay.if_missing: must be 'full' or 'none', not 'zero'"],
        ),
        ("5", ["rules[0].decay: must be a table { field = ..., half_life_days = ... }"]),
    ],
)
def test_decay_problems(decay: str, expected: list[str]) -> None:
    text = HEADER + RULE.replace("\nwhen", f"\ndecay = {decay}\nwhen")
    assert problems_of(text) == expected


# -------------------------------------------------------------------------- caps


@pytest.mark.parametrize(
    ("caps", "expected"),
    [
        ("[caps.fti]\nmax = 3\n", "caps.fti: no rule has category 'fti' (did you mean 'fit'?)"),
        ("[caps.fit]\nmin = 10\nmax = 5\n", "caps.fit: min (10) is above max (5)"),
        ("[caps.fit]\nmax = 'ten'\n", "caps.fit.max: must be a number, not 'ten'"),
        ("[caps.total]\nmin = 1\nmax = 0\n", "caps.total: min (1) is above max (0)"),
        (
            "[caps]\nfit = 3\n",
            "caps.fit: must be a table { min = ..., max = ... } "
            "(for at most 3 points, write fit = { max = 3 })",
        ),
    ],
)
def test_cap_problems(caps: str, expected: str) -> None:
    assert only(problems_of(HEADER + caps + RULE)) == expected


def test_caps_must_be_a_table() -> None:
    assert only(problems_of("caps = 3\n" + HEADER + RULE)) == "caps: must be a table"


def test_caps_on_category_and_total_load() -> None:
    model = parse_model(HEADER + "[caps.fit]\nmin = -5\n[caps.total]\nmin = 0\nmax = 0.5\n" + RULE)
    assert model.cap("fit") == Limits(min=-5.0)
    assert model.cap("total") == Limits(0.0, 0.5)
    assert model.cap("other") == Limits()


# ------------------------------------------------------------------------- tiers


@pytest.mark.parametrize(
    ("tiers", "expected"),
    [
        (
            "hot = 50\nwarm = 50\ncold = 0",
            [
                "tiers.warm: tiers must be listed from highest to lowest with strictly falling "
                "scores "
                "(50 is not below hot = 50)"
            ],
        ),
        (
            "cold = 0\nhot = 50",
            [
                "tiers.hot: tiers must be listed from highest to lowest with strictly falling "
                "scores "
                "(50 is not below cold = 0)"
            ],
        ),
        ("hot = 150\ncold = 0", ["tiers.hot: 150 is outside the 0-100 score scale"]),
        ("hot = 50\ncold = -1", ["tiers.cold: -1 is outside the 0-100 score scale"]),
        (
            "hot = 50\nwarm = 20",
            [
                "tiers.warm: the lowest tier must start at 0 so every lead gets a tier "
                "(set warm = 0, or add a tier from 0 after it)"
            ],
        ),
        (
            "hot = 'high'\ncold = 0",
            ["tiers.hot: must be a number (the tier's lowest score), not 'high'"],
        ),
        (
            "'very hot' = 50\ncold = 0",
            [
                "tiers.very hot: a tier name 'very hot' must be ASCII letters (a-z, A-Z), "
                "digits and underscores, not starting with a digit (e.g. 'very_hot')"
            ],
        ),
    ],
)
def test_tier_problems(tiers: str, expected: list[str]) -> None:
    assert problems_of(HEADER + f"[tiers]\n{tiers}\n" + RULE) == expected


def test_empty_tiers_table() -> None:
    assert only(problems_of(HEADER + "[tiers]\n" + RULE)) == (
        "tiers: must be a table of tier = lowest score, e.g. sql = 75"
    )


def test_lowest_tier_check_survives_other_problems() -> None:
    # A problem elsewhere in the model must not hide the missing 0 tier.
    problems = problems_of(HEADER + "colour = 1\n[tiers]\nhot = 50\nwarm = 20\n" + RULE)
    assert problems == [
        "model.colour: unknown key",
        "tiers.warm: the lowest tier must start at 0 so every lead gets a tier "
        "(set warm = 0, or add a tier from 0 after it)",
    ]


def test_handoff_problems() -> None:
    text = HEADER + "[tiers]\nsql = 70\ncold = 0\n[handoff]\ntiers = ['sqll', 'x']\n" + RULE
    assert problems_of(text) == [
        "handoff.tiers: unknown tier 'sqll' (did you mean 'sql'?)",
        "handoff.tiers: unknown tier 'x'",
    ]
    assert only(problems_of(HEADER + "[handoff]\ntiers = 'sql'\n" + RULE)) == (
        "handoff.tiers: must be a list of tier names: write ['sql']"
    )


# ----------------------------------------------------------------------- grading


@pytest.mark.parametrize(
    ("grading", "expected"),
    [
        (
            "bands = { A = 50, B = 60, F = 0 }",
            [
                "grading.bands.B: bands must be listed from best to worst "
                "with strictly falling cutoffs"
            ],
        ),
        (
            "bands = { A = 50, B = 50 }",
            [
                "grading.bands.B: bands must be listed from best to worst "
                "with strictly falling cutoffs"
            ],
        ),
        ("bands = { A = 'high', F = 0 }", ["grading.bands.A: must be a number, not 'high'"]),
        ("bands = {}", ["grading.bands: must be a table of letter = lowest value, e.g. A = 80"]),
        (
            "categories = ['fitt']",
            ["grading.categories: no rule has category 'fitt' (did you mean 'fit'?)"],
        ),
        ("categories = [1]", ["grading.categories: must be a list of strings"]),
        ("scale = 'pct'", ["grading.scale: must be 'percent' or 'points', not 'pct'"]),
        ("plus_minus = 1", ["grading.plus_minus: must be true or false"]),
    ],
)
def test_grading_problems(grading: str, expected: list[str]) -> None:
    assert problems_of(HEADER + f"[grading]\n{grading}\n" + RULE) == expected


def test_plus_minus_letter_bands() -> None:
    model = parse_model(
        HEADER + "[grading]\nbands = { A = 70, B = 40, F = 0 }\nplus_minus = true\n" + RULE
    )
    assert model.grading is not None
    # A spans 70-100 in thirds of 10, B spans 40-70 in thirds of 10, F stays whole
    assert [(b.letter, b.min_score) for b in model.grading.letter_bands()] == [
        ("A+", 90.0),
        ("A", 80.0),
        ("A-", 70.0),
        ("B+", 60.0),
        ("B", 50.0),
        ("B-", 40.0),
        ("F", 0.0),
    ]


# ------------------------------------------------------------------------ fields


def test_bad_field_type_suggests_the_closest() -> None:
    problem = only(problems_of(HEADER + "[fields.x]\ntype = 'integer'\n" + RULE))
    assert problem == (
        "fields.x.type: unknown type 'integer' (did you mean 'int'?) "
        "(expected one of string, int, float, bool, date, datetime)"
    )
    other = only(problems_of(HEADER + "[fields.x]\ntype = 'blob'\n" + RULE))
    assert other.startswith("fields.x.type: unknown type 'blob' (expected one of")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            "[fields.x]\ntype = 'string'\nformat = '%Y'\n",
            [
                'fields.x.format: only applies to a field declared type = "date" '
                '(or "datetime"), and this one is string'
            ],
        ),
        (
            "[fields.x]\non_invalid = 'skip'\n",
            ["fields.x.on_invalid: must be 'error' or 'null', not 'skip'"],
        ),
        ("[fields.x]\nnull_values = 'none'\n", ["fields.x.null_values: must be a list of strings"]),
        ("[fields.x]\ntrue_values = [1]\n", ["fields.x.true_values: must be a list of strings"]),
        ("[fields]\nnull_values = [1]\n", ["fields.null_values: must be a list of strings"]),
        (
            "[fields]\nx = 'string'\n",
            ['fields.x: must be a table such as { source = "Annual Revenue", type = "float" }'],
        ),
        (
            "[fields.x]\nsource = 'Col'\n[fields.y]\nsource = 'Col'\n",
            ["fields.y.source: column 'Col' is already read as field 'x'"],
        ),
    ],
)
def test_field_problems(fields: str, expected: list[str]) -> None:
    assert problems_of(HEADER + fields + RULE) == expected


def test_conflicting_field_uses_without_declared_type() -> None:
    text = HEADER + toml(
        """
        [[rules]]
        name = "a"
        points = 1
        when = { field = "x", op = "gte", value = 5 }

        [[rules]]
        name = "b"
        points = 1
        when = { field = "x", op = "contains", value = "y" }

        [[rules]]
        name = "c"
        points = 1
        when = { field = "x", op = "within_days", value = 3 }
        """
    )
    assert only(problems_of(text)) == (
        "fields.x: used as number in rules[0].when (gte), text in rules[1].when (contains), "
        "date in rules[2].when (within_days); a field is read as one type, so make its uses agree "
        "(with type declared in [fields.x], the uses that do not fit it are listed)"
    )


def test_use_conflicting_with_declared_type() -> None:
    text = HEADER + toml(
        """
        [fields.x]
        type = "int"

        [[rules]]
        name = "a"
        points = 1
        when = { field = "x", op = "contains", value = "y" }

        [[rules]]
        name = "b"
        field = "x"
        bands = [{ min = 1, points = 1 }]
        decay = { field = "x", half_life_days = 3 }
        """
    )
    assert problems_of(text) == [
        "rules[0].when (contains): field 'x' is declared int but this use needs a text value",
        "rules[1].decay: field 'x' is declared int but this use needs a date value",
    ]


def test_null_checks_and_maps_do_not_constrain_the_type() -> None:
    model = parse_model(
        HEADER + "[fields.x]\ntype = 'date'\n"
        "[[rules]]\nname = 'a'\npoints = 1\nwhen = { field = 'x', op = 'is_null' }\n"
        "[[rules]]\nname = 'b'\nfield = 'x'\nmap = { '2024-01-01' = 3 }\n"
    )
    assert len(model.rules) == 2


# ---------------------------------------------------------- many problems at once


def test_every_problem_is_reported_at_once() -> None:
    text = toml(
        """
        [model]
        nme = "x"
        scale = "log"

        [fields.x]
        type = "number"

        [caps.engagment]
        max = 10

        [tiers]
        hot = 50
        warm = 60
        cold = 0

        [grading]
        bands = { A = 10, B = 20 }

        [[rules]]
        name = "a"
        category = "engagement"
        points = "many"
        when = { field = "x", op = "equals", value = 1 }

        [[rules]]
        name = "a"
        field = "y"
        bands = [{ min = 0, max = 10, points = 1 }, { min = 5, points = 2 }]
        """
    )
    with pytest.raises(ModelError) as info:
        parse_model(text)
    problems = info.value.problems
    expected = [
        "model.nme: unknown key (did you mean 'name'?)",
        "model.name: missing",
        "model.scale: must be one of clip, rescale, not 'log'",
        "fields.x.type: unknown type 'number'",
        "rules[0].points: must be a number, not 'many'",
        "rules[0].when.op: unknown operator 'equals'",
        "rules[1].bands: bands overlap: [0, 10) and [5, inf)",
        "rules[1].name: duplicate rule name 'a'",
        "caps.engagment: no rule has category 'engagment' (did you mean 'engagement'?)",
        "tiers.warm: tiers must be listed from highest to lowest",
        "grading.bands.B: bands must be listed from best to worst",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, problems)
    assert len(problems) == len(expected)
    message = str(info.value)
    assert message.startswith(f"{len(expected)} problems: model.nme: unknown key")
    assert info.value.exit_code == EXIT_MODEL


def test_grade_letters_must_be_safe_names() -> None:
    # grades become file names under `grade --split-by grade`
    text = (
        '[model]\nname = "m"\n[grading]\nbands = { "A/B" = 50, F = 0 }\n'
        '[[rules]]\nname = "a"\npoints = 1\nwhen = { field = "x", op = "is_null" }\n'
    )
    with pytest.raises(ModelError) as caught:
        parse_model(text)
    assert any(p.startswith("grading.bands.A/B:") for p in caught.value.problems)
