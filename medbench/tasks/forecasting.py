"""Time-series forecasting: point and quantile forecasts of dated values (admissions, arrivals, beds).

A forecasting model's raw test output is one float array of shape (n_forecasts, 1 + q): column 0
the point forecast, columns 1..q the forecast quantiles at the split's `quantiles` (increasing).

predictions.parquet, one row per forecast (series, origin, horizon):

forecasting  sample_id, series, origin, date, horizon, window, scale, target, prediction,
             quantile_<q> for each quantile level q, and the protocol's metadata columns

`scale` is the series' MASE denominator (the in-sample seasonal-naive error over its training
history), so every metric is recomputed from the frame alone. Dates are ISO strings.
Metrics: :mod:`medbench.metrics.forecasting`. The report draws aggregate error by horizon and the
interval coverage by horizon, never a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, Optional

import numpy as np
import pandas as pd

from medbench.errors import DataError
from medbench.tasks.kind import TaskKind
from medbench.tasks.predictions import attach_metadata
from medbench.tasks.columns import PREDICTION, SAMPLE_ID, TARGET

if TYPE_CHECKING:
    from medbench.tasks.split import Split
    from medbench.tasks.outputs import TaskOutputs

QUANTILE_PREFIX = "quantile_"
# What every forecast row keeps of the split's metadata (medbench.data.forecasting's columns).
FORECAST_COLUMNS = ("series", "origin", "date", "horizon", "window", "scale")


class QuantileForecasts(NamedTuple):
    levels: np.ndarray  # (q,), increasing
    values: np.ndarray  # (n, q)


def quantile_column(level: float) -> str:
    """`quantile_0.05`, `quantile_0.5`: the shortest form that reads back to the same float."""
    return f"{QUANTILE_PREFIX}{np.format_float_positional(float(level), trim='-')}"


def forecasting_outputs(split: "Split", raw_output: Any, metadata_columns: Sequence[str]) -> "TaskOutputs":
    """The predictions frame of a forecasting run; refuses a wrong shape, non-finite or crossing quantiles.

    `split` is a `medbench.data.forecasting.ForecastSplit` (its `quantiles` are the task's levels).
    """
    from medbench.tasks.outputs import TaskOutputs

    values = np.asarray(raw_output, dtype=np.float64)
    levels = tuple(getattr(split, "quantiles", ()))
    if values.ndim == 1:
        values = values[:, None]
    if values.shape != (len(split), 1 + len(levels)):
        raise DataError(
            f"a forecasting model must return an array of shape (n_forecasts, 1 + n_quantiles) = "
            f"({len(split)}, {1 + len(levels)}) [point, q_1..q_k]; got shape {values.shape}"
        )
    if not np.isfinite(values).all():
        raise DataError(f"the model returned NaN or infinite forecasts for {int((~np.isfinite(values)).any(axis=1).sum())} of {len(values)} rows")
    if levels and (np.diff(values[:, 1:], axis=1) < -1e-9).any():
        raise DataError("the model returned quantile forecasts that decrease with the quantile level")
    metadata = split.metadata if split.metadata is not None else pd.DataFrame()
    missing = [column for column in FORECAST_COLUMNS if column not in metadata.columns]
    if missing:
        raise DataError(f"a forecasting split must carry the metadata columns {list(FORECAST_COLUMNS)}; missing {missing}")
    frame = pd.DataFrame({SAMPLE_ID: np.asarray(split.ids).astype(str)})
    for column in FORECAST_COLUMNS:
        frame[column] = metadata[column].to_numpy()
    frame[TARGET] = np.asarray(split.targets, dtype=np.float64)
    frame[PREDICTION] = values[:, 0]
    for index, level in enumerate(levels):
        frame[quantile_column(level)] = values[:, 1 + index]
    extra = [column for column in metadata_columns if column not in FORECAST_COLUMNS]
    return TaskOutputs(attach_metadata(frame, split.metadata, extra))


def quantile_forecasts(frame: pd.DataFrame) -> QuantileForecasts:
    """The quantile columns of a predictions frame, ordered by level (read from the column names)."""
    columns = [str(c) for c in frame.columns if str(c).startswith(QUANTILE_PREFIX)]
    try:
        levels = np.array([float(c[len(QUANTILE_PREFIX):]) for c in columns])
    except ValueError:
        raise DataError(f"quantile columns must read quantile_<level>; got {columns}") from None
    order = np.argsort(levels)
    return QuantileForecasts(levels[order], frame[[columns[i] for i in order]].to_numpy(dtype=np.float64).reshape(len(frame), len(columns)))


def plots(predictions: pd.DataFrame, qrels: Optional[pd.DataFrame], primary: str, per_unit: Optional[np.ndarray]) -> list[tuple[str, str]]:
    """Mean absolute scaled error and the central intervals' coverage, by forecast horizon."""
    from medbench.plots import figure, png

    frame = predictions.assign(scaled_error=(predictions[PREDICTION] - predictions[TARGET]).abs() / predictions["scale"])
    by_horizon = frame.groupby("horizon")["scaled_error"].mean()
    fig, axes = figure()
    axes.plot(by_horizon.index, by_horizon.to_numpy(), marker=".")
    axes.set(xlabel="horizon (periods after the origin)", ylabel="mean absolute scaled error")
    result = [("Scaled error by horizon (test split)", png(fig))]
    quantiles = quantile_forecasts(predictions)
    pairs = [(low, high) for low in quantiles.levels for high in quantiles.levels if low < 0.5 < high and np.isclose(low + high, 1.0)]
    if pairs:
        fig, axes = figure()
        for low, high in pairs:
            columns = [list(quantiles.levels).index(low), list(quantiles.levels).index(high)]
            inside = (quantiles.values[:, columns[0]] <= predictions[TARGET]) & (predictions[TARGET] <= quantiles.values[:, columns[1]])
            coverage = inside.groupby(predictions["horizon"]).mean()
            level = high - low
            axes.plot(coverage.index, coverage.to_numpy(), marker=".", label=f"{level:.0%} interval")
            axes.axhline(level, linestyle="--", color="grey")
        axes.set(xlabel="horizon (periods after the origin)", ylabel="share of targets inside the interval", ylim=(0, 1.02))
        axes.legend(loc="lower left")
        result.append(("Coverage of the prediction intervals by horizon (test split)", png(fig)))
    return result


KIND = TaskKind(
    name="forecasting",
    models=("seasonal_naive", "gbm_forecaster"),
    output_description="per forecast (series, origin, horizon) a point forecast and forecast quantiles at the task's levels",
    metrics_module="medbench.metrics.forecasting",
    build_outputs=forecasting_outputs,
    plots=plots,
    required_columns=(SAMPLE_ID, TARGET, PREDICTION, "scale"),
    prediction_columns=(PREDICTION,),
    prediction_prefixes=(QUANTILE_PREFIX,),
    finite=(TARGET, PREDICTION, "scale", QUANTILE_PREFIX),
)
