"""`fit`: learn a points model from past leads with a known outcome.

Hand-set points are guesses; history knows better. The model learned here is an ordinary
TOML model (a `map` or `bands` rule per attribute), so people can read, edit and run it
with `score`. The steps, each small enough to check:

1. read every column the way the written model will read it (`leadscore_cli.fields`), so
   what was fitted is what scoring computes;
2. split the leads into training and holdout (stratified, seeded);
3. bin each column on the training leads (`leadscore_cli.binning`) and drop the columns a
   model should not use: excluded, id-like, leakage suspects, weak, near-duplicates;
4. fit a regularised logistic regression on the one-hot bins;
5. turn the weights into whole points: each rule's lowest bin scores 0 and the best lead
   totals 100, so with `scale = "clip"` the score orders leads like the fitted log-odds, up
   to rounding;
6. score training and holdout leads with the written model itself (the scoring engine, not a
   copy of it), report holdout AUC, KS and top-decile lift, and propose `[tiers]`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score, roc_curve
from sklearn.model_selection import StratifiedKFold, train_test_split

from leadscore_cli.binning import (
    Binning,
    bin_counts,
    category_binning,
    chance,
    figures,
    range_binning,
)
from leadscore_cli.errors import DataError, UsageError
from leadscore_cli.fields import parse_field
from leadscore_cli.icp import (
    WEAK_IV,
    Bin,
    leakage_reason,
    min_support,
)
from leadscore_cli.model.loader import parse_model
from leadscore_cli.model.schema import (
    DEFAULT_NULL_VALUES,
    AllOf,
    Band,
    Condition,
    FieldSpec,
    FieldType,
    Leaf,
    Model,
    Rule,
    Tier,
)
from leadscore_cli.model.writer import dumps_model
from leadscore_cli.outcome import check_outcome, outcome_check_frame, outcome_expr, require_column
from leadscore_cli.readers import open_source
from leadscore_cli.score_run import ReadOptions, invalid_values_check, run_guarded
from leadscore_cli.scoring import SCORE, hint_for, plan_scoring
from leadscore_cli.thresholds import (
    CutoffTable,
    TierPick,
    bucket_counts,
    default_tier_names,
    recommend_tiers,
)

__all__ = [
    "FitOptions",
    "FitResult",
    "History",
    "Metrics",
    "fit_file",
    "fit_history",
    "metrics",
    "read_history",
    "split_history",
]

MIN_POSITIVES = 20  # fewer converted (or other) training leads than this cannot be fitted
TYPE_SHARE = 0.95  # share of present values that must read as a number or date
SAMPLE_ROWS = 20_000  # text columns' types are decided on the first rows
ID_SHARE = 0.9  # distinct values over present values for an id-like text column
DUPLICATE_CORRELATION = 0.9  # |correlation| of two columns' WoE values that makes them twins
C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)  # inverse regularisation strengths tried
CV_FOLDS = 3
TOTAL_POINTS = 100
TIER_CUTOFFS = 3
TOP_SHARE = 0.1  # lift is measured in the top decile
SMALL_HOLDOUT = 40  # fewer converted or other held-out leads: holdout metrics are rough
CHANCE_P = 0.01  # a column whose bins differ less surely than this is dropped as weak

OUTCOME = "__ls_fit_outcome"
ENGAGEMENT_NAME = re.compile(
    r"visit|click|open|download|webinar|demo|page|view|session|time_on|activity|event"
    r"|attend|trial|chat|video|engag"
)
OUTCOME_LIKE_NAME = re.compile(
    r"(^|_)(stage|status|won|lost|closed?|deal|deals|opportunity|opportunities|lifecycle"
    r"|disposition|outcome|result|converted|conversion|customer|churn|churned)(_|$)"
)
ID_NAME = re.compile(r"(^|_)(id|uuid|guid|key)$")


@dataclass(frozen=True)
class FitOptions:
    outcome: str
    positive: tuple[str, ...] = ()
    holdout: float = 0.2
    seed: int = 0
    exclude: tuple[str, ...] = ()
    max_features: int | None = None

    def check(self) -> None:
        if not 0 < self.holdout < 1:
            raise UsageError(
                f"--holdout must be a share between 0 and 1, e.g. 0.2; not {self.holdout}"
            )
        if self.max_features is not None and self.max_features < 1:
            raise UsageError("--max-features must be at least 1")


@dataclass
class Column:
    """One export column, read the way the written model will read it."""

    source: str
    name: str  # the field and rule name in the model
    kind: str  # "category", "bool", "number" or "date"
    values: np.ndarray  # text (None: missing) or float (NaN: missing; dates: days before as-of)
    invalid: int = 0  # present values that could not be read (scored as missing)

    @property
    def ftype(self) -> FieldType:
        types: dict[str, FieldType] = {
            "category": "string",
            "bool": "bool",
            "number": "float",
            "date": "date",
        }
        return types[self.kind]

    @property
    def category(self) -> str:
        return "engagement" if ENGAGEMENT_NAME.search(self.name) else "fit"


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
    as_of: dt.date | None  # the latest date in the data: dates are read as days before it
    missing_outcome: int = 0

    @property
    def train(self) -> np.ndarray:
        return ~self.holdout


@dataclass
class Feature:
    """A column kept for the model: its bins and what the training leads say about them."""

    column: Column
    binning: Binning
    codes: np.ndarray  # bin of every lead
    bins: list[Bin]  # figures on the training leads (non-empty bins)
    iv: float


@dataclass
class Metrics:
    auc: float
    ks: float
    lift: float  # conversion rate in the top decile over the base rate
    leads: int
    converted: int

    def rounded(self) -> dict[str, float | int]:
        return {
            "auc": round(self.auc, 4),
            "ks": round(self.ks, 4),
            "lift": round(self.lift, 4),
            "leads": self.leads,
            "converted": self.converted,
        }


@dataclass
class BinReport:
    label: str
    leads: int
    rate: float | None
    points: int


@dataclass
class FeatureReport:
    name: str
    source: str
    kind: str
    category: str
    iv: float
    spread: int  # highest minus lowest points of the rule
    bins: list[BinReport]


@dataclass
class FitResult:
    input: str
    outcome: str
    rows: int
    training: int
    holdout: int
    positives: int
    seed: int
    as_of: str | None
    log_odds_per_point: float
    c: float
    metrics: Metrics
    features: list[FeatureReport]
    dropped: list[Dropped]
    tiers: list[TierPick]
    base_model: str | None = None
    base_metrics: Metrics | None = None
    warnings: list[str] = field(default_factory=list)
    written: str | None = None
    model: Model | None = None
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "outcome": self.outcome,
            "rows": self.rows,
            "training": self.training,
            "holdout": self.holdout,
            "positives": self.positives,
            "seed": self.seed,
            "as_of": self.as_of,
            "metrics": self.metrics.rounded(),
            "base_model": self.base_model,
            "base_metrics": self.base_metrics.rounded() if self.base_metrics else None,
            "log_odds_per_point": round(self.log_odds_per_point, 6),
            "c": self.c,
            "features": [dataclasses.asdict(f) for f in self.features],
            "dropped": [d.to_dict() for d in self.dropped],
            "tiers": [t.to_dict() for t in self.tiers],
            "warnings": self.warnings,
            "written": self.written,
        }


# --- reading history ---------------------------------------------------------------------


def fit_file(
    input_path: str,
    options: FitOptions,
    read: ReadOptions = ReadOptions(),
    base_model: Model | None = None,
) -> FitResult:
    """Read history, fit, and score the holdout with the new (and the base) model."""
    options.check()
    history = read_history(input_path, options, read)
    return fit_history(history, options, base_model)


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
        check_excluded(options.exclude, names)
        positive = list(options.positive) or None
        dtype = schema[options.outcome]
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
    columns, dropped, as_of = read_columns(frame, options, name)
    return History(
        name=name,
        frame=frame,
        y=y,
        holdout=holdout,
        columns=columns,
        dropped=dropped,
        as_of=as_of,
        missing_outcome=counts.missing,
    )


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
        f"only {positives} converted and {negatives} other leads to fit on ({when}); "
        f"a points model needs at least {MIN_POSITIVES} of each",
        path=source_name,
    )


def check_excluded(exclude: Sequence[str], names: list[str]) -> None:
    slugs = {field_slug(n) for n in names}
    unknown = [c for c in exclude if c not in names and c not in slugs]
    if unknown:
        hints = ", ".join(f"{c!r}{hint_for(c, names)}" for c in unknown)
        raise UsageError(f"--exclude names unknown column(s): {hints}")


def field_slug(source: str) -> str:
    """A field and rule name for an export header: `Annual Revenue` -> `annual_revenue`."""
    slug = re.sub(r"[^0-9A-Za-z]+", "_", source).strip("_").lower() or "column"
    return f"c_{slug}" if slug[0].isdigit() else slug


def field_names(sources: list[str], taken: list[str]) -> dict[str, str]:
    """A unique field name per column that no other export column already has."""
    used = set(taken)
    names: dict[str, str] = {}
    for source in sources:
        slug = field_slug(source)
        if slug != source:
            base, number = slug, 2
            while slug in used or slug in names.values():
                slug, number = f"{base}_{number}", number + 1
        names[source] = slug
    return names


def read_columns(
    frame: pl.DataFrame, options: FitOptions, source_name: str
) -> tuple[list[Column], list[Dropped], dt.date | None]:
    """Read each candidate column as a category, boolean, number or date."""
    schema = frame.schema
    names = list(schema.names())
    excluded = set(options.exclude)
    dropped: list[Dropped] = []
    candidates: list[str] = []
    for source in names:
        if source == options.outcome:
            continue
        if source in excluded or field_slug(source) in excluded:
            dropped.append(Dropped(source, "excluded", "--exclude"))
        else:
            candidates.append(source)
    kinds = detect_kinds(frame, candidates)
    fields = field_names(candidates, names)
    columns: list[Column] = []
    dates: list[Column] = []
    for source in candidates:
        kind = kinds[source]
        if kind in ("empty", "unsupported"):
            why = "no values" if kind == "empty" else f"type {schema[source]} is not supported"
            dropped.append(Dropped(source, kind, why))
            continue
        column = read_column(frame, source, fields[source], kind)
        reason = id_like(column)
        if reason:
            dropped.append(Dropped(source, "id-like", reason))
            continue
        columns.append(column)
        if kind == "date":
            dates.append(column)
    as_of = days_before_as_of(dates)
    return columns, dropped, as_of


def detect_kinds(frame: pl.DataFrame, sources: list[str]) -> dict[str, str]:
    """Typed columns keep their type; text reads as boolean, number or date when nearly
    every present value in the first SAMPLE_ROWS does (booleans only when all do), else as a
    category. Later values that do not read as the type count as missing."""
    kinds: dict[str, str] = {}
    exprs: list[pl.Expr] = []
    text: list[str] = []
    for source in sources:
        dtype = frame.schema[source]
        if dtype == pl.String:
            text.append(source)
            for ftype in ("string", "bool", "float", "date"):
                parsed = parse_field(source, ftype, dtype, None, DEFAULT_NULL_VALUES).value
                exprs.append(parsed.is_not_null().sum().alias(f"{ftype}:{source}"))
        elif dtype == pl.Boolean:
            kinds[source] = "bool"
        elif dtype.is_numeric():
            kinds[source] = "number"
        elif dtype in (pl.Date, pl.Datetime) or isinstance(dtype, pl.Datetime):
            kinds[source] = "date"
        elif dtype == pl.Null:
            kinds[source] = "empty"
        else:
            kinds[source] = "unsupported"
    counts = frame.head(SAMPLE_ROWS).select(exprs).row(0, named=True) if exprs else {}
    for source in text:
        present = counts[f"string:{source}"]
        if present == 0:
            kinds[source] = "empty"
        elif counts[f"bool:{source}"] == present:
            kinds[source] = "bool"
        elif counts[f"float:{source}"] >= TYPE_SHARE * present:
            kinds[source] = "number"
        elif counts[f"date:{source}"] >= TYPE_SHARE * present:
            kinds[source] = "date"
        else:
            kinds[source] = "category"
    return kinds


def column_spec(column: Column) -> FieldSpec | None:
    """The [fields] entry the written model needs: a rename, and the type for non-text.

    Values that do not read as the type were missing to the fit, so they are to `score`
    too (`on_invalid = "null"`).
    """
    if column.kind == "category":
        return None if column.name == column.source else FieldSpec(column.name, column.source)
    return FieldSpec(column.name, column.source, type=column.ftype, on_invalid="null")


def read_column(frame: pl.DataFrame, source: str, name: str, kind: str) -> Column:
    column = Column(source=source, name=name, kind=kind, values=np.empty(0))
    dtype = frame.schema[source]
    parsed = parse_field(source, column.ftype, dtype, column_spec(column), DEFAULT_NULL_VALUES)
    value = parsed.value
    if kind == "category":
        value = value.cast(pl.String).str.to_lowercase()
    elif kind == "bool":
        value = value.cast(pl.String)
    elif kind == "date":
        value = value.cast(pl.Date).cast(pl.Int32).cast(pl.Float64)  # days since 1970
    else:
        value = value.cast(pl.Float64)
    invalid = parsed.invalid.sum() if parsed.invalid is not None else pl.lit(0)
    result = frame.select(value.alias("v"), invalid.alias("bad"))
    if kind in ("category", "bool"):
        column.values = np.asarray(result["v"].to_list(), dtype=object)
    else:
        column.values = result["v"].fill_null(float("nan")).to_numpy().astype(np.float64)
    column.invalid = int(result["bad"][0] or 0)
    return column


def id_like(column: Column) -> str | None:
    """Ids and free text give every lead its own value: nothing to learn, much to overfit."""
    if column.kind in ("bool", "date"):
        return None
    if column.kind == "category":
        present = [v for v in column.values.tolist() if v is not None]
    else:
        if not ID_NAME.search(column.name):
            return None
        present = column.values[~np.isnan(column.values)].tolist()
    distinct = len(set(present))
    if present and distinct > ID_SHARE * len(present) and distinct > 1:
        return f"{distinct:,} distinct values in {len(present):,} leads"
    return None


def days_before_as_of(dates: list[Column]) -> dt.date | None:
    """Turn date columns into days before the latest date in the data (the as-of date)."""
    latest = [np.nanmax(c.values) for c in dates if not np.isnan(c.values).all()]
    if not latest:
        return None
    as_of_days = int(max(latest))
    for column in dates:
        column.values = as_of_days - column.values
    return dt.date(1970, 1, 1) + dt.timedelta(days=as_of_days)


# --- choosing features -------------------------------------------------------------------


def bin_column(column: Column, y: np.ndarray, train: np.ndarray) -> Feature:
    """Bins from the training leads only; codes for every lead."""
    support = min_support(int(train.sum()))
    if column.kind in ("category", "bool"):
        binning = category_binning(column.values[train], support, y[train])
    else:
        binning = range_binning(column.values[train], y[train], support)
    codes = binning.assign(column.values)
    bins = figures(binning, codes[train], y[train])
    return Feature(column, binning, codes, bins, float(sum(b.iv for b in bins)))


def select_features(history: History, options: FitOptions) -> tuple[list[Feature], list[Dropped]]:
    """Bin every column and keep the ones a model should use; say why each other went."""
    train, y = history.train, history.y
    base_rate = float(y[train].mean())
    rows = int(train.sum())
    dropped: list[Dropped] = []
    kept: list[Feature] = []
    for column in history.columns:
        feature = bin_column(column, y, train)
        if OUTCOME_LIKE_NAME.search(column.name):
            dropped.append(
                Dropped(
                    column.source,
                    "leakage",
                    f"outcome-like column (records what happened after the lead came in; "
                    f"IV {feature.iv:.2f})",
                )
            )
            continue
        binning = "category" if feature.binning.kind == "category" else "quantile"
        leak = leakage_reason(column.name, binning, feature.bins, base_rate, rows)
        if leak:
            dropped.append(Dropped(column.source, "leakage", leak))
        elif feature.iv < WEAK_IV:
            dropped.append(
                Dropped(column.source, "weak", f"IV {feature.iv:.3f} is below {WEAK_IV:g}")
            )
        elif (test := feature_chance(feature, y, train))[0] > CHANCE_P:
            p, bins = test
            dropped.append(
                Dropped(
                    column.source,
                    "weak",
                    f"IV {feature.iv:.3f} over {bins} bins is what chance gives (p = {p:.2f})",
                )
            )
        else:
            kept.append(feature)
    kept.sort(key=lambda f: (-f.iv, f.column.name))
    kept, twins = drop_duplicates(kept, train)
    dropped += twins
    if options.max_features is not None and len(kept) > options.max_features:
        for feature in kept[options.max_features :]:
            dropped.append(
                Dropped(
                    feature.column.source,
                    "limit",
                    f"--max-features {options.max_features} keeps the strongest by IV "
                    f"(IV {feature.iv:.3f})",
                )
            )
        kept = kept[: options.max_features]
    return kept, dropped


def feature_chance(feature: Feature, y: np.ndarray, train: np.ndarray) -> tuple[float, int]:
    """How likely the training leads would show this much difference between bins by chance
    (with many small bins, first names say, the IV of pure noise is large); and the bins."""
    binning = feature.binning
    if binning.kind == "category":  # test the levels before grouping: grouping looked at y
        binning = Binning("category", binning.levels, tuple(range(len(binning.levels))))
    codes = binning.assign(feature.column.values[train])
    leads, converted = bin_counts(codes, y[train], binning.size)
    return chance(leads, converted), int((leads > 0).sum())


def woe_values(feature: Feature, train: np.ndarray) -> np.ndarray:
    """Each training lead's bin WoE: what makes two columns carry the same signal."""
    by_label = {b.label: b.woe for b in feature.bins}
    table = np.asarray([by_label.get(label, 0.0) for label in feature.binning.labels()])
    return table[feature.codes[train]]


