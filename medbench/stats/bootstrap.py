"""Bootstrap confidence intervals (percentile and BCa) of statistics evaluated on weight matrices.

A :class:`Statistic` is a function from a ``(B, n_units)`` matrix of draw counts to ``B`` values
(see :mod:`medbench.stats.resampling`); when the statistic is a mean of per-unit values it also
carries them, which makes the BCa jackknife closed-form. All statistics of one task are evaluated
on the same resamples (one seed), so their intervals are consistent with each other.

Resamples where a statistic is undefined (NaN, e.g. no positive drawn) are dropped; the interval
reports how many resamples it rests on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Optional

import numpy as np
from scipy.special import ndtr, ndtri

from medbench.stats.resampling import Resampler

METHODS = ("percentile", "bca")


@dataclass(frozen=True)
class Statistic:
    weighted: Callable[[np.ndarray], np.ndarray]  # (B, n_units) counts -> (B,) values
    unit_values: Optional[np.ndarray] = None  # when the statistic is the mean of these


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    level: float
    method: str
    n_resamples: int  # resamples on which the statistic was defined


def check_method(method: str, level: float, n_resamples: int) -> None:
    """ValueError for settings no interval can be drawn with (callers validate user input before)."""
    if method not in METHODS:
        raise ValueError(f"interval method {method!r} is not one of {list(METHODS)}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level {level} must lie strictly between 0 and 1 (e.g. 0.95)")
    if n_resamples < 2:
        raise ValueError(f"{n_resamples} resamples: at least 2 are needed (1000 is usual)")


def distributions(
    statistics: Mapping[str, Statistic], resampler: Resampler, n_resamples: int, seed: int
) -> dict[str, np.ndarray]:
    """Each statistic on the same `n_resamples` resamples of `resampler`."""
    chunks: dict[str, list[np.ndarray]] = {name: [] for name in statistics}
    for weights in resampler.resamples(n_resamples, seed):
        for name, statistic in statistics.items():
            chunks[name].append(_evaluate(statistic, weights))
    return {name: np.concatenate(parts) if parts else np.empty(0) for name, parts in chunks.items()}


def _evaluate(statistic: Statistic, weights: np.ndarray) -> np.ndarray:
    if statistic.unit_values is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            return (weights @ statistic.unit_values) / weights.sum(axis=1)
    return np.asarray(statistic.weighted(weights), dtype=np.float64)


def jackknife(statistic: Statistic, resampler: Resampler) -> np.ndarray:
    """Leave-one-item-out values of the statistic (items: units, or clusters when clustered)."""
    if statistic.unit_values is not None:
        return resampler.jackknife_means(statistic.unit_values)
    return np.concatenate([_evaluate(statistic, weights) for weights in resampler.jackknife()])


def interval(
    point: float,
    distribution: np.ndarray,
    level: float,
    method: str,
    jackknife_values: Optional[np.ndarray] = None,
) -> Optional[Interval]:
    """The `level` interval of `method` from a bootstrap `distribution`; None when undefined."""
    valid = distribution[np.isfinite(distribution)]
    if len(valid) < 2 or not np.isfinite(point):
        return None
    alpha = (1.0 - level) / 2
    if method == "percentile":
        quantiles = np.array([alpha, 1 - alpha])
    elif method == "bca":
        if jackknife_values is None:
            raise ValueError("BCa needs the jackknife values of the statistic")
        quantiles = _bca_quantiles(point, valid, jackknife_values, alpha)
        if quantiles is None:
            return None
    else:
        raise ValueError(f"interval method {method!r} is not one of {list(METHODS)}")
    low, high = np.quantile(valid, quantiles)
    return Interval(float(low), float(high), level, method, int(len(valid)))


def _bca_parameters(point: float, valid: np.ndarray, jackknife_values: np.ndarray) -> Optional[tuple[float, float]]:
    """BCa's bias correction and acceleration (Efron 1987), as scipy.stats.bootstrap computes them; None when undefined."""
    below = (np.count_nonzero(valid < point) + np.count_nonzero(valid <= point)) / (2 * len(valid))
    bias = ndtri(below)
    jack = jackknife_values[np.isfinite(jackknife_values)]
    if len(jack) < 2 or not np.isfinite(bias):
        return None
    deviations = jack.mean() - jack
    spread = np.sum(deviations**2)
    acceleration = np.sum(deviations**3) / (6 * spread**1.5) if spread > 0 else 0.0
    return float(bias), float(acceleration)


