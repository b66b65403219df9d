"""Forecasting metrics agree with their references (scikit-learn where it has one) and resample by window."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_absolute_error, mean_pinball_loss, root_mean_squared_error

from medbench.errors import DataError
from medbench.metrics.registry import get_metric, prepare
from medbench.records.protocol import Confidence, Protocol
from medbench.evaluation.scoring import point_values, score_outputs
from medbench.tasks.outputs import TaskOutputs

LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)


def frame(n_windows: int = 12, horizon: int = 7, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_windows * horizon
    target = rng.poisson(30, n).astype(float)
    target[3] = 0.0
    prediction = target + rng.normal(0, 4, n)
    prediction[3] = 0.0  # target and forecast both 0: sMAPE counts it as no error
    spread = np.abs(rng.normal(6, 1, n))
    rows = {
        "sample_id": [f"w{i // horizon}+{i % horizon + 1}" for i in range(n)],
        "series": np.where(np.arange(n) // horizon % 2 == 0, "a", "b"),
        "window": [f"w{i // horizon}" for i in range(n)],
        "horizon": np.arange(n) % horizon + 1,
        "scale": np.where(np.arange(n) // horizon % 2 == 0, 5.0, 8.0),
        "target": target,
        "prediction": prediction,
    }
    for level in LEVELS:
        rows[f"quantile_{level}"] = prediction + spread * (level - 0.5) * 3.3
    return pd.DataFrame(rows)


def test_point_and_quantile_metrics_equal_their_references() -> None:
    data = frame()
    y, p = data["target"].to_numpy(), data["prediction"].to_numpy()
    names = ["mase", "smape", "mae", "rmse", "pinball", "pinball@0.05", "pinball@0.95", "coverage@0.9", "coverage@0.5", "width@0.9"]
    values = point_values(TaskOutputs(data), "forecasting", names)
    assert values["mae"] == pytest.approx(mean_absolute_error(y, p))
    assert values["rmse"] == pytest.approx(root_mean_squared_error(y, p))
    for level in (0.05, 0.95):
        assert values[f"pinball@{level}"] == pytest.approx(mean_pinball_loss(y, data[f"quantile_{level}"], alpha=level))
    assert values["pinball"] == pytest.approx(np.mean([mean_pinball_loss(y, data[f"quantile_{q}"], alpha=q) for q in LEVELS]))
    # MASE: each error over its series' in-sample seasonal-naive error (Hyndman & Koehler 2006).
    assert values["mase"] == pytest.approx(np.mean(np.abs(y - p) / data["scale"]))
    both = np.abs(y) + np.abs(p)
    assert values["smape"] == pytest.approx(np.mean(np.where(both > 0, 200 * np.abs(y - p) / np.where(both > 0, both, 1), 0)))
    inside = (data["quantile_0.05"] <= y) & (y <= data["quantile_0.95"])
    assert values["coverage@0.9"] == pytest.approx(inside.mean())
    assert values["width@0.9"] == pytest.approx((data["quantile_0.95"] - data["quantile_0.05"]).mean())


def test_an_interval_whose_quantiles_were_not_forecast_is_refused() -> None:
    with pytest.raises(DataError, match=r"no forecast of the 0.1 quantile"):
        point_values(TaskOutputs(frame()), "forecasting", ["coverage@0.8"])


def test_whole_windows_are_resampled_and_subgroups_scored() -> None:
    protocol = Protocol(
        name="t", version="1", kind="forecasting", metrics=("mase", "coverage@0.9"), primary="mase", direction="minimize",
        confidence=Confidence(n_resamples=300), cluster_column="window", subgroup_columns=("series",),
    )
    metrics = score_outputs(TaskOutputs(frame()), protocol)
    mase = metrics.values["mase"]
    assert mase.ci.resampling_unit == "cluster:window" and mase.ci.low <= mase.value <= mase.ci.high
    assert set(metrics.subgroups["series"]) == {"a", "b"}


def test_weighted_values_equal_the_metric_on_the_repeated_forecasts() -> None:
    data = frame(4, 5)
    prepared = prepare("forecasting", TaskOutputs(data))
    counts = np.random.default_rng(2).integers(0, 3, size=(2, len(data))).astype(float)
    for name in ("mase", "pinball@0.25", "rmse"):
        metric = get_metric("forecasting", name)
        for row, weights in zip(metric.weighted(prepared, counts), counts):
            repeated = data.loc[np.repeat(np.arange(len(data)), weights.astype(int))].reset_index(drop=True)
            repeated["sample_id"] = [f"r{i}" for i in range(len(repeated))]
            assert row == pytest.approx(point_values(TaskOutputs(repeated), "forecasting", [name])[name])