def drop_duplicates(
    features: list[Feature], train: np.ndarray
) -> tuple[list[Feature], list[Dropped]]:
    """Of two columns whose WoE values correlate above the limit, keep the stronger."""
    kept: list[tuple[Feature, np.ndarray]] = []
    dropped: list[Dropped] = []
    for feature in features:  # strongest first
        values = woe_values(feature, train)
        twin = None
        for other, other_values in kept:
            if values.std() == 0 or other_values.std() == 0:
                continue
            r = float(np.corrcoef(values, other_values)[0, 1])
            if abs(r) > DUPLICATE_CORRELATION:
                twin = (other, r)
                break
        if twin is None:
            kept.append((feature, values))
        else:
            other, r = twin
            dropped.append(
                Dropped(
                    feature.column.source,
                    "duplicate",
                    f"near-duplicate of {other.column.source!r} (WoE correlation {r:.2f}, "
                    f"IV {feature.iv:.3f} vs {other.iv:.3f})",
                )
            )
    return [f for f, _ in kept], dropped


# --- weights and points --------------------------------------------------------------------


def design(features: list[Feature], rows: np.ndarray) -> sparse.csr_matrix:
    """One-hot bins of the given leads, one block of columns per feature."""
    blocks = []
    for feature in features:
        codes = feature.codes[rows]
        ones = np.ones(codes.size)
        blocks.append(
            sparse.csr_matrix(
                (ones, (np.arange(codes.size), codes)), shape=(codes.size, feature.binning.size)
            )
        )
    return sparse.hstack(blocks, format="csr")


