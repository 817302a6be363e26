"""Whether the bins of a column convert differently beyond chance: one test for `profile`
and `fit`, so that both call the same column a signal or the luck of the draw.

IV grows with the number of bins whatever the data (fifty first names on a few thousand
leads read as a medium signal), so neither command trusts it alone. numpy and scipy load
on first use: most commands never test anything, and start-up stays quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

CHANCE_P = 0.01  # bins that differ less surely than this could be chance


def chance(leads: np.ndarray, converted: np.ndarray) -> float:
    """p-value of a chi-square test that the bins convert alike (1.0: nothing to test)."""
    import numpy as np
    from scipy.stats import chi2_contingency

    keep = leads > 0
    table = np.vstack([converted[keep], leads[keep] - converted[keep]]).astype(np.float64)
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 1.0
    return float(chi2_contingency(table, correction=False).pvalue)


def trend_chance(leads: np.ndarray, converted: np.ndarray) -> float:
    """p-value of the Cochran-Armitage test that conversion does not rise or fall across
    ordered bins (1.0: nothing to test)."""
    import numpy as np
    from scipy.stats import chi2

    keep = leads > 0
    n, x = leads[keep].astype(np.float64), converted[keep].astype(np.float64)
    total = n.sum()
    if n.size < 2 or x.sum() in (0, total):
        return 1.0
    rate = x.sum() / total
    scores = np.arange(n.size, dtype=np.float64)
    centred = scores - (n * scores).sum() / total
    statistic = (x * centred).sum() ** 2 / (rate * (1 - rate) * (n * centred**2).sum())
    return float(chi2.sf(statistic, 1))


def column_chance(
    leads: np.ndarray, converted: np.ndarray, *, ordered: np.ndarray | None = None
) -> float:
    """p-value that a column's bins convert alike: the chi-square test over all its bins
    and, for the `ordered` ranges of a number or date (a mask over the bins, the missing
    bin left out), the trend test too, which sees a threshold or a slope surely; the
    smaller p counts twice (Bonferroni)."""
    p = chance(leads, converted)
    if ordered is None:
        return p
    return min(1.0, 2 * min(p, trend_chance(leads[ordered], converted[ordered])))