def _bca_quantiles(point: float, valid: np.ndarray, jackknife_values: np.ndarray, alpha: float) -> Optional[np.ndarray]:
    """The bias-corrected and accelerated quantiles of the `1 - 2 alpha` interval."""
    parameters = _bca_parameters(point, valid, jackknife_values)
    if parameters is None:
        return None
    bias, acceleration = parameters
    z = ndtri(np.array([alpha, 1 - alpha]))
    return ndtr(bias + (bias + z) / (1 - acceleration * (bias + z)))


def p_value_of_zero(
    point: float,
    distribution: np.ndarray,
    method: str,
    jackknife_values: Optional[np.ndarray] = None,
) -> float:
    """Two-sided p-value of "the statistic is 0", by inverting :func:`interval` on the same resamples.

    It is the smallest `1 - level` at which the interval of `method` excludes 0, so for every
    level the interval excludes 0 exactly when this p-value is below `1 - level`: the interval and
    the p-value are one answer, never two (a 95% interval of a difference clear of 0 beside
    p = 0.10 was). Floored at 1/(resamples + 1), the finest p-value the resamples can resolve.
    NaN where the interval is undefined.
    """
    valid = np.sort(distribution[np.isfinite(distribution)])
    if len(valid) < 2 or not np.isfinite(point):
        return float("nan")
    # Quantile levels where np.quantile's (linear) quantile function crosses 0, from below and from above.
    low_level, high_level = _zero_crossings(valid)
    if method == "bca":
        if jackknife_values is None:
            raise ValueError("BCa needs the jackknife values of the statistic")
        parameters = _bca_parameters(point, valid, jackknife_values)
        if parameters is None:
            return float("nan")
        # The nominal tail probabilities whose BCa-adjusted quantile levels are these crossings.
        low_tail, high_tail = _bca_nominal(low_level, *parameters), 1.0 - _bca_nominal(high_level, *parameters)
    elif method == "percentile":
        low_tail, high_tail = low_level, 1.0 - high_level
    else:
        raise ValueError(f"interval method {method!r} is not one of {list(METHODS)}")
    return float(min(1.0, max(2 * min(low_tail, high_tail), 1.0 / (len(valid) + 1))))


def _zero_crossings(sorted_values: np.ndarray) -> tuple[float, float]:
    """(sup of u with Q(u) <= 0, inf of u with Q(u) >= 0) for the linear quantile function Q of `sorted_values`."""
    n = len(sorted_values)

    def crossing(at_most: bool) -> float:
        side = sorted_values <= 0 if at_most else sorted_values < 0
        count = int(np.count_nonzero(side))
        if count == 0:
            return 0.0
        if count == n:
            return 1.0
        below, above = sorted_values[count - 1], sorted_values[count]
        return (count - 1 + (-below) / (above - below)) / (n - 1) if above != below else (count - 1) / (n - 1)

    return crossing(True), crossing(False)


def _bca_nominal(adjusted: float, bias: float, acceleration: float) -> float:
    """The nominal level alpha whose BCa-adjusted quantile level is `adjusted` (the inverse of BCa's map)."""
    if adjusted <= 0.0 or adjusted >= 1.0:
        return adjusted
    w = float(ndtri(adjusted)) - bias
    denominator = 1.0 + acceleration * w
    if denominator <= 0:  # beyond the branch BCa's map reaches: no nominal level gives it
        return 0.0 if w < 0 else 1.0
    return float(ndtr(w / denominator - bias))


def confidence_intervals(
    statistics: Mapping[str, Statistic],
    points: Mapping[str, float],
    resampler: Resampler,
    *,
    method: str,
    level: float,
    n_resamples: int,
    seed: int,
) -> dict[str, Optional[Interval]]:
    """The interval of every statistic, all on the same resamples."""
    check_method(method, level, n_resamples)
    boot = distributions(statistics, resampler, n_resamples, seed)
    return {
        name: interval(
            points[name],
            boot[name],
            level,
            method,
            jackknife(statistic, resampler) if method == "bca" else None,
        )
        for name, statistic in statistics.items()
    }
