"""`leadscore fit`: learn a points model from history with a known outcome."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from leadscore_cli.cli.common import (
    DebugOpt,
    DelimiterOpt,
    EncodingOpt,
    InputFormatOpt,
    JsonOpt,
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
from leadscore_cli.summary import counted
from leadscore_cli.writers import STDOUT, atomic_path, check_destination

if TYPE_CHECKING:  # scikit-learn loads only when fit runs
    from leadscore_cli.fitting import FitResult, Metrics


def metrics_table(result: FitResult) -> Table:
    table = new_table(
        f"Holdout ({counted(result.metrics.leads, 'lead')})",
        [("model", "left"), ("AUC", "right"), ("KS", "right"), ("top-decile lift", "right")],
    )
    rows: list[tuple[str, Metrics]] = [("fitted points", result.metrics)]
    if result.base_metrics is not None:
        rows.append((f"base: {result.base_model}", result.base_metrics))
    for name, m in rows:
        table.add_row(name, f"{m.auc:.3f}", f"{m.ks:.3f}", f"{m.lift:.2f}")
    return table


def features_table(result: FitResult) -> Table:
    table = new_table(
        "Points",
        [
            ("rule", "left"),
            ("category", "left"),
            ("kind", "left"),
            ("IV", "right"),
            ("points", "right"),
        ],
    )
    for f in sorted(result.features, key=lambda f: -f.spread):
        table.add_row(f.name, f.category, f.kind, f"{f.iv:.3f}", f"0-{f.spread}")
    return table


def files_read(history: str, base_model: Path | None) -> dict[str, Path | None]:
    """The files a fit reads, which -o must not name (`-` is stdin, never a file)."""
    return {
        "history file": None if history == STDOUT else Path(history),
        "base model file": base_model,
    }


def fit(
    history: Annotated[
        str,
        typer.Argument(
            metavar="HISTORY", help="Past leads with a known outcome (CSV, Parquet or -)."
        ),
    ],
    outcome: Annotated[
        str,
        typer.Option("--outcome", help="Outcome column: did the lead convert?", show_default=False),
    ],
    output: Annotated[
        str,
        typer.Option("--output", "-o", help="Where to write the model (TOML).", show_default=False),
    ],
    positive: PositiveOpt = None,
    holdout: Annotated[
        float,
        typer.Option("--holdout", help="Share of leads held out to measure the model."),
    ] = 0.2,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the holdout split and cross-validation.")
    ] = 0,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="A column not to use (repeatable).", show_default=False),
    ] = None,
    max_features: Annotated[
        int | None,
        typer.Option(
            "--max-features",
            help="Use at most N columns, the strongest by information value.",
            show_default=False,
        ),
    ] = None,
    base_model: Annotated[
        Path | None,
        typer.Option(
            "--base-model",
            help="A model to compare with on the same holdout.",
            show_default=False,
            readable=False,
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Date that date columns count days back from (YYYY-MM-DD). Default: the "
            "latest date in the history up to today.",
            show_default=False,
        ),
    ] = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    input_format: InputFormatOpt = None,
    json_out: JsonOpt = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Learn points from history and write them as an ordinary, commented model.

    Columns are binned (missing and unseen values get points too); weak,
    duplicate and leaking columns are dropped; a regularised logistic
    regression's weights become whole points: each rule's lowest value is 0
    and the best lead scores 100. Examples:

        leadscore fit history.csv --outcome converted -o fitted.toml

        leadscore fit history.csv --outcome stage --positive "Closed Won" \\
            -o fitted.toml --exclude lead_source \\
            --base-model configs/b2b_saas.toml
    """
    with reporting_errors(debug):
        check_destination(output, files_read(history, base_model))
        if output == "-" and json_out:
            raise UsageError("-o - and --json both write to stdout; choose one")
        base = read_model(base_model) if base_model is not None else None
        from leadscore_cli.fitting import FitOptions, fit_file

        options = FitOptions(
            outcome=outcome,
            positive=tuple(positive or ()),
            holdout=holdout,
            seed=seed,
            exclude=tuple(exclude or ()),
            max_features=max_features,
            as_of=None if as_of is None else parse_as_of(as_of),
        )
        result = fit_file(history, options, read_options(encoding, delimiter, input_format), base)
        with atomic_path(output) as temp:
            temp.write_text(result.text, encoding="utf-8")
        result.written = output
        for warning in result.warnings if not quiet else ():  # -q: nothing on success
            print_warning(stderr, warning)
        if json_out:
            print_json(result.to_dict())
            return
        if quiet:
            return
        show(result)


def show(result: FitResult) -> None:
    stderr.print(
        f"{counted(result.rows, 'lead')} with a known outcome ({result.positives:,} converted)"
        f"{result.left_out()}: "
        f"{result.training:,} to fit, {result.holdout:,} held out",
        highlight=False,
    )
    stderr.print(metrics_table(result))
    stderr.print(features_table(result))
    if result.dropped:
        stderr.print("\nColumns not used:", highlight=False)
        for d in result.dropped:
            stderr.print(f"  {d.column}: {d.kind}: {d.reason}", highlight=False, markup=False)
    if result.tiers:
        tiers = ", ".join(f"{t.name} >= {t.min_score}" for t in result.tiers)
        stderr.print(f"Proposed tiers: {tiers}", highlight=False)
    if result.as_of:
        stderr.print(
            f"Date rules count days before {result.as_of}: score this history with "
            f"--as-of {result.as_of}",
            highlight=False,
        )
    stderr.print(f"Wrote model to {result.written}", highlight=False, markup=False)
