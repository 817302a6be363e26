"""`leadscore threshold`: choose tier cutoffs from history with a known outcome."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from leadscore_cli.cli.common import (
    AsOfOpt,
    DebugOpt,
    DelimiterOpt,
    EncodingOpt,
    InputFormatOpt,
    JsonOpt,
    ModelOpt,
    PositiveOpt,
    QuietOpt,
    parse_as_of,
    print_json,
    read_model,
    read_options,
    reporting_errors,
    stderr,
)
from leadscore_cli.cli.render import new_table, print_warning
from leadscore_cli.errors import UsageError
from leadscore_cli.summary import counted, noun_for

if TYPE_CHECKING:  # the threshold search loads numpy: only `threshold` itself imports it
    from leadscore_cli.threshold_run import ThresholdResult


def fmt(value: float | None, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def cutoff_table(result: ThresholdResult) -> Table:
    headers = ("cutoff", "leads", "share", "converted", "recall", "rate", "lift", "F1", "KS")
    table = new_table("Cutoffs", [(header, "right") for header in headers])
    chosen = result.recommended.cutoff if result.recommended else None
    for row in result.shown_rows():
        style = "bold green" if row.cutoff == chosen else None
        table.add_row(
            f">= {row.cutoff}" + (" *" if row.cutoff == chosen else ""),
            f"{row.leads:,}",
            f"{row.share:.1%}",
            f"{row.converted:,}",
            f"{row.recall:.1%}",
            fmt(row.precision, ".1%"),
            fmt(row.lift, ".2f"),
            f"{row.f1:.3f}",
            f"{row.ks:.3f}",
            style=style,
        )
    return table


def tiers_table(result: ThresholdResult) -> Table:
    table = new_table(
        "Recommended tiers",
        [
            ("tier", "left"),
            ("from score", "right"),
            ("leads", "right"),
            ("share", "right"),
            ("converted", "right"),
            ("rate", "right"),
        ],
    )
    for tier in result.tiers:
        table.add_row(
            tier.name,
            str(tier.min_score),
            f"{tier.leads:,}",
            f"{tier.share:.1%}",
            f"{tier.converted:,}",
            f"{tier.rate:.1%}",
        )
    return table


def population_line(result: ThresholdResult) -> str:
    """The leads the cutoffs count, and those left out for having no known outcome."""
    line = (
        f"{counted(result.rows, 'lead')} with a known outcome: {result.positives:,} converted "
        f"(base rate {result.base_rate:.1%})"
    )
    if result.missing:
        line += f"; {counted(result.missing, 'lead')} with no known outcome left out"
    return line


def span_line(result: ThresholdResult, per: str, date_column: str) -> str:
    """How many periods --capacity counts over, and the dates it could not read."""
    line = f"Periods: {result.periods:.1f} {noun_for(result.periods or 0, per)} of {date_column}"
    if result.unreadable_dates:
        line += f" ({counted(result.unreadable_dates, 'unreadable date')} skipped)"
    return line


STRATEGY_TEXT = {
    "max_ks": "largest KS (best separation of converters from the rest)",
    "target_rate": "lowest cutoff converting at {percent:g}% or more",
    "recall": "highest cutoff still capturing {percent:g}% of conversions",
    "capacity": "lowest cutoff sending at most {value:g} {leads} {per}",
}


def threshold(
    input: Annotated[
        str, typer.Argument(metavar="INPUT", help="History: an export or a scored file.")
    ],
    model: ModelOpt,
    outcome: Annotated[
        str,
        typer.Option("--outcome", help="Outcome column: did the lead convert?", show_default=False),
    ],
    positive: PositiveOpt = None,
    target_rate: Annotated[
        float | None,
        typer.Option(
            "--target-rate",
            help="Strategy: lowest cutoff whose leads convert at this rate or more (0-1).",
            show_default=False,
        ),
    ] = None,
    recall: Annotated[
        float | None,
        typer.Option(
            "--recall",
            help="Strategy: highest cutoff capturing this share of conversions (0-1).",
            show_default=False,
        ),
    ] = None,
    capacity: Annotated[
        float | None,
        typer.Option(
            "--capacity",
            help="Strategy: lowest cutoff sending sales at most N "
            "leads (per --per period when given).",
            show_default=False,
        ),
    ] = None,
    per: Annotated[
        str | None,
        typer.Option(
            "--per",
            help="day, week or month, with --capacity and --date-column.",
            show_default=False,
        ),
    ] = None,
    date_column: Annotated[
        str | None,
        typer.Option(
            "--date-column",
            help="Date that places each lead in a period (e.g. created_date).",
            show_default=False,
        ),
    ] = None,
    tiers: Annotated[
        int | None,
        typer.Option(
            "--tiers",
            min=1,
            max=10,
            help="Recommend K cutoffs at once: K+1 tiers with strictly falling conversion rates.",
            show_default=False,
        ),
    ] = None,
    write: Annotated[
        str | None,
        typer.Option(
            "--write",
            help="Write a complete model with the recommended \\[tiers] to this file.",
            show_default=False,
        ),
    ] = None,
    in_place: Annotated[
        bool, typer.Option("--in-place", help="Write the tiers into MODEL itself.")
    ] = False,
    as_of: AsOfOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    input_format: InputFormatOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Pick score cutoffs from history: recall, conversion rate, lift, F1 and KS per cutoff.

    Default strategy: the cutoff with the largest KS; --target-rate, --recall
    or --capacity choose another, --tiers K places K cutoffs at once. Examples:

        leadscore threshold history.csv -m model.toml --outcome converted

        leadscore threshold history.csv -m model.toml --outcome stage \\
            --positive "Closed Won" --capacity 50 --per week \\
            --date-column created_date --write model_v2.toml

        leadscore threshold history.csv -m model.toml --outcome converted \\
            --tiers 3
    """
    with reporting_errors(debug):
        if json_out and write == "-":
            raise UsageError("--json prints to stdout, which --write - already uses for the model")
        loaded = read_model(model)
        from leadscore_cli.threshold_run import ThresholdOptions, find_thresholds

        options = ThresholdOptions(
            as_of=parse_as_of(as_of),
            outcome=outcome,
            positive=tuple(positive or ()),
            target_rate=target_rate,
            recall=recall,
            capacity=capacity,
            per=per,
            date_column=date_column,
            tiers=tiers,
            write=write,
            in_place=in_place,
        )
        result = find_thresholds(
            input, loaded, options, read_options(encoding, delimiter, input_format)
        )
        for warning in result.warnings if not quiet else ():  # -q: nothing on success
            print_warning(stderr, warning)
        if json_out:
            print_json(result.to_dict())
            return
        if quiet:
            return
        stderr.print(population_line(result), highlight=False)
        stderr.print(cutoff_table(result))
        if result.periods is not None:
            stderr.print(span_line(result, per or "day", date_column or ""), highlight=False)
        if result.recommended is not None:
            value = result.strategy_value or 0
            how = STRATEGY_TEXT[result.strategy].format(
                value=value,
                percent=round(value * 100, 6),  # 0.335 is 33.5%, not 34%
                leads=noun_for(value, "lead"),
                per=f"per {per}" if per else "in all",
            )
            row = result.recommended
            stderr.print(
                f"\nRecommended cutoff: [bold]{row.cutoff}[/bold] ({how}): "
                f"{counted(row.leads, 'lead')} ({row.share:.1%}), {row.recall:.1%} of conversions, "
                f"rate {fmt(row.precision, '.1%')}, lift {fmt(row.lift, '.2f')}",
                highlight=False,
            )
        if result.tiers:
            stderr.print(tiers_table(result))
        if result.written:
            where = "<stdout>" if result.written == "-" else result.written
            stderr.print(
                f"Wrote model with the new tiers to {where}", highlight=False, markup=False
            )
