"""Multiclass metrics (one label per sample among K classes), equal to scikit-learn's.

Macro averages and per-class families (``auroc@class=2``) are one-vs-rest. The prediction is
the record's `prediction` column (the argmax of the scores when the model wrote none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from medbench.errors import ConfigError, DataError
from medbench.metrics import weighted as w
from medbench.metrics.direction import HIGHER_SHARE, LOWER_UNBOUNDED, Direction, Scale
from medbench.metrics.registry import CLASS, CUTOFF, Prepared, register, register_preparer, require_columns
from medbench.tasks.columns import PREDICTION, SAMPLE_ID, SCORE, TARGET

if TYPE_CHECKING:
    from medbench.tasks.outputs import TaskOutputs

KIND = "multiclass"
MULTICLASS_BRIER = Scale(Direction.minimize, 0.0, 2.0, "")  # summed over classes: 2 when all mass is on a wrong class


def indexed_columns(frame: pd.DataFrame, prefix: str) -> list[str]:
    """`<prefix>_0, <prefix>_1, ...` in index order; DataError when the indices have gaps."""
    pattern = re.compile(rf"{re.escape(prefix)}_(\d+)$")
    found = sorted((int(m.group(1)), c) for c in frame.columns if (m := pattern.match(str(c))))
    if not found or [i for i, _ in found] != list(range(len(found))):
        raise DataError(f"the predictions need columns {prefix}_0 .. {prefix}_<K-1>; they have {list(frame.columns)}")
    return [c for _, c in found]


@dataclass(frozen=True)
class MulticlassData:
    targets: np.ndarray  # class index per sample
    scores: np.ndarray  # (n, K) probabilities
    predictions: np.ndarray  # class index per sample
    _rankings: dict[int, w.Ranking] = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_classes(self) -> int:
        return self.scores.shape[1]

    def ranking(self, k: int) -> w.Ranking:
        if k not in self._rankings:
            self._rankings[k] = w.Ranking.of(self.scores[:, k])
        return self._rankings[k]

    def one_vs_rest(self, k: int, weights: np.ndarray) -> w.Confusion:
        return w.Confusion.of(self.targets == k, self.predictions == k, weights)

    def check_class(self, k: int) -> None:
        if k >= self.n_classes:
            raise ConfigError(f"class={k} does not exist: the task has {self.n_classes} classes (0..{self.n_classes - 1})")


@register_preparer(KIND)
def prepare(outputs: "TaskOutputs") -> Prepared:
    frame = outputs.predictions
    require_columns(frame, KIND)
    score_columns = indexed_columns(frame, SCORE)
    scores = frame[score_columns].to_numpy(dtype=np.float64)
    targets = frame[TARGET].to_numpy().astype(np.int64)
    if targets.min(initial=0) < 0 or targets.max(initial=0) >= scores.shape[1]:
        raise DataError(f"multiclass targets must lie in 0..{scores.shape[1] - 1} (one score column per class)")
    predictions = frame[PREDICTION].to_numpy().astype(np.int64) if PREDICTION in frame.columns else scores.argmax(axis=1)
    core = [SAMPLE_ID, TARGET, PREDICTION, *score_columns]
    return Prepared(
        units=frame[SAMPLE_ID].to_numpy().astype(str),
        unit_name="sample",
        data=MulticlassData(targets, scores, predictions),
        strata=targets,
        class_sizes={str(k): int(n) for k, n in enumerate(np.bincount(targets, minlength=scores.shape[1]))},
        metadata=frame.drop(columns=[c for c in core if c in frame.columns]).reset_index(drop=True),
    )


@register(KIND, "accuracy", scale=HIGHER_SHARE, per_unit=True)
def accuracy(data: MulticlassData, _: None) -> np.ndarray:
    """Share of samples whose predicted class is the target (micro-averaged accuracy)."""
    return (data.predictions == data.targets).astype(np.float64)


@register(KIND, "top_k_accuracy", scale=HIGHER_SHARE, argument=CUTOFF, per_unit=True)
def top_k_accuracy(data: MulticlassData, k: int | None) -> np.ndarray:
    """Share of samples whose target is among the k highest-scored classes (`top_k_accuracy@3`; k=1 alone)."""
    k = min(k or 1, data.n_classes)
    # Ties go to the lower class index, as with argmax.
    order = np.argsort(-data.scores, axis=1, kind="stable")[:, :k]
    return (order == data.targets[:, None]).any(axis=1).astype(np.float64)


def _present_mean(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Mean over the classes present in each resample; NaN when none is."""
    with np.errstate(invalid="ignore"):
        return np.where(present, np.nan_to_num(values), 0.0).sum(axis=1) / present.sum(axis=1)


