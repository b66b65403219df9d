"""Multilabel metrics (K independent yes/no labels per sample), equal to scikit-learn's.

Macro averages give each label the same weight; micro averages pool every (sample, label) pair.
Per-label families read ``auroc@label=3``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from medbench.errors import ConfigError
from medbench.metrics import weighted as w
from medbench.metrics.multiclass import indexed_columns
from medbench.metrics.direction import HIGHER_SHARE, LOWER_SHARE
from medbench.metrics.registry import LABEL, Prepared, register, register_preparer, require_columns
from medbench.tasks.columns import PREDICTION, SAMPLE_ID, SCORE, TARGET

if TYPE_CHECKING:
    from medbench.tasks.outputs import TaskOutputs

KIND = "multilabel"


@dataclass(frozen=True)
class MultilabelData:
    targets: np.ndarray  # (n, K) 0/1
    scores: np.ndarray  # (n, K) probability of each label
    predictions: np.ndarray  # (n, K) 0/1
    _rankings: dict[int, w.Ranking] = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_labels(self) -> int:
        return self.scores.shape[1]

    def ranking(self, k: int) -> w.Ranking:
        if k not in self._rankings:
            self._rankings[k] = w.Ranking.of(self.scores[:, k])
        return self._rankings[k]

    @cached_property
    def pooled_ranking(self) -> w.Ranking:
        return w.Ranking.of(self.scores.ravel())

    def check_label(self, k: int) -> None:
        if k >= self.n_labels:
            raise ConfigError(f"label={k} does not exist: the task has {self.n_labels} labels (0..{self.n_labels - 1})")

    def label(self, k: int, weights: np.ndarray) -> w.Confusion:
        self.check_label(k)
        return w.Confusion.of(self.targets[:, k], self.predictions[:, k], weights)

    def pooled(self, weights: np.ndarray) -> w.Confusion:
        return w.Confusion.of(self.targets.ravel(), self.predictions.ravel(), np.repeat(weights, self.n_labels, axis=1))


@register_preparer(KIND)
def prepare(outputs: "TaskOutputs") -> Prepared:
    frame = outputs.predictions
    require_columns(frame, KIND)
    target_columns, score_columns = indexed_columns(frame, TARGET), indexed_columns(frame, SCORE)
    if len(target_columns) != len(score_columns):
        raise ConfigError(f"multilabel predictions have {len(target_columns)} target and {len(score_columns)} score columns")
    scores = frame[score_columns].to_numpy(dtype=np.float64)
    prediction_columns = [f"{PREDICTION}_{k}" for k in range(len(score_columns))]
    if all(c in frame.columns for c in prediction_columns):
        predictions = frame[prediction_columns].to_numpy().astype(np.int64)
    else:
        from medbench.tasks.predictions import THRESHOLD

        predictions = (scores >= THRESHOLD).astype(np.int64)
        prediction_columns = []
    core = [SAMPLE_ID, *target_columns, *score_columns, *prediction_columns]
    targets = frame[target_columns].to_numpy().astype(np.int64)
    return Prepared(
        units=frame[SAMPLE_ID].to_numpy().astype(str),
        unit_name="sample",
        data=MultilabelData(targets, scores, predictions),
        class_sizes={f"label {k}": int(n) for k, n in enumerate(targets.sum(axis=0))},
        metadata=frame.drop(columns=core).reset_index(drop=True),
    )


@register(KIND, "macro_auroc", scale=HIGHER_SHARE)
def macro_auroc(data: MultilabelData, weights: np.ndarray, _: None) -> np.ndarray:
    """Unweighted mean over labels of each label's AUROC."""
    return np.mean([w.auroc(data.ranking(k), data.targets[:, k], weights) for k in range(data.n_labels)], axis=0)


@register(KIND, "micro_auroc", scale=HIGHER_SHARE)
def micro_auroc(data: MultilabelData, weights: np.ndarray, _: None) -> np.ndarray:
    """AUROC of every (sample, label) pair pooled."""
    return w.auroc(data.pooled_ranking, data.targets.ravel(), np.repeat(weights, data.n_labels, axis=1))


@register(KIND, "auroc", scale=HIGHER_SHARE, argument=LABEL)
def label_auroc(data: MultilabelData, weights: np.ndarray, k: int) -> np.ndarray:
    """AUROC of one label."""
    data.check_label(k)
    return w.auroc(data.ranking(k), data.targets[:, k], weights)


@register(KIND, "macro_average_precision", scale=HIGHER_SHARE)
def macro_average_precision(data: MultilabelData, weights: np.ndarray, _: None) -> np.ndarray:
    """Unweighted mean over labels of each label's average precision."""
    return np.mean(
        [w.average_precision(data.ranking(k), data.targets[:, k], weights) for k in range(data.n_labels)], axis=0
    )


@register(KIND, "macro_f1", scale=HIGHER_SHARE)
def macro_f1(data: MultilabelData, weights: np.ndarray, _: None) -> np.ndarray:
    """Unweighted mean over labels of F1 (0 for a label never present nor predicted, as scikit-learn)."""
    return np.mean([np.nan_to_num(data.label(k, weights).f1()) for k in range(data.n_labels)], axis=0)


@register(KIND, "micro_f1", scale=HIGHER_SHARE)
def micro_f1(data: MultilabelData, weights: np.ndarray, _: None) -> np.ndarray:
    """F1 of every (sample, label) pair pooled."""
    return data.pooled(weights).f1()


@register(KIND, "f1", scale=HIGHER_SHARE, argument=LABEL)
def label_f1(data: MultilabelData, weights: np.ndarray, k: int) -> np.ndarray:
    """F1 of one label."""
    return data.label(k, weights).f1()


@register(KIND, "subset_accuracy", scale=HIGHER_SHARE, per_unit=True)
def subset_accuracy(data: MultilabelData, _: None) -> np.ndarray:
    """Share of samples whose every label is predicted right (scikit-learn's multilabel accuracy)."""
    return (data.predictions == data.targets).all(axis=1).astype(np.float64)


@register(KIND, "hamming_loss", scale=LOWER_SHARE, per_unit=True)
def hamming_loss(data: MultilabelData, _: None) -> np.ndarray:
    """Share of wrong (sample, label) pairs."""
    return (data.predictions != data.targets).mean(axis=1)


@register(KIND, "brier", scale=LOWER_SHARE, per_unit=True)
def brier(data: MultilabelData, _: None) -> np.ndarray:
    """Mean over samples and labels of the squared error of each label's probability."""
    return ((data.scores - data.targets) ** 2).mean(axis=1)
