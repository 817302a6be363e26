"""Models written with another tool's words (HubSpot's "is known", SQL's `and`): each is
refused with the model's word for it, never a near spelling that means the opposite."""

from __future__ import annotations

import pytest

from tests.test_model_loader import HEADER, leaf_problems, only, problems_of

OPS = "(expected one of"


@pytest.mark.parametrize(
    ("written", "model_word"),
    [
        ("is_not", "ne"),  # one letter from is_null, which fires on the opposite leads
        ("is known", "not_null"),
        ("is unknown", "is_null"),
        ("is any of", "in"),
        ("is none of", "not_in"),
        ("is greater than", "gt"),
        ("not_equal", "ne"),
        ("is_not_null", "not_null"),
        ("in_last_days", "within_days"),
    ],
)
def test_an_operator_from_another_tool_is_named_with_the_model_word(
    written: str, model_word: str
) -> None:
    problem = only(leaf_problems(f'{{ field = "x", op = "{written}", value = 1 }}'))
    assert f"unknown operator '{written}' (did you mean '{model_word}'?) {OPS}" in problem


def test_a_negated_operator_without_a_model_word_says_to_wrap_it_in_not() -> None:
    problem = only(leaf_problems('{ field = "x", op = "does not contain", value = "a" }'))
    assert "did you mean 'contains'" not in problem
    assert "to negate 'contains', wrap the condition in not: when = { not = {" in problem


@pytest.mark.parametrize(("written", "model_word"), [("and", "all"), ("or", "any")])
def test_and_or_are_named_all_any_and_their_conditions_are_still_checked(
    written: str, model_word: str
) -> None:
    condition = f'{{ {written} = [{{ field = "x", op = "eq", value = 1 }}, {{ fild = "y" }}] }}'
    problems = leaf_problems(condition)
    assert problems[0] == f"rules[0].when.{written}: unknown key (did you mean '{model_word}'?)"
    assert f"rules[0].when.{written}[1].fild: unknown key (did you mean 'field'?)" in problems
    assert not any(p.startswith("rules[0].when.field") for p in problems), problems


def test_a_hubspot_style_rule_of_property_value_points_is_shown_the_model_form() -> None:
    problems = problems_of(
        HEADER + '[[rules]]\nname = "r"\nproperty = "industry"\nvalue = "Software"\npoints = 10\n'
    )
    assert problems[0].endswith(
        "(found none): a condition's field, op and value go inside when, as in "
        'when = { field = "visits", op = "gte", value = 5 }'
    )
    assert "rules[0].property: unknown key (did you mean 'field'?)" in problems


@pytest.mark.parametrize(("written", "model_word"), [("values", "map"), ("ranges", "bands")])
def test_a_lookup_written_with_another_word_is_named(written: str, model_word: str) -> None:
    problems = problems_of(
        HEADER + f'[[rules]]\nname = "r"\nfield = "x"\n{written} = {{ a = 1 }}\n'
    )
    assert f"rules[0].{written}: unknown key (did you mean '{model_word}'?)" in problems


# ------------------------------------------- a rule written without its [[rules]] header

RULE_WITHOUT_HEADER = (
    'name = "late"\nfield = "x"\npoints = 3\nwhen = { field = "x", op = "eq", value = 1 }\n'
)
BELONGS_TO_A_RULE = (
    "(in TOML a key belongs to the [table] whose header is above it: {key!r} is a rule's key, "
    "and each rule starts with a [[rules]] header of its own: add one above the rule)"
)


@pytest.mark.parametrize(
    "table",
    ["[tiers]\nhot = 50\ncold = 0\n", "[caps.fit]\nmax = 10\n", "[grading]\nplus_minus = true\n"],
)
def test_a_rule_below_another_tables_header_is_named_a_rule(table: str) -> None:
    rule = '[[rules]]\nname = "r"\npoints = 1\nwhen = { field = "x", op = "eq", value = 2 }\n'
    problems = problems_of(HEADER + rule + table + RULE_WITHOUT_HEADER)
    section = table.split("]")[0].lstrip("[")
    for key in ("points", "when"):
        assert f"{section}.{key}: unknown key {BELONGS_TO_A_RULE.format(key=key)}" in problems
    # `name` and `field` are a rule's too beside them, not [model]'s name or a tier
    assert any(p.endswith(BELONGS_TO_A_RULE.format(key="name")) for p in problems), problems
    assert not any("strictly falling" in p or "goes under [model]" in p for p in problems)
