"""What an unattended nightly run needs beyond scoring.

Handoff deltas (what changed since last night's file), the handoff list of
leads that just became ready for sales, spreadsheet-safe CSV cells, and a
JSON manifest that records every run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import polars as pl

from leadscore_cli import __version__
from leadscore_cli.errors import (
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    DataError,
    LeadscoreError,
    ModelError,
    Terminated,
    UsageError,
)
from leadscore_cli.model.schema import Model
from leadscore_cli.model.writer import model_sha256
from leadscore_cli.scoring.columns import SCORE, TIER
from leadscore_cli.scoring.totals import tier_expr
from leadscore_cli.writers import (
    atomic_path,
    check_destination,
    check_distinct,
    output_format,
    refuse_overwriting,
    sink_atomic,
)

PREVIOUS_SCORE = "previous_score"
SCORE_CHANGE = "score_change"
TIER_CHANGE = "tier_change"
PREVIOUS_TIER = "__ls_previous_tier"
DELTA_COLUMNS = (PREVIOUS_SCORE, SCORE_CHANGE, TIER_CHANGE)
FORMULA_START = r"^[=+\-@\t\r]"
PLAIN_NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
Summary = TypeVar("Summary")


def require_id(model: Model, option: str) -> str:
    if not model.id_column:
        raise ModelError(
            f"model.id_column: {option} joins runs on the lead id; set id_column in [model]",
            path=model.source,
        )
    return model.id_column


def previous_scores(previous: pl.LazyFrame, model: Model, source_name: str) -> pl.LazyFrame:
    """Last night's id, score and tier, one row per id (the first one wins)."""
    id_column = require_id(model, "--previous")
    columns = previous.collect_schema().names()
    missing = [c for c in (id_column, SCORE) if c not in columns]
    if missing:
        raise DataError(
            f"--previous file lacks column(s) {', '.join(map(repr, missing))}; "
            "give a file that `score` wrote",
            path=source_name,
        )
    score = pl.col(SCORE).cast(pl.Float64, strict=False)
    if TIER in columns:
        tier = pl.col(TIER).cast(pl.String)
    elif model.tiers:
        tier = tier_expr(model, score).cast(pl.String)
    else:
        tier = pl.lit(None, pl.String)
    return previous.select(
        pl.col(id_column).cast(pl.String),
        score.alias(PREVIOUS_SCORE),
        tier.alias(PREVIOUS_TIER),
    ).unique(subset=id_column, keep="first", maintain_order=True)


def with_deltas(current: pl.LazyFrame, previous: pl.LazyFrame, model: Model) -> pl.LazyFrame:
    """Add previous_score, score_change and tier_change (`mql->sql`, `new`, `same`)."""
    id_column = require_id(model, "--previous")
    joined = current.with_columns(pl.col(id_column).cast(pl.String)).join(
        previous, on=id_column, how="left", maintain_order="left"
    )
    before = pl.col(PREVIOUS_TIER)
    is_new = pl.col(PREVIOUS_SCORE).is_null() & before.is_null()
    if model.tiers:
        now = pl.col(TIER).cast(pl.String)
        change = (
            pl.when(is_new)
            .then(pl.lit("new"))
            .when(before == now)
            .then(pl.lit("same"))
            .otherwise(pl.concat_str(before.fill_null("?"), pl.lit("->"), now.fill_null("?")))
        )
    else:  # no tiers to move between: only a lead seen for the first time is news
        change = pl.when(is_new).then(pl.lit("new")).otherwise(pl.lit(None, pl.String))
    return joined.with_columns(
        (pl.col(SCORE) - pl.col(PREVIOUS_SCORE)).round(2).alias(SCORE_CHANGE),
        change.alias(TIER_CHANGE),
    ).drop(PREVIOUS_TIER)


def handoff_tiers(model: Model) -> list[str]:
    if not model.tiers:
        raise ModelError("tiers: --handoff needs [tiers] in the model", path=model.source)
    return list(model.handoff) or [model.tiers[0].name]


def check_run_files(input_path: str, model: Model, output: str, options) -> None:
    """Fail before any work when the files a run writes clash with each other or with a
    file it reads: a manifest over the input, say, or the handoff list over the output.

    Runs before the manifest is set up: a failed run writes its manifest, which must not
    land on an input either.
    """
    check_distinct({"-o": output, "--handoff": options.handoff, "--manifest": options.manifest})
    reads = {
        "input file": None if input_path == "-" else Path(input_path),
        "model file": model.source,
        "previous scored file": None if options.previous is None else Path(options.previous),
    }
    if options.manifest is not None:  # it records failures, so it must be writable first
        folder = Path(output).expanduser().resolve()
        if (
            getattr(options, "split_by", None)
            and folder in Path(options.manifest).expanduser().resolve().parents
        ):
            raise UsageError(
                "--manifest inside the --split-by folder would block the next run "
                "(the folder may hold only segment files): write it beside the folder"
            )
        check_destination(options.manifest, reads)
    if options.handoff is not None:  # the rest of its checks run inside the recorded run
        refuse_overwriting(options.handoff, reads)