def choose_c(x: sparse.csr_matrix, y: np.ndarray, seed: int) -> float:
    """The regularisation with the best cross-validated log loss on the training leads."""
    folds = StratifiedKFold(n_splits=CV_FOLDS, shuffle=True, random_state=seed)
    splits = list(folds.split(np.zeros(y.size), y))
    best_c, best_loss = C_GRID[-1], math.inf
    for c in C_GRID:
        losses = []
        for fit_rows, test_rows in splits:
            model = logistic(c).fit(x[fit_rows], y[fit_rows])
            losses.append(log_loss(y[test_rows], model.predict_proba(x[test_rows])[:, 1]))
        loss = float(np.mean(losses))
        if loss < best_loss - 1e-9:
            best_c, best_loss = c, loss
    return best_c


def logistic(c: float) -> LogisticRegression:
    # Newton steps: a few iterations for the few hundred one-hot columns a scorecard has.
    return LogisticRegression(C=c, solver="newton-cholesky", max_iter=200, tol=1e-8)


def fit_weights(
    features: list[Feature], y: np.ndarray, train: np.ndarray, seed: int
) -> tuple[list[np.ndarray], float]:
    """Log-odds weight of every bin, from one-hot logistic regression on training leads."""
    x = design(features, train)
    c = choose_c(x, y[train], seed)
    coef = logistic(c).fit(x, y[train]).coef_[0]
    weights, start = [], 0
    for feature in features:
        weights.append(coef[start : start + feature.binning.size].copy())
        start += feature.binning.size
    return weights, c


