"""Paired comparison of two runs scored on the same test units: is A really better than B?

Public entry point (what `medbench compare` and the leaderboard's tiers call)::

    from medbench.evaluation.comparison import compare_paired
    result = compare_paired(outputs_a, outputs_b, kind="binary", metric="auroc",
                            method="delong", confidence=Confidence(), cluster_column=None)
    result.difference, result.ci.low, result.ci.high, result.p_value, result.method

* ``difference`` is metric(A) - metric(B) on the units both runs share (they must share all);
* ``ci`` and ``p_value`` (two-sided, H0: equal metric) are one answer from one procedure, so the
  interval excludes 0 exactly when p < 1 - level (``procedure`` says which, in words):
  - ``"bootstrap"`` (any metric): both runs on the same paired resamples (stratified by target, by
    whole clusters when `cluster_column` is given); the interval is the task's percentile or BCa
    interval of the difference, and the p-value inverts that interval on the same resamples;
  - ``"delong"`` (binary ``auroc``): DeLong's standard error of the difference gives the normal
    interval and the z-test's p-value;
  - ``"permutation"`` (any metric) and ``"mcnemar"`` (per-sample 0/1 metrics such as accuracy),
    on request only (`medbench compare --method`): their p-value has no interval of its own, so
    the interval is the paired bootstrap's and ``procedure`` says that the two may disagree.
  McNemar and DeLong assume independent samples and are refused with a cluster column.

Runs whose units (sample or query ids) or ground truth (targets, qrels) differ are refused with a
:class:`DataError`: a difference on different samples is not a paired comparison. The numbers
themselves come from :mod:`medbench.stats` (numpy only); this module prepares the task's outputs
for it. Correct the p-values of one entry against many with :func:`medbench.stats.significance.holm`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np
import pandas as pd

from medbench.errors import ConfigError, DataError
from medbench.metrics.registry import Metric, Prepared, get_metric, prepare
from medbench.records.protocol import Confidence
from medbench.evaluation.scoring import resampler_of, statistic_of
from medbench.stats.bootstrap import Interval, distributions, interval, jackknife, p_value_of_zero
from medbench.stats.paired import paired_difference, permutation_p_value, swaps
from medbench.stats.significance import DeLongComponents, delong_components, delong_interval, delong_of, delong_test, mcnemar_test
from medbench.tasks.columns import DOC_ID, SAMPLE_ID, TARGET

if TYPE_CHECKING:
    from medbench.tasks.outputs import TaskOutputs

METHODS = ("bootstrap", "permutation", "mcnemar", "delong")


@dataclass(frozen=True)
class PairedResult:
    metric: str
    value_a: float
    value_b: float
    difference: float  # value_a - value_b
    ci: Optional[Interval]  # interval of the difference, from `procedure`
    p_value: float  # two-sided, from `procedure`
    method: str
    n_units: int
    resampling_unit: str
    procedure: str  # where the interval and the p-value come from, as the board and `compare` print it


def default_method(kind: str, metric: str, cluster_column: Optional[str] = None) -> str:
    """The one p-value method for a pair, used by `medbench compare` and the board alike.

    The task kind's preferred test where it has one and samples are independent (DeLong for a
    binary AUROC: exact, no resampling noise); the paired bootstrap otherwise (any metric, clusters
    respected). Before both used this, the board showed DeLong's p-value Holm-corrected across
    every entry while `compare` showed the raw bootstrap one, so one pair could read 0.56 on the
    page and 0.41 in the terminal.
    """
    from medbench.tasks.registry import get_kind

    preferred = get_kind(kind).paired_test(metric)
    return preferred if preferred and cluster_column is None else "bootstrap"


def compare_paired(
    outputs_a: "TaskOutputs",
    outputs_b: "TaskOutputs",
    kind: str,
    metric: str,
    *,
    method: str = "bootstrap",
    confidence: Optional[Confidence] = None,
    cluster_column: Optional[str] = None,
    n_permutations: int = 1000,
) -> PairedResult:
    """Compare `metric` of two runs on the same units (see the module docstring)."""
    return compare_runs(
        PairedRun(outputs_a, kind), PairedRun(outputs_b, kind), metric,
        method=method, confidence=confidence, cluster_column=cluster_column, n_permutations=n_permutations,
    )


class PairedRun:
    """One run's outputs as its paired comparisons read them, each part computed once.

    A board compares one entry with many others; checking its truth and preparing its outputs
    again for every pair was most of a board's render. Two runs whose truths are equal may share
    one truth object (`share_truth`), which makes the check of each of their pairs an identity test.
    """

    def __init__(self, outputs: "TaskOutputs", kind: str) -> None:
        self.outputs, self.kind = outputs, kind
        self._truth: Optional[pd.DataFrame] = None
        self._prepared: Optional[Prepared] = None
        self._unique_units: Optional[bool] = None
        self._delong: Optional[DeLongComponents] = None

    @property
    def ids(self) -> set[str]:
        return set(self.outputs.predictions[SAMPLE_ID].astype(str))

    @property
    def truth(self) -> pd.DataFrame:
        if self._truth is None:
            self._truth = _truth(self.outputs)
        return self._truth

    @property
    def prepared(self) -> Prepared:
        if self._prepared is None:
            self._prepared = prepare(self.kind, self.outputs)
        return self._prepared

    @property
    def unique_units(self) -> bool:
        if self._unique_units is None:
            self._unique_units = bool(pd.Index(self.prepared.units).is_unique)
        return self._unique_units

    def delong(self) -> DeLongComponents:
        """This run's part of DeLong's test, in its own unit order (binary AUROC)."""
        if self._delong is None:
            self._delong = delong_components(self.prepared.data.targets, self.prepared.data.scores)
        return self._delong

    def share_truth(self, other: "PairedRun") -> bool:
        """Take `other`'s truth object when both runs have the same units and truth; say whether they do."""
        if self._truth is not None and self._truth is other._truth:
            return True
        mine, theirs = self.outputs, other.outputs
        columns = _truth_columns(mine.predictions)
        # The truth columns equal as stored (unsorted): then the truths, sorted, are equal too.
        same_raw = columns == _truth_columns(theirs.predictions) and all(
            mine.predictions[column].equals(theirs.predictions[column]) for column in columns
        ) and (mine.qrels is theirs.qrels or (mine.qrels is not None and theirs.qrels is not None and mine.qrels.equals(theirs.qrels)))
        if not same_raw and (self.ids != other.ids or not self.truth.equals(other.truth)):
            return False
        self._truth = other.truth
        return True