def write_handoff(
    output: str, output_fmt: str, handoff: str, model: Model, *, spreadsheet_safe: bool = False
) -> int:
    """Write the leads that newly reached a handoff tier, read back from the finished output.

    With `spreadsheet_safe` (--excel-safe) a CSV handoff list is made safe to open in a
    spreadsheet even when the output it comes from is Parquet: it is the file people open.
    """
    tiers = handoff_tiers(model)
    if output_fmt == "parquet":
        scored = pl.scan_parquet(output)
    else:
        scored = pl.scan_csv(output, infer_schema=False)
    tier = pl.col(TIER).cast(pl.String)
    ready = tier.is_in(tiers)
    if TIER_CHANGE in scored.collect_schema().names():
        change = pl.col(TIER_CHANGE)
        was = change.str.split("->").list.first()
        ready = ready & ((change == "new") | (change.str.contains("->") & ~was.is_in(tiers)))
    listed = scored.filter(ready)
    if spreadsheet_safe and output_format(handoff) == "csv":
        listed = excel_safe(listed)
    counted = sink_atomic(listed, handoff, also=[scored.filter(ready).select(pl.len())])
    return int(counted[0].item())


def excel_safe(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Prefix a quote to text cells a spreadsheet would run as a formula (OWASP CSV injection).

    Plain numbers such as `-12` or `+3.5` are left alone: they are data, not formulas.
    """
    schema = frame.collect_schema()
    text = [name for name, dtype in schema.items() if dtype == pl.String]
    if not text:
        return frame
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(FORMULA_START) & ~pl.col(c).str.contains(PLAIN_NUMBER))
        .then(pl.concat_str(pl.lit("'"), pl.col(c)))
        .otherwise(pl.col(c))
        .alias(c)
        for c in text
    )


def check_excel_safe(formats: Iterable[str]) -> None:
    """--excel-safe acts on every CSV a run writes; refuse it when the run writes none."""
    if "csv" not in formats:
        raise UsageError(
            "--excel-safe applies to CSV files and this run writes none; "
            "Parquet is not opened as text"
        )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_manifest(destination: str, record: dict) -> None:
    with atomic_path(destination) as temp:
        Path(temp).write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")


def manifest_record(
    *,
    command: str,
    model: Model,
    input_path: Path | None,
    input_name: str,
    output: str,
    as_of: dt.date,
    started: dt.datetime,
    seconds: float,
    status: str,
    rows_in: int | None = None,
    rows_out: int | None = None,
    tiers: dict[str, int] | None = None,
    handoff: dict | None = None,
    error: str | None = None,
    exit_code: int = 0,
) -> dict:
    """The JSON record of one run: enough to tell later exactly what produced a file."""
    size = sha = None
    if input_path is not None and input_path.is_file():
        size = input_path.stat().st_size
        sha = file_sha256(input_path)
    return {
        "leadscore_version": __version__,
        "command": command,
        "status": status,
        "exit_code": exit_code,
        "error": error,
        "started_at": started.isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "as_of": as_of.isoformat(),
        "model": {
            "name": model.name,
            "version": model.version,
            "path": None if model.source is None else os.fspath(model.source),
            "sha256": model_sha256(model),
        },
        "input": {"path": input_name, "bytes": size, "sha256": sha},
        "output": output,
        "rows_in": rows_in,
        "rows_out": rows_out,
        "tiers": tiers or {},
        "handoff": handoff,
    }


def recorded(
    manifest: str | None,
    *,
    command: str,
    model: Model,
    input_path: str,
    output: str,
    as_of: dt.date,
    run: Callable[[], Summary],
    describe: Callable[[Summary], dict],
) -> Summary:
    """Run a command; with a manifest path, record the run whether it succeeds or fails,
    including when Ctrl-C or SIGTERM stops it: a nightly job must always leave a trace."""
    if manifest is None:
        return run()
    started_at = dt.datetime.now().astimezone()
    started = time.perf_counter()
    input_file = None if input_path == "-" else Path(input_path)
    common = {
        "command": command,
        "model": model,
        "input_path": input_file,
        "input_name": input_path,
        "output": output,
        "as_of": as_of,
        "started": started_at,
    }
    try:
        summary = run()
        # in the try: a stop while the input is hashed (seconds for GBs) is still recorded
        record = manifest_record(
            **common,
            seconds=time.perf_counter() - started,
            status="ok",
            **describe(summary),
        )
    except LeadscoreError as error:
        seconds = time.perf_counter() - started
        write_manifest(
            manifest,
            manifest_record(
                **common,
                seconds=seconds,
                status="failed",
                error=str(error),
                exit_code=error.exit_code,
            ),
        )
        raise
    except KeyboardInterrupt as stop:  # Ctrl-C, or SIGTERM from a cron/systemd timeout
        seconds = time.perf_counter() - started
        terminated = isinstance(stop, Terminated)
        write_manifest(
            manifest,
            manifest_record(
                **common,
                seconds=seconds,
                status="terminated" if terminated else "interrupted",
                error="terminated (SIGTERM)" if terminated else "interrupted (SIGINT, Ctrl-C)",
                exit_code=EXIT_TERMINATED if terminated else EXIT_INTERRUPTED,
            ),
        )
        raise
    write_manifest(manifest, record)
    return summary
