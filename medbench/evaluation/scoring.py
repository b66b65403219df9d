"""Turn a task's outputs into the record's metrics, the same way at run time and at re-scoring.

Every metric comes from the registry (:mod:`medbench.metrics.registry`) and gets a bootstrap
confidence interval as the task's `confidence` block says: percentile or BCa, stratified by the
target for single-label classification, and by whole clusters when the task names a
`cluster_column`. Every metric is also reported per level of each `subgroup_columns` column.

Where every resample gives the same value (specificity 1.0 on 90 negatives), the zero-width
interval is replaced by the exact Clopper-Pearson interval of the share of trials, or dropped with
the warning "n too small" where the metric is no share. A test class with fewer than
`SMALL_CLASS` samples is named in each metric's warning and logged when the run is scored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Optional

from medbench.errors import ConfigError, DataError, RecordError
from medbench.metrics.registry import Metric, Prepared, get_metric, prepare
from medbench.records.protocol import Protocol
from medbench.records.record import ConfidenceInterval, MetricValue, Metrics
from medbench.stats.bootstrap import Interval, Statistic, confidence_intervals
from medbench.stats.resampling import Resampler
from medbench.tasks.columns import SAMPLE_ID

if TYPE_CHECKING:
    from medbench.records.record import RunRecord
    from medbench.tasks.outputs import TaskOutputs

log = logging.getLogger(__name__)
# A test class with fewer samples than this is named in every metric's warning (and logged at run time).
SMALL_CLASS = 5


def check_protocol(protocol: Protocol) -> None:
    """Refuse a protocol whose metrics cannot be computed, or whose direction its primary metric contradicts, before anything runs."""
    metrics = check_metric_names(protocol.kind, protocol.metrics, protocol.primary)
    scale = next(metric.scale for metric in metrics if metric.name == protocol.primary)
    if protocol.direction != scale.direction:
        raise ConfigError(
            f"task.direction: {protocol.direction.value!r}, but {protocol.primary!r} is better {scale.better}; "
            f"write task.direction={scale.direction.value}"
        )


def check_metric_names(kind: str, metric_names: Sequence[str], primary: str) -> list[Metric]:
    """The registry's metrics for `metric_names`; ConfigError for an unknown one or a primary not computed."""
    metrics = []
    for name in metric_names:
        try:
            metrics.append(get_metric(kind, name))
        except ConfigError as error:
            raise ConfigError(f"task.metrics: {error}") from None
    if primary not in metric_names:
        raise ConfigError(f"task.primary_metric: {primary!r} is not among task.metrics {list(metric_names)}")
    return metrics


def score_outputs(outputs: "TaskOutputs", protocol: Protocol) -> Metrics:
    """Every metric of `protocol` on `outputs`, with intervals, overall and per subgroup."""
    metrics = check_metric_names(protocol.kind, protocol.metrics, protocol.primary)
    prepared = prepare(protocol.kind, outputs)
    subgroups = {
        column: {
            level: _scored_metrics(prepare(protocol.kind, subset), metrics, protocol)
            for level, subset in subgroup_outputs(outputs, column)
        }
        for column in protocol.subgroup_columns
    }
    values = _scored_metrics(prepared, metrics, protocol)
    for warning in dict.fromkeys(value.warning for value in values.values() if value.warning):
        log.warning("%s: %s", protocol.name, warning)
    return Metrics(
        primary=protocol.primary,
        direction=protocol.direction,
        n_samples=len(prepared),
        values=values,
        subgroups=subgroups,
    )


def small_classes_warning(prepared: Prepared) -> Optional[str]:
    """Names the test classes with fewer than SMALL_CLASS samples (positives, for labels), or None."""
    small = {name: size for name, size in prepared.class_sizes.items() if size < SMALL_CLASS}
    if not small:
        return None
    listed = ", ".join(f"class {name}: {size}" if not name.startswith("label") else f"{name}: {size}" for name, size in small.items())
    return f"test classes with fewer than {SMALL_CLASS} samples ({listed}): their per-class and macro estimates rest on too few samples"


