"""Classification building blocks under resampling weights, shared by binary, multiclass, multilabel.

Every function takes ``weights`` of shape ``(B, n)``: row ``b`` holds how often each sample is
drawn in resample ``b`` (a row of ones is the sample itself). Scores are sorted once per score
vector (:class:`Ranking`); a resample only re-weights the tie groups, so B resamples cost B
weighted sums instead of B sorts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Ranking:
    """Samples ordered by decreasing score, cut into groups of tied scores."""

    order: np.ndarray
    starts: np.ndarray  # position in `order` where each group of equal scores begins

    @classmethod
    def of(cls, scores: np.ndarray) -> "Ranking":
        order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
        ranked = scores[order]
        starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
        return cls(order, starts)

    def group_sums(self, weights: np.ndarray, indicator: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per resample and tie group (highest scores first): weight of samples with and without `indicator`."""
        ranked = np.take(weights, self.order, axis=1)
        marked = ranked * indicator[self.order]
        unmarked = ranked - marked
        if len(self.starts) == ranked.shape[1]:
            return marked, unmarked
        return np.add.reduceat(marked, self.starts, axis=1), np.add.reduceat(unmarked, self.starts, axis=1)

    @property
    def has_ties(self) -> bool:
        return len(self.starts) < len(self.order)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is 0 (an undefined metric, not 0)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)


def positive_negative_sums(ranking: Ranking, targets: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return ranking.group_sums(weights, targets.astype(np.float64))


def auroc(ranking: Ranking, targets: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Area under the ROC curve: P(score of a positive > score of a negative) + half the ties."""
    positives, negatives = positive_negative_sums(ranking, targets, weights)
    # Pairs (positive above negative) + half the tied pairs; a group's own positives are tied with it.
    pairs = np.einsum("ij,ij->i", negatives, np.cumsum(positives, axis=1))
    if ranking.has_ties:
        pairs -= 0.5 * np.einsum("ij,ij->i", negatives, positives)
    return _ratio(pairs, positives.sum(axis=1) * negatives.sum(axis=1))


def average_precision(ranking: Ranking, targets: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Sum over thresholds of precision times the gain in recall (scikit-learn's definition)."""
    positives, negatives = positive_negative_sums(ranking, targets, weights)
    true_positives = np.cumsum(positives, axis=1)
    predicted = true_positives + np.cumsum(negatives, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, true_positives / np.where(predicted > 0, predicted, 1), 0.0)
    return _ratio((positives * precision).sum(axis=1), positives.sum(axis=1))


def roc_points(ranking: Ranking, targets: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sensitivity and specificity at every threshold (predict positive when score >= it), highest first.

    Column 0 is the threshold above every score (nothing predicted positive).
    """
    positives, negatives = positive_negative_sums(ranking, targets, weights)
    true_positives = np.cumsum(positives, axis=1)
    false_positives = np.cumsum(negatives, axis=1)
    n_positive, n_negative = true_positives[:, -1:], false_positives[:, -1:]
    zeros = np.zeros((weights.shape[0], 1))
    sensitivity = _ratio(np.hstack([zeros, true_positives]), n_positive)
    specificity = _ratio(n_negative - np.hstack([zeros, false_positives]), n_negative)
    return sensitivity, specificity


# Operating points are compared with a tolerance, so that 0.9 reached exactly in counts
# (e.g. 9 of 10 negatives) is not lost to floating-point rounding.
_TOLERANCE = 1e-12


def sensitivity_at_specificity(ranking: Ranking, targets: np.ndarray, weights: np.ndarray, level: float) -> np.ndarray:
    """The highest sensitivity among thresholds whose specificity is at least `level`."""
    sensitivity, specificity = roc_points(ranking, targets, weights)
    return np.where(specificity >= level - _TOLERANCE, sensitivity, -np.inf).max(axis=1)


def specificity_at_sensitivity(ranking: Ranking, targets: np.ndarray, weights: np.ndarray, level: float) -> np.ndarray:
    """The highest specificity among thresholds whose sensitivity is at least `level`."""
    sensitivity, specificity = roc_points(ranking, targets, weights)
    return np.where(sensitivity >= level - _TOLERANCE, specificity, -np.inf).max(axis=1)


# Each share of the confusion matrix: the cell it counts, and the cell that completes its trials.
SHARE_CELLS = {
    "sensitivity": ("true_positive", "false_negative"),
    "specificity": ("true_negative", "false_positive"),
    "ppv": ("true_positive", "false_positive"),
    "npv": ("true_negative", "false_negative"),
}


@dataclass(frozen=True)
class Confusion:
    """Weighted confusion counts of one positive class, one value per resample."""

    true_positive: np.ndarray
    false_positive: np.ndarray
    false_negative: np.ndarray
    true_negative: np.ndarray

    @classmethod
    def of(cls, targets: np.ndarray, predictions: np.ndarray, weights: np.ndarray) -> "Confusion":
        actual, predicted = targets.astype(bool), predictions.astype(bool)
        cells = np.stack([actual & predicted, ~actual & predicted, actual & ~predicted, ~actual & ~predicted], axis=1)
        counts = weights @ cells.astype(np.float64)
        return cls(counts[:, 0], counts[:, 1], counts[:, 2], counts[:, 3])

    def trials(self, share: str) -> tuple[float, float]:
        """(successes, trials) of `share` ("sensitivity", "specificity", "ppv", "npv") in the first row of counts."""
        successes, failures = SHARE_CELLS[share]
        hits = float(getattr(self, successes)[0])
        return hits, hits + float(getattr(self, failures)[0])

    def sensitivity(self) -> np.ndarray:
        return _ratio(self.true_positive, self.true_positive + self.false_negative)

    def specificity(self) -> np.ndarray:
        return _ratio(self.true_negative, self.true_negative + self.false_positive)

    def ppv(self) -> np.ndarray:
        return _ratio(self.true_positive, self.true_positive + self.false_positive)

    def npv(self) -> np.ndarray:
        return _ratio(self.true_negative, self.true_negative + self.false_negative)

    def f1(self) -> np.ndarray:
        return _ratio(2 * self.true_positive, 2 * self.true_positive + self.false_positive + self.false_negative)


def calibration_bins(scores: np.ndarray, n_bins: int) -> np.ndarray:
    """Equal-width bin of each score in [0, 1], as scikit-learn's `calibration_curve` bins them."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return np.searchsorted(edges[1:-1], scores)


def expected_calibration_error(targets: np.ndarray, scores: np.ndarray, weights: np.ndarray, n_bins: int) -> np.ndarray:
    """Sum over equal-width bins of (bin share) x |mean score - observed frequency| of the bin."""
    one_hot = np.zeros((len(scores), n_bins))
    one_hot[np.arange(len(scores)), calibration_bins(scores, n_bins)] = 1.0
    counts = weights @ one_hot
    gap = np.abs(weights @ (one_hot * scores[:, None]) - weights @ (one_hot * targets[:, None]))
    return _ratio(gap.sum(axis=1), counts.sum(axis=1))


def clipped_log_loss(probability_of_truth: np.ndarray) -> np.ndarray:
    """-log p per sample, p clipped to [eps, 1 - eps] as scikit-learn clips it."""
    eps = np.finfo(np.float64).eps
    return -np.log(np.clip(probability_of_truth, eps, 1 - eps))
