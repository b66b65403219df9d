"""Paired comparison of two runs scored on the same test units: is A really better than B?

Public entry point (what leaderboards call to build tiers)::

    from medbench.stats.paired import compare_paired
    result = compare_paired(outputs_a, outputs_b, kind="binary", metric="auroc",
                            method="delong", confidence=Confidence(), cluster_column=None)
    result.difference, result.ci.low, result.ci.high, result.p_value, result.method

* ``difference`` is metric(A) - metric(B) on the units both runs share (they must share all);
* ``ci`` is always the paired-bootstrap interval of the difference: both runs are evaluated on
  the same resamples (stratified by target, by whole clusters when `cluster_column` is given),
  so their correlation is kept and the interval is narrower than two separate ones suggest;
* ``p_value`` (two-sided, H0: equal metric) comes from `method`:
  - ``"bootstrap"`` (any metric): twice the share of bootstrap differences on the far side of 0;
  - ``"permutation"`` (any metric): A's and B's outputs swapped unit by unit (cluster by cluster)
    at random; sign flips of per-unit differences for per-unit metrics;
  - ``"mcnemar"`` (per-sample 0/1 metrics such as accuracy): exact McNemar test;
  - ``"delong"`` (binary ``auroc``): DeLong's test of correlated AUROCs;
  McNemar and DeLong assume independent samples and are refused with a cluster column.

Runs whose units (sample or query ids) or ground truth (targets, qrels) differ are refused with a
:class:`DataError`: a difference on different samples is not a paired comparison.
Correct the p-values of one entry against many with :func:`medbench.stats.significance.holm`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

import numpy as np
import pandas as pd

from medbench.errors import ConfigError, DataError
from medbench.metrics.registry import Metric, Prepared, get_metric, prepare
from medbench.stats.bootstrap import Interval, Statistic, distributions, interval, jackknife
from medbench.stats.resampling import Resampler
from medbench.stats.significance import delong_test, mcnemar_test

if TYPE_CHECKING:
    from medbench.scoring import Confidence
    from medbench.tasks.outputs import TaskOutputs

METHODS = ("bootstrap", "permutation", "mcnemar", "delong")
SAMPLE_ID = "sample_id"


@dataclass(frozen=True)
class PairedResult:
    metric: str
    value_a: float
    value_b: float
    difference: float  # value_a - value_b
    ci: Optional[Interval]  # paired-bootstrap interval of the difference
    p_value: float  # two-sided, from `method`
    method: str
    n_units: int
    resampling_unit: str


def compare_paired(
    outputs_a: "TaskOutputs",
    outputs_b: "TaskOutputs",
    kind: str,
    metric: str,
    *,
    method: str = "bootstrap",
    confidence: Optional["Confidence"] = None,
    cluster_column: Optional[str] = None,
    n_permutations: int = 1000,
) -> PairedResult:
    """Compare `metric` of two runs on the same units (see the module docstring)."""
    from medbench.scoring import Confidence, resampler_of, statistic_of

    if method not in METHODS:
        raise ConfigError(f"paired comparison method {method!r} is not one of {list(METHODS)}")
    confidence = confidence or Confidence()
    confidence.check()
    check_same_truth(outputs_a, outputs_b)
    chosen = get_metric(kind, metric)
    prepared_a, prepared_b = prepare(kind, outputs_a), prepare(kind, outputs_b)
    to_b = alignment(prepared_a.units, prepared_b.units)
    resampler, unit = resampler_of(prepared_a, cluster_column)

    statistic_a, statistic_b = statistic_of(chosen, prepared_a), statistic_of(chosen, prepared_b)
    from_a = np.argsort(to_b)  # B's unit j is A's unit from_a[j]: it takes that unit's draw count
    difference = Statistic(lambda weights: statistic_a.weighted(weights) - statistic_b.weighted(weights[:, from_a]))
    if chosen.per_unit:
        difference = Statistic(difference.weighted, statistic_a.unit_values - statistic_b.unit_values[to_b])
    value_a, value_b = chosen.value(prepared_a), chosen.value(prepared_b)
    boot = distributions({"difference": difference}, resampler, confidence.n_resamples, confidence.seed)["difference"]
    jack = jackknife(difference, resampler) if confidence.method == "bca" else None
    ci = interval(value_a - value_b, boot, confidence.level, confidence.method, jack)

    if method == "bootstrap":
        p_value = _bootstrap_p_value(boot)
    elif method == "permutation":
        p_value = _permutation_p_value(chosen, outputs_a, outputs_b, kind, prepared_a, prepared_b, to_b, resampler, n_permutations, confidence.seed)
    else:
        if cluster_column:
            raise ConfigError(f"{method} assumes independent samples; with cluster_column={cluster_column!r} use method=bootstrap or permutation")
        p_value = _classical_p_value(method, chosen, kind, prepared_a, prepared_b, to_b)
    return PairedResult(metric, value_a, value_b, value_a - value_b, ci, p_value, method, len(prepared_a), unit)


def default_method(kind: str, metric: str, cluster_column: Optional[str] = None) -> str:
    """The one p-value method for a pair, used by `medbench compare` and the board alike.

    DeLong's test for a binary AUROC on independent samples (exact, no resampling noise); the
    paired bootstrap otherwise (any metric, clusters respected). Before both used this, the board
    showed DeLong's p-value Holm-corrected across every entry while `compare` showed the raw
    bootstrap one, so one pair could read 0.56 on the page and 0.41 in the terminal.
    """
    return "delong" if (kind, metric, cluster_column) == ("binary", "auroc", None) else "bootstrap"


def check_same_truth(outputs_a: "TaskOutputs", outputs_b: "TaskOutputs") -> None:
    """Refuse two runs whose units or ground truth differ."""
    ids_a, ids_b = set(outputs_a.predictions[SAMPLE_ID].astype(str)), set(outputs_b.predictions[SAMPLE_ID].astype(str))
    if ids_a != ids_b:
        only_a, only_b = sorted(ids_a - ids_b)[:3], sorted(ids_b - ids_a)[:3]
        raise DataError(
            f"the two runs were not scored on the same samples ({len(ids_a - ids_b)} only in A, e.g. {only_a}; "
            f"{len(ids_b - ids_a)} only in B, e.g. {only_b}): a paired comparison needs the same test set"
        )
    if not _truth(outputs_a).equals(_truth(outputs_b)):
        raise DataError("the two runs disagree on the ground truth (targets or qrels) of the same samples: not the same task")


def _truth(outputs: "TaskOutputs") -> pd.DataFrame:
    frame = outputs.predictions
    if outputs.qrels is not None:
        truth = outputs.qrels.astype({SAMPLE_ID: str, "doc_id": str})
        return truth.sort_values([SAMPLE_ID, "doc_id"]).reset_index(drop=True)
    columns = [SAMPLE_ID] + [c for c in frame.columns if str(c) == "target" or str(c).startswith("target_")]
    truth = frame[columns].astype({SAMPLE_ID: str})
    return truth.sort_values(SAMPLE_ID).reset_index(drop=True)


def alignment(units_a: np.ndarray, units_b: np.ndarray) -> np.ndarray:
    """Index into B's units of each of A's units."""
    position = pd.Index(units_b).get_indexer(units_a)
    if len(units_a) != len(units_b) or (position < 0).any():
        raise DataError("the two runs do not evaluate the same units: a paired comparison needs the same test set")
    return position


def _bootstrap_p_value(boot: np.ndarray) -> float:
    valid = boot[np.isfinite(boot)]
    if len(valid) == 0:
        return float("nan")
    below, above = np.count_nonzero(valid <= 0), np.count_nonzero(valid >= 0)
    return float(min(1.0, 2 * (min(below, above) + 1) / (len(valid) + 1)))


def _permutation_p_value(
    chosen: Metric,
    outputs_a: "TaskOutputs",
    outputs_b: "TaskOutputs",
    kind: str,
    prepared_a: Prepared,
    prepared_b: Prepared,
    to_b: np.ndarray,
    resampler: Resampler,
    n_permutations: int,
    seed: int,
) -> float:
    """Share of random A/B swaps (per unit, or per cluster) whose |difference| reaches the observed one."""
    rng = np.random.default_rng(seed)
    item_of_unit = resampler.clusters if resampler.clusters is not None else np.arange(len(prepared_a))
    swaps = rng.random((n_permutations, resampler.n_items)) < 0.5
    swapped_units = swaps[:, item_of_unit]
    if chosen.per_unit:
        delta = chosen.unit_values(prepared_a) - chosen.unit_values(prepared_b)[to_b]
        observed = delta.mean()
        permuted = np.where(swapped_units, -delta, delta).mean(axis=1)
    else:
        observed = chosen.value(prepared_a) - chosen.value(prepared_b)
        permuted = _swapped_differences(chosen, outputs_a, outputs_b, kind, prepared_a, swapped_units)
    permuted = permuted[np.isfinite(permuted)]
    extreme = np.count_nonzero(np.abs(permuted) >= abs(observed) - 1e-12)
    return float((extreme + 1) / (len(permuted) + 1))


def _swapped_differences(
    chosen: Metric, outputs_a: "TaskOutputs", outputs_b: "TaskOutputs", kind: str, prepared_a: Prepared, swapped: np.ndarray
) -> np.ndarray:
    """Metric differences after swapping whole prediction rows (one row per unit) between A and B."""
    from medbench.tasks.outputs import TaskOutputs

    frame_a = outputs_a.predictions.set_index(outputs_a.predictions[SAMPLE_ID].astype(str))
    frame_b = outputs_b.predictions.set_index(outputs_b.predictions[SAMPLE_ID].astype(str))
    if not frame_a.index.is_unique:
        raise ConfigError(f"a permutation test of {chosen.name!r} needs one prediction row per unit")
    frame_a = frame_a.loc[prepared_a.units]
    frame_b = frame_b.loc[prepared_a.units][frame_a.columns]
    differences = np.empty(len(swapped))
    for row, swap in enumerate(swapped):
        mixed_a = frame_a.where(~pd.Series(swap, index=frame_a.index), frame_b, axis=0).reset_index(drop=True)
        mixed_b = frame_b.where(~pd.Series(swap, index=frame_b.index), frame_a, axis=0).reset_index(drop=True)
        differences[row] = chosen.value(prepare(kind, TaskOutputs(mixed_a))) - chosen.value(prepare(kind, TaskOutputs(mixed_b)))
    return differences


def _classical_p_value(method: str, chosen: Metric, kind: str, prepared_a: Prepared, prepared_b: Prepared, to_b: np.ndarray) -> float:
    if method == "delong":
        if kind != "binary" or chosen.family.name != "auroc":
            raise ConfigError(f"DeLong's test compares binary AUROCs; {chosen.name!r} of a {kind} task needs method=bootstrap or permutation")
        targets = prepared_a.data.targets
        return delong_test(targets, prepared_a.data.scores, prepared_b.data.scores[to_b]).p_value
    correct_a = chosen.unit_values(prepared_a) if chosen.per_unit else None
    if correct_a is None or not np.isin(correct_a, (0.0, 1.0)).all():
        raise ConfigError(f"McNemar's test compares per-sample right/wrong outcomes (accuracy); {chosen.name!r} is not one")
    return mcnemar_test(correct_a, chosen.unit_values(prepared_b)[to_b]).p_value