def to_points(weights: list[np.ndarray], leads: list[np.ndarray]) -> tuple[list[np.ndarray], float]:
    """Whole points per bin: each rule's lowest is 0 and the best attainable total is 100.

    Bins no training lead fell in (an `other` or `missing` bin never seen) get the
    lead-weighted mean weight of their rule: with no evidence, neither good nor bad.
    Returns the points and how many log-odds one point is worth.
    """
    shifted = []
    for w, n in zip(weights, leads, strict=True):
        w = w.copy()
        seen = n > 0
        w[~seen] = np.average(w[seen], weights=n[seen])
        shifted.append(w - w.min())
    spans = np.array([s.max() for s in shifted])
    if spans.sum() <= 0:
        raise DataError("no column separates converted leads from the others")
    factor = TOTAL_POINTS / spans.sum()
    tops = largest_remainder(spans * factor, TOTAL_POINTS)
    points = []
    for s, top in zip(shifted, tops, strict=True):
        p = np.minimum(np.rint(s * factor), top)
        p[np.argmax(s)] = top
        points.append(p.astype(np.int64))
    return points, 1 / factor


def largest_remainder(values: np.ndarray, total: int) -> np.ndarray:
    """Round values to integers that add up to `total` (they already nearly do)."""
    floors = np.floor(values).astype(np.int64)
    short = total - int(floors.sum())
    order = np.argsort(-(values - floors), kind="stable")
    floors[order[:short]] += 1
    return floors


