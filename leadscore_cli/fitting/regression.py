"""Log-odds weights of the bins: regularised logistic regression on one-hot bins."""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold

from leadscore_cli.fitting.features import Feature

C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)  # inverse regularisation strengths tried
CV_FOLDS = 3


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
