"""The `leadscore` command: one Typer app, one module per subcommand."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from leadscore_cli import __version__
from leadscore_cli.cli.common import reporting_errors
from leadscore_cli.cli.fit import fit
from leadscore_cli.cli.grade import grade
from leadscore_cli.cli.profile import profile
from leadscore_cli.cli.report import report
from leadscore_cli.cli.sample import sample
from leadscore_cli.cli.score import score
from leadscore_cli.cli.sql import sql
from leadscore_cli.cli.threshold import threshold
from leadscore_cli.cli.validate import validate
from leadscore_cli.errors import EXIT_USAGE
from leadscore_cli.readers.scans import limit_csv_chunks
from leadscore_cli.stopping import ignore_stops_if_committed, until_exit

# What each option's value is, as --help shows it: `--model FILE`, not `--model <path>`.
METAVARS = {
    **dict.fromkeys(
        (
            "--model",
            "--output",
            "--data",
            "--previous",
            "--handoff",
            "--manifest",
            "--write",
            "--baseline",
            "--compare-model",
            "--base-model",
        ),
        "FILE",
    ),
    **dict.fromkeys(
        (
            "--outcome",
            "--target",
            "--date-column",
            "--created-column",
            "--converted-at-column",
            "--split-by",
            "--exclude",
        ),
        "COLUMN",
    ),
    **dict.fromkeys(("--positive", "--null-value"), "VALUE"),
    **dict.fromkeys(("--top", "--capacity", "--rows", "--max-features"), "N"),
    **dict.fromkeys(("--target-rate", "--recall", "--holdout"), "SHARE"),
    "--as-of": "DATE",
    "--columns": "A,B,...",
    "--tiers": "K",
    "--seed": "SEED",
    "--fail-on-drift": "PSI",
    "--encoding": "CODEC",
    "--delimiter": "CHAR",
    "--table": "TABLE",
    "--dialect": "DIALECT",
    "--per": "day|week|month",
    "--input-format": "csv|parquet",
    "--format": "FORMAT",
}


def readable_params(params: list[Any]) -> list[Any]:
    """Name what each option takes (`--as-of DATE`) instead of its Python type
    (`<str>`), and show on/off flags bare: `--explain <bool>` reads as if it wanted a
    value (and `--explain true` is then an error)."""
    for param in params:
        if param.metavar is not None:
            continue
        if getattr(param, "is_bool_flag", False):
            param.metavar = ""
        elif getattr(param, "param_type_name", "") == "option":
            param.metavar = METAVARS.get(param.opts[0])
    return params


class FlagsCommand(TyperCommand):
    def get_params(self, ctx: Any) -> list[Any]:
        return readable_params(super().get_params(ctx))


class OneLineErrors(TyperGroup):
    """Usage errors Typer finds itself (a missing option, a value out of range) printed
    as one `leadscore: usage error:` line, like every other error, not a framed box."""

    def get_params(self, ctx: Any) -> list[Any]:
        return readable_params(super().get_params(ctx))

    def command_path_in(self, argv: Any) -> str:
        """`leadscore score` for `leadscore score x -m`: whose --help to point at."""
        words = sys.argv[1:] if argv is None else list(argv)
        for word in words:
            if word in self.commands:
                return f"leadscore {word}"
            if not word.startswith("-"):
                break
        return "leadscore"

    def main(self, *args: Any, standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **extra)
        try:
            code = super().main(*args, standalone_mode=False, **extra)
        except typer.TyperException as error:
            message = getattr(error, "format_message", None)
            if message is None:
                raise
            if not message().strip():  # `leadscore` alone: the help was the answer
                sys.exit(error.exit_code)
            context = getattr(error, "ctx", None)
            if context is not None:
                where = context.command_path
            else:  # raised while parsing a subcommand's options, before it has a context
                where = self.command_path_in(args[0] if args else extra.get("args"))
            kind = "usage error" if error.exit_code == EXIT_USAGE else "error"
            sys.stderr.write(f"leadscore: {kind}: {message().rstrip('.')} (see '{where} --help')\n")
            sys.exit(error.exit_code)
        except typer.Abort:
            sys.stderr.write("leadscore: aborted\n")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


# Shown under `leadscore --help`, so a script's author need not look for the README's table.
EXIT_CODES = (
    "Exit codes: 0 ok, 1 internal error, 2 usage error, 3 bad model, 4 bad input, "
    "5 bad data, 6 cannot write output, 7 drift over the limit, 130 interrupted, "
    "143 terminated (SIGTERM)."
)

app = typer.Typer(
    name="leadscore",
    cls=OneLineErrors,
    help="Score, grade and rank sales leads in batch from CRM exports, with a TOML model "
    "that explains every score.",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def show_version(value: bool) -> None:
    if value:
        typer.echo(f"leadscore {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Checks that apply to every command before it starts (the CSV chunk size)."""
    with reporting_errors(debug=False):
        limit_csv_chunks()


app.command("score", cls=FlagsCommand)(score)
app.command("validate", cls=FlagsCommand)(validate)
app.command("profile", cls=FlagsCommand)(profile)
app.command("grade", cls=FlagsCommand)(grade)
app.command("threshold", cls=FlagsCommand)(threshold)
app.command("report", cls=FlagsCommand)(report)
app.command("fit", cls=FlagsCommand)(fit)
app.command("sql", cls=FlagsCommand)(sql)
app.command("sample", cls=FlagsCommand)(sample)


def main() -> None:
    until_exit()
    try:
        app()
    finally:
        ignore_stops_if_committed()