def compare_runs(
    run_a: PairedRun,
    run_b: PairedRun,
    metric: str,
    *,
    method: str = "bootstrap",
    confidence: Optional[Confidence] = None,
    cluster_column: Optional[str] = None,
    n_permutations: int = 1000,
) -> PairedResult:
    """`compare_paired` of two prepared runs of one kind."""
    if method not in METHODS:
        raise ConfigError(f"paired comparison method {method!r} is not one of {list(METHODS)}")
    confidence = confidence or Confidence()
    kind = run_a.kind
    check_same_truth(run_a, run_b)
    chosen = get_metric(kind, metric)
    prepared_a, prepared_b = run_a.prepared, run_b.prepared
    same_order = _same_order(run_a, run_b)
    to_b = np.arange(len(prepared_a)) if same_order else alignment(prepared_a.units, prepared_b.units)
    resampler, unit = resampler_of(prepared_a, cluster_column)

    value_a, value_b = chosen.value(prepared_a), chosen.value(prepared_b)
    if method in ("delong", "mcnemar") and cluster_column:
        raise ConfigError(f"{method} assumes independent samples; with cluster_column={cluster_column!r} use method=bootstrap or permutation")
    if method == "delong":
        ci, p_value = _delong(chosen, kind, run_a, run_b, None if same_order else to_b, confidence.level)
        procedure = f"DeLong: interval and p-value from one standard error ({len(prepared_a)} {unit}s)"
        return PairedResult(metric, value_a, value_b, value_a - value_b, ci, p_value, method, len(prepared_a), unit, procedure)

    difference = paired_difference(statistic_of(chosen, prepared_a), statistic_of(chosen, prepared_b), np.argsort(to_b))
    boot = distributions({"difference": difference}, resampler, confidence.n_resamples, confidence.seed)["difference"]
    jack = jackknife(difference, resampler) if confidence.method == "bca" else None
    ci = interval(value_a - value_b, boot, confidence.level, confidence.method, jack)
    resamples = f"paired bootstrap ({confidence.method}, {len(boot)} resamples of {unit}s)"
    if method == "bootstrap":
        p_value = p_value_of_zero(value_a - value_b, boot, confidence.method, jack) if ci is not None else float("nan")
        procedure = f"{resamples}: interval and p-value from the same resamples"
    elif method == "permutation":
        item_of_unit = resampler.clusters if resampler.clusters is not None else np.arange(len(prepared_a))
        swapped = swaps(item_of_unit, resampler.n_items, n_permutations, confidence.seed)
        p_value = permutation_p_value(
            value_a - value_b,
            swapped,
            unit_differences=difference.unit_values,
            difference_after=None if chosen.per_unit else _swapped_difference(chosen, run_a.outputs, run_b.outputs, kind, prepared_a),
        )
        procedure = f"interval: {resamples}; p-value: permutation test ({n_permutations} swaps): two procedures, which may disagree"
    else:
        p_value = _mcnemar_p_value(chosen, prepared_a, prepared_b, to_b)
        procedure = f"interval: {resamples}; p-value: exact McNemar test: two procedures, which may disagree"
    return PairedResult(metric, value_a, value_b, value_a - value_b, ci, p_value, method, len(prepared_a), unit, procedure)