@register(KIND, "balanced_accuracy", scale=HIGHER_SHARE)
def balanced_accuracy(data: MulticlassData, weights: np.ndarray, _: None) -> np.ndarray:
    """Mean recall over the classes that occur among the targets."""
    confusions = [data.one_vs_rest(k, weights) for k in range(data.n_classes)]
    recall = np.stack([c.sensitivity() for c in confusions], axis=1)
    present = np.stack([c.true_positive + c.false_negative > 0 for c in confusions], axis=1)
    return _present_mean(recall, present)


@register(KIND, "macro_f1", scale=HIGHER_SHARE)
def macro_f1(data: MulticlassData, weights: np.ndarray, _: None) -> np.ndarray:
    """Mean F1 over the classes that occur among the targets or the predictions."""
    confusions = [data.one_vs_rest(k, weights) for k in range(data.n_classes)]
    f1 = np.stack([c.f1() for c in confusions], axis=1)
    present = np.stack([c.true_positive + c.false_negative + c.false_positive > 0 for c in confusions], axis=1)
    return _present_mean(f1, present)


@register(KIND, "macro_auroc", scale=HIGHER_SHARE)
def macro_auroc(data: MulticlassData, weights: np.ndarray, _: None) -> np.ndarray:
    """Unweighted mean of the one-vs-rest AUROC of every class (NaN when a class is absent)."""
    return np.mean([w.auroc(data.ranking(k), data.targets == k, weights) for k in range(data.n_classes)], axis=0)


@register(KIND, "auroc", scale=HIGHER_SHARE, argument=CLASS)
def class_auroc(data: MulticlassData, weights: np.ndarray, k: int) -> np.ndarray:
    """One-vs-rest AUROC of one class."""
    data.check_class(k)
    return w.auroc(data.ranking(k), data.targets == k, weights)


@register(KIND, "f1", scale=HIGHER_SHARE, argument=CLASS)
def class_f1(data: MulticlassData, weights: np.ndarray, k: int) -> np.ndarray:
    """One-vs-rest F1 of one class."""
    data.check_class(k)
    return data.one_vs_rest(k, weights).f1()


def _class_share(name: str):
    """(successes, trials) of one class's share at the model's predictions, for its exact interval."""

    def proportion(data: MulticlassData, k: int) -> tuple[float, float]:
        return data.one_vs_rest(k, np.ones((1, len(data.targets)))).trials(name)

    return proportion


@register(KIND, "sensitivity", scale=HIGHER_SHARE, argument=CLASS, proportion=_class_share("sensitivity"))
def class_sensitivity(data: MulticlassData, weights: np.ndarray, k: int) -> np.ndarray:
    """Recall of one class."""
    data.check_class(k)
    return data.one_vs_rest(k, weights).sensitivity()


@register(KIND, "ppv", scale=HIGHER_SHARE, argument=CLASS, proportion=_class_share("ppv"))
def class_ppv(data: MulticlassData, weights: np.ndarray, k: int) -> np.ndarray:
    """Precision of one class."""
    data.check_class(k)
    return data.one_vs_rest(k, weights).ppv()


@register(KIND, "log_loss", scale=LOWER_UNBOUNDED, per_unit=True)
def log_loss(data: MulticlassData, _: None) -> np.ndarray:
    """Mean negative log-probability of the target class (clipped as scikit-learn clips it)."""
    return w.clipped_log_loss(data.scores[np.arange(len(data.targets)), data.targets])


@register(KIND, "brier", scale=MULTICLASS_BRIER, per_unit=True)
def brier(data: MulticlassData, _: None) -> np.ndarray:
    """Mean over samples of the squared distance between the probabilities and the one-hot target."""
    one_hot = np.eye(data.n_classes)[data.targets]
    return ((data.scores - one_hot) ** 2).sum(axis=1)
