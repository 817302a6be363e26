"""`leadscore fit` on histories whose names and values are hard to write down: the model
it writes must load, score and say what it learned, whatever the export holds."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tests.conftest import AS_OF

HOSTILE_VALUES = ['a"b', "c\\d", "line\nbreak", "bell\x07ring", "tab\tx", "ünï 🚀", "[x]"]


def hostile_history(path: Path, rows: int = 3000, seed: int = 2) -> Path:
    """A segment whose values hold quotes, backslashes, line breaks and control characters,
    under a header with a line break, each value converting at its own rate."""
    rng = np.random.default_rng(seed)
    index = rng.integers(0, len(HOSTILE_VALUES), rows)
    rate = np.linspace(0.03, 0.4, len(HOSTILE_VALUES))[index]
    frame = pl.DataFrame(
        {
            "seg\nment": [HOSTILE_VALUES[i] for i in index],
            "converted": rng.random(rows) < rate,
        }
    )
    frame.write_csv(path)
    return path


def test_values_and_headers_with_control_characters_give_a_model_that_loads(run, tmp_path):
    """A line break or a control character in a value or a header would end or break a
    TOML comment line: the comments show them escaped, the map keys keep them exactly."""
    data = hostile_history(tmp_path / "hostile.csv")
    model = tmp_path / "m.toml"
    result = run("fit", data, "--outcome", "converted", "-o", model, "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    text = model.read_text(encoding="utf-8")
    assert "line\\nbreak" in text and "bell\\x07ring" in text
    rule = tomllib.loads(text)["rules"][0]
    assert set(rule["map"]) <= {v.lower() for v in HOSTILE_VALUES}
    assert len(rule["map"]) >= 5
    assert run("validate", "-m", model, "--data", data).exit_code == 0
    scored = tmp_path / "scored.csv"
    result = run("score", data, "-m", model, "-o", scored, "--as-of", AS_OF, "-q")
    assert result.exit_code == 0, result.stderr


def test_columns_named_like_what_scoring_adds_are_read_under_another_name(run, tmp_path):
    """A CRM's own `Score` or `tier` column would be overwritten by the column `score`
    adds: the model reads it as `crm_score`, `crm_tier`, and scores the history."""
    rng = np.random.default_rng(4)
    rows = 3000
    crm_score, tier = rng.normal(size=rows), rng.choice(["hot", "warm", "cold"], rows)
    logit = -1.5 + crm_score + (tier == "hot")
    frame = pl.DataFrame(
        {
            "Score": crm_score.round(2),
            "tier": tier,
            "converted": rng.random(rows) < 1 / (1 + np.exp(-logit)),
        }
    )
    data = tmp_path / "scored_before.csv"
    frame.write_csv(data)
    model = tmp_path / "m.toml"
    result = run("fit", data, "--outcome", "converted", "-o", model, "--json")
    assert result.exit_code == 0, result.stderr
    fields = tomllib.loads(model.read_text(encoding="utf-8"))["fields"]
    assert fields["crm_score"]["source"] == "Score"
    assert fields["crm_tier"]["source"] == "tier"
    scored = tmp_path / "scored.csv"
    result = run("score", data, "-m", model, "-o", scored, "-q")
    assert result.exit_code == 0, result.stderr
    out = pl.read_csv(scored)  # the output names a renamed column by its field name
    assert out["crm_score"].to_list() == frame["Score"].to_list()
    assert out["crm_tier"].to_list() == frame["tier"].to_list()
    assert out["score"].min() >= 0 and out["score"].max() <= 100
    # --exclude takes the field name the model gives a column, as docs/fit.md says
    for name in ("crm_score", "Score", "score"):
        again = tmp_path / f"without_{name}.toml"
        result = run("fit", data, "--outcome", "converted", "-o", again, "--exclude", name)
        assert result.exit_code == 0, (name, result.stderr)
        assert "crm_score" not in tomllib.loads(again.read_text(encoding="utf-8"))["fields"]


def test_accented_headers_keep_their_letters_in_field_names(run, tmp_path):
    """Field names are ASCII: `Größe (m²)` is read as `grosse_m2`, not `gr_e_m`."""
    rng = np.random.default_rng(6)
    rows = 3000
    size = rng.normal(size=rows)
    frame = pl.DataFrame(
        {
            "Größe (m²)": size.round(2),
            "converted": rng.random(rows) < 1 / (1 + np.exp(1.5 - size)),
        }
    )
    data = tmp_path / "größe.csv"
    frame.write_csv(data)
    model = tmp_path / "m.toml"
    result = run("fit", data, "--outcome", "converted", "-o", model, "-q")
    assert result.exit_code == 0, result.stderr
    fitted = tomllib.loads(model.read_text(encoding="utf-8"))
    assert fitted["fields"]["grosse_m2"]["source"] == "Größe (m²)"
    assert [r["name"] for r in fitted["rules"]] == ["grosse_m2"]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Größe (m²)", "grosse_m2"),
        ("Łódź office", "lodz_office"),
        ("Ærø", "aero"),
        ("Øresund", "oresund"),
        ("Þórr", "thorr"),
        ("naïve ü", "naive_u"),
    ],
)
def test_letters_without_an_accent_free_form_are_spelt_out(header: str, field: str) -> None:
    """Ø, Æ, Ł and Þ do not decompose into a letter and an accent: they would vanish."""
    from leadscore_cli.fitting.columns import field_slug

    assert field_slug(header) == field
