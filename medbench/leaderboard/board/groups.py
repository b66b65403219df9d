"""A seed group's row: its pooled estimate and its difference from the baseline, each with an interval.

A group is one config run with several seeds (`naming`). Its estimate is the mean over its seeds.
The interval of that mean has to carry two kinds of uncertainty:

* the test set's: every seed is scored on the same test samples, so their sampling errors move
  together and averaging the seeds does not shrink them; the group keeps the mean of its seeds'
  half-widths (each side apart, as bootstrap intervals are not symmetric);
* the seeds': the mean of k seeds varies with the seeds drawn, by sd / sqrt(k).

The two are added in quadrature on each side: half-width = sqrt(w² + (z · sd / sqrt(k))²), where
w is the mean of the seeds' half-widths on that side and z the normal quantile of the level. The
group's difference from the baseline is pooled the same way from each seed's paired test against
the baseline (its interval of the difference), and its p-value is the normal one that this
interval inverts: p = 2 · (1 − Φ(z · |Δ| / h)), with h the half-width on the side towards 0. So the
interval excludes 0 exactly when p < 1 − level. With two or three seeds the normal quantile
understates the seeds' part (a t quantile would be wider); the page says how many seeds a row has.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Optional

METHOD = "mean over seeds; interval adds the seeds' spread to their mean interval (normal approximation)"


@dataclass(frozen=True)
class Pooled:
    """A metric (or a difference) over the seeds of a group."""

    value: float  # the mean over seeds
    low: Optional[float]  # None when a seed has no interval
    high: Optional[float]
    sd: Optional[float]  # the seeds' standard deviation (None for one seed)
    seeds: int
    p_value: Optional[float] = None  # differences only: the p-value this interval inverts


def pooled(values: Sequence[float], lows: Sequence[Optional[float]], highs: Sequence[Optional[float]], level: float) -> Pooled:
    """The mean of `values` (one per seed) with an interval of the test set's and the seeds' uncertainty."""
    count = len(values)
    mean = math.fsum(values) / count
    sd = math.sqrt(math.fsum((value - mean) ** 2 for value in values) / (count - 1)) if count > 1 else None
    if any(bound is None or not math.isfinite(bound) for bound in (*lows, *highs)):
        return Pooled(mean, None, None, sd, count)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    seeds = z * (sd or 0.0) / math.sqrt(count)
    below = math.fsum(value - low for value, low in zip(values, lows)) / count  # type: ignore[operator]
    above = math.fsum(high - value for value, high in zip(values, highs)) / count  # type: ignore[operator]
    return Pooled(mean, mean - math.hypot(below, seeds), mean + math.hypot(above, seeds), sd, count)


def pooled_difference(
    differences: Sequence[float], lows: Sequence[Optional[float]], highs: Sequence[Optional[float]], level: float
) -> Pooled:
    """`pooled` of the seeds' paired differences from the baseline, with the p-value its interval inverts."""
    result = pooled(differences, lows, highs, level)
    if result.low is None or result.high is None:
        return result
    towards_zero = result.value - result.low if result.value >= 0 else result.high - result.value
    z = NormalDist().inv_cdf(0.5 + level / 2)
    if towards_zero <= 0:
        p = 0.0 if result.value != 0 else 1.0
    else:
        p = 2.0 * (1.0 - NormalDist().cdf(z * abs(result.value) / towards_zero))
    return Pooled(result.value, result.low, result.high, result.sd, result.seeds, min(1.0, p))
