"""Regression metrics agree with scikit-learn, keep working under resampling weights, and get intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as sk

from medbench.metrics.registry import get_metric, prepare
from medbench.records.protocol import Confidence, Protocol
from medbench.evaluation.scoring import point_values, score_outputs
from medbench.tasks.outputs import TaskOutputs

REFERENCES = {
    "mae": sk.mean_absolute_error,
    "mse": sk.mean_squared_error,
    "rmse": sk.root_mean_squared_error,
    "r2": sk.r2_score,
    "median_ae": sk.median_absolute_error,
    "mean_error": lambda y, p: float(np.mean(p - y)),
}


def outputs(n: int = 120, seed: int = 0) -> TaskOutputs:
    rng = np.random.default_rng(seed)
    targets = rng.gamma(2.0, 5.0, n) + 1e4  # an offset as large as costs: sums of squares must not cancel
    predictions = targets + rng.normal(0, 3, n)
    sex = np.where(rng.random(n) < 0.5, "F", "M")
    frame = pd.DataFrame({"sample_id": [f"p{i}" for i in range(n)], "target": targets, "prediction": predictions, "sex": sex})
    return TaskOutputs(frame)


@pytest.mark.parametrize("n", [120, 121])
def test_point_values_equal_scikit_learn(n: int) -> None:
    frame = outputs(n).predictions
    values = point_values(outputs(n), "regression", list(REFERENCES))
    for name, reference in REFERENCES.items():
        assert values[name] == pytest.approx(reference(frame["target"], frame["prediction"]), rel=1e-9, abs=1e-9), name


def test_weighted_values_equal_the_metric_on_the_repeated_samples() -> None:
    frame = outputs(40).predictions
    prepared = prepare("regression", TaskOutputs(frame))
    counts = np.random.default_rng(1).integers(0, 4, size=(3, 40))
    for name, reference in REFERENCES.items():
        weighted = get_metric("regression", name).weighted(prepared, counts.astype(float))
        for row, weights in zip(weighted, counts):
            repeated = frame.loc[np.repeat(np.arange(40), weights)]
            assert row == pytest.approx(reference(repeated["target"], repeated["prediction"]), rel=1e-9, abs=1e-9), name


def test_every_metric_gets_an_interval_and_subgroups() -> None:
    protocol = Protocol(
        name="t", version="1", kind="regression", metrics=("mae", "rmse", "r2"), primary="mae", direction="minimize",
        confidence=Confidence(n_resamples=200), subgroup_columns=("sex",),
    )
    metrics = score_outputs(outputs(), protocol)
    for metric in metrics.values.values():
        assert metric.ci.low <= metric.value <= metric.ci.high
    assert set(metrics.subgroups["sex"]) == {"F", "M"}
