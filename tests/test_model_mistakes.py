"""Mistakes a new model's author makes: each is refused by `validate` with its key path
and a hint, instead of failing later in `score` or scoring leads silently wrong."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from leadscore_cli.errors import EXIT_DATA, EXIT_MODEL
from leadscore_cli.model import parse_model
from tests.test_model_loader import HEADER, only, problems_of

Run = Callable[..., Result]
LEADS = "id,n,title\n1,5,VP Sales\n2,12,Engineer\n"
NULL_RULE = "[[rules]]\nname = 'r'\npoints = 1\nwhen = { field = 'x', op = 'is_null' }\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------- export columns a field renames


RENAMED_N = "[fields.visits]\nsource = 'n'\ntype = 'int'\n"


def test_a_rule_naming_a_column_that_a_field_renames_is_refused_with_the_field(
    run: Run, tmp_path: Path
) -> None:
    model = write(
        tmp_path,
        "m.toml",
        HEADER
        + RENAMED_N
        + "[[rules]]\nname = 'a'\npoints = 1\nwhen = { field = 'visits', op = 'gte', value = 5 }\n"
        + "[[rules]]\nname = 'b'\npoints = 1\nwhen = { field = 'n', op = 'gte', value = 10 }\n",
    )
    data = write(tmp_path, "leads.csv", LEADS)
    for args in (("validate", "-m", model), ("score", data, "-m", model, "-o", "-")):
        result = run(*args)
        assert result.exit_code == EXIT_MODEL, result.stderr
        assert result.stderr.strip().splitlines() == [
            f"leadscore: bad model: {model}: rules[1].when.field: 'n' is the export column that "
            "[fields.visits] reads (source = 'n'), so the model knows it as 'visits': "
            "write field = 'visits'"
        ]


def test_an_id_column_that_a_field_renames_is_refused_with_the_field() -> None:
    text = HEADER.replace("\n", "\nid_column = 'lead_id'\n", 1)
    text += "[fields.lid]\nsource = 'lead_id'\n"
    text += NULL_RULE
    assert only(problems_of(text)) == (
        "model.id_column: 'lead_id' is the export column that [fields.lid] reads "
        "(source = 'lead_id'), so the model knows it as 'lid': write id_column = 'lid'"
    )


def test_fields_that_swap_column_names_still_load() -> None:
    text = HEADER + "[fields.a]\nsource = 'b'\n[fields.b]\nsource = 'a'\n"
    text += "[[rules]]\nname = 'r'\npoints = 1\nwhen = { field = 'b', op = 'eq', value = 'x' }\n"
    assert parse_model(text).rules[0].name == "r"


# ------------------------------------------- map keys that never match a typed value


def map_rule(field: str, keys: str) -> str:
    return f"[[rules]]\nname = 'm'\nfield = '{field}'\nmap = {{ {keys} }}\n"


def test_map_keys_no_value_of_the_fields_type_is_written_as_are_refused() -> None:
    fields = "[fields.n]\ntype = 'int'\n[fields.flag]\ntype = 'bool'\n[fields.d]\ntype = 'date'\n"
    text = HEADER + fields
    text += map_rule("n", "'5' = 1, '1,000' = 2, abc = 3")
    text += map_rule("flag", "true = 1, Yes = 2, maybe = 3").replace("'m'", "'f'")
    text += map_rule("d", "'2026-03-04' = 1, '2026/3/4' = 2").replace("'m'", "'g'")
    assert problems_of(text) == [
        "rules[0].map.'1,000': '1,000' never matches: field 'n' is read as int, and a key "
        "on it must be a plain number (write 1000)",
        "rules[0].map.abc: 'abc' never matches: field 'n' is read as int, and a key on it "
        "must be a plain number",
        "rules[1].map.Yes: same value as 'true': the field reads both as true",
        "rules[1].map.maybe: 'maybe' never matches: field 'flag' is read as bool, whose keys "
        "are true, false or a spelling of its true_values or false_values",
        "rules[2].map.'2026/3/4': '2026/3/4' never matches: field 'd' is read as date, whose "
        "keys are days written YYYY-MM-DD (write 2026-03-04)",
    ]


def test_a_map_on_a_datetime_field_matches_the_calendar_day(run: Run, tmp_path: Path) -> None:
    model = write(
        tmp_path,
        "m.toml",
        HEADER + "[fields.seen]\ntype = 'datetime'\n" + map_rule("seen", "'2026-10-30' = 7"),
    )
    data = write(tmp_path, "leads.csv", "id,seen\n1,2026-10-30T10:00:00\n2,2026-10-31\n")
    result = run("score", data, "-m", model, "-o", "-", "--as-of", "2026-11-01", "-q")
    assert result.exit_code == 0, result.stderr
    scores = [line.split(",")[2] for line in result.stdout.splitlines()[1:]]
    assert scores == ["7", "0"]


# ------------------------------------------- condition values


def test_a_wrong_value_is_reported_once_without_a_type_conflict_following() -> None:
    text = HEADER + "[[rules]]\nname = 'a'\npoints = 1\n"
    text += "when = { field = 'title', op = 'contains', value = 'vp' }\n"
    text += "[[rules]]\nname = 'b'\npoints = 1\n"
    text += "when = { field = 'title', op = 'between', value = [1] }\n"
    assert only(problems_of(text)) == (
        "rules[1].when.value: 'between' needs a list of two numbers or dates [low, high], not [1]"
    )


# ------------------------------------------- tiers


def test_a_bad_tier_does_not_hide_that_the_lowest_tier_misses_0() -> None:
    text = HEADER + "[tiers]\nsql = 75\nmql = '50'\ncold = 10\n"
    text += NULL_RULE
    assert problems_of(text) == [
        "tiers.mql: must be a number (the tier's lowest score), not '50' "
        "(write 50, without quotes)",
        "tiers.cold: the lowest tier must start at 0 so every lead gets a tier "
        "(set cold = 0, or add a tier from 0 after it)",
    ]


# ------------------------------------------- hints for words from elsewhere


def one_leaf(condition: str) -> str:
    return only(problems_of(HEADER + f"[[rules]]\nname = 'r'\npoints = 1\nwhen = {condition}\n"))


@pytest.mark.parametrize(
    ("condition", "hint"),
    [
        ("{ field = 'x', op = '>=', value = 5 }", "(did you mean 'gte'?)"),
        ("{ field = 'x', op = 'GTE', value = 5 }", "(did you mean 'gte'?)"),
        ("{ field = 'x', op = '!=', value = 'a' }", "(did you mean 'ne'?)"),
        ("{ field = 'x', op = 'regex', value = 'a' }", "(did you mean 'matches'?)"),
        ("{ field = 'd', op = 'gte', value = '2026-10-01' }", "(write a date without quotes, "),
        (
            "{ field = 'x', op = 'ne', value = ['a'] }",
            "(to compare with a list, use op = 'not_in')",
        ),
        ("{ field = 'd', op = 'eq', value = 2026-10-01 }", "value = [2026-10-01, 2026-10-01])"),
        ("[{ field = 'x', op = 'is_null' }]", "write { all = [...] })"),
    ],
)
def test_a_refused_condition_says_how_to_write_it(condition: str, hint: str) -> None:
    assert hint in one_leaf(condition)


def test_keys_named_as_elsewhere_and_tiers_in_another_case_are_suggested() -> None:
    text = HEADER + "[tiers]\nsql = 50\ncold = 0\n[handoff]\ntiers = ['SQL']\n"
    text += "[[rules]]\nname = 'r'\npoints = 1\ncondition = { field = 'x', op = 'is_null' }\n"
    text += "[[rules]]\nname = 's'\npoints = 1\nwhen = { field = 'x', operator = 'is_null' }\n"
    problems = problems_of(text)
    assert "rules[0].condition: unknown key (did you mean 'when'?)" in problems
    assert "rules[1].when.operator: unknown key (did you mean 'op'?)" in problems
    assert "handoff.tiers: unknown tier 'SQL' (did you mean 'sql'?)" in problems


def test_a_name_outside_ascii_is_refused_as_such_with_a_name_that_would_do() -> None:
    text = HEADER + "[[rules]]\nname = 'Größe_é'\ncategory = '2nd fit'\npoints = 1\n"
    text += "when = { field = 'x', op = 'is_null' }\n"
    assert problems_of(text) == [
        "rules[0].name: 'Größe_é' must be ASCII letters (a-z, A-Z), digits and underscores, "
        "not starting with a digit (e.g. 'Grosse_e')",
        "rules[0].category: '2nd fit' must be ASCII letters (a-z, A-Z), digits and "
        "underscores, not starting with a digit (e.g. '_2nd_fit')",
    ]


def test_a_key_written_below_another_tables_header_says_where_it_goes() -> None:
    text = HEADER + "[tiers]\nhot = 50\ncold = 0\nid_column = 'id'\n"
    text += NULL_RULE
    text += "scale = 'rescale'\n"
    moved = "(in TOML a key belongs to the [table] whose header is above it: "
    assert problems_of(text) == [
        f"rules[0].scale: unknown key {moved}'scale' goes under [model])",
        "tiers.id_column: must be a number (the tier's lowest score), not 'id' "
        f"{moved}'id_column' goes under [model])",
    ]


def test_a_format_or_spellings_on_a_field_not_declared_their_type_say_what_to_add() -> None:
    fields = "[fields.d]\nformat = '%d/%m/%Y'\n[fields.n]\ntype = 'int'\ntrue_values = ['si']\n"
    text = HEADER + fields
    text += (
        "[[rules]]\nname = 'r'\npoints = 1\nwhen = { field = 'd', op = 'within_days', value = 7 }\n"
    )
    assert problems_of(text) == [
        'fields.d.format: only applies to a field declared type = "date" (or "datetime"): '
        "add that line to [fields.d]",
        'fields.n.true_values: only applies to a field declared type = "bool", and this one is int',
    ]


@pytest.mark.parametrize("fmt", ["%Y-%m-%d %H", "%d/%m/%Y %I %p"])
def test_a_date_format_polars_refuses_fails_validate_not_the_run(
    run: Run, tmp_path: Path, fmt: str
) -> None:
    """An hour without its minutes passed validate, then stopped `score` with an internal
    error once the data streamed."""
    fields = f"[fields.d]\ntype = 'datetime'\nformat = '{fmt}'\n"
    rule = (
        "[[rules]]\nname = 'r'\npoints = 1\nwhen = { field = 'd', op = 'within_days', value = 7 }\n"
    )
    model = write(tmp_path, "m.toml", HEADER + fields + rule)
    data = write(tmp_path, "leads.csv", "id,d\n1,2026-10-01 03\n")
    for args in (("validate", "-m", model), ("score", data, "-m", model, "-o", "-")):
        result = run(*args)
        assert result.exit_code == EXIT_MODEL, result.stderr
        assert f"fields.d.format: '{fmt}' cannot read dates: " in result.stderr
        assert "hour and minute" in result.stderr
        assert "internal error" not in result.stderr


# ------------------------------------------- TOML itself


def test_a_pattern_whose_backslashes_toml_read_as_escapes_is_refused() -> None:
    text = HEADER + "[[rules]]\nname = 'r'\npoints = 1\n"
    text += 'when = { field = "title", op = "matches", value = "\\bvp\\b" }\n'
    assert only(problems_of(text)) == (
        "rules[0].when.value: in double quotes TOML reads \\b as a control character that no "
        "cell holds: write the text in single quotes, where a backslash stays one ('\\bvp\\b')"
    )


def test_the_same_pattern_in_single_quotes_fires(run: Run, tmp_path: Path) -> None:
    rule = "[[rules]]\nname = 'r'\npoints = 5\n"
    rule += "when = { field = 'title', op = 'matches', value = '\\bvp\\b' }\n"
    model = write(tmp_path, "m.toml", HEADER + rule)
    data = write(tmp_path, "leads.csv", LEADS)
    result = run("score", data, "-m", model, "-o", "-", "-q")
    assert [line.split(",")[3] for line in result.stdout.splitlines()[1:]] == ["5", "0"]


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("[model]\nname = starter\n", '(text goes in quotes: "starter")'),
        ("[model]\nname = 'x'\n[[rules]]\nflag = True\n", "(a boolean is true or false, "),
        ("[model]\nname = \u201cx\u201d\n", "(write straight quotes, "),
        (
            "[[rules]]\nwhen = { field = 'x',\n  op = 'is_null' }\n",
            "(an inline table { ... } must end on the line it starts: ",
        ),
        ("[[rules]]\nwhen = { field = 'x', op = 'is_null', }\n", "has no comma after its last"),
        ("[model]\nname = 'x'\nname = 'y'\n", "(a key is set twice in the same table)"),
        ("[model]\n[model]\n", "merge the two; only [[rules]] may repeat)"),
        ('[[rules]]\nwhen = { value = "\\d+" }\n', "write a regular expression in single quotes"),
    ],
)
def test_a_toml_syntax_error_says_what_was_likely_meant(text: str, hint: str) -> None:
    problem = only(problems_of(text))
    assert problem.startswith("TOML syntax error: ") and "(at line " in problem
    assert hint in problem


def test_a_window_of_part_of_a_day_is_refused() -> None:
    assert one_leaf("{ field = 'd', op = 'within_days', value = 1.5 }") == (
        "rules[0].when.value: 'within_days' needs a whole number of days (0 to 36,500), not 1.5"
    )
    assert (
        parse_model(
            HEADER + "[[rules]]\nname = 'r'\npoints = 1\n"
            "when = { field = 'd', op = 'older_than_days', value = 30.0 }\n"
        )
        .rules[0]
        .when.value
        == 30.0
    )


def test_a_handoff_without_tiers_says_to_add_them() -> None:
    text = HEADER + "[handoff]\ntiers = ['sql', 'mql']\n"
    text += NULL_RULE
    assert only(problems_of(text)) == (
        "handoff.tiers: names tiers, but [tiers] defines none: add [tiers] (e.g. sql = 75, "
        "mql = 50, cold = 0), or drop [handoff]"
    )


def test_a_category_spelt_in_another_case_is_refused() -> None:
    text = HEADER + NULL_RULE.replace("points", "category = 'engagement'\npoints")
    text += NULL_RULE.replace("'r'", "'s'").replace("points", "category = 'Engagement'\npoints")
    assert only(problems_of(text)) == (
        "rules[1].category: 'Engagement' differs from the category 'engagement' only in case, "
        "so it would be a category of its own (columns score_engagement and "
        "score_Engagement): write 'engagement'"
    )


def test_a_condition_at_rule_level_and_points_on_a_lookup_say_where_they_go() -> None:
    text = HEADER + "[[rules]]\nname = 'a'\npoints = 1\nfield = 'n'\nop = 'gte'\nvalue = 1\n"
    text += "[[rules]]\nname = 'b'\npoints = 5\nfield = 'industry'\nmap = { software = 10 }\n"
    assert problems_of(text) == [
        "rules[0]: a rule needs exactly one of 'when', 'map' or 'bands' (found none): a "
        "condition's field, op and value go inside when, as in "
        'when = { field = "visits", op = "gte", value = 5 }',
        "rules[1].points: a lookup rule gives the points its map or bands list, and default "
        "and missing for the rest: it has no points of its own",
    ]


def test_case_sensitive_on_a_field_without_text_is_refused_where_written() -> None:
    """It changed nothing there, so a model's author believed `eq "Yes"` on a yes/no field
    told Yes from yes."""
    text = HEADER + "[fields.flag]\ntype = 'bool'\n"
    text += (
        "[[rules]]\nname = 'r'\npoints = 1\nwhen = { all = [ "
        "{ field = 'n', op = 'gte', value = 5, case_sensitive = true }, "
        "{ field = 'title', op = 'eq', value = 'VP', case_sensitive = true } ] }\n"
    )
    text += "[[rules]]\nname = 'm'\nfield = 'flag'\nmap = { yes = 3 }\ncase_sensitive = true\n"
    assert problems_of(text) == [
        "rules[0].when.all[0].case_sensitive: has no effect: field 'n' is read as float, "
        "and only text has a case (remove it)",
        "rules[1].case_sensitive: has no effect: field 'flag' is read as bool, and only text "
        "has a case (remove it)",
    ]


def test_two_keys_for_one_boolean_value_are_refused() -> None:
    """Only the first would count: `true = 1` beside `yes = 5` was dropped without a word."""
    text = HEADER + "[fields.flag]\ntype = 'bool'\n"
    text += map_rule("flag", "yes = 5, true = 1, N = -1, Y = 2, false = 0")
    assert problems_of(text) == [
        "rules[0].map.true: same value as 'yes': the field reads both as true",
        "rules[0].map.Y: same value as 'yes': the field reads both as true",
        "rules[0].map.false: same value as 'N': the field reads both as false",
    ]


def test_nan_and_infinite_values_and_keys_are_refused() -> None:
    """A cell is never NaN or infinite (such text is unreadable): `eq = nan` never fired,
    `ne = inf` fired on every present value, and an `inf` key never matched."""
    text = HEADER + "[fields.n]\ntype = 'float'\n"
    text += "[[rules]]\nname = 'a'\npoints = 1\nwhen = { field = 'n', op = 'ne', value = inf }\n"
    text += (
        "[[rules]]\nname = 'b'\npoints = 1\nwhen = { field = 'n', op = 'in', value = [1, nan] }\n"
    )
    text += map_rule("n", "'-inf' = 3, '5' = 2").replace("'m'", "'c'")
    assert problems_of(text) == [
        "rules[0].when.value: 'ne' needs a string, finite number or boolean, not inf",
        "rules[1].when.value: 'in' needs a non-empty list of strings, finite numbers or "
        "booleans, not [1, nan]",
        "rules[2].map.-inf: '-inf' never matches: field 'n' is read as float, and a key "
        "on it must be a finite number",
    ]


def test_a_renamed_column_is_named_at_the_key_that_holds_it() -> None:
    """Each place that reads the export's name, at the key to change: in a nested leaf, a
    lookup rule and a decay."""
    text = HEADER + RENAMED_N
    text += (
        "[[rules]]\nname = 'a'\npoints = 1\n"
        "when = { not = { any = [ { field = 'x', op = 'is_null' }, "
        "{ field = 'n', op = 'gte', value = 1 } ] } }\n"
        "decay = { field = 'd', half_life_days = 9 }\n"
    )
    text += "[fields.seen]\nsource = 'd'\ntype = 'date'\n"
    text += "[[rules]]\nname = 'b'\nfield = 'n'\nbands = [ { min = 0, points = 1 } ]\n"
    problems = problems_of(text)
    for path in ("rules[0].when.not.any[1].field", "rules[0].decay.field", "rules[1].field"):
        assert any(p.startswith(f"{path}: ") for p in problems), problems


# ------------------------------------------- tables written in a shorter form


def test_a_cap_written_as_a_number_or_without_its_category_says_how_to_write_it() -> None:
    text = HEADER + NULL_RULE + "[caps]\nfit = 50\nmax = 100\n"
    assert problems_of(text) == [
        "caps.fit: must be a table { min = ..., max = ... } "
        "(for at most 50 points, write fit = { max = 50 })",
        "caps.max: a cap names what it limits: for the total of all categories write "
        "total = { max = 100 }, for one category e.g. fit = { max = 100 }",
    ]


def test_a_single_rules_table_says_to_write_double_brackets() -> None:
    single = HEADER + NULL_RULE.replace("[[rules]]", "[rules]")
    assert only(problems_of(single)) == (
        "rules: is one [rules] table: start each rule with a [[rules]] header, in double brackets"
    )


def test_validate_notes_a_field_entry_no_rule_reads(run: Run, tmp_path: Path) -> None:
    """A misspelt [fields] name leaves the rules reading the column with an inferred type."""
    text = HEADER.replace("\n", "\nid_column = 'id'\n", 1)
    text += "[fields.titel]\ntype = 'int'\n[fields.id]\ntype = 'string'\n"
    text += "[fields.count]\nsource = 'n'\n"  # only a rename: it renames the output
    text += map_rule("title", "'vp sales' = 5")
    result = run("validate", "-m", write(tmp_path, "m.toml", text))
    assert result.exit_code == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: fields.")]
    assert notes == [
        "note: fields.titel: no rule reads this field, so its settings change nothing "
        "(did you mean 'title', which the rules read?)"
    ]


def test_every_field_renamed_onto_an_export_column_is_named_with_its_entry(
    run: Run, tmp_path: Path
) -> None:
    text = HEADER + "[fields.x]\nsource = 'n'\n[fields.id]\nsource = 'title'\n"
    text += "[[rules]]\nname = 'r'\npoints = 1\nwhen = { field = 'x', op = 'eq', value = '5' }\n"
    text += "[[rules]]\nname = 's'\npoints = 1\nwhen = { field = 'id', op = 'eq', value = 'v' }\n"
    model = write(tmp_path, "m.toml", text)
    data = write(tmp_path, "leads.csv", "id,n,title,x\n1,5,VP,a\n")
    for args in (
        ("validate", "-m", model, "--data", data),
        ("score", data, "-m", model, "-o", "-"),
    ):
        result = run(*args)
        assert result.exit_code == EXIT_DATA, result.stderr
        assert [line.split("leads.csv: ", 1)[-1] for line in result.stderr.splitlines()] == [
            f"[fields.{field}] reads column {column!r} under the name {field!r}, but the export "
            f"has a column {field!r} of its own, which it would hide: give the field another "
            "name (and use that name in the rules)"
            for field, column in (("x", "n"), ("id", "title"))
        ]


# ------------------------------------------- numbers written in quotes


def test_numbers_written_in_quotes_are_shown_without_them() -> None:
    text = HEADER + (
        "[[rules]]\nname = 'a'\npoints = '10'\nwhen = { field = 'n', op = 'gte', value = '5' }\n"
        "[[rules]]\nname = 'b'\npoints = 1\n"
        "when = { field = 'n', op = 'between', value = ['10', '1,000'] }\n"
        "decay = { field = 'd', half_life_days = '30' }\n"
        "[tiers]\nhot = '70'\ncold = 0\n"
    )
    assert problems_of(text) == [
        "rules[0].points: must be a number, not '10' (write 10, without quotes)",
        "rules[0].when.value: 'gte' needs a number or a date, not '5' (write 5, without quotes)",
        "rules[1].decay.half_life_days: must be a number of days, not '30' "
        "(write 30, without quotes)",
        "rules[1].when.value: 'between' needs a list of two numbers or dates [low, high], "
        "not ['10', '1,000'] (write [10, 1000], numbers without quotes)",
        "tiers.hot: must be a number (the tier's lowest score), not '70' "
        "(write 70, without quotes)",
    ]
