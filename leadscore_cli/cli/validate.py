"""`leadscore validate`: check a model, and optionally how it meets real data."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.markup import escape
from rich.text import Text

from leadscore_cli.cli.common import (
    AsOfOpt,
    DebugOpt,
    DelimiterOpt,
    EncodingOpt,
    InputFormatOpt,
    JsonOpt,
    ModelOpt,
    QuietOpt,
    parse_as_of,
    print_json,
    read_model,
    read_options,
    reporting_errors,
    stderr,
)
from leadscore_cli.cli.render import new_table
from leadscore_cli.errors import LeadscoreError, ModelError
from leadscore_cli.grading import grading_of, require_tiers
from leadscore_cli.model import Model
from leadscore_cli.model.loader import idle_field_notes
from leadscore_cli.score_run import check_data
from leadscore_cli.summary import ScoreSummary, counted, noun_for


def unserved_commands(model: Model) -> list[str]:
    """What a valid model still lacks for some commands: `grade` refuses a model without
    [tiers], or with nothing to grade from. Notes, not errors: `score`, `sql` and the
    others serve such a model. The checks are `grade`'s own, so the notes say what it says.
    """
    notes = []
    for check in (require_tiers, grading_of):
        try:
            check(model)
        except ModelError as error:
            notes.append(f"grade cannot use this model: {error.message}")
    return notes


def firing_flags(summary: ScoreSummary) -> dict[str, str]:
    """Rules that never or always fire carry no information about a lead. On an export
    with no leads no rule fires, which says nothing about the rules: none is flagged."""
    flags: dict[str, str] = {}
    if not summary.rows_scored:
        return flags
    for rule in summary.rules:
        if rule.fired == 0:
            flags[rule.name] = "never fires"
        elif rule.fired == summary.rows_scored:
            flags[rule.name] = "always fires"
    return flags


def no_leads_note(summary: ScoreSummary) -> list[str]:
    """An export with a header and no rows checks the columns, but no firing rate."""
    if summary.rows_scored:
        return []
    return [
        f"{summary.input} has no leads (a header and no rows): its columns are checked, "
        "but not how often the rules fire"
    ]


@contextmanager
def failures_as_json(enabled: bool) -> Iterator[None]:
    """With --json, a failed check still answers on stdout: `valid` false and the problems
    (the same lines as on stderr), so a script reads one shape either way."""
    try:
        yield
    except LeadscoreError as error:
        if enabled:
            prefix = f"{error.path}: " if error.path else ""
            print_json(
                {
                    "valid": False,
                    "kind": error.kind,
                    "exit_code": error.exit_code,
                    "errors": [prefix + problem for problem in error.problems],
                }
            )
        raise


def validate(
    model: ModelOpt,
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            help="Also check this export: columns, types, firing rates.",
            show_default=False,
        ),
    ] = None,
    as_of: AsOfOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    input_format: InputFormatOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Check a model: every problem is listed at once, each with its key path.

    With --data, also check that the export has the columns the model reads,
    that their values parse, and how often each rule fires (rules that never or
    always fire are flagged). Example:

        leadscore validate -m configs/b2b_saas.toml --data sample_data/leads.csv
    """
    with reporting_errors(debug), failures_as_json(json_out):
        day = parse_as_of(as_of)
        reading = read_options(encoding, delimiter, input_format)
        loaded = read_model(model)
        result: dict = {
            "model": loaded.name,
            "version": loaded.version,
            "rules": len(loaded.rules),
            "categories": list(loaded.categories),
            "valid": True,
            "notes": idle_field_notes(loaded) + unserved_commands(loaded),
        }
        summary = None
        if data is not None:
            summary = check_data(data, loaded, day, reading)
            flags = firing_flags(summary)
            result["notes"] += summary.warnings  # e.g. values on_invalid = "null" made missing
            result["notes"] += no_leads_note(summary)
            result["data"] = {
                "input": summary.input,
                "rows": summary.rows_scored,
                "rules": [{**vars(rule), "flag": flags.get(rule.name)} for rule in summary.rules],
            }
        if json_out:
            print_json(result)
            return
        if quiet:
            return
        categories = noun_for(len(loaded.categories), "category", "categories")
        stderr.print(
            f"[green]ok[/green] {escape(loaded.name)} {escape(loaded.version)}: "
            f"{counted(len(loaded.rules), 'rule')} in {categories} "
            f"{escape(', '.join(loaded.categories))}",
            highlight=False,
        )
        for note in result["notes"]:
            stderr.print(f"note: {note}", highlight=False, markup=False, soft_wrap=True)
        if summary is not None:
            table = new_table(
                f"Rules on {summary.input} ({counted(summary.rows_scored, 'row')})",
                [("rule", "left"), ("fired", "right"), ("share", "right"), ("", "left")],
            )
            for rule in summary.rules:
                flag = flags.get(rule.name, "")
                table.add_row(
                    rule.name,
                    f"{rule.fired:,}",
                    f"{rule.share:.1%}",
                    Text(flag, style="yellow"),
                )
            stderr.print(table)
