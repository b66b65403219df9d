"""Turn a predictions frame into the record's metrics, the same way at run time and at re-scoring."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from medbench.errors import ConfigError
from medbench.metrics.classification import BINARY_METRICS
from medbench.record import MetricValue, Metrics
from medbench.tasks.predictions import SCORE, TARGET

if TYPE_CHECKING:
    from medbench.tasks.outputs import TaskOutputs


def check_task(task: Any) -> None:
    """Refuse a task config whose metrics cannot be computed, before anything runs."""
    check_metric_names(_kind(task), list(task.metrics), task.primary_metric)


def score_task(outputs: "TaskOutputs", task: Any) -> Metrics:
    """The record's `metrics.json` for `outputs` under the protocol of `task` (a task config node)."""
    return score_predictions(
        outputs.predictions, _kind(task), list(task.metrics), task.primary_metric, _value(task.direction)
    )


def _kind(task: Any) -> str:
    return _value(task.kind)


def _value(field: Any) -> str:
    return str(getattr(field, "value", field))


def check_metric_names(kind: str, metric_names: Sequence[str], primary: str) -> None:
    """Refuse unknown metrics or a primary metric that is not computed, before a run starts."""
    if kind != "binary":
        raise ConfigError(f"task.kind: scoring of {kind!r} tasks is not available")
    unknown = [name for name in metric_names if name not in BINARY_METRICS]
    if unknown:
        raise ConfigError(f"task.metrics: unknown metric(s) {unknown} for a {kind} task; known: {sorted(BINARY_METRICS)}")
    if primary not in metric_names:
        raise ConfigError(f"task.primary_metric: {primary!r} is not among task.metrics {list(metric_names)}")


def score_predictions(
    frame: pd.DataFrame, kind: str, metric_names: Sequence[str], primary: str, direction: str
) -> Metrics:
    """Every requested metric of `frame`."""
    check_metric_names(kind, metric_names, primary)
    targets, scores = frame[TARGET].to_numpy(), frame[SCORE].to_numpy()
    values = {name: MetricValue(value=BINARY_METRICS[name](targets, scores)) for name in metric_names}
    return Metrics(primary=primary, direction=direction, n_samples=len(frame), values=values)