# --- the written model -----------------------------------------------------------------------


def feature_rules(feature: Feature, points: np.ndarray, description: str) -> list[Rule]:
    """`map` for categories, `bands` for numbers; dates (days before the as-of date) and
    numbers without cut points as condition rules, which is how the model format counts days."""
    column, binning = feature.column, feature.binning
    common = {"category": column.category, "description": description}
    if binning.kind == "category":
        assert binning.other is not None
        return [
            Rule(
                name=column.name,
                kind="map",
                field=column.name,
                mapping=tuple(
                    sorted(
                        (
                            (level, float(points[group]))
                            for level, group in zip(binning.levels, binning.groups, strict=True)
                        ),
                        key=lambda item: -item[1],
                    )
                ),
                default=float(points[binning.other]),
                missing=float(points[binning.missing]),
                **common,
            )
        ]
    if column.kind == "number" and binning.edges:
        bands = tuple(
            Band(points=float(points[i]), min=low, max=high)
            for i in range(binning.size - 1)
            for low, high in [binning.bounds(i)]
        )
        return [
            Rule(
                name=column.name,
                kind="bands",
                field=column.name,
                bands=bands,
                default=0.0,
                missing=float(points[binning.missing]),
                **common,
            )
        ]
    return condition_rules(feature, points, common)


