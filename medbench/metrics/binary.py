"""Binary classification metrics, clinical ones included, on the predictions frame of a binary task.

Threshold metrics (accuracy, sensitivity, specificity, PPV, NPV, F1) read the record's
`prediction` column: the operating point the model committed to. Ranking metrics read `score`.
Each equals scikit-learn's metric of the same name (tests/metrics/test_classification_agreement.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Optional

import numpy as np

from medbench.errors import DataError
from medbench.metrics import weighted as w
from medbench.metrics.direction import HIGHER_SHARE, LOWER_SHARE, LOWER_UNBOUNDED
from medbench.metrics.registry import BINS, FRACTION, Prepared, register, register_preparer, require_columns
from medbench.tasks.columns import PREDICTION, SAMPLE_ID, SCORE, TARGET

if TYPE_CHECKING:
    from medbench.tasks.outputs import TaskOutputs

KIND = "binary"
DEFAULT_CALIBRATION_BINS = 10


@dataclass(frozen=True)
class BinaryData:
    targets: np.ndarray  # 0/1
    scores: np.ndarray  # probability of class 1
    predictions: np.ndarray  # 0/1 at the model's operating point

    @cached_property
    def ranking(self) -> w.Ranking:
        return w.Ranking.of(self.scores)

    def confusion(self, weights: np.ndarray) -> w.Confusion:
        return w.Confusion.of(self.targets, self.predictions, weights)


def _share(name: str):
    """(successes, trials) of a confusion-matrix share at the operating point, for its exact interval."""

    def proportion(data: BinaryData, _: None) -> tuple[float, float]:
        return data.confusion(np.ones((1, len(data.targets)))).trials(name)

    return proportion


@register_preparer(KIND)
def prepare(outputs: "TaskOutputs") -> Prepared:
    frame = outputs.predictions
    require_columns(frame, KIND)
    targets = frame[TARGET].to_numpy().astype(np.int64)
    if not np.isin(targets, (0, 1)).all():
        raise DataError(f"binary targets must be 0 or 1; found {sorted(set(np.unique(targets)) - {0, 1})[:5]}")
    scores = frame[SCORE].to_numpy(dtype=np.float64)
    if PREDICTION in frame.columns:
        predictions = frame[PREDICTION].to_numpy().astype(np.int64)
    else:
        from medbench.tasks.predictions import THRESHOLD

        predictions = (scores >= THRESHOLD).astype(np.int64)
    metadata = frame.drop(columns=[c for c in (SAMPLE_ID, TARGET, SCORE, PREDICTION) if c in frame.columns])
    return Prepared(
        units=frame[SAMPLE_ID].to_numpy().astype(str),
        unit_name="sample",
        data=BinaryData(targets, scores, predictions),
        strata=targets,
        class_sizes={str(k): int(np.count_nonzero(targets == k)) for k in (0, 1)},
        metadata=metadata.reset_index(drop=True),
    )


@register(KIND, "auroc", scale=HIGHER_SHARE)
def auroc(data: BinaryData, weights: np.ndarray, _: None) -> np.ndarray:
    """Area under the ROC curve."""
    return w.auroc(data.ranking, data.targets, weights)


@register(KIND, "auprc", scale=HIGHER_SHARE)
def auprc(data: BinaryData, weights: np.ndarray, _: None) -> np.ndarray:
    """Area under the precision-recall curve as average precision (scikit-learn's step-wise sum)."""
    return w.average_precision(data.ranking, data.targets, weights)


register(KIND, "average_precision", scale=HIGHER_SHARE)(auprc)


@register(KIND, "accuracy", scale=HIGHER_SHARE, per_unit=True)
def accuracy(data: BinaryData, _: None) -> np.ndarray:
    """Share of samples whose prediction equals the target."""
    return (data.predictions == data.targets).astype(np.float64)


@register(KIND, "balanced_accuracy", scale=HIGHER_SHARE)
def balanced_accuracy(data: BinaryData, weights: np.ndarray, _: None) -> np.ndarray:
    """Mean of sensitivity and specificity."""
    confusion = data.confusion(weights)
    return (confusion.sensitivity() + confusion.specificity()) / 2


@register(KIND, "sensitivity", scale=HIGHER_SHARE, proportion=_share("sensitivity"))
def sensitivity(data: BinaryData, weights: np.ndarray, _: None) -> np.ndarray:
    """True positive rate (recall) at the model's operating point."""
    return data.confusion(weights).sensitivity()


@register(KIND, "specificity", scale=HIGHER_SHARE, proportion=_share("specificity"))
def specificity(data: BinaryData, weights: np.ndarray, _: None) -> np.ndarray:
    """True negative rate at the model's operating point."""
    return data.confusion(weights).specificity()


@register(KIND, "ppv", scale=HIGHER_SHARE, proportion=_share("ppv"))
def ppv(data: BinaryData, weights: np.ndarray, _: None) -> np.ndarray:
    """Positive predictive value (precision) at the model's operating point."""
    return data.confusion(weights).ppv()


@register(KIND, "npv", scale=HIGHER_SHARE, proportion=_share("npv"))
def npv(data: BinaryData, weights: np.ndarray, _: None) -> np.ndarray:
    """Negative predictive value at the model's operating point."""
    return data.confusion(weights).npv()


@register(KIND, "f1", scale=HIGHER_SHARE)
def f1(data: BinaryData, weights: np.ndarray, _: None) -> np.ndarray:
    """Harmonic mean of sensitivity and PPV at the model's operating point."""
    return data.confusion(weights).f1()


@register(KIND, "sensitivity_at_specificity", scale=HIGHER_SHARE, argument=FRACTION)
def sensitivity_at_specificity(data: BinaryData, weights: np.ndarray, level: float) -> np.ndarray:
    """Best sensitivity of any threshold whose specificity is at least the argument."""
    return w.sensitivity_at_specificity(data.ranking, data.targets, weights, level)


@register(KIND, "specificity_at_sensitivity", scale=HIGHER_SHARE, argument=FRACTION)
def specificity_at_sensitivity(data: BinaryData, weights: np.ndarray, level: float) -> np.ndarray:
    """Best specificity of any threshold whose sensitivity is at least the argument."""
    return w.specificity_at_sensitivity(data.ranking, data.targets, weights, level)


@register(KIND, "brier", scale=LOWER_SHARE, per_unit=True)
def brier(data: BinaryData, _: None) -> np.ndarray:
    """Mean squared difference between the probability of class 1 and the target."""
    return (data.scores - data.targets) ** 2


@register(KIND, "log_loss", scale=LOWER_UNBOUNDED, per_unit=True)
def log_loss(data: BinaryData, _: None) -> np.ndarray:
    """Mean negative log-likelihood of the targets (probabilities clipped as scikit-learn does)."""
    return w.clipped_log_loss(np.where(data.targets == 1, data.scores, 1.0 - data.scores))


@register(KIND, "ece", scale=LOWER_SHARE, argument=BINS)
def ece(data: BinaryData, weights: np.ndarray, n_bins: Optional[int]) -> np.ndarray:
    """Expected calibration error over equal-width bins of the probability of class 1 (10 by default)."""
    return w.expected_calibration_error(data.targets, data.scores, weights, n_bins or DEFAULT_CALIBRATION_BINS)


@dataclass(frozen=True)
class CalibrationCurve:
    """Reliability diagram data: per non-empty bin, observed frequency, mean score, sample count."""

    observed: np.ndarray
    predicted: np.ndarray
    counts: np.ndarray


def calibration_curve(targets: np.ndarray, scores: np.ndarray, n_bins: int = DEFAULT_CALIBRATION_BINS) -> CalibrationCurve:
    """The calibration curve's data, equal to scikit-learn's `calibration_curve(strategy="uniform")`."""
    targets, scores = np.asarray(targets, dtype=np.float64), np.asarray(scores, dtype=np.float64)
    bins = w.calibration_bins(scores, n_bins)
    counts = np.bincount(bins, minlength=n_bins)
    observed = np.bincount(bins, weights=targets, minlength=n_bins)
    predicted = np.bincount(bins, weights=scores, minlength=n_bins)
    filled = counts > 0
    return CalibrationCurve(observed[filled] / counts[filled], predicted[filled] / counts[filled], counts[filled])
