"""Exact intervals of a proportion: where a bootstrap interval collapses to a point, this one does not.

A model that gets every one of 90 negatives right has a specificity of 1.0, and every bootstrap
resample of those 90 says 1.0 again: the percentile interval [1.0, 1.0] reads as certainty. The
Clopper-Pearson interval inverts the binomial test and stays valid at 0 and at n successes
([0.960, 1.0] for 90 of 90 at 95%).
"""

from __future__ import annotations

from scipy.stats import beta


def clopper_pearson(successes: float, trials: float, level: float) -> tuple[float, float]:
    """The exact (Clopper-Pearson) `level` interval of `successes` out of `trials` (> 0)."""
    if trials <= 0:
        raise ValueError("an interval of a proportion needs at least one trial")
    alpha = 1.0 - level
    low = 0.0 if successes <= 0 else float(beta.ppf(alpha / 2, successes, trials - successes + 1))
    high = 1.0 if successes >= trials else float(beta.ppf(1 - alpha / 2, successes + 1, trials - successes))
    return low, high
