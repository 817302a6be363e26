"""`leadscore report`: distribution, predictive power, drift and A/B of scores, in one report.

The report is the command's data: it goes to stdout (or to -o FILE, written
atomically) in the chosen format; only notes and errors go to stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leadscore_cli.cli.common import (
    AsOfOpt,
    DebugOpt,
    DelimiterOpt,
    EncodingOpt,
    InputFormatOpt,
    PositiveOpt,
    QuietOpt,
    StdoutConsole,
    parse_as_of,
    read_model,
    read_options,
    reporting_errors,
    stderr,
)
from leadscore_cli.cli.render import print_warning
from leadscore_cli.cli.render_report import (
    blocks,
    headline,
    markdown,
    print_terminal,
    terminal_text,
)
from leadscore_cli.errors import DriftError, UsageError
from leadscore_cli.writers import atomic_path, check_destination

if TYPE_CHECKING:  # the report's library loads numpy: only `report` itself imports it
    from leadscore_cli.report_run import Report

FORMATS = ("terminal", "json", "markdown", "html")
STDOUT = "-"


FORMAT_OF_EXTENSION = {
    ".json": "json",
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
}


def format_of(output: str | None) -> str:
    """The format an -o name asks for (`report.html` is HTML); terminal text otherwise."""
    if output is None or output == STDOUT:
        return "terminal"
    return FORMAT_OF_EXTENSION.get(Path(output).suffix.lower(), "terminal")


def render(report: Report, fmt: str) -> str:
    """The whole report as text in `fmt` (terminal: plain text, 80 columns)."""
    data = report.to_dict()
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    if fmt == "markdown":
        return markdown(data)
    if fmt == "html":
        from leadscore_cli.report_html import render_html  # plotly loads only when needed

        return render_html(data, blocks(data), headline(data))
    return terminal_text(data)


def emit(report: Report, fmt: str, output: str | None, quiet: bool) -> None:
    """Print the report to stdout, or write it to `output` atomically."""
    if output is None or output == STDOUT:
        if quiet:
            return
        if fmt == "terminal":
            print_terminal(report.to_dict(), StdoutConsole())
        else:
            sys.stdout.write(render(report, fmt))
            sys.stdout.flush()
        return
    text = render(report, fmt)
    with atomic_path(output) as temp:
        Path(temp).write_text(text, encoding="utf-8")
    if not quiet:
        stderr.print(f"Wrote the {fmt} report to {output}", highlight=False, markup=False)


def report(
    input: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="A file `score` or `grade` wrote, or a raw export with -m (scored here).",
        ),
    ],
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            "-m",
            help="Scoring model (TOML). Needed for a raw export, for tiers and grades the "
            "file lacks, and for the drift of input columns.",
            show_default=False,
            readable=False,
        ),
    ] = None,
    outcome: Annotated[
        str | None,
        typer.Option(
            "--outcome",
            help="Outcome column (converted or not): adds AUC, Gini, KS, gains, lift and "
            "calibration.",
            show_default=False,
        ),
    ] = None,
    positive: PositiveOpt = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            help="An older scored file: adds the PSI of the score and of each input column.",
            show_default=False,
        ),
    ] = None,
    compare_model: Annotated[
        Path | None,
        typer.Option(
            "--compare-model",
            help="Another model to score the same leads with, shown side by side (A/B).",
            show_default=False,
            readable=False,
        ),
    ] = None,
    report_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="terminal, json, markdown or html. Default: from -o's extension (.json, "
            ".html, .md), else terminal.",
            show_default=False,
        ),
    ] = None,
    json_out: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the report as one JSON object on stdout (as --format json), also "
            "when -o writes it to a file in another format.",
        ),
    ] = False,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the report to this file (atomically); - or no -o prints it.",
            show_default=False,
        ),
    ] = None,
    fail_on_drift: Annotated[
        float | None,
        typer.Option(
            "--fail-on-drift",
            help="Exit with code 7 when the score's PSI against --baseline exceeds this "
            "(e.g. 0.25), or cannot be measured (a file with no scored leads); the report "
            "is still printed or written first.",
            show_default=False,
        ),
    ] = None,
    created_column: Annotated[
        str | None,
        typer.Option(
            "--created-column",
            help="Date the lead was created: with --converted-at-column, adds lead velocity.",
            show_default=False,
        ),
    ] = None,
    converted_at_column: Annotated[
        str | None,
        typer.Option(
            "--converted-at-column",
            help="Date the lead converted.",
            show_default=False,
        ),
    ] = None,
    as_of: AsOfOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    input_format: InputFormatOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Report on scores: distribution, how well they predict, drift and A/B.

    The report goes to stdout (or -o FILE, its format by default from the
    name: .json, .html, .md); -q prints nothing. Examples:

        leadscore report scored.parquet -m configs/b2b_saas.toml \\
            --outcome converted

        leadscore report leads.csv -m model.toml \\
            --baseline last_month.parquet --fail-on-drift 0.25 -o report.html

        leadscore report history.csv -m model.toml --outcome converted \\
            --compare-model model_v2.toml
    """
    with reporting_errors(debug):
        if input == "-" and baseline == "-":
            raise UsageError("INPUT and --baseline cannot both be read from stdin (-)")
        fmt = chosen_format(report_format, json_out, output)
        if output is not None and output != STDOUT:
            inputs = {
                "input file": None if input == STDOUT else Path(input),
                "baseline file": Path(baseline) if baseline else None,
                "model file": model,
                "compared model file": compare_model,
            }
            check_destination(output, inputs)
        from leadscore_cli.report_run import ReportOptions, build_report

        loaded = read_model(model) if model is not None else None
        options = ReportOptions(
            as_of=parse_as_of(as_of),
            outcome=outcome,
            positive=tuple(positive or ()),
            baseline=baseline,
            compare_model=read_model(compare_model) if compare_model is not None else None,
            created_column=created_column,
            converted_at_column=converted_at_column,
            fail_on_drift=fail_on_drift,
        )
        result = build_report(
            input, loaded, options, read_options(encoding, delimiter, input_format)
        )
        for warning in result.warnings:
            if not quiet and fmt != "terminal":
                print_warning(stderr, warning)
        if json_out:  # printed with -q too, as every command's --json is
            if output not in (None, STDOUT):
                emit(result, fmt, output, quiet)
            sys.stdout.write(render(result, "json"))
            sys.stdout.flush()
        else:
            emit(result, fmt, output, quiet)
        if result.drift_failed and result.drift is not None:
            raise DriftError(gate_message(result.drift), path=result.input)


def chosen_format(report_format: str | None, json_out: bool, output: str | None) -> str:
    """The format of the report's destination: --format, else what the -o name says.

    --json prints the report as JSON on stdout, as other commands print their summary:
    beside an -o file in its own format, or as the report itself when it goes to stdout.
    """
    fmt = report_format.strip().lower() if report_format else None
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {report_format!r}")
    to_stdout = output is None or output == STDOUT
    if json_out and to_stdout:
        if fmt not in (None, "json"):
            raise UsageError(
                f"--json prints the report to stdout as JSON, so the {fmt} report needs -o FILE"
            )
        return "json"
    return fmt or format_of(output)


def gate_message(drift: dict) -> str:
    """Why --fail-on-drift stopped the run: the score PSI over the limit, or no PSI."""
    score, limit, baseline = drift["score"], drift["fail_on_drift"], drift["baseline"]
    if score["psi"] is None:
        return (
            f"score PSI cannot be measured against the baseline {baseline} (a file with no "
            f"scored leads), so --fail-on-drift {limit} cannot pass"
        )
    return (
        f"score PSI {score['psi']:.4f} ({score['verdict']}) is over --fail-on-drift "
        f"{limit} against the baseline {baseline}"
    )