def _scored_metrics(prepared: Prepared, metrics: list[Metric], protocol: Protocol) -> dict[str, MetricValue]:
    points = {metric.name: metric.value(prepared) for metric in metrics}
    small = small_classes_warning(prepared)
    if len(prepared) == 0:
        return {name: MetricValue(value=value, warning=small) for name, value in points.items()}
    statistics = {metric.name: statistic_of(metric, prepared) for metric in metrics}
    resampler, unit = resampler_of(prepared, protocol.cluster_column)
    confidence = protocol.confidence
    intervals = confidence_intervals(
        statistics,
        points,
        resampler,
        method=confidence.method,
        level=confidence.level,
        n_resamples=confidence.n_resamples,
        seed=confidence.seed,
    )
    values = {}
    for metric in metrics:
        name, point, found = metric.name, points[metric.name], intervals[metric.name]
        ci, warning = None, small
        if found is not None and found.low == found.high:
            # Every resample gave the same value: a zero-width interval would read as certainty.
            found, degenerate = _exact_interval(metric, prepared, resampler, found)
            warning = warning or degenerate
        if found is not None:
            ci = ConfidenceInterval(
                low=found.low,
                high=found.high,
                level=found.level,
                method=found.method,
                n_resamples=found.n_resamples,
                resampling_unit=unit,
                stratified=resampler.stratified,
            )
        values[name] = MetricValue(value=point, ci=ci, warning=warning)
    return values


def _exact_interval(metric: Metric, prepared: Prepared, resampler: Resampler, collapsed: Interval) -> tuple[Optional[Interval], Optional[str]]:
    """The Clopper-Pearson interval of a share of trials whose bootstrap collapsed to a point; None and "n too small" otherwise.

    With clusters, the trials are the clusters (all of whose units then score the same)."""
    from medbench.stats.proportion import clopper_pearson

    counts = metric.proportion(prepared)
    if counts is None or counts[1] <= 0:
        return None, f"n too small: every resample gives {collapsed.low:.4g}, so no bootstrap interval can be drawn"
    successes, trials = counts
    if resampler.clusters is not None:
        successes, trials = successes / trials * resampler.n_items, float(resampler.n_items)
    low, high = clopper_pearson(successes, trials, collapsed.level)
    return Interval(low, high, collapsed.level, "clopper-pearson", 0), None


def statistic_of(metric: Metric, prepared: Prepared) -> Statistic:
    """`metric` on `prepared` as the bootstrap evaluates it."""
    unit_values = metric.unit_values(prepared) if metric.per_unit else None
    return Statistic(partial(metric.weighted, prepared), unit_values)


def resampler_of(prepared: Prepared, cluster_column: Optional[str]) -> tuple[Resampler, str]:
    """How `prepared` is resampled, and the name of what is drawn (as metrics.json records it)."""
    if not cluster_column:
        return Resampler.build(len(prepared), strata=prepared.strata), prepared.unit_name
    if cluster_column not in prepared.metadata.columns:
        raise DataError(
            f"task.cluster_column: {cluster_column!r} is not a column of the predictions "
            f"(they have {list(prepared.metadata.columns)})"
        )
    clusters = prepared.metadata[cluster_column].to_numpy()
    return Resampler.build(len(prepared), clusters=clusters, strata=prepared.strata), f"cluster:{cluster_column}"


def subgroup_outputs(outputs: "TaskOutputs", column: str):
    """(level, outputs restricted to that level) for each level of a metadata column."""
    from medbench.tasks.outputs import TaskOutputs

    frame = outputs.predictions
    if column not in frame.columns:
        raise DataError(f"task.subgroup_columns: {column!r} is not a column of the predictions (they have {list(frame.columns)})")
    labels = frame[column].astype("string").fillna("<missing>")
    for level in sorted(labels.unique()):
        rows = frame[(labels == level).to_numpy()]
        qrels = outputs.qrels
        if qrels is not None:
            qrels = qrels[qrels[SAMPLE_ID].isin(rows[SAMPLE_ID].unique())]
        yield str(level), TaskOutputs(rows.reset_index(drop=True), qrels)


def point_values(outputs: "TaskOutputs", kind: str, metric_names: Sequence[str]) -> dict[str, float]:
    """Point values only, without intervals (quick checks, agreement tests)."""
    prepared = prepare(kind, outputs)
    return {name: get_metric(kind, name).value(prepared) for name in metric_names}


def record_outputs(record: "RunRecord") -> "TaskOutputs":
    """The stored outputs of a complete record, as a run handed them to :func:`score_outputs`."""
    from medbench.tasks.outputs import TaskOutputs

    if not record.complete:
        raise RecordError(f"{record.path}: the run failed; it has no predictions to score")
    return TaskOutputs(record.predictions(), record.qrels())
