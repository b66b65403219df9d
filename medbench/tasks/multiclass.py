"""Multi-class classification: one probability per class per sample, summing to 1.

predictions.parquet: sample_id, target (class index), prediction (argmax), score_<k> for each
class k, and the protocol's metadata columns. Metrics: :mod:`medbench.metrics.multiclass`.
"""

from __future__ import annotations

from functools import partial

from medbench.tasks.columns import PREDICTION, SAMPLE_ID, SCORE, TARGET
from medbench.tasks.kind import Classes, TaskKind
from medbench.tasks.predictions import classification_outputs

KIND = TaskKind(
    name="multiclass",
    models=("mlp", "logreg", "small_cnn", "resnet18", "text_cnn", "tfidf_logreg", "tfidf_arrays", "onnx", "gbm", "timeline_gru", "predictions_file"),
    classes=Classes(exclusive=True, single_score=False),
    output_description="one probability per class per sample, summing to 1",
    metrics_module="medbench.metrics.multiclass",
    build_outputs=partial(classification_outputs, kind="multiclass"),
    required_columns=(SAMPLE_ID, TARGET),
    required_prefixes=(f"{SCORE}_",),
    prediction_columns=(PREDICTION,),
    prediction_prefixes=(f"{SCORE}_",),
    derived_prefixes=(PREDICTION,),
    finite=(f"{SCORE}_",),
)
