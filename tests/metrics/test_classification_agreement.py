"""Classification metrics equal scikit-learn's to 1e-9 on randomized data, ties included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as sk
from sklearn.calibration import calibration_curve as sk_calibration_curve

from medbench.metrics.binary import calibration_curve
from medbench.evaluation.scoring import point_values
from medbench.tasks.outputs import TaskOutputs
from medbench.tasks.predictions import classification_frame

SEEDS = range(5)


def binary_case(seed: int, n: int = 400, ties: bool = False):
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 2, n)
    scores = np.clip(0.35 * targets + 0.65 * rng.random(n), 0, 1)
    if ties:
        scores = np.round(scores, 1)
    return targets, scores


def binary_values(targets, scores, names):
    frame = classification_frame(np.arange(len(targets)), targets, scores, "binary")
    return point_values(TaskOutputs(frame), "binary", names)


def roc_operating_points(targets, scores):
    thresholds = np.r_[np.inf, np.unique(scores)[::-1]]
    sens = np.array([np.mean(scores[targets == 1] >= t) for t in thresholds])
    spec = np.array([np.mean(scores[targets == 0] < t) for t in thresholds])
    return sens, spec


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("ties", [False, True])
def test_binary_metrics_equal_scikit_learn(seed: int, ties: bool) -> None:
    targets, scores = binary_case(seed, ties=ties)
    predictions = (scores >= 0.5).astype(int)
    expected = {
        "auroc": sk.roc_auc_score(targets, scores),
        "auprc": sk.average_precision_score(targets, scores),
        "average_precision": sk.average_precision_score(targets, scores),
        "accuracy": sk.accuracy_score(targets, predictions),
        "balanced_accuracy": sk.balanced_accuracy_score(targets, predictions),
        "sensitivity": sk.recall_score(targets, predictions),
        "specificity": sk.recall_score(1 - targets, 1 - predictions),
        "ppv": sk.precision_score(targets, predictions),
        "npv": sk.precision_score(1 - targets, 1 - predictions),
        "f1": sk.f1_score(targets, predictions),
        "brier": sk.brier_score_loss(targets, scores),
        "log_loss": sk.log_loss(targets, scores),
    }
    values = binary_values(targets, scores, list(expected))
    for name, value in expected.items():
        assert values[name] == pytest.approx(value, abs=1e-9), name


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("level", [0.8, 0.9, 0.95])
def test_operating_point_metrics_follow_the_roc_curve(seed: int, level: float) -> None:
    targets, scores = binary_case(seed, ties=seed % 2 == 0)
    fpr, tpr, _ = sk.roc_curve(targets, scores, drop_intermediate=False)
    sens, spec = roc_operating_points(targets, scores)
    values = binary_values(targets, scores, [f"sensitivity_at_specificity@{level}", f"specificity_at_sensitivity@{level}"])
    assert values[f"sensitivity_at_specificity@{level}"] == pytest.approx(tpr[1 - fpr >= level - 1e-12].max(), abs=1e-9)
    assert values[f"sensitivity_at_specificity@{level}"] == pytest.approx(sens[spec >= level - 1e-12].max(), abs=1e-9)
    assert values[f"specificity_at_sensitivity@{level}"] == pytest.approx(spec[sens >= level - 1e-12].max(), abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_calibration_curve_and_ece(seed: int) -> None:
    targets, scores = binary_case(seed)
    observed, predicted = sk_calibration_curve(targets, scores, n_bins=10)
    curve = calibration_curve(targets, scores, n_bins=10)
    np.testing.assert_allclose(curve.observed, observed, atol=1e-12)
    np.testing.assert_allclose(curve.predicted, predicted, atol=1e-12)
    expected_ece = np.sum(curve.counts / len(targets) * np.abs(curve.observed - curve.predicted))
    values = binary_values(targets, scores, ["ece", "ece@10"])
    assert values["ece"] == pytest.approx(expected_ece, abs=1e-12) and values["ece@10"] == values["ece"]


def multiclass_case(seed: int, n: int = 300, k: int = 4):
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.2 * np.eye(k)[targets]
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return targets, probabilities


@pytest.mark.parametrize("seed", SEEDS)
def test_multiclass_metrics_equal_scikit_learn(seed: int) -> None:
    targets, probabilities = multiclass_case(seed)
    predictions = probabilities.argmax(axis=1)
    expected = {
        "accuracy": sk.accuracy_score(targets, predictions),
        "balanced_accuracy": sk.balanced_accuracy_score(targets, predictions),
        "macro_f1": sk.f1_score(targets, predictions, average="macro"),
        "macro_auroc": sk.roc_auc_score(targets, probabilities, multi_class="ovr", average="macro"),
        "log_loss": sk.log_loss(targets, probabilities),
        "brier": sk.brier_score_loss(targets, probabilities),
        "auroc@class=2": sk.roc_auc_score(targets == 2, probabilities[:, 2]),
        "f1@class=1": sk.f1_score(targets == 1, predictions == 1),
        "sensitivity@class=3": sk.recall_score(targets == 3, predictions == 3),
        "ppv@class=0": sk.precision_score(targets == 0, predictions == 0),
    }
    frame = classification_frame(np.arange(len(targets)), targets, probabilities, "multiclass")
    values = point_values(TaskOutputs(frame), "multiclass", list(expected))
    for name, value in expected.items():
        assert values[name] == pytest.approx(value, abs=1e-9), name


def test_multiclass_macro_f1_counts_only_classes_seen() -> None:
    targets = np.array([0, 0, 1, 1, 1, 0])
    probabilities = np.eye(3)[[0, 1, 1, 1, 0, 0]] * 0.8 + 0.2 / 3
    frame = classification_frame(np.arange(6), targets, probabilities, "multiclass")
    values = point_values(TaskOutputs(frame), "multiclass", ["macro_f1", "balanced_accuracy"])
    predictions = probabilities.argmax(axis=1)
    assert values["macro_f1"] == pytest.approx(sk.f1_score(targets, predictions, average="macro"), abs=1e-12)
    assert values["balanced_accuracy"] == pytest.approx(sk.balanced_accuracy_score(targets, predictions), abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_multilabel_metrics_equal_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = 250, 5
    targets = (rng.random((n, k)) < 0.3).astype(int)
    scores = np.round(np.clip(0.3 * targets + 0.7 * rng.random((n, k)), 0, 1), 2)
    predictions = (scores >= 0.5).astype(int)
    expected = {
        "macro_auroc": sk.roc_auc_score(targets, scores, average="macro"),
        "micro_auroc": sk.roc_auc_score(targets, scores, average="micro"),
        "auroc@label=3": sk.roc_auc_score(targets[:, 3], scores[:, 3]),
        "macro_average_precision": sk.average_precision_score(targets, scores, average="macro"),
        "macro_f1": sk.f1_score(targets, predictions, average="macro", zero_division=0),
        "micro_f1": sk.f1_score(targets, predictions, average="micro"),
        "f1@label=1": sk.f1_score(targets[:, 1], predictions[:, 1]),
        "subset_accuracy": sk.accuracy_score(targets, predictions),
        "hamming_loss": sk.hamming_loss(targets, predictions),
        "brier": np.mean((scores - targets) ** 2),
    }
    frame = classification_frame(np.arange(n), targets, scores, "multilabel")
    values = point_values(TaskOutputs(frame), "multilabel", list(expected))
    for name, value in expected.items():
        assert values[name] == pytest.approx(value, abs=1e-9), name


def test_undefined_metric_is_nan_not_zero() -> None:
    frame = pd.DataFrame({"sample_id": ["a", "b"], "target": [0, 0], "score": [0.2, 0.7], "prediction": [0, 1]})
    values = point_values(TaskOutputs(frame), "binary", ["auroc", "sensitivity", "specificity"])
    assert np.isnan(values["auroc"]) and np.isnan(values["sensitivity"]) and values["specificity"] == 0.5
