"""Which way is better, and what values are possible, per metric family: how the page draws each axis.

A board's task names the direction of its primary metric only; the other metrics of a row (a Brier
score beside an AUROC, `ibs` beside a C-index) need their own, or a reader takes a lower Brier score
for a worse model. The range clips forest-plot axes to values the metric can take (AUROC never
passes 1), so an interval's bar never runs off into impossible values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

# Families where a lower value is better, and where a value near 0 is (a signed bias); every other
# registered family is "higher is better".
LOWER_IS_BETTER = frozenset({"brier", "log_loss", "ece", "hamming_loss", "ibs", "mae", "mse", "rmse", "median_ae"})
CLOSER_TO_ZERO = frozenset({"mean_error"})
# Families without an upper bound, and without a lower one; every other registered family lies in [0, 1].
UNBOUNDED_ABOVE = frozenset({"log_loss", "mae", "mse", "rmse", "median_ae", "mean_error"})
UNBOUNDED_BELOW = frozenset({"r2", "mean_error"})


@dataclass(frozen=True)
class Scale:
    better: str  # "higher", "lower" or "closer to 0"
    low: Optional[float]  # None: no lower bound
    high: Optional[float]  # None: no upper bound


def scale_of(metric: str, primary: Optional[str] = None, direction: Optional[str] = None) -> Scale:
    """The scale of `metric`; the board's own direction wins for its primary metric."""
    family = metric.split("@", 1)[0]
    better = "lower" if family in LOWER_IS_BETTER else "closer to 0" if family in CLOSER_TO_ZERO else "higher"
    if metric == primary and direction:
        better = "higher" if direction == "maximize" else "lower"
    return Scale(
        better=better,
        low=None if family in UNBOUNDED_BELOW else 0.0,
        high=None if family in UNBOUNDED_ABOVE else 1.0,
    )
