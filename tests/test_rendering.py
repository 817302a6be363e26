"""Terminal output shows names and values as written: brackets are data, not markup.

rich reads `[final]` in `leads[final].csv` as a style tag (dropping it) and `[/x]` as a
closing tag (raising an error), so every place that prints user text must escape it.
"""

from __future__ import annotations

import re

import polars as pl

from tests.conftest import AS_OF, B2B_MODEL, SAMPLE


def flat(text: str) -> str:
    """The terminal text with line wrapping undone."""
    return "".join(text.split())


def bracketed_export(tmp_path):
    source = tmp_path / "leads[final].csv"
    frame = pl.read_csv(SAMPLE, infer_schema=False).head(200)
    frame = frame.with_columns(pl.lit("[/x] boss [red]").alias("job_title"))
    frame.write_csv(source)
    return source


def test_validate_shows_a_bracketed_file_name(run, tmp_path) -> None:
    source = bracketed_export(tmp_path)
    result = run("validate", "-m", B2B_MODEL, "--data", source)
    assert result.exit_code == 0, result.stderr
    assert "leads[final].csv" in flat(result.stderr)


def test_score_and_grade_show_bracketed_names(run, tmp_path) -> None:
    source = bracketed_export(tmp_path)
    out = tmp_path / "out[1]" / "scored[v2].csv"
    out.parent.mkdir()
    scored = run("score", source, "-m", B2B_MODEL, "-o", out, "--as-of", AS_OF)
    assert scored.exit_code == 0, scored.stderr
    assert "scored[v2].csv" in flat(scored.stderr)
    graded_out = tmp_path / "graded[v2].csv"
    graded = run("grade", out, "-m", B2B_MODEL, "-o", graded_out, "--as-of", AS_OF)
    assert graded.exit_code == 0, graded.stderr
    assert "graded[v2].csv" in flat(graded.stderr)


def test_report_notes_show_a_bracketed_baseline(run, tmp_path) -> None:
    source = bracketed_export(tmp_path)
    scored = tmp_path / "scored[today].csv"
    assert run("score", source, "-m", B2B_MODEL, "-o", scored, "--as-of", AS_OF).exit_code == 0
    result = run("report", scored, "-m", B2B_MODEL, "--baseline", scored, "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert "scored[today].csv" in flat(result.stdout)


def test_help_keeps_bracketed_words(run) -> None:
    """`--help` is rendered by rich too: a `[tiers]` in a help text must reach the reader."""

    import typer.main

    from leadscore_cli.cli.app import app

    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        texts = [command.help or "", *(getattr(p, "help", None) or "" for p in command.params)]
        wanted = {w.replace("\\", "") for t in texts for w in re.findall(r"\\?\[[a-z_]+\]", t)}
        shown = flat(run(name, "--help").stdout)
        for word in wanted:
            assert word in shown, f"leadscore {name} --help lost {word}"


def test_help_shows_no_value_for_on_off_flags(run) -> None:
    """`--explain <bool>` would read as if the flag wanted a value."""
    import typer.main

    from leadscore_cli.cli.app import app

    assert "<bool>" not in run("--help").stdout
    for name in typer.main.get_command(app).commands:
        assert "<bool>" not in run(name, "--help").stdout, name


def test_help_names_what_each_option_takes(run) -> None:
    """`--as-of DATE`, `--model FILE`: not the Python type (`<str>`) the value is read as."""
    import typer.main

    from leadscore_cli.cli.app import app

    for name in typer.main.get_command(app).commands:
        options = [
            line
            for line in run(name, "--help").stdout.splitlines()
            if re.search(r"│\s+\*?\s*--", line)
        ]
        assert options, name
        typed = [line.strip() for line in options if re.search(r"<[a-z][\w\[\] ]*>", line)]
        assert not typed, f"leadscore {name} --help shows Python types: {typed}"


def test_a_long_message_stays_one_line_off_a_terminal(run, tmp_path) -> None:
    """A log file gets each warning on one line, so `grep warning:` finds all of it."""
    export = tmp_path / "empty.csv"
    export.write_text(SAMPLE.read_text().splitlines()[0] + "\n")
    result = run("score", export, "-m", B2B_MODEL, "-o", tmp_path / "o.csv", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    warning = "warning: the input has no leads (a header and no rows): the output has none either"
    assert len(warning) > 80
    assert warning in result.stderr.splitlines()