def check_same_truth(run_a: PairedRun, run_b: PairedRun) -> None:
    """Refuse two runs whose units or ground truth differ."""
    if run_a.truth is run_b.truth:
        return
    ids_a, ids_b = run_a.ids, run_b.ids
    if ids_a != ids_b:
        only_a, only_b = sorted(ids_a - ids_b)[:3], sorted(ids_b - ids_a)[:3]
        raise DataError(
            f"the two runs were not scored on the same samples ({len(ids_a - ids_b)} only in A, e.g. {only_a}; "
            f"{len(ids_b - ids_a)} only in B, e.g. {only_b}): a paired comparison needs the same test set"
        )
    if not run_a.truth.equals(run_b.truth):
        raise DataError("the two runs disagree on the ground truth (targets or qrels) of the same samples: not the same task")


def _truth_columns(frame: pd.DataFrame) -> list[str]:
    return [SAMPLE_ID] + [c for c in frame.columns if str(c) == TARGET or str(c).startswith(f"{TARGET}_")]


def _truth(outputs: "TaskOutputs") -> pd.DataFrame:
    frame = outputs.predictions
    if outputs.qrels is not None:
        truth = outputs.qrels.astype({SAMPLE_ID: str, DOC_ID: str})
        return truth.sort_values([SAMPLE_ID, DOC_ID]).reset_index(drop=True)
    truth = frame[_truth_columns(frame)].astype({SAMPLE_ID: str})
    return truth.sort_values(SAMPLE_ID).reset_index(drop=True)


def alignment(units_a: np.ndarray, units_b: np.ndarray) -> np.ndarray:
    """Index into B's units of each of A's units."""
    position = pd.Index(units_b).get_indexer(units_a)
    if len(units_a) != len(units_b) or (position < 0).any():
        raise DataError("the two runs do not evaluate the same units: a paired comparison needs the same test set")
    return position


def _swapped_difference(chosen: Metric, outputs_a: "TaskOutputs", outputs_b: "TaskOutputs", kind: str, prepared_a: Prepared):
    """The metric difference after swapping whole prediction rows (one row per unit) between A and B."""
    from medbench.tasks.outputs import TaskOutputs

    frame_a = outputs_a.predictions.set_index(outputs_a.predictions[SAMPLE_ID].astype(str))
    frame_b = outputs_b.predictions.set_index(outputs_b.predictions[SAMPLE_ID].astype(str))
    if not frame_a.index.is_unique:
        raise ConfigError(f"a permutation test of {chosen.name!r} needs one prediction row per unit")
    frame_a = frame_a.loc[prepared_a.units]
    frame_b = frame_b.loc[prepared_a.units][frame_a.columns]

    def difference_after(swap: np.ndarray) -> float:
        mixed_a = frame_a.where(~pd.Series(swap, index=frame_a.index), frame_b, axis=0).reset_index(drop=True)
        mixed_b = frame_b.where(~pd.Series(swap, index=frame_b.index), frame_a, axis=0).reset_index(drop=True)
        return chosen.value(prepare(kind, TaskOutputs(mixed_a))) - chosen.value(prepare(kind, TaskOutputs(mixed_b)))

    return difference_after


def _same_order(run_a: PairedRun, run_b: PairedRun) -> bool:
    """Whether both runs list the same units in the same order, once each (their alignment is then the identity)."""
    units_a, units_b = run_a.prepared.units, run_b.prepared.units
    return len(units_a) == len(units_b) and run_b.unique_units and bool(np.array_equal(units_a, units_b))


def _delong(
    chosen: Metric, kind: str, run_a: PairedRun, run_b: PairedRun, to_b: Optional[np.ndarray], level: float
) -> tuple[Optional[Interval], float]:
    """DeLong's interval and p-value; from each run's own components when B's units are in A's order (`to_b` None) with A's targets."""
    from medbench.tasks.registry import get_kind

    if get_kind(kind).paired_test(chosen.name) != "delong":
        raise ConfigError(f"DeLong's test compares binary AUROCs; {chosen.name!r} of a {kind} task needs method=bootstrap or permutation")
    data_a, data_b = run_a.prepared.data, run_b.prepared.data
    if to_b is None and np.array_equal(data_a.targets, data_b.targets):
        result = delong_of(run_a.delong(), run_b.delong())
    else:
        order = np.arange(len(data_b.scores)) if to_b is None else to_b
        result = delong_test(data_a.targets, data_a.scores, data_b.scores[order])
    low, high = delong_interval(result, level)
    return Interval(low, high, level, "delong", 0), result.p_value


def _mcnemar_p_value(chosen: Metric, prepared_a: Prepared, prepared_b: Prepared, to_b: np.ndarray) -> float:
    correct_a = chosen.unit_values(prepared_a) if chosen.per_unit else None
    if correct_a is None or not np.isin(correct_a, (0.0, 1.0)).all():
        raise ConfigError(f"McNemar's test compares per-sample right/wrong outcomes (accuracy); {chosen.name!r} is not one")
    return mcnemar_test(correct_a, chosen.unit_values(prepared_b)[to_b]).p_value