def condition_rules(feature: Feature, points: np.ndarray, common: dict) -> list[Rule]:
    """One condition rule per bin worth points; a lead meets exactly one of them."""
    column, binning = feature.column, feature.binning
    rules = []
    for index in range(binning.size):
        if points[index] == 0:
            continue
        if index == binning.missing:
            suffix, when = "missing", Leaf(column.name, "is_null")
        else:
            suffix, when = range_condition(column, binning, index)
        rules.append(
            Rule(
                name=f"{column.name}_{suffix}",
                kind="when",
                points=float(points[index]),
                when=when,
                **common,
            )
        )
    return rules


def range_condition(column: Column, binning: Binning, index: int) -> tuple[str, Condition]:
    """The condition for one range bin; for dates in whole days before the as-of date."""
    low, high = binning.bounds(index)
    if column.kind == "number":  # no cut points: the bin is "any value"
        return "present", Leaf(column.name, "not_null")
    leaves: list[Condition] = []
    if low is not None:  # at least `low` days old: more than low - 1
        leaves.append(Leaf(column.name, "older_than_days", math.ceil(low) - 1))
    if high is not None:  # under `high` days old: at most high - 1
        leaves.append(Leaf(column.name, "within_days", math.ceil(high) - 1))
    if low is None and high is None:
        return "present", Leaf(column.name, "not_null")
    lo = "0" if low is None else f"{math.ceil(low)}"
    hi = "plus" if high is None else f"{math.ceil(high) - 1}"
    suffix = f"{lo}_{hi}_days"
    return suffix, leaves[0] if len(leaves) == 1 else AllOf(tuple(leaves))


