"""Which way is better, and what values are possible, per metric family: how the page draws each axis.

A board's task names the direction of its primary metric only; the other metrics of a row (a Brier
score beside an AUROC, `ibs` beside a C-index) need their own, or a reader takes a lower Brier score
for a worse model. The range clips forest-plot axes to values the metric can take (AUROC never
passes 1), so an interval's bar never runs off into impossible values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

# Families where a lower value is better; every other registered family is "higher is better".
LOWER_IS_BETTER = frozenset({"brier", "log_loss", "ece", "hamming_loss", "ibs"})
# Families without an upper bound; every other registered family lies in [0, 1].
UNBOUNDED_ABOVE = frozenset({"log_loss"})


@dataclass(frozen=True)
class Scale:
    better: str  # "higher" or "lower"
    low: float
    high: Optional[float]  # None: no upper bound


def scale_of(metric: str, primary: Optional[str] = None, direction: Optional[str] = None) -> Scale:
    """The scale of `metric`; the board's own direction wins for its primary metric."""
    family = metric.split("@", 1)[0]
    better = "lower" if family in LOWER_IS_BETTER else "higher"
    if metric == primary and direction:
        better = "higher" if direction == "maximize" else "lower"
    return Scale(better=better, low=0.0, high=None if family in UNBOUNDED_ABOVE else 1.0)
