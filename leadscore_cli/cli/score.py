"""`leadscore score`: score a CRM export with a model and write the scored file."""

from __future__ import annotations

from typing import Annotated

import typer

from leadscore_cli.cli.common import (
    AsOfOpt,
    DebugOpt,
    DelimiterOpt,
    EncodingOpt,
    ExcelSafeOpt,
    HandoffOpt,
    InputFormatOpt,
    JsonOpt,
    ManifestOpt,
    ModelOpt,
    PreviousOpt,
    QuietOpt,
    file_format,
    parse_as_of,
    print_json,
    read_model,
    read_options,
    reporting_errors,
    stderr,
)
from leadscore_cli.cli.render import render_score_summary
from leadscore_cli.errors import UsageError
from leadscore_cli.manifest import RunRecord
from leadscore_cli.score_run import ScoreOptions, score_file


def parse_columns(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise UsageError("--columns needs at least one column name, e.g. --columns lead_id,email")
    return names


def score(
    input: Annotated[
        str,
        typer.Argument(
            metavar="INPUT", help="CRM export: CSV (plain, .gz, .zst), Parquet, or - for stdin."
        ),
    ],
    model: ModelOpt,
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="Where to write: .csv, .tsv, .parquet, or - for stdout.",
            show_default=False,
        ),
    ],
    explain: Annotated[
        bool, typer.Option("--explain", help="Add a `reasons` column: each rule's points.")
    ] = False,
    as_of: AsOfOpt = None,
    sort: Annotated[
        bool, typer.Option("--sort", help="Rank by score, highest first (ties by id).")
    ] = False,
    top: Annotated[
        int | None,
        typer.Option(
            "--top", min=1, help="Keep only the best N leads (implies --sort).", show_default=False
        ),
    ] = None,
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns",
            help="Keep only these input columns (comma-separated) beside the new ones.",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="csv or parquet: for a file name whose extension does not say "
            "(or -o -); it must agree with one that does.",
            show_default=False,
        ),
    ] = None,
    previous: PreviousOpt = None,
    handoff: HandoffOpt = None,
    manifest: ManifestOpt = None,
    excel_safe: ExcelSafeOpt = False,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    input_format: InputFormatOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Score leads: add `score` (0-100) and a `score_<category>` subtotal per category.

    Reads the whole export in a stream and writes the output atomically: on any
    failure nothing is left at OUTPUT. Examples:

        leadscore score leads.csv -m configs/b2b_saas.toml -o scored.parquet \\
            --explain --as-of 2026-11-01

        leadscore score leads.csv -m model.toml -o top100.csv --top 100
    """
    record = RunRecord(
        manifest,
        "score",
        input,
        output,
        model_path=str(model),
        previous=previous,
        handoff=handoff,
    )
    with reporting_errors(debug, nightly=True, record=record):
        if json_out and output == "-":
            raise UsageError("--json prints to stdout, which -o - already uses for the data")
        output_format = file_format(output_format, "--format")
        options = ScoreOptions(
            as_of=parse_as_of(as_of),
            explain=explain,
            keep_columns=parse_columns(columns),
            sort=sort,
            top=top,
            output_format=output_format,
            previous=previous,
            handoff=handoff,
            manifest=manifest,
            excel_safe=excel_safe,
        )
        record.as_of = options.as_of  # known even when the model fails to load
        summary = score_file(
            input,
            read_model(model),
            output,
            options,
            read_options(encoding, delimiter, input_format),
            record=record,
        )
        if json_out:
            print_json(summary.to_dict())
        elif not quiet:
            render_score_summary(stderr, summary)
