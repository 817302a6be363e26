"""`leadscore sample`: write a realistic synthetic CRM export to try the tool on."""

from __future__ import annotations

from typing import Annotated

import typer

from leadscore_cli.cli.common import DebugOpt, QuietOpt, reporting_errors, stderr
from leadscore_cli.errors import OutputError
from leadscore_cli.summary import counted


def sample(
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="File to write (.csv or .parquet), or - for CSV on stdout.",
            show_default=False,
        ),
    ],
    rows: Annotated[int, typer.Option("--rows", "-n", min=1, help="Number of leads.")] = 5000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same file.")] = 42,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Generate a synthetic CRM export with realistic mess and a `converted` outcome.

    The outcome follows a hidden ground truth with noise, so profile, threshold
    and fit have real signal to find. Example:

        leadscore sample -n 100000 -o leads.csv --seed 7
    """
    with reporting_errors(debug):
        from leadscore_cli.sample import write_sample  # numpy loads only for `sample`

        try:
            written = write_sample(output, rows, seed=seed)
        except BrokenPipeError:
            raise  # the reader of stdout left: not a fault (exit 0)
        except OSError as exc:
            raise OutputError(exc.strerror or str(exc), path=output) from None
        if not quiet:
            where = "<stdout>" if output == "-" else output
            stderr.print(
                f"Wrote {counted(written, 'lead')} to {where} (seed {seed})",
                highlight=False,
                markup=False,
            )
