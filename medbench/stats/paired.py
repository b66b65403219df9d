"""Paired comparison of two runs on the same units, from their statistics: the numbers only.

Two runs evaluated on the same resamples keep their correlation, so the interval of their
difference is narrower than two separate intervals suggest. This module knows nothing of tasks,
metrics or files: callers (:mod:`medbench.evaluation.comparison`) hand it statistics, per-unit values and
callables, and get back distributions and p-values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Optional

import numpy as np

from medbench.stats.bootstrap import Statistic


def paired_difference(statistic_a: Statistic, statistic_b: Statistic, from_a: np.ndarray) -> Statistic:
    """A − B under the same resample: B's unit j takes the draw count of A's unit `from_a[j]`."""
    difference = Statistic(lambda weights: statistic_a.weighted(weights) - statistic_b.weighted(weights[:, from_a]))
    if statistic_a.unit_values is not None and statistic_b.unit_values is not None:
        to_b = np.argsort(from_a)
        return Statistic(difference.weighted, statistic_a.unit_values - statistic_b.unit_values[to_b])
    return difference


def swaps(item_of_unit: np.ndarray, n_items: int, n_permutations: int, seed: int) -> np.ndarray:
    """(n_permutations, n_units) booleans: which units swap A and B, whole items (clusters) at once."""
    rng = np.random.default_rng(seed)
    return (rng.random((n_permutations, n_items)) < 0.5)[:, item_of_unit]


def permutation_p_value(
    observed: float,
    swapped: np.ndarray,
    *,
    unit_differences: Optional[np.ndarray] = None,
    difference_after: Optional[Callable[[np.ndarray], float]] = None,
) -> float:
    """Share of random A/B swaps whose |difference| reaches the observed one (with the +1 correction).

    A mean of per-unit values needs only the per-unit differences (a swap flips their sign);
    any other statistic needs `difference_after(swap_row)`, the difference recomputed after it.
    """
    if unit_differences is not None:
        permuted = np.where(swapped, -unit_differences, unit_differences).mean(axis=1)
    elif difference_after is not None:
        permuted = np.array([difference_after(row) for row in swapped], dtype=np.float64)
    else:
        raise ValueError("permutation_p_value needs unit_differences or difference_after")
    permuted = permuted[np.isfinite(permuted)]
    extreme = np.count_nonzero(np.abs(permuted) >= abs(observed) - 1e-12)
    return float((extreme + 1) / (len(permuted) + 1))
