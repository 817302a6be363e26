"""What an unattended nightly run needs beyond scoring.

Handoff deltas (what changed since last night's file), the handoff list of
leads that just became ready for sales, spreadsheet-safe CSV cells, and the
checks on the files a run writes (the manifest itself is in `manifest`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

import polars as pl

from leadscore_cli import __version__
from leadscore_cli.errors import DataError, InputError, ModelError, UsageError
from leadscore_cli.manifest import RunRecord
from leadscore_cli.model.schema import Model
from leadscore_cli.model.writer import model_sha256
from leadscore_cli.scoring.columns import SCORE, TIER
from leadscore_cli.scoring.totals import tier_expr
from leadscore_cli.stopping import stoppable
from leadscore_cli.summary import counted, noun_for
from leadscore_cli.writers import (
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


def require_id(model: Model, option: str) -> str:
    if not model.id_column:
        raise ModelError(
            f"model.id_column: {option} joins runs on the lead id; set id_column in [model]",
            path=model.source,
        )
    return model.id_column


def model_metadata(model: Model) -> dict[str, str]:
    """What every Parquet file a run writes records of the model, so that grading it
    later with another model can warn."""
    return {
        "leadscore.version": __version__,
        "leadscore.model.name": model.name,
        "leadscore.model.version": model.version,
        "leadscore.model.sha256": model_sha256(model),
    }


def previous_scores(
    previous: pl.LazyFrame, model: Model, source_name: str
) -> tuple[pl.LazyFrame, list[str]]:
    """Last night's id, score and tier, one row per id (the first one wins), and a warning
    when ids repeat: a repeated id's later rows are not compared, which can hide a move.

    The file is read here, once: the join would hold these columns in memory anyway.
    """
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
    query = previous.select(
        pl.col(id_column).cast(pl.String),
        score.alias(PREVIOUS_SCORE),
        tier.alias(PREVIOUS_TIER),
    )
    rows = stoppable(lambda: query.collect(engine="streaming"))
    first = rows.filter(pl.col(id_column).is_first_distinct())
    return first.lazy(), duplicate_ids_warning(rows[id_column], source_name)


def duplicate_ids_warning(ids: pl.Series, source_name: str) -> list[str]:
    repeated = ids.filter(ids.is_duplicated() & ids.is_not_null())
    if repeated.is_empty():
        return []
    ids_repeated = repeated.n_unique()
    return [
        f"--previous {source_name}: {counted(ids_repeated, 'lead id')} "
        f"{noun_for(ids_repeated, 'appears', 'appear')} on more than one row "
        f"(first {repeated[0]!r}); the first row of each is compared"
    ]


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


# A share of the last run's leads missing from the export that is worth a warning: a
# nightly export cut short or filtered by mistake looks like this
GONE_SHARE = 0.1


def change_frames(result: pl.LazyFrame, last_run: pl.LazyFrame, model: Model) -> list[pl.LazyFrame]:
    """Small frames to run beside the output of a run with --previous: the leads per
    `tier_change`; how many distinct ids of the last run are in this export and how many
    scores moved; and how many leads with an id the last run held (see `changes_since`)."""
    id_column = require_id(model, "--previous")
    seen = pl.col(TIER_CHANGE).ne_missing("new")  # without tiers a seen lead's is null
    return [
        result.group_by(TIER_CHANGE).agg(pl.len().alias("leads")),
        result.select(
            pl.col(id_column).filter(seen).n_unique().alias("seen"),
            (pl.col(SCORE_CHANGE) != 0).sum().alias("score_changed"),
        ),
        last_run.select(pl.col(id_column).is_not_null().sum().alias("leads")),
    ]


def changes_since(previous: str, results: list[pl.DataFrame]) -> tuple[dict, list[str]]:
    """What moved since the last run, from `change_frames`' results, and a warning when
    many of its leads are missing from this export."""
    by_change = {row[TIER_CHANGE]: int(row["leads"]) for row in results[0].iter_rows(named=True)}
    seen = int(results[1]["seen"].item())
    previous_leads = int(results[2]["leads"].item())
    gone = max(previous_leads - seen, 0)
    changes = {
        "previous": previous,
        "previous_leads": previous_leads,
        "new": by_change.get("new", 0),
        "gone": gone,
        "score_changed": int(results[1]["score_changed"].item()),
        "tier_moves": {
            change: by_change[change]
            for change in sorted(c for c in by_change if c is not None and "->" in c)
        },
    }
    warnings = []
    if previous_leads and gone >= GONE_SHARE * previous_leads:
        warnings.append(
            f"{counted(gone, 'lead')} of the last run's {previous_leads:,} "
            f"({gone / previous_leads:.1%}) {noun_for(gone, 'is', 'are')} not in this export "
            f"(--previous {previous}): was it cut short or filtered?"
        )
    return changes, warnings


def handoff_tiers(model: Model) -> list[str]:
    if not model.tiers:
        raise ModelError("tiers: --handoff needs [tiers] in the model", path=model.source)
    return list(model.handoff) or [model.tiers[0].name]


def check_run_files(record: RunRecord) -> None:
    """Fail before any work when the files a run writes clash with each other or with a
    file it reads: a manifest over the input, say, or the handoff list over the output."""
    outputs = {"-o": record.output, "--handoff": record.handoff, "--manifest": record.manifest}
    check_distinct(outputs)
    record.check_manifest()
    if record.handoff is not None:  # the rest of its checks run once the input is open
        refuse_overwriting(record.handoff, record.reads())


def write_handoff(
    output: str, output_fmt: str, handoff: str, model: Model, *, spreadsheet_safe: bool = False
) -> tuple[int, list[str]]:
    """Write the leads that newly reached a handoff tier, read back from the finished output;
    return how many, and warnings about them.

    With `spreadsheet_safe` (--excel-safe) a CSV handoff list is made safe to open in a
    spreadsheet even when the output it comes from is Parquet: it is the file people open.
    """
    tiers = handoff_tiers(model)
    scored = pl.scan_parquet(output) if output_fmt == "parquet" else scan_written_csv(output)
    tier = pl.col(TIER).cast(pl.String)
    ready = tier.is_in(tiers)
    if TIER_CHANGE in scored.collect_schema().names():
        change = pl.col(TIER_CHANGE)
        was = change.str.split("->").list.first()
        ready = ready & ((change == "new") | (change.str.contains("->") & ~was.is_in(tiers)))
    listed = scored.filter(ready)
    if spreadsheet_safe and output_format(handoff) == "csv":
        listed = excel_safe(listed)
    also = [scored.filter(ready).select(pl.len())]
    if model.id_column is not None:
        also.append(listed_ids_on_several_rows(scored, scored.filter(ready), model.id_column))
    results = sink_atomic(listed, handoff, also=also, parquet_metadata=model_metadata(model))
    warnings = []
    if len(results) > 1 and results[1].height:
        repeated = results[1]
        warnings.append(
            f"--handoff {handoff}: {counted(repeated.height, 'lead')} on it "
            f"{noun_for(repeated.height, 'has an id', 'have ids')} on more than one row of "
            f"the export (first {repeated[model.id_column][0]!r}): such a lead can be listed "
            "again every night; remove the duplicates from the export"
        )
    return int(results[0].item()), warnings


def listed_ids_on_several_rows(
    scored: pl.LazyFrame, listed: pl.LazyFrame, id_column: str
) -> pl.LazyFrame:
    """Handoff ids found on several rows of the output. Only the listed ids are held (a
    semi join on the short list), not every id of the export."""
    ids = listed.select(id_column).unique()
    return (
        scored.join(ids, on=id_column, how="semi", nulls_equal=False)
        .group_by(id_column)
        .agg(pl.len().alias("rows"))
        .filter(pl.col("rows") > 1)
        .sort(id_column)
    )


def refuse_empty_with_previous(rows: int, previous: str | None, source_name: str) -> None:
    """With --previous, an export without leads stops the run before anything is written.

    The output is usually the next run's --previous: an empty one would make every lead
    "new" tomorrow and send them all back to the handoff list."""
    if previous is not None and rows == 0:
        raise InputError(
            "the input has no leads (a header and no rows); with --previous its output would "
            "replace the last run's scores, so nothing was written",
            path=source_name,
        )


def no_leads_warning(rows: int) -> list[str]:
    """An export with a header and no rows is scored as no leads (exit 0), but a nightly
    export that arrives empty is usually a broken one: say so, before it replaces a
    rolling scores file and sends every lead back to the handoff list tomorrow."""
    if rows:
        return []
    return ["the input has no leads (a header and no rows): the output has none either"]


def scan_written_csv(path: str) -> pl.LazyFrame:
    """A CSV this run wrote, with its column names as written: polars' reader keeps the
    doubled quotes of a quoted header cell, so a column named `Notes "VIP"` would read
    back with its quotes doubled."""
    scanned = pl.scan_csv(path, infer_schema=False, glob=False)
    names = scanned.collect_schema().names()
    with open(path, newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle), names)
    if header != names and len(header) == len(names):
        scanned = scanned.rename(dict(zip(names, header, strict=True)))
    return scanned


def excel_safe(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Prefix a quote to text cells and column names a spreadsheet would run as a formula
    (OWASP CSV injection): a CSV header is a row of cells like any other.

    Plain numbers such as `-12` or `+3.5` are left alone: they are data, not formulas.
    """
    schema = frame.collect_schema()
    text = [name for name, dtype in schema.items() if dtype == pl.String]
    if text:
        frame = frame.with_columns(
            pl.when(formula_like(pl.col(c)))
            .then(pl.concat_str(pl.lit("'"), pl.col(c)))
            .otherwise(pl.col(c))
            .alias(c)
            for c in text
        )
    return frame.rename(safe_names(schema.names()))


def formula_like(text: pl.Expr) -> pl.Expr:
    return text.str.contains(FORMULA_START) & ~text.str.contains(PLAIN_NUMBER)


def safe_names(names: list[str]) -> dict[str, str]:
    """The renames that quote formula-like column names; refuse one that would then
    clash with a name the frame already has."""
    flagged = pl.DataFrame({"name": names}, schema={"name": pl.String})
    renames = {n: "'" + n for n in flagged.filter(formula_like(pl.col("name")))["name"]}
    clashes = [new for new in renames.values() if new in names]
    if clashes:
        raise DataError(
            f"--excel-safe quotes the column name {clashes[0][1:]!r} to {clashes[0]!r}, "
            "which the data already has; rename one of them"
        )
    return renames


def check_excel_safe(formats: Iterable[str]) -> None:
    """--excel-safe acts on every CSV a run writes; refuse it when the run writes none."""
    if "csv" not in formats:
        raise UsageError(
            "--excel-safe applies to CSV files and this run writes none; "
            "Parquet is not opened as text"
        )
