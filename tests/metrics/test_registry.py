"""The metric registry: name grammar, unknown names, one implementation for value and resamples."""

from __future__ import annotations

import numpy as np
import pytest

from medbench.errors import ConfigError
from medbench.metrics.registry import get_metric, known_names, prepare
from medbench.tasks.outputs import TaskOutputs
from medbench.tasks.predictions import classification_frame


def test_unknown_metric_lists_the_known_ones_of_the_kind() -> None:
    with pytest.raises(ConfigError, match=r"unknown metric 'rocauc' for a binary task; known: .*auroc.*sensitivity_at_specificity@<fraction>"):
        get_metric("binary", "rocauc")


@pytest.mark.parametrize(
    ("kind", "name", "problem"),
    [
        ("binary", "sensitivity_at_specificity", "needs an argument"),
        ("binary", "sensitivity_at_specificity@1.5", "strictly between 0 and 1"),
        ("binary", "auroc@3", "takes no argument"),
        ("multiclass", "auroc@2", "class=<index>"),
        ("multiclass", "auroc@class=-1", "index must be >= 0"),
        ("binary", "ece@0", "positive integer"),
        ("binary", "ece@", "needs an argument"),
    ],
)
def test_bad_arguments_are_refused_with_the_template(kind: str, name: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        get_metric(kind, name)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ConfigError, match="known kinds"):
        known_names("segmentation")


def test_each_kind_lists_its_families() -> None:
    assert {"auroc", "brier", "ece[@<bins>]", "specificity_at_sensitivity@<fraction>"} <= set(known_names("binary"))
    assert {"macro_auroc", "auroc@class=<k>", "log_loss"} <= set(known_names("multiclass"))
    assert {"micro_auroc", "auroc@label=<k>"} <= set(known_names("multilabel"))


def test_class_beyond_the_task_is_refused() -> None:
    frame = classification_frame(np.arange(4), np.array([0, 1, 2, 0]), np.full((4, 3), 1 / 3), "multiclass")
    with pytest.raises(ConfigError, match="class=5 does not exist"):
        get_metric("multiclass", "auroc@class=5").value(prepare("multiclass", TaskOutputs(frame)))


@pytest.mark.parametrize("name", ["auroc", "accuracy", "sensitivity_at_specificity@0.9", "ece", "brier", "f1"])
def test_weighted_evaluation_equals_the_value_on_the_resampled_data(name: str) -> None:
    """A row of draw counts gives the metric of the data with each sample repeated that often."""
    rng = np.random.default_rng(3)
    targets, scores = rng.integers(0, 2, 60), np.round(rng.random(60), 1)
    metric = get_metric("binary", name)
    prepared = prepare("binary", TaskOutputs(classification_frame(np.arange(60), targets, scores, "binary")))
    counts = np.bincount(rng.integers(0, 60, 60), minlength=60)
    repeated = np.repeat(np.arange(60), counts)
    resampled = prepare("binary", TaskOutputs(classification_frame(np.arange(len(repeated)), targets[repeated], scores[repeated], "binary")))
    assert metric.weighted(prepared, counts[None, :].astype(float))[0] == pytest.approx(metric.value(resampled), abs=1e-12)
