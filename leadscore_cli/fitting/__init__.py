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

Modules: `columns` and `history` (1, 2), `features` (3), `regression` (4), `points` (5),
`evaluation` (6); `run` puts the steps together and holds the result.
"""

from leadscore_cli.fitting.evaluation import Metrics, metrics
from leadscore_cli.fitting.history import FitOptions, History, read_history, split_history
from leadscore_cli.fitting.run import FitResult, fit_file, fit_history

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
