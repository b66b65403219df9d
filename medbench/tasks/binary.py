"""Binary classification: one probability of the positive class per sample.

predictions.parquet: sample_id, target (0/1), score (probability of class 1), prediction
(score >= 0.5), and the protocol's metadata columns. Metrics: :mod:`medbench.metrics.binary`.
The report draws the ROC curve and a calibration curve.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Optional

import numpy as np

from medbench.tasks.kind import Classes, TaskKind
from medbench.tasks.predictions import classification_outputs
from medbench.tasks.columns import PREDICTION, SAMPLE_ID, SCORE, TARGET

if TYPE_CHECKING:
    import pandas as pd


def plots(predictions: "pd.DataFrame", qrels: Optional["pd.DataFrame"], primary: str, per_unit: Optional[np.ndarray]) -> list[tuple[str, str]]:
    targets, scores = predictions[TARGET].to_numpy().astype(int), predictions[SCORE].to_numpy(dtype=float)
    return [("ROC curve (test split)", _roc_png(targets, scores)), ("Calibration (test split)", _calibration_png(targets, scores))]


def _roc_png(targets: np.ndarray, scores: np.ndarray) -> str:
    from sklearn.metrics import roc_auc_score, roc_curve

    from medbench.plots import figure, png

    fig, axes = figure()
    fpr, tpr, _ = roc_curve(targets, scores)
    axes.plot(fpr, tpr, label=f"model (AUROC {roc_auc_score(targets, scores):.3f})")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axes.set(xlabel="1 - specificity", ylabel="sensitivity", xlim=(0, 1), ylim=(0, 1.01))
    axes.legend(loc="lower right")
    return png(fig)


def _calibration_png(targets: np.ndarray, scores: np.ndarray) -> str:
    from sklearn.calibration import calibration_curve

    from medbench.plots import figure, png

    fig, axes = figure()
    observed, predicted = calibration_curve(targets, scores, n_bins=10, strategy="quantile")
    axes.plot(predicted, observed, marker="o", label="model (deciles of predicted risk)")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    axes.set(xlabel="predicted probability", ylabel="observed frequency", xlim=(0, 1), ylim=(0, 1.01))
    axes.legend(loc="upper left")
    return png(fig)


KIND = TaskKind(
    name="binary",
    models=("mlp", "logreg", "small_cnn", "resnet18", "text_cnn", "tfidf_logreg", "tfidf_arrays", "onnx", "gbm", "timeline_gru", "predictions_file"),
    classes=Classes(exclusive=True, single_score=True),
    output_description="one probability of the positive class in [0, 1] per sample",
    metrics_module="medbench.metrics.binary",
    build_outputs=partial(classification_outputs, kind="binary"),
    plots=plots,
    paired_tests={"auroc": "delong"},
    required_columns=(SAMPLE_ID, TARGET, SCORE),
    prediction_columns=(SCORE, PREDICTION),
    derived_prefixes=(PREDICTION,),
    finite=(SCORE,),
)
