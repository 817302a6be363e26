"""`leadscore grade`: add tier, grade and priority; optionally one file per segment."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

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
    PositiveOpt,
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
from leadscore_cli.cli.render import new_table, print_warning
from leadscore_cli.errors import UsageError
from leadscore_cli.grade_run import SPLIT_CHOICES, GradeOptions, GradeSummary, grade_file
from leadscore_cli.manifest import RunRecord
from leadscore_cli.summary import changes_text, counted, noun_for

OutcomeOpt = Annotated[
    str | None,
    typer.Option(
        "--outcome",
        help="Outcome column (converted or not): adds conversion rates.",
        show_default=False,
    ),
]


def matrix_table(summary: GradeSummary) -> Table:
    title = "Grade x tier" + (f" (conversion by {summary.outcome})" if summary.outcome else "")
    columns = [("grade", "left"), *((tier, "right") for tier in summary.tiers), ("total", "right")]
    table = new_table(title, columns)
    for grade in summary.grades:
        cells = []
        for tier in summary.tiers:
            cell = next(
                (c for c in summary.matrix if c["grade"] == grade and c["tier"] == tier), None
            )
            if cell is None:
                cells.append("-")
            elif cell["rate"] is not None:
                cells.append(f"{cell['count']:,} ({cell['rate']:.0%})")
            else:
                cells.append(f"{cell['count']:,}")
        total = sum(c["count"] for c in summary.matrix if c["grade"] == grade)
        table.add_row(grade, *cells, f"{total:,}")
    return table


def grade(
    input: Annotated[
        str,
        typer.Argument(
            metavar="INPUT", help="A raw export (scored first) or a file `score` wrote."
        ),
    ],
    model: ModelOpt,
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="File to write (.csv, .parquet, - for stdout), or with --split-by a folder.",
            show_default=False,
        ),
    ],
    split_by: Annotated[
        str | None,
        typer.Option(
            "--split-by",
            help="Write one file per grade, tier or priority into the OUTPUT folder "
            "(OUTPUT/grade=A.csv ...), replaced as a whole. The folder must be new, empty "
            "or hold only the files a --split-by run with this model writes; anything else "
            "is refused.",
            show_default=False,
        ),
    ] = None,
    outcome: OutcomeOpt = None,
    positive: PositiveOpt = None,
    as_of: AsOfOpt = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Add `reasons` when the input is scored here.")
    ] = False,
    rescore: Annotated[
        bool,
        typer.Option(
            "--rescore",
            help="Score the leads with this model even when the input already has scores "
            "(their columns are replaced).",
        ),
    ] = False,
    sort: Annotated[bool, typer.Option("--sort", help="Rank by score, highest first.")] = False,
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format", help="csv or parquet (default for --split-by: csv).", show_default=False
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
    """Grade leads: add `tier`, `grade` (fit, A-F) and `priority` (e.g. A1).

    The columns are ordered categories, so sorting follows sql ... cold and
    A+ ... F. A file `score` already wrote is graded from its scores (unless
    --rescore). Examples:

        leadscore grade leads.csv -m configs/b2b_saas.toml -o graded.parquet

        leadscore grade scored.csv -m configs/b2b_saas.toml -o segments \\
            --split-by grade
    """
    record = RunRecord(
        manifest,
        "grade",
        input,
        output,
        model_path=str(model),
        previous=previous,
        handoff=handoff,
        split_by=split_by,
    )
    with reporting_errors(debug, nightly=True, record=record):
        if split_by is not None and split_by not in SPLIT_CHOICES:
            raise UsageError(f"--split-by must be one of {', '.join(SPLIT_CHOICES)}")
        if split_by is not None and output == "-":
            raise UsageError("--split-by writes a folder; give -o FOLDER, not -")
        if json_out and output == "-":
            raise UsageError("--json prints to stdout, which -o - already uses for the data")
        output_format = file_format(output_format, "--format")
        if positive and outcome is None:
            raise UsageError("--positive goes with --outcome")
        options = GradeOptions(
            as_of=parse_as_of(as_of),
            explain=explain,
            split_by=split_by,
            outcome=outcome,
            positive=tuple(positive or ()),
            output_format=output_format,
            sort=sort,
            previous=previous,
            handoff=handoff,
            manifest=manifest,
            excel_safe=excel_safe,
            rescore=rescore,
        )
        record.as_of = options.as_of  # known even when the model fails to load
        summary = grade_file(
            input,
            read_model(model),
            output,
            options,
            read_options(encoding, delimiter, input_format),
            record=record,
        )
        for warning in summary.warnings if not quiet else ():  # -q: nothing on success
            print_warning(stderr, warning)
        if json_out:
            print_json(summary.to_dict())
        elif not quiet:
            how = "scored and graded" if summary.rescored else "graded (scores read from input)"
            stderr.print(
                f"{counted(summary.rows, 'lead')} {how} with {summary.model} "
                f"{summary.model_version} -> {summary.output}",
                highlight=False,
                markup=False,
            )
            stderr.print(matrix_table(summary))
            if split_by is not None:
                stderr.print(
                    f"{len(summary.files)} {noun_for(len(summary.files), 'file')} in {output}/",
                    highlight=False,
                    markup=False,
                )
            if summary.handoff is not None:
                stderr.print(
                    f"Handoff: {counted(summary.handoff['rows'], 'lead')} newly in "
                    f"{', '.join(summary.handoff['tiers'])} -> {summary.handoff['path']}",
                    highlight=False,
                    markup=False,
                )
            if summary.changes is not None:
                stderr.print(changes_text(summary.changes), highlight=False, markup=False)
            stderr.print(f"Took {summary.seconds:.2f} s", highlight=False)
