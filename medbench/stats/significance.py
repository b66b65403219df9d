"""Classical paired tests and multiple-testing correction: DeLong, McNemar, Holm.

Each works on plain arrays; :mod:`medbench.stats.paired` decides which applies to a metric.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import binom, norm, rankdata


@dataclass(frozen=True)
class DeLongResult:
    auroc_a: float
    auroc_b: float
    difference: float  # a - b
    standard_error: float
    p_value: float


@dataclass(frozen=True)
class DeLongComponents:
    """One model's part of DeLong's test, which does not depend on the model it is compared with:
    its AUROC and structural components. A board tests one entry against many; these are computed
    once per entry (`delong_components`) and each pair only combines two (`delong_of`)."""

    positives: int
    negatives: int
    auroc: float
    per_positive: np.ndarray  # per positive: share of negatives it outranks
    per_negative: np.ndarray  # per negative: share of positives outranking it


def delong_components(targets: np.ndarray, scores: np.ndarray) -> DeLongComponents:
    """`scores`' AUROC and structural components on `targets` (Sun & Xu's fast form)."""
    targets = np.asarray(targets).astype(bool)
    positives, negatives = int(targets.sum()), int((~targets).sum())
    if positives < 2 or negatives < 2:
        raise ValueError("DeLong's test needs at least two positives and two negatives")
    scores = np.asarray(scores, dtype=np.float64)[np.newaxis, :]
    pos, neg = scores[:, targets], scores[:, ~targets]
    rank_pos, rank_neg = rankdata(pos, axis=1), rankdata(neg, axis=1)
    rank_all = rankdata(np.hstack([pos, neg]), axis=1)
    # Ranks are multiples of 1/2, so these sums are exact, in whatever order they are added.
    auroc = (rank_all[:, :positives].sum(axis=1) - positives * (positives + 1) / 2) / (positives * negatives)
    per_positive = (rank_all[:, :positives] - rank_pos) / negatives
    per_negative = 1.0 - (rank_all[:, positives:] - rank_neg) / positives
    return DeLongComponents(positives, negatives, float(auroc[0]), per_positive[0], per_negative[0])


def delong_test(targets: np.ndarray, scores_a: np.ndarray, scores_b: np.ndarray) -> DeLongResult:
    """DeLong et al. (1988) test of two correlated AUROCs on the same samples (Sun & Xu's fast form).

    The AUROC of each model is the mean of its structural components (one per positive, one per
    negative); their covariance across the two models gives the variance of the difference.
    """
    return delong_of(delong_components(targets, scores_a), delong_components(targets, scores_b))


def delong_of(a: DeLongComponents, b: DeLongComponents) -> DeLongResult:
    """DeLong's test of model `a` against model `b`, from their components on the same samples in the same order."""
    positives, negatives = a.positives, a.negatives
    covariance = np.cov(np.vstack([a.per_positive, b.per_positive])) / positives + np.cov(np.vstack([a.per_negative, b.per_negative])) / negatives
    variance = covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1]
    difference = float(a.auroc - b.auroc)
    if variance <= 0:
        p_value = 1.0 if difference == 0 else 0.0
        return DeLongResult(a.auroc, b.auroc, difference, 0.0, p_value)
    standard_error = float(np.sqrt(variance))
    p_value = float(2 * norm.sf(abs(difference) / standard_error))
    return DeLongResult(a.auroc, b.auroc, difference, standard_error, p_value)


def delong_interval(result: DeLongResult, level: float) -> tuple[float, float]:
    """DeLong's normal interval of the difference: excludes 0 exactly when DeLong's p-value is below 1 - level."""
    half = float(norm.ppf(1 - (1 - level) / 2)) * result.standard_error
    return result.difference - half, result.difference + half


@dataclass(frozen=True)
class McNemarResult:
    a_only: int  # units a got right and b got wrong
    b_only: int
    p_value: float


def mcnemar_test(correct_a: np.ndarray, correct_b: np.ndarray) -> McNemarResult:
    """Exact McNemar test: under equal accuracy, the discordant pairs split as a fair coin."""
    correct_a, correct_b = np.asarray(correct_a).astype(bool), np.asarray(correct_b).astype(bool)
    a_only, b_only = int((correct_a & ~correct_b).sum()), int((~correct_a & correct_b).sum())
    discordant = a_only + b_only
    p_value = 1.0 if discordant == 0 else float(min(1.0, 2 * binom.cdf(min(a_only, b_only), discordant, 0.5)))
    return McNemarResult(a_only, b_only, p_value)


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error control when one entry meets many)."""
    p_values = np.asarray(p_values, dtype=np.float64)
    m = len(p_values)
    order = np.argsort(p_values, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p_values[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted
