"""The whole fit, from an export to a written model, and what it reports."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from leadscore_cli.errors import DataError, ModelError
from leadscore_cli.fitting.evaluation import (
    Metrics,
    engine_scores,
    holdout_metrics,
    metrics,
    propose_tiers,
)
from leadscore_cli.fitting.explain import comment_safe, explain_rules
from leadscore_cli.fitting.features import Feature, select_features
from leadscore_cli.fitting.history import Dropped, FitOptions, History, read_history
from leadscore_cli.fitting.points import TOTAL_POINTS, build_model, model_name, to_points
from leadscore_cli.fitting.regression import fit_weights
from leadscore_cli.model.loader import parse_model
from leadscore_cli.model.schema import Model, Tier
from leadscore_cli.model.writer import dumps_model
from leadscore_cli.score_run import ReadOptions
from leadscore_cli.scoring.inputs import check_columns
from leadscore_cli.summary import counted, noun_for
from leadscore_cli.thresholds import TierPick

SMALL_HOLDOUT = 40  # fewer converted or other held-out leads: holdout metrics are rough


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
    missing_outcome: int  # leads left out: no known outcome
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

    def left_out(self) -> str:
        """The leads with no known outcome, which nothing of the fit counts: how many."""
        return f", {self.missing_outcome:,} without one left out" if self.missing_outcome else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "outcome": self.outcome,
            "rows": self.rows,
            "training": self.training,
            "holdout": self.holdout,
            "positives": self.positives,
            "missing_outcome": self.missing_outcome,
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


def fit_history(
    history: History, options: FitOptions, base_model: Model | None = None
) -> FitResult:
    if base_model is not None:
        check_base_columns(history, base_model)
    features, dropped = select_features(history, options)
    dropped = history.dropped + dropped
    if not features:
        raise DataError(f"no column is left to fit on: {why_dropped(dropped)}", path=history.name)
    train, y = history.train, history.y
    weights, c = fit_weights(features, y, train, options.seed)
    leads = [np.bincount(f.codes[train], minlength=f.binning.size) for f in features]
    points, per_point = to_points(weights, leads)
    model = build_model(model_name(history.name), features, points, id_column=history.id_column)
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
        missing_outcome=history.missing_outcome,
        as_of=history.as_of.isoformat() if history.as_of else None,
        log_odds_per_point=per_point,
        c=c,
        metrics=holdout_metrics(scores, history),
        features=[report(f, p, n) for f, p, n in zip(features, points, leads, strict=True)],
        dropped=dropped,
        tiers=[],
        warnings=history.warnings + unread_values_warning(features),
    )
    held = y[history.holdout]
    held_positives, held_negatives = int(held.sum()), int((~held).sum())
    if min(held_positives, held_negatives) < SMALL_HOLDOUT:
        result.warnings.append(
            f"the holdout has {held_positives} {noun_for(held_positives, 'converted lead')} and "
            f"{held_negatives} {noun_for(held_negatives, 'other lead')}: "
            f"with fewer than {SMALL_HOLDOUT} of either its AUC, KS and lift are rough "
            "(more history, or a larger --holdout, makes them firmer)"
        )
    try:
        result.tiers, fewer = propose_tiers(scores[train], y[train])
        result.warnings += [fewer] if fewer else []
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
    text = dumps_model(model, header=header(result, options))
    result.text = explain_rules(text, model, result.features, float(y[train].mean()))
    check_reads_back(result.text, model)
    return result


def check_base_columns(history: History, base_model: Model) -> None:
    """The columns --base-model reads, checked before the fit rather than after it."""
    try:
        check_columns(base_model, history.frame.columns, history.name)
    except DataError as exc:
        problems = [f"--base-model {base_model.name}: {p}" for p in exc.problems]
        raise DataError("; ".join(problems), path=history.name, problems=problems) from exc


def why_dropped(dropped: list[Dropped], shown: int = 8) -> str:
    """Each column and why it was not used, in one line: the error has nothing else to show."""
    named = [f"{d.column} ({d.kind})" for d in dropped[:shown]]
    if len(dropped) > shown:
        named.append(f"and {len(dropped) - shown:,} more")
    return ", ".join(named) if named else "the history has no column besides the outcome"


def check_reads_back(text: str, model: Model) -> None:
    """The file must say exactly what was fitted. A model fit wrote that does not load is
    fit's fault, not a bad model of the user's: an internal error, never exit 3."""
    try:
        written = parse_model(text)
    except ModelError as exc:
        raise AssertionError(f"the fitted model does not validate: {exc}") from exc
    if written != model:
        raise AssertionError("the written model does not read back as the fitted one")


def unread_values_warning(features: list[Feature]) -> list[str]:
    """The values of the model's columns that do not read as their type: the fit read them
    as missing, as the model (`on_invalid = "null"`) will, but nobody should learn it late."""
    unread = [f.column for f in features if f.column.invalid]
    if not unread:
        return []
    total = sum(c.invalid for c in unread)
    counts = ", ".join(f"{c.source} {c.invalid:,}" for c in unread)
    return [
        f"{counted(total, 'value')} could not be read as their column's type and count as "
        f"missing: {counts}"
    ]


def report(feature: Feature, points: np.ndarray, leads: np.ndarray) -> FeatureReport:
    """A rule's bins with their training leads and conversion: what its points came from."""
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
        iv=round(feature.iv, 6),
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
        f"data: {result.input} ({counted(result.rows, 'lead')} with a known outcome"
        f"{result.left_out()}: "
        f"{result.training:,} to fit, {result.holdout:,} held out, seed {result.seed})",
        f"outcome: {outcome} ({result.positives:,} converted, "
        f"base rate {result.positives / result.rows:.1%})",
    ]
    if not options.as_of:  # the day matters only when it bounds the as-of date
        lines.append(f"fitted on: {dt.date.today().isoformat()}")
    if result.as_of:
        chosen = "--as-of" if options.as_of else "the latest date in the data up to the fit date"
        lines.append(
            f"as-of: {result.as_of} ({chosen}; date rules count days before the as-of date, "
            f"so score this history with --as-of {result.as_of})"
        )
    lines.append(
        f"holdout ({counted(m.leads, 'lead')}): AUC {m.auc:.3f}, KS {m.ks:.3f}, "
        f"top-decile lift {m.lift:.2f}"
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
    lines.append(
        "above each rule: the points of each bin (a logistic regression's weights, scaled), "
        "its training leads and how many of them converted"
    )
    if result.dropped:
        lines.append("columns not used:")
        lines += [f"  {d.column}: {d.kind}: {d.reason}" for d in result.dropped]
    return "\n".join(comment_safe(line) for line in lines)
