"""History: the leads with a known outcome, their columns read, and the training/holdout split."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.model_selection import train_test_split

from leadscore_cli.errors import DataError, UsageError
from leadscore_cli.fitting.columns import (
    Column,
    aged_out_warning,
    almost_numbers,
    days_before,
    detect_kinds,
    field_names,
    field_slug,
    id_like,
    is_lead_id,
    pick_as_of,
    read_column,
)
from leadscore_cli.outcome import (
    check_outcome,
    outcome_check_frame,
    outcome_expr,
    refuse_outcome_type,
    require_column,
)
from leadscore_cli.readers import open_source
from leadscore_cli.score_run import ReadOptions, run_guarded
from leadscore_cli.scoring.inputs import hint_for
from leadscore_cli.summary import counted, noun_for

MIN_POSITIVES = 20  # fewer converted (or other) training leads than this cannot be fitted

OUTCOME = "__ls_fit_outcome"
MAX_SEED = 2**32 - 1  # the seeds scikit-learn's random state takes


@dataclass(frozen=True)
class FitOptions:
    outcome: str
    positive: tuple[str, ...] = ()
    holdout: float = 0.2
    seed: int = 0
    exclude: tuple[str, ...] = ()
    max_features: int | None = None
    as_of: dt.date | None = None  # None: the latest date in the data up to today

    def check(self) -> None:
        if not 0 < self.holdout < 1:
            raise UsageError(
                f"--holdout must be a share between 0 and 1, e.g. 0.2; not {self.holdout}"
            )
        if not 0 <= self.seed <= MAX_SEED:
            raise UsageError(f"--seed must be a whole number from 0 to {MAX_SEED}; not {self.seed}")
        if self.max_features is not None and self.max_features < 1:
            raise UsageError("--max-features must be at least 1")


@dataclass
class Dropped:
    """A column the fitted model does not use, and why."""

    column: str
    kind: str  # excluded, empty, unsupported, id-like, leakage, weak, duplicate, limit
    reason: str

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclass
class History:
    """Leads with a known outcome, their columns read, and the training/holdout split."""

    name: str
    frame: pl.DataFrame  # export columns as read, one row per lead with a known outcome
    y: np.ndarray  # bool: converted
    holdout: np.ndarray  # bool: the lead is held out
    columns: list[Column]
    dropped: list[Dropped]
    as_of: dt.date | None  # dates are read as days before it (None: no date column)
    missing_outcome: int = 0
    id_column: Column | None = None  # the lead id, written as the model's id_column
    warnings: list[str] = dataclasses.field(default_factory=list)

    @property
    def train(self) -> np.ndarray:
        return ~self.holdout


def read_history(
    input_path: str, options: FitOptions, read: ReadOptions = ReadOptions()
) -> History:
    """The leads with a known outcome, every usable column read, and the split."""
    with open_source(
        input_path, encoding=read.encoding, delimiter=read.delimiter, format=read.format
    ) as source:
        schema = source.frame.collect_schema()
        names = list(schema.names())
        require_column(options.outcome, names, option="--outcome", source_name=source.name)
        check_excluded(options.exclude, names, options.outcome)
        positive = list(options.positive) or None
        dtype = schema[options.outcome]
        refuse_outcome_type(options.outcome, dtype, source_name=source.name)
        flagged = source.frame.with_columns(
            outcome_expr(options.outcome, dtype, positive).alias(OUTCOME)
        )
        checks = outcome_check_frame(source.frame, options.outcome, dtype, positive)
        check, data = run_guarded(source, lambda: pl.collect_all([checks, flagged]))
        name = source.name
        counts = check_outcome(options.outcome, check, positive, source_name=name)
        known = data.filter(pl.col(OUTCOME).is_not_null())
        y = known[OUTCOME].to_numpy().astype(bool)
        frame = known.drop(OUTCOME)
        check_sizes(y, options.holdout, name)
        holdout = split_history(y, options.holdout, options.seed)
        check_classes(y[~holdout], name)
        # Binary columns become text here, where bytes that are not UTF-8 first fail.
        columns, dropped, id_column = run_guarded(
            source, lambda: read_columns(frame, options, name)
        )
    as_of, warnings = read_ages([c for c in columns if c.kind == "date"], options.as_of)
    return History(
        name=name,
        frame=frame,
        y=y,
        holdout=holdout,
        columns=columns,
        dropped=dropped,
        as_of=as_of,
        missing_outcome=counts.missing,
        id_column=id_column,
        warnings=warnings,
    )


def read_ages(dates: list[Column], given: dt.date | None) -> tuple[dt.date | None, list[str]]:
    """Turn date columns into days before the as-of date (`--as-of`, else picked from the
    data); say which dates a date rule cannot tell apart."""
    as_of = given or pick_as_of(dates, dt.date.today())
    if as_of is None or not dates:
        return None, []
    warning = aged_out_warning(days_before(dates, as_of), as_of, picked=given is None)
    return as_of, [warning] if warning else []


def split_history(y: np.ndarray, holdout: float, seed: int) -> np.ndarray:
    """Which leads are held out: a stratified, seeded share of them (True = held out).

    `y` is the outcome of the leads with a known outcome, in file order; the same seed
    always holds out the same leads, so `score` output can be checked against `fit`.
    """
    index = np.arange(y.size)
    stratify = y if min(int(y.sum()), int(y.size - y.sum())) >= 2 else None
    _, test = train_test_split(index, test_size=holdout, random_state=seed, stratify=stratify)
    mask = np.zeros(y.size, dtype=bool)
    mask[test] = True
    return mask


def check_sizes(y: np.ndarray, holdout: float, source_name: str) -> None:
    """Refuse history too small to split, before splitting it: the split itself fails on a
    handful of leads, and no share of too few leads leaves enough to fit on."""
    positives = int(y.sum())
    negatives = int(y.size - positives)
    if positives < MIN_POSITIVES or negatives < MIN_POSITIVES:
        raise too_few(positives, negatives, "before the holdout", source_name)
    held_out = math.ceil(holdout * y.size)  # as train_test_split sizes the holdout
    if y.size - held_out < 2:
        raise DataError(
            f"--holdout {holdout:g} leaves {y.size - held_out} of {y.size:,} leads to fit "
            "on: use a smaller --holdout",
            path=source_name,
        )
    if held_out < 2:
        raise DataError(
            f"--holdout {holdout:g} holds out {held_out} of {y.size:,} leads; the holdout "
            "needs converted and other leads: use a larger --holdout",
            path=source_name,
        )


def check_classes(y_train: np.ndarray, source_name: str) -> None:
    positives = int(y_train.sum())
    negatives = int(y_train.size - positives)
    if positives < MIN_POSITIVES or negatives < MIN_POSITIVES:
        raise too_few(positives, negatives, "after the holdout", source_name)


def too_few(positives: int, negatives: int, when: str, source_name: str) -> DataError:
    return DataError(
        f"only {positives} {noun_for(positives, 'converted lead')} and "
        f"{negatives} {noun_for(negatives, 'other lead')} to fit on ({when}); "
        f"a points model needs at least {MIN_POSITIVES} of each",
        path=source_name,
    )


def column_aliases(names: list[str], outcome: str) -> dict[str, set[str]]:
    """What --exclude may call each export column: its header, its plain slug, and the
    field name a fitted model would give it (`crm_score` for a CRM's `Score`)."""
    fields = field_names([n for n in names if n != outcome], names)
    return {n: {n, field_slug(n), fields.get(n, n)} for n in names}


def excluded_sources(exclude: Sequence[str], names: list[str], outcome: str) -> set[str]:
    wanted = set(exclude)
    return {n for n, aliases in column_aliases(names, outcome).items() if aliases & wanted}


def check_excluded(exclude: Sequence[str], names: list[str], outcome: str) -> None:
    known = set().union(*column_aliases(names, outcome).values())
    unknown = [c for c in exclude if c not in known]
    if unknown:
        hints = ", ".join(f"{c!r}{hint_for(c, names)}" for c in unknown)
        raise UsageError(f"--exclude names unknown column(s): {hints}")


def read_columns(
    frame: pl.DataFrame, options: FitOptions, source_name: str
) -> tuple[list[Column], list[Dropped], Column | None]:
    """Read each candidate column as a category, boolean, number or date; also return the
    lead id column (the first id-like column named like an id), if there is one."""
    schema = frame.schema
    names = list(schema.names())
    excluded = excluded_sources(options.exclude, names, options.outcome)
    dropped: list[Dropped] = []
    candidates: list[str] = []
    for source in names:
        if source == options.outcome:
            continue
        if source in excluded:
            dropped.append(Dropped(source, "excluded", "--exclude"))
        else:
            candidates.append(source)
    kinds = detect_kinds(frame, candidates)
    fields = field_names(candidates, names)
    columns: list[Column] = []
    id_column: Column | None = None
    for source in candidates:
        kind = kinds[source]
        if kind in ("empty", "unsupported"):
            why = "no values" if kind == "empty" else f"type {schema[source]} is not supported"
            dropped.append(Dropped(source, kind, why))
            continue
        column = read_column(frame, source, fields[source], kind)
        if not column.present():  # typed columns of nulls, NaN or infinities only
            unread = (
                f" ({counted(column.invalid, 'value')} could not be read)" if column.invalid else ""
            )
            dropped.append(Dropped(source, "empty", "no values" + unread))
            continue
        reason = id_like(column)
        if reason and kind == "category":
            reason += almost_numbers(frame, source)
        if reason:
            if id_column is None and is_lead_id(column):
                id_column = column
                reason += "; the model's id_column"
            dropped.append(Dropped(source, "id-like", reason))
            continue
        columns.append(column)
    return columns, dropped, id_column
