"""`leadscore profile`: what an export holds, what is wrong with it, and what converts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from leadscore_cli.cli.common import (
    AsOfOpt,
    DebugOpt,
    DelimiterOpt,
    EncodingOpt,
    InputFormatOpt,
    JsonOpt,
    QuietOpt,
    parse_as_of,
    print_json,
    read_model,
    read_options,
    reporting_errors,
    stderr,
)
from leadscore_cli.cli.render_profile import render_markdown, render_profile
from leadscore_cli.errors import UsageError
from leadscore_cli.profiling import DEFAULT_NULL_MARKERS, ProfileOptions, profile_file

OptionalModelOpt = Annotated[
    Path | None,
    typer.Option(
        "--model",
        "-m",
        help="Scoring model (TOML): its fields come first, read the way it reads them, and "
        "with --target its rules are checked against history.",
        show_default=False,
        readable=False,
    ),
]
TargetOpt = Annotated[
    str | None,
    typer.Option(
        "--target",
        help="Outcome column (converted or not): adds the ideal customer profile.",
        show_default=False,
    ),
]
PositiveOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--positive",
        help='Target value that means converted, e.g. --positive "Closed Won" (repeatable). '
        "Without it the target must be boolean-like (true/false, yes/no, 1/0).",
        show_default=False,
    ),
]
NullValueOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--null-value",
        help="Cell text that means missing (repeatable; replaces the defaults: "
        + ", ".join(repr(v) for v in DEFAULT_NULL_MARKERS)
        + "). Compared trimmed and ignoring case; empty cells always count.",
        show_default=False,
    ),
]
MarkdownOpt = Annotated[
    bool, typer.Option("--markdown", help="Print the report as Markdown on stdout (for a wiki).")
]


def profile(
    input: Annotated[
        str,
        typer.Argument(
            metavar="INPUT", help="CRM export: CSV (plain, .gz, .zst), Parquet, or - for stdin."
        ),
    ],
    model: OptionalModelOpt = None,
    target: TargetOpt = None,
    positive: PositiveOpt = None,
    null_value: NullValueOpt = None,
    as_of: AsOfOpt = None,
    markdown: MarkdownOpt = False,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    input_format: InputFormatOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Profile an export: what each column holds, data quality, and what converts.

    Per column: type, missing values, distinct and top values, range. Then data
    quality problems and, with --target, the attributes that mark converting
    leads. Examples:

        leadscore profile leads.csv

        leadscore profile leads.csv --target converted -m configs/b2b_saas.toml

        leadscore profile leads.csv --target stage --positive "Closed Won" \\
            --markdown > profile.md
    """
    with reporting_errors(debug):
        if json_out and markdown:
            raise UsageError("give either --json or --markdown: both print to stdout")
        if positive and target is None:
            raise UsageError("--positive needs --target (the column it is a value of)")
        options = ProfileOptions(
            target=target,
            positive=tuple(positive or ()),
            null_values=tuple(null_value) if null_value else DEFAULT_NULL_MARKERS,
            as_of=parse_as_of(as_of),
        )
        result = profile_file(
            input,
            options,
            read_options(encoding, delimiter, input_format),
            read_model(model) if model is not None else None,
        )
        if json_out:
            print_json(result.to_dict())
        elif markdown:
            sys.stdout.write(render_markdown(result))
            sys.stdout.flush()
        elif not quiet:
            render_profile(stderr, result)
