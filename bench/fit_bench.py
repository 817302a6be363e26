"""Holdout AUC of `leadscore fit`'s integer points model against two classifiers.

Why: the points model must be as accurate as the alternatives people would reach for. On
the same training/holdout split and the same usable columns (leakage suspects, ids and
excluded columns left out), it is compared with scikit-learn's HistGradientBoostingClassifier
and with a plain one-hot logistic regression (numbers entered linearly). Data: the shipped
sample, and a generated export with non-linear effects (company size peaks in the middle,
email clicks have diminishing returns).

    .venv/bin/python bench/fit_bench.py [--rows 50000] [--seed 7]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from leadscore_cli.binning import category_binning
from leadscore_cli.fitting import FitOptions, History, fit_history, read_history
from leadscore_cli.fitting.columns import Column
from leadscore_cli.sample import write_sample

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "leads.csv"
DATA = ROOT / "bench" / "data"
HGB_MAX_LEVELS = 250  # HistGradientBoosting takes at most 255 categories per column


def usable(history: History, dropped: set[str]) -> list[Column]:
    """The columns every model may use: what fit read, less leakage, ids and exclusions."""
    return [c for c in history.columns if c.source not in dropped]


def gradient_boosting_auc(history: History, columns: list[Column], seed: int) -> float:
    train, y = history.train, history.y
    blocks, categorical = [], []
    for column in columns:
        if column.kind in ("category", "bool"):
            levels = category_binning(column.values[train], 1).levels[:HGB_MAX_LEVELS]
            lookup = {level: float(i) for i, level in enumerate(levels)}
            codes = [np.nan if v is None else lookup.get(v, np.nan) for v in column.values]
            blocks.append(np.asarray(codes, dtype=np.float64))
            categorical.append(True)
        else:
            blocks.append(column.values)
            categorical.append(False)
    x = np.column_stack(blocks)
    model = HistGradientBoostingClassifier(categorical_features=categorical, random_state=seed)
    model.fit(x[train], y[train])
    return float(roc_auc_score(y[~train], model.predict_proba(x[~train])[:, 1]))


def one_hot_auc(history: History, columns: list[Column]) -> float:
    train, y = history.train, history.y
    text = [c for c in columns if c.kind in ("category", "bool")]
    numbers = [c for c in columns if c.kind not in ("category", "bool")]
    x_text = np.column_stack(
        [np.where(c.values == None, "(missing)", c.values) for c in text]  # noqa: E711
    ).astype(str)
    x_numbers = np.column_stack([c.values for c in numbers])
    x = np.column_stack([x_text.astype(object), x_numbers.astype(object)])
    width = len(text)
    encode = ColumnTransformer(
        [
            ("text", OneHotEncoder(handle_unknown="ignore"), list(range(width))),
            (
                "numbers",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
                ),
                list(range(width, x.shape[1])),
            ),
        ]
    )
    model = make_pipeline(encode, LogisticRegression(max_iter=2000))
    model.fit(x[train], y[train])
    return float(roc_auc_score(y[~train], model.predict_proba(x[~train])[:, 1]))


def bench(path: Path, seed: int) -> dict[str, float | str]:
    options = FitOptions(outcome="converted", seed=seed)
    started = time.perf_counter()
    history = read_history(str(path), options)
    result = fit_history(history, options)
    seconds = time.perf_counter() - started
    dropped = {d.column for d in result.dropped if d.kind in ("leakage", "id-like", "excluded")}
    columns = usable(history, dropped)
    chosen = {f.source for f in result.features}
    return {
        "data": path.name,
        "rows": f"{history.y.size:,}",
        "fit points": result.metrics.auc,
        "gradient boosting": gradient_boosting_auc(history, columns, seed),
        "gb on fit columns": gradient_boosting_auc(
            history, [c for c in columns if c.source in chosen], seed
        ),
        "one-hot logistic": one_hot_auc(history, columns),
        "fit seconds": seconds,
    }


def generated(rows: int, seed: int) -> Path:
    path = DATA / f"fit_leads_{rows}_{seed}.csv"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        write_sample(path, rows, seed)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="rows of the generated data")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated data")
    parser.add_argument("--split-seed", type=int, default=0, help="seed of the holdout split")
    args = parser.parse_args()
    results = [
        bench(SAMPLE, args.split_seed),
        bench(generated(args.rows, args.seed), args.split_seed),
    ]
    print("Holdout AUC, 20% stratified holdout, the same split for every model.")
    print("GB and one-hot LR use every usable column; 'GB, fit cols' the columns fit kept.")
    header = f"{'data':<24} {'rows':>7} {'fit points':>10} {'grad. boost':>11} {'GB, fit cols':>12}"
    print(header + f" {'one-hot LR':>10} {'fit - GB':>9} {'fit s':>6}")
    for r in results:
        best_gb = max(float(r["gradient boosting"]), float(r["gb on fit columns"]))
        gap = float(r["fit points"]) - best_gb
        print(
            f"{r['data']:<24} {r['rows']:>7} {r['fit points']:>10.4f} "
            f"{r['gradient boosting']:>11.4f} {r['gb on fit columns']:>12.4f} "
            f"{r['one-hot logistic']:>10.4f} {gap:>+9.4f} {r['fit seconds']:>6.1f}"
        )


if __name__ == "__main__":
    main()
