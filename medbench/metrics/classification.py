"""Binary classification metrics on targets (0/1) and scores (probability of class 1)."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from medbench.tasks.predictions import THRESHOLD


def auroc(targets: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with midranks for ties), equal to scikit-learn's."""
    targets = np.asarray(targets)
    n_pos = int(targets.sum())
    n_neg = len(targets) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[targets == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def accuracy(targets: np.ndarray, scores: np.ndarray) -> float:
    return float(np.mean((np.asarray(scores) >= THRESHOLD) == (np.asarray(targets) == 1)))


def sensitivity(targets: np.ndarray, scores: np.ndarray) -> float:
    positives = np.asarray(targets) == 1
    return float(np.mean(np.asarray(scores)[positives] >= THRESHOLD)) if positives.any() else float("nan")


def specificity(targets: np.ndarray, scores: np.ndarray) -> float:
    negatives = np.asarray(targets) == 0
    return float(np.mean(np.asarray(scores)[negatives] < THRESHOLD)) if negatives.any() else float("nan")


def brier(targets: np.ndarray, scores: np.ndarray) -> float:
    return float(np.mean((np.asarray(scores) - np.asarray(targets)) ** 2))


BINARY_METRICS = {
    "auroc": auroc,
    "accuracy": accuracy,
    "sensitivity": sensitivity,
    "specificity": specificity,
    "brier": brier,
}
