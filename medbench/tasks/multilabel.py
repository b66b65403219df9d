"""Multi-label classification: one independent probability per label per sample.

predictions.parquet: sample_id, target_<k>, score_<k>, prediction_<k> for each label k, and the
protocol's metadata columns. Metrics: :mod:`medbench.metrics.multilabel`.
"""

from __future__ import annotations

from functools import partial

from medbench.tasks.columns import PREDICTION, SCORE, TARGET
from medbench.tasks.kind import Classes, TaskKind
from medbench.tasks.predictions import classification_outputs

KIND = TaskKind(
    name="multilabel",
    models=("mlp", "small_cnn", "resnet18", "text_cnn", "onnx", "predictions_file"),
    classes=Classes(exclusive=False, single_score=False),
    output_description="one independent probability per label per sample",
    metrics_module="medbench.metrics.multilabel",
    build_outputs=partial(classification_outputs, kind="multilabel"),
    required_prefixes=(f"{TARGET}_", f"{SCORE}_"),
    prediction_prefixes=(f"{SCORE}_", f"{PREDICTION}_"),
    derived_prefixes=(f"{PREDICTION}_",),
    finite=(f"{SCORE}_",),
)
