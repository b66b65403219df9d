"""Multi-class classification: one probability per class per sample, summing to 1.

predictions.parquet: sample_id, target (class index), prediction (argmax), score_<k> for each
class k, and the protocol's metadata columns. Metrics: :mod:`medbench.metrics.multiclass`.
"""

from __future__ import annotations

from functools import partial

from medbench.tasks.kind import Classes, TaskKind
from medbench.tasks.predictions import classification_outputs

KIND = TaskKind(
    name="multiclass",
    models=("mlp", "logreg", "small_cnn", "resnet18", "text_cnn", "tfidf_logreg", "tfidf_arrays", "onnx", "predictions_file"),
    classes=Classes(exclusive=True, single_score=False),
    output_description="one probability per class per sample, summing to 1",
    metrics_module="medbench.metrics.multiclass",
    build_outputs=partial(classification_outputs, kind="multiclass"),
    required_columns=("sample_id", "target"),
    required_prefixes=("score_",),
    prediction_columns=("prediction",),
    prediction_prefixes=("score_",),
    derived_prefixes=("prediction",),
    finite=("score_",),
)
