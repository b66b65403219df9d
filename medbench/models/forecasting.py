"""Forecasting baselines: seasonal naive, and gradient boosting on lag and calendar features.

Both are :class:`medbench.models.base.Estimator`s over the forecasts of a
:class:`medbench.data.forecasting.ForecastSplit` and return, per forecast, the point forecast then
the quantiles at the split's levels (the layout of :mod:`medbench.tasks.forecasting`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import numpy as np

from medbench.tasks.split import Split
from medbench.errors import DataError
from medbench.io import atomic_write

SEASONAL_NAIVE = "seasonal_naive"
HORIZON = "horizon"


def _features(split: Split) -> dict[str, np.ndarray]:
    inputs = split.inputs
    if not isinstance(inputs, dict) or SEASONAL_NAIVE not in inputs:
        raise DataError("forecasting models need the features of a forecasting task (task kind forecasting)")
    return inputs


class SeasonalNaive:
    """The value one season before the target (last week's same weekday), with empirical intervals.

    The quantiles add to the point forecast the quantiles of the seasonal-naive errors made on the
    training forecasts at the same horizon: intervals widen with the horizon as the errors do.
    """

    def __init__(self) -> None:
        self.error_quantiles: Optional[np.ndarray] = None  # (max horizon, q)
        self.levels: tuple[float, ...] = ()

    def fit(self, train: Split, val: Split) -> None:
        features = _features(train)
        self.levels = tuple(getattr(train, "quantiles", ()))
        horizons = features[HORIZON].astype(np.int64)
        errors = np.asarray(train.targets, dtype=np.float64) - features[SEASONAL_NAIVE]
        table = np.zeros((horizons.max(), len(self.levels)))
        for h in range(1, horizons.max() + 1):
            at = errors[horizons == h]
            if len(at):
                table[h - 1] = np.quantile(at, self.levels) if self.levels else []
        self.error_quantiles = table

    def predict_scores(self, split: Split) -> np.ndarray:
        if self.error_quantiles is None:
            raise RuntimeError("SeasonalNaive.predict_scores before fit")
        features = _features(split)
        point = features[SEASONAL_NAIVE].astype(np.float64)
        horizons = np.minimum(features[HORIZON].astype(np.int64), len(self.error_quantiles)) - 1
        return np.column_stack([point, point[:, None] + self.error_quantiles[horizons]])

    def save(self, path: Path) -> Optional[Path]:
        target = path.with_suffix(".json")
        table = [] if self.error_quantiles is None else self.error_quantiles.tolist()
        atomic_write(target, json.dumps({"levels": list(self.levels), "error_quantiles_by_horizon": table}))
        return target

    def parameter_count(self) -> Optional[int]:
        return None if self.error_quantiles is None else int(self.error_quantiles.size)


class GradientBoostingForecaster:
    """scikit-learn's HistGradientBoostingRegressor on lag, rolling-mean, seasonal and calendar features.

    One model for the point forecast (`loss`, squared error by default) and one per quantile level
    (quantile loss); quantiles are sorted per forecast so that intervals never cross. Quantile
    models fitted on their own training data are over-confident; with `calibrate` each quantile is
    shifted so that, on the validation forecasts (never the test ones), the share of values below
    it equals its level.
    """

    def __init__(
        self,
        max_iter: int = 300,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 31,
        loss: str = "squared_error",
        calibrate: bool = True,
        random_state: int = 0,
    ) -> None:
        self.options: dict[str, Any] = {"max_iter": max_iter, "learning_rate": learning_rate, "max_leaf_nodes": max_leaf_nodes, "random_state": random_state}
        self.loss = loss
        self.calibrate = calibrate
        self.names: list[str] = []
        self.models: list[Any] = []
        self.shifts: np.ndarray = np.zeros(0)

    def fit(self, train: Split, val: Split) -> None:
        from sklearn.ensemble import HistGradientBoostingRegressor

        features = _features(train)
        self.names = sorted(features)
        inputs, targets = self._matrix(features), np.asarray(train.targets, dtype=np.float64)
        self.models = [HistGradientBoostingRegressor(loss=self.loss, **self.options).fit(inputs, targets)]
        levels = tuple(getattr(train, "quantiles", ()))
        for level in levels:
            self.models.append(HistGradientBoostingRegressor(loss="quantile", quantile=level, **self.options).fit(inputs, targets))
        self.shifts = np.zeros(len(levels))
        if self.calibrate and levels and len(val) > 0:
            residuals = np.asarray(val.targets, dtype=np.float64)[:, None] - self._quantiles(self._matrix(_features(val)))
            self.shifts = np.array([np.quantile(residuals[:, j], level) for j, level in enumerate(levels)])

    def predict_scores(self, split: Split) -> np.ndarray:
        inputs = self._matrix(_features(split))
        quantiles = np.sort(self._quantiles(inputs) + self.shifts, axis=1)
        return np.column_stack([self.models[0].predict(inputs), quantiles])

    def _quantiles(self, inputs: np.ndarray) -> np.ndarray:
        if len(self.models) == 1:
            return np.empty((len(inputs), 0))
        return np.column_stack([model.predict(inputs) for model in self.models[1:]])

    def _matrix(self, features: dict[str, np.ndarray]) -> np.ndarray:
        missing = [name for name in self.names if name not in features]
        if missing:
            raise DataError(f"the forecasts lack the features {missing} the model was fitted on")
        return np.column_stack([np.asarray(features[name], dtype=np.float64) for name in self.names])

    def save(self, path: Path) -> Optional[Path]:
        """Nothing: medbench writes no pickles; the fit is deterministic and `reproduce` refits it from the config."""
        return None

    def parameter_count(self) -> Optional[int]:
        return None
