"""Regression: one predicted number per sample (length of stay, cost, a disease score).

predictions.parquet, one row per test sample:

regression  sample_id, target, prediction, and the protocol's metadata columns

A model's raw test output is one float per sample (shape (n,) or (n, 1)). Metrics:
:mod:`medbench.metrics.regression`. The report draws aggregates only: mean observed against mean
predicted value per decile of prediction, and the distribution of the errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional

import numpy as np
import pandas as pd

from medbench.tasks.split import Split
from medbench.errors import DataError
from medbench.tasks.kind import TaskKind
from medbench.tasks.predictions import attach_metadata
from medbench.tasks.columns import PREDICTION, SAMPLE_ID, TARGET

if TYPE_CHECKING:
    from medbench.tasks.outputs import TaskOutputs

N_BINS = 10


def regression_outputs(split: Split, raw_output: Any, metadata_columns: Sequence[str]) -> "TaskOutputs":
    """The predictions frame of a regression run; refuses a wrong shape or non-finite values."""
    from medbench.tasks.outputs import TaskOutputs

    values = np.asarray(raw_output, dtype=np.float64)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.shape != (len(split),):
        raise DataError(f"a regression model must return one value per test sample, shape ({len(split)},); got {values.shape}")
    if not np.isfinite(values).all():
        raise DataError(f"the model returned NaN or infinite values for {int((~np.isfinite(values)).sum())} of {len(values)} samples")
    frame = pd.DataFrame(
        {
            SAMPLE_ID: np.asarray(split.ids).astype(str),
            TARGET: np.asarray(split.targets, dtype=np.float64),
            PREDICTION: values,
        }
    )
    return TaskOutputs(attach_metadata(frame, split.metadata, metadata_columns))


def plots(predictions: pd.DataFrame, qrels: Optional[pd.DataFrame], primary: str, per_unit: Optional[np.ndarray]) -> list[tuple[str, str]]:
    from medbench.plots import figure, png

    targets, values = predictions[TARGET].to_numpy(dtype=float), predictions[PREDICTION].to_numpy(dtype=float)
    bins = pd.qcut(values, q=min(N_BINS, len(np.unique(values))), duplicates="drop")
    grouped = pd.DataFrame({"predicted": values, "observed": targets}).groupby(bins, observed=True).mean()
    fig, axes = figure()
    axes.plot(grouped["predicted"], grouped["observed"], marker="o", label="model (deciles of prediction)")
    low, high = float(min(grouped.min())), float(max(grouped.max()))
    axes.plot([low, high], [low, high], linestyle="--", color="grey", label="perfect calibration")
    axes.set(xlabel="mean predicted value", ylabel="mean observed value")
    axes.legend(loc="upper left")
    calibration = png(fig)
    fig, axes = figure()
    axes.hist(values - targets, bins=20, edgecolor="white")
    axes.axvline(0, linestyle="--", color="grey")
    axes.set(xlabel="error (predicted - observed)", ylabel="test samples")
    return [("Calibration by decile of prediction (test split)", calibration), ("Distribution of errors (test split)", png(fig))]


KIND = TaskKind(
    name="regression",
    models=("ridge", "linear", "mlp_regressor"),
    output_description="one predicted value per sample, in the unit of the target",
    metrics_module="medbench.metrics.regression",
    build_outputs=regression_outputs,
    plots=plots,
    required_columns=(SAMPLE_ID, TARGET, PREDICTION),
    prediction_columns=(PREDICTION,),
    finite=(TARGET, PREDICTION),
)
