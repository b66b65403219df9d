"""Which way is better, and which values are possible: the one Direction of the project, and a metric's Scale.

Every metric family declares its :class:`Scale` where it is registered (:mod:`medbench.metrics.registry`),
as torchmetrics' `higher_is_better` and lm-eval's `register_metric(higher_is_better=...)` do; the task
protocol, the config schema, the board's ranking and its pages all read this one type. A third
direction beside maximize and minimize is `target`: a value is better the closer it lies to the
family's target (a prediction interval's coverage to its nominal level, a signed bias to 0), so
ranking orders by |value - target|.

Plain Python (no numpy): the committee's commands import it at start-up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Optional


class Direction(str, Enum):
    """Persisted by value (`"maximize"` in every record, board and config); a `str` so the values compare as text."""

    maximize = "maximize"
    minimize = "minimize"
    target = "target"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Scale:
    """How one metric reads: its direction, the values it can take (None: unbounded), its unit, its target."""

    direction: Direction
    low: Optional[float]
    high: Optional[float]
    unit: str  # "" for a dimensionless share or score; "%" for percentages; else what the values are in
    target: Optional[float] = None  # the ideal value, for Direction.target only

    def __post_init__(self) -> None:
        if (self.direction is Direction.target) != (self.target is not None):
            raise ValueError("a target scale needs its target, and only a target scale has one")
        if self.low is not None and self.high is not None and self.low >= self.high:
            raise ValueError(f"a scale's low {self.low} must lie below its high {self.high}")

    @property
    def better(self) -> str:
        """What is better, in words: "higher", "lower", "closer to 0.9"."""
        if self.direction is Direction.target:
            return f"closer to {self.target:g}"
        return "higher" if self.direction is Direction.maximize else "lower"

    def loss(self, value: float) -> float:
        return loss(self.direction, value, self.target)

    def contains(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def as_json(self) -> dict[str, object]:
        """The scale as the board's JSON carries it to the page."""
        return {
            "direction": self.direction.value, "low": self.low, "high": self.high, "unit": self.unit,
            "target": self.target, "better": self.better,
        }


def loss(direction: Direction, value: float, target: Optional[float] = None) -> float:
    """A number that is smaller the better `value` is: what rankings sort by (NaN last)."""
    if not math.isfinite(value):
        return math.inf
    if direction is Direction.target:
        if target is None:
            raise ValueError("a target direction needs the metric's target")
        return abs(value - target)
    return -value if direction is Direction.maximize else value


def _scale(direction: Direction, low: Optional[float], high: Optional[float], unit: str = "") -> Scale:
    return Scale(direction, low, high, unit)


# The scales most families share.
HIGHER_SHARE = _scale(Direction.maximize, 0.0, 1.0)  # AUROC, accuracy, recall, C-index...
LOWER_SHARE = _scale(Direction.minimize, 0.0, 1.0)  # Brier score, ECE, Hamming loss
LOWER_UNBOUNDED = _scale(Direction.minimize, 0.0, None)  # log loss, MASE
TARGET_UNIT = "the target's unit"


def lower_in_target_unit(squared: bool = False) -> Scale:
    """An error in the unit of the target (MAE, RMSE, pinball loss, interval width): 0 at best, unbounded."""
    return _scale(Direction.minimize, 0.0, None, f"{TARGET_UNIT} squared" if squared else TARGET_UNIT)
