"""Forecasting metrics on the predictions frame of a forecasting task, under resampling weights.

Point forecasts: `mase` (mean absolute scaled error: the error divided by the series' in-sample
seasonal-naive error, so 1 is "as good as last season's value"), `smape` (symmetric mean absolute
percentage error, in percent, 0..200), `mae`, `rmse`, `mse`, `mean_error`.
Quantile forecasts: `pinball@<q>` (quantile loss of the `q` forecast, scikit-learn's
mean_pinball_loss; `pinball` alone averages over every level the model forecast), `coverage@<l>`
(share of targets inside the central `l` interval, whose bounds are the (1-l)/2 and (1+l)/2
quantiles) and `width@<l>` (its mean width). References in tests/metrics/test_forecasting_metrics.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np

from medbench.errors import DataError
from medbench.metrics import regression
from medbench.metrics.direction import LOWER_UNBOUNDED, Direction, Scale
from medbench.metrics.registry import FRACTION, OPTIONAL_FRACTION, Prepared, register, register_preparer, require_columns
from medbench.tasks.forecasting import QUANTILE_PREFIX, quantile_forecasts
from medbench.tasks.columns import PREDICTION, SAMPLE_ID, TARGET

if TYPE_CHECKING:
    from medbench.tasks.outputs import TaskOutputs

KIND = "forecasting"
SCALE = "scale"
SMAPE = Scale(Direction.minimize, 0.0, 200.0, "%")


def coverage_scale(level: float) -> Scale:
    """A central `level` interval should hold a `level` share of the targets: more is as wrong as less."""
    return Scale(Direction.target, 0.0, 1.0, "", target=level)


@dataclass(frozen=True)
class ForecastData(regression.RegressionData):
    scale: np.ndarray  # per forecast: its series' MASE denominator
    levels: np.ndarray  # (q,) quantile levels, increasing
    quantiles: np.ndarray  # (n, q)

    def quantile(self, level: float) -> np.ndarray:
        found = np.flatnonzero(np.isclose(self.levels, level))
        if len(found) == 0:
            raise DataError(f"no forecast of the {level:g} quantile; the model forecast {self.levels.tolist()}")
        return self.quantiles[:, found[0]]

    def interval(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        return self.quantile((1 - level) / 2), self.quantile((1 + level) / 2)


@register_preparer(KIND)
def prepare(outputs: "TaskOutputs") -> Prepared:
    frame = outputs.predictions
    require_columns(frame, KIND)
    targets, predictions = frame[TARGET].to_numpy(dtype=np.float64), frame[PREDICTION].to_numpy(dtype=np.float64)
    scale = frame[SCALE].to_numpy(dtype=np.float64)
    if not (np.isfinite(targets).all() and np.isfinite(predictions).all() and (scale > 0).all()):
        raise DataError("forecasting targets and predictions must be finite, and every MASE scale positive")
    quantiles = quantile_forecasts(frame)
    core = [SAMPLE_ID, TARGET, PREDICTION, SCALE] + [c for c in frame.columns if str(c).startswith(QUANTILE_PREFIX)]
    return Prepared(
        units=frame[SAMPLE_ID].to_numpy().astype(str),
        unit_name="forecast",
        data=ForecastData(targets, predictions, scale, quantiles.levels, quantiles.values),
        metadata=frame.drop(columns=core).reset_index(drop=True),
    )


for _name, _scale in (("mae", regression.ERROR), ("mse", regression.SQUARED_ERROR), ("mean_error", regression.BIAS)):
    register(KIND, _name, scale=_scale, per_unit=True)(getattr(regression, _name))
register(KIND, "rmse", scale=regression.ERROR)(regression.rmse)


@register(KIND, "mase", scale=LOWER_UNBOUNDED, per_unit=True)
def mase(data: ForecastData, argument: None) -> np.ndarray:
    """Mean absolute scaled error: below 1 beats the in-sample seasonal-naive forecast."""
    return np.abs(data.errors) / data.scale


@register(KIND, "smape", scale=SMAPE, per_unit=True)
def smape(data: ForecastData, argument: None) -> np.ndarray:
    """Symmetric mean absolute percentage error, in percent (0 where target and forecast are both 0)."""
    denominator = np.abs(data.targets) + np.abs(data.predictions)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, 200.0 * np.abs(data.errors) / denominator, 0.0)


@register(KIND, "pinball", scale=regression.ERROR, argument=OPTIONAL_FRACTION, per_unit=True)
def pinball(data: ForecastData, argument: Optional[float]) -> np.ndarray:
    """Pinball (quantile) loss of a quantile forecast; without a level, averaged over every level."""
    levels = data.levels if argument is None else np.array([argument])
    if len(levels) == 0:
        raise DataError("pinball loss needs quantile forecasts; the model forecast none")
    losses = []
    for level in levels:
        residual = data.targets - data.quantile(level)
        losses.append(np.maximum(level * residual, (level - 1) * residual))
    return np.mean(losses, axis=0)


@register(KIND, "coverage", scale=coverage_scale, argument=FRACTION, per_unit=True)
def coverage(data: ForecastData, argument: float) -> np.ndarray:
    """Share of targets inside the central prediction interval of that level (ideal: the level)."""
    low, high = data.interval(argument)
    return ((low <= data.targets) & (data.targets <= high)).astype(np.float64)


@register(KIND, "width", scale=regression.ERROR, argument=FRACTION, per_unit=True)
def width(data: ForecastData, argument: float) -> np.ndarray:
    """Mean width of the central prediction interval of that level, in the target's unit."""
    low, high = data.interval(argument)
    return high - low