def build_model(
    name: str, features: list[Feature], points: list[np.ndarray], tiers: tuple[Tier, ...] = ()
) -> Model:
    rules: list[Rule] = []
    for feature, p in zip(features, points, strict=True):
        description = f"fitted: IV {feature.iv:.3f}"
        rules += feature_rules(feature, p, description)
    specs = [column_spec(f.column) for f in features]
    return Model(
        name=name,
        version="1",
        id_column=None,
        rules=tuple(rules),
        description="Points learned from history by leadscore fit",
        scale="clip",
        fields=tuple(s for s in specs if s is not None),
        tiers=tiers,
    )


def model_name(source_name: str) -> str:
    stem = Path(source_name).name.split(".")[0] if source_name != "<stdin>" else "stdin"
    return f"fit_{field_slug(stem)}"


# --- scoring with the written model ------------------------------------------------------------


def engine_scores(
    frame: pl.DataFrame, model: Model, as_of: dt.date, source_name: str
) -> np.ndarray:
    """Scores exactly as `score` computes them (it is the same engine)."""
    plan = plan_scoring(frame.lazy(), model, as_of=as_of, source_name=source_name)
    output, stats = pl.collect_all([plan.output.select(SCORE), plan.stats])
    invalid_values_check(plan, source_name)([stats])
    return output[SCORE].to_numpy().astype(np.float64)


def metrics(scores: np.ndarray, y: np.ndarray) -> Metrics:
    """AUC, KS and top-decile lift of scores (ties share the top decile fairly)."""
    fpr, tpr, _ = roc_curve(y, scores)
    return Metrics(
        auc=float(roc_auc_score(y, scores)),
        ks=float(np.max(tpr - fpr)),
        lift=top_lift(scores, y, TOP_SHARE),
        leads=int(y.size),
        converted=int(y.sum()),
    )


def top_lift(scores: np.ndarray, y: np.ndarray, share: float) -> float:
    """Conversion rate of the top `share` of leads over the base rate; a tie that straddles
    the boundary counts in proportion."""
    want = share * y.size
    values, inverse = np.unique(-scores, return_inverse=True)  # best first
    leads = np.bincount(inverse, minlength=values.size).astype(np.float64)
    converted = np.bincount(inverse, weights=y.astype(np.float64), minlength=values.size)
    taken = np.minimum(leads, np.maximum(0.0, want - (np.cumsum(leads) - leads)))
    rate = float((converted * taken / leads).sum() / want)
    return rate / float(y.mean())


def propose_tiers(scores: np.ndarray, y: np.ndarray) -> list[TierPick]:
    frame = pl.DataFrame({"score": scores, "y": y}).lazy()
    table = CutoffTable.from_buckets(bucket_counts(frame, "score", "y").collect())
    return recommend_tiers(table, TIER_CUTOFFS, default_tier_names(TIER_CUTOFFS + 1))


# --- the whole fit -------------------------------------------------------------------------------


def fit_history(
    history: History, options: FitOptions, base_model: Model | None = None
) -> FitResult:
    features, dropped = select_features(history, options)
    dropped = history.dropped + dropped
    if not features:
        raise DataError(
            "no column is left to fit on; see the dropped columns with --json", path=history.name
        )
    train, y = history.train, history.y
    weights, c = fit_weights(features, y, train, options.seed)
    leads = [np.bincount(f.codes[train], minlength=f.binning.size) for f in features]
    points, per_point = to_points(weights, leads)
    model = build_model(model_name(history.name), features, points)
    as_of = history.as_of or dt.date.today()
    scores = engine_scores(history.frame, model, as_of, history.name)
    result = FitResult(
        input=history.name,
        outcome=options.outcome,
        rows=int(y.size),
        training=int(train.sum()),
        holdout=int(history.holdout.sum()),
        positives=int(y.sum()),
        seed=options.seed,
        as_of=history.as_of.isoformat() if history.as_of else None,
        log_odds_per_point=per_point,
        c=c,
        metrics=holdout_metrics(scores, history),
        features=[report(f, p) for f, p in zip(features, points, strict=True)],
        dropped=dropped,
        tiers=[],
    )
    held = y[history.holdout]
    held_positives, held_negatives = int(held.sum()), int((~held).sum())
    if min(held_positives, held_negatives) < SMALL_HOLDOUT:
        result.warnings.append(
            f"the holdout has {held_positives} converted and {held_negatives} other leads: "
            f"with fewer than {SMALL_HOLDOUT} of either its AUC, KS and lift are rough "
            "(more history, or a larger --holdout, makes them firmer)"
        )
    try:
        result.tiers = propose_tiers(scores[train], y[train])
    except DataError as exc:
        result.warnings.append(f"no tiers proposed: {exc.message}")
    tiers = tuple(Tier(t.name, float(t.min_score)) for t in result.tiers)
    model = dataclasses.replace(model, tiers=tiers)
    if base_model is not None:
        base_scores = engine_scores(
            history.frame.filter(pl.Series(history.holdout)), base_model, as_of, history.name
        )
        result.base_model = base_model.name
        result.base_metrics = metrics(base_scores, y[history.holdout])
    result.model = model
    result.text = dumps_model(model, header=header(result, options))
    if parse_model(result.text) != model:  # the file must say exactly what was fitted
        raise AssertionError("the written model does not read back as the fitted one")
    return result


def holdout_metrics(scores: np.ndarray, history: History) -> Metrics:
    y = history.y[history.holdout]
    if y.all() or not y.any():
        raise DataError(
            "the holdout has converted leads only or none; use a larger --holdout",
            path=history.name,
        )
    return metrics(scores[history.holdout], y)


def report(feature: Feature, points: np.ndarray) -> FeatureReport:
    leads = np.bincount(feature.codes, minlength=feature.binning.size)
    by_label = {b.label: b for b in feature.bins}
    bins = []
    for index, label in enumerate(feature.binning.labels()):
        b = by_label.get(label)
        bins.append(
            BinReport(label, int(leads[index]), None if b is None else b.rate, int(points[index]))
        )
    return FeatureReport(
        name=feature.column.name,
        source=feature.column.source,
        kind=feature.column.kind,
        category=feature.column.category,
        iv=round(feature.iv, 4),
        spread=int(points.max() - points.min()),
        bins=bins,
    )


def header(result: FitResult, options: FitOptions) -> str:
    """The comment block on top of the written model: where it came from and how good it is."""
    m = result.metrics
    outcome = result.outcome
    if options.positive:
        outcome += " = " + " or ".join(repr(p) for p in options.positive)
    lines = [
        "Points learned by `leadscore fit` from leads with a known outcome. Edit freely;",
        "check with `leadscore validate`, score with `leadscore score`.",
        f"data: {result.input} ({result.rows:,} leads with a known outcome: "
        f"{result.training:,} to fit, {result.holdout:,} held out, seed {result.seed})",
        f"outcome: {outcome} ({result.positives:,} converted, "
        f"base rate {result.positives / result.rows:.1%})",
        f"fitted on: {dt.date.today().isoformat()}",
    ]
    if result.as_of:
        lines.append(
            f"as-of: {result.as_of} (the latest date in the data; date rules count days before "
            f"the as-of date, so score this history with --as-of {result.as_of})"
        )
    lines.append(
        f"holdout ({m.leads:,} leads): AUC {m.auc:.3f}, KS {m.ks:.3f}, top-decile lift {m.lift:.2f}"
    )
    if result.base_metrics is not None:
        b = result.base_metrics
        lines.append(
            f"base model {result.base_model} on the same holdout: AUC {b.auc:.3f}, "
            f"KS {b.ks:.3f}, top-decile lift {b.lift:.2f}"
        )
    lines.append(
        f"points: each rule's lowest value is 0 and the best lead totals {TOTAL_POINTS}; "
        f"1 point = {result.log_odds_per_point:.3f} log-odds"
    )
    if result.dropped:
        lines.append("columns not used:")
        lines += [f"  {d.column}: {d.kind}: {d.reason}" for d in result.dropped]
    return "\n".join(lines)
