"""Regression metrics on the predictions frame of a regression task, under resampling weights.

Each equals scikit-learn's metric of the same name on the unweighted sample
(tests/metrics/test_regression_metrics.py): `mae` mean_absolute_error, `mse`
mean_squared_error, `rmse` root_mean_squared_error, `r2` r2_score, `median_ae`
median_absolute_error. `mean_error` is the bias (predicted - observed, averaged).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from medbench.errors import DataError
from medbench.metrics.direction import Direction, Scale, TARGET_UNIT, lower_in_target_unit
from medbench.metrics.registry import Prepared, register, register_preparer, require_columns
from medbench.tasks.columns import PREDICTION, SAMPLE_ID, TARGET

if TYPE_CHECKING:
    from medbench.tasks.outputs import TaskOutputs

KIND = "regression"
ERROR = lower_in_target_unit()
SQUARED_ERROR = lower_in_target_unit(squared=True)
BIAS = Scale(Direction.target, None, None, TARGET_UNIT, target=0.0)  # a signed mean error: 0 is unbiased
R2 = Scale(Direction.maximize, None, 1.0, "")  # 1 is perfect; below 0 is worse than the mean


@dataclass(frozen=True)
class RegressionData:
    targets: np.ndarray
    predictions: np.ndarray

    @property
    def errors(self) -> np.ndarray:
        return self.predictions - self.targets


@register_preparer(KIND)
def prepare(outputs: "TaskOutputs") -> Prepared:
    frame = outputs.predictions
    require_columns(frame, KIND)
    targets, predictions = frame[TARGET].to_numpy(dtype=np.float64), frame[PREDICTION].to_numpy(dtype=np.float64)
    if not (np.isfinite(targets).all() and np.isfinite(predictions).all()):
        raise DataError("regression targets and predictions must be finite numbers")
    return Prepared(
        units=frame[SAMPLE_ID].to_numpy().astype(str),
        unit_name="sample",
        data=RegressionData(targets, predictions),
        metadata=frame.drop(columns=[SAMPLE_ID, TARGET, PREDICTION]).reset_index(drop=True),
    )


@register(KIND, "mae", scale=ERROR, per_unit=True)
def mae(data: RegressionData, argument: None) -> np.ndarray:
    """Mean absolute error, in the target's unit."""
    return np.abs(data.errors)


@register(KIND, "mse", scale=SQUARED_ERROR, per_unit=True)
def mse(data: RegressionData, argument: None) -> np.ndarray:
    """Mean squared error."""
    return data.errors**2


@register(KIND, "mean_error", scale=BIAS, per_unit=True)
def mean_error(data: RegressionData, argument: None) -> np.ndarray:
    """Mean of predicted - observed: above 0 the model over-estimates."""
    return data.errors


@register(KIND, "rmse", scale=ERROR)
def rmse(data: RegressionData, weights: np.ndarray, argument: None) -> np.ndarray:
    """Root mean squared error, in the target's unit."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt((weights @ data.errors**2) / weights.sum(axis=1))


@register(KIND, "r2", scale=R2)
def r2(data: RegressionData, weights: np.ndarray, argument: None) -> np.ndarray:
    """Coefficient of determination: 1 - residual / total sum of squares (undefined for a constant target)."""
    total = weights.sum(axis=1)
    centred = data.targets - data.targets.mean()  # keeps the sums of squares below free of cancellation
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (weights @ centred) / total
        spread = weights @ centred**2 - total * mean**2
        residual = weights @ data.errors**2
        return np.where(spread > 1e-12 * (weights @ centred**2), 1.0 - residual / spread, np.nan)


@register(KIND, "median_ae", scale=ERROR)
def median_ae(data: RegressionData, weights: np.ndarray, argument: None) -> np.ndarray:
    """Median absolute error: robust to a few very wrong predictions."""
    return weighted_median(np.abs(data.errors), weights)


def weighted_median(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The median of `values` counted `weights[b]` times, per resample b (numpy's for a row of ones)."""
    order = np.argsort(values, kind="stable")
    ranked, counts = values[order], weights[:, order]
    cumulative = np.cumsum(counts, axis=1)
    total = cumulative[:, -1:]
    # The lower and upper middle elements; their mean is numpy's median for an even count.
    lower = np.argmax(cumulative >= (total + 1) // 2, axis=1)
    upper = np.argmax(cumulative >= total // 2 + 1, axis=1)
    return (ranked[lower] + ranked[upper]) / 2.0
