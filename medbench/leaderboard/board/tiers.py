"""Tiers, baseline tests and side-by-side pairs: what paired tests on the per-sample predictions say.

Every test here is `medbench.evaluation.comparison.compare_paired` with the method `default_method` picks
(DeLong for a binary AUROC, paired bootstrap otherwise) and the task's own confidence block, so a
pair reads the same p-value and interval here, on the page and in `medbench compare`; the interval
and the p-value come from that one procedure, so the interval excludes 0 exactly when p is below
alpha, and alpha is 1 - the task's confidence level (0.05 for 95% intervals).

Tiers. Ranked entries are taken in rank order. The best entry not yet placed opens a tier and is
compared with every entry below it on the primary metric; those p-values are Holm-corrected
together, and the tier takes the entries that follow, in rank order, up to the first one the
corrected test separates from the tier's leader (at alpha). The next tier opens at that entry.
Tiers are therefore runs of the ranking, and one tier holds entries that its leader cannot be said
to beat.

Baseline. Once the committee has chosen one, every ranked entry is compared with it: the
difference with its interval and the test's own p-value (one procedure, as `compare` prints them) and
that p-value Holm-corrected across all entries (as many tests as entries).

Curves. A binary board's ROC and calibration of the top `PAIR_LIMIT` entries and the board's
subgroup sizes come from the same outputs, aggregated (`curves`).

Pairs. For the page's side-by-side view, the top `PAIR_LIMIT` ranked entries are compared on every
metric with the baseline and with the leader; other pairs show their point difference and the
command that tests them.

All of it needs the statistics (numpy, pandas, scipy) but not torch. The ranked entries come
from `ranking.ranked_ids` and their per-sample outputs from the store (a folder board's stored
predictions, `folder.tiers`, which also caches the result; the committee's stored scores joined to
its hidden labels, `committee.publish`): this module reads no store.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from medbench.errors import Cancelled
from medbench.leaderboard.board.release import ReleasePolicy, rounded, rounded_or_none
from medbench.leaderboard.board.schema import BoardSpec, Entry

PAIR_LIMIT = 30


@dataclass(frozen=True)
class BaselineTest:
    difference: float  # entry − baseline on the primary metric
    low: Optional[float]
    high: Optional[float]
    p_holm: float  # Holm-corrected across every entry tested against the baseline
    method: str
    p_value: Optional[float] = None  # the test's own p-value, as `medbench compare` prints it
    level: Optional[float] = None
    procedure: str = ""  # where the interval and p come from (`PairedResult.procedure`)


@dataclass(frozen=True)
class PairTest:
    """One metric of `medbench compare A B` (A − B), kept for the page's side-by-side view."""

    value_a: float
    value_b: float
    difference: float
    low: Optional[float]
    high: Optional[float]
    level: Optional[float]
    p_value: Optional[float]  # None where undefined (no resample defined the metric)
    method: str
    procedure: str = ""


@dataclass(frozen=True)
class Tiers:
    tiers: dict[str, int] = field(default_factory=dict)
    versus_baseline: dict[str, BaselineTest] = field(default_factory=dict)
    note: str = "not computed (run `medbench leaderboard build`)"
    # "A:B" (full entry ids) → metric → the paired comparison of A with B.
    pairs: dict[str, dict[str, PairTest]] = field(default_factory=dict)
    # Drawn from the same per-sample outputs (`curves`): a binary entry's ROC and calibration
    # (the top PAIR_LIMIT ranked entries), and the board's subgroup sizes.
    curves: dict[str, dict[str, Any]] = field(default_factory=dict)
    subgroup_n: dict[str, dict[str, Optional[int]]] = field(default_factory=dict)


def pair_key(entry_a: str, entry_b: str) -> str:
    return f"{entry_a}:{entry_b}"


class PairedTests:
    """The paired tests of one board's entries: each entry's outputs read and prepared once, each pair tested once.

    A server keeps one between renders of a board (`committee.pages`): entry ids are content
    hashes and the truth an entry is joined to does not change, so a test of two ids stays true
    for as long as the board's kind, protocol and task version (`fits`) are the same (a newer
    version's entries are joined to its new labels). Entries whose truths are
    equal share one truth, so that each pair's check that they are comparable is an identity test.
    """

    def __init__(self, spec: BoardSpec, outputs: Callable[[str], Any]) -> None:
        self.key = _protocol_key(spec)
        self.task_version = spec.task_version  # whose truth the entries are joined to
        self._outputs = outputs
        self._cancelled = False
        self._runs: dict[str, Any] = {}
        self._truths: list[Any] = []  # one run of each distinct truth seen
        self._results: dict[tuple[str, str, str], Any] = {}

    def fits(self, spec: BoardSpec) -> bool:
        return self.key == _protocol_key(spec) and self.task_version == spec.task_version

    def run(self, entry_id: str) -> Any:
        """The entry's `PairedRun`."""
        self._check_cancelled()
        if entry_id not in self._runs:
            from medbench.evaluation.comparison import PairedRun

            run = PairedRun(self._outputs(entry_id), self.key[0])
            if not any(run.share_truth(known) for known in self._truths):
                self._truths.append(run)
            self._runs[entry_id] = run
        return self._runs[entry_id]

    def compare(self, entry_a: str, entry_b: str, metric: str) -> Any:
        """`compare_paired` of the two entries on `metric`, by the method and confidence of the board."""
        self._check_cancelled()
        if (entry_a, entry_b, metric) not in self._results:
            from medbench.evaluation.comparison import compare_runs, default_method

            kind, confidence, cluster = self.key
            self._results[(entry_a, entry_b, metric)] = compare_runs(
                self.run(entry_a), self.run(entry_b), metric,
                method=default_method(kind, metric, cluster), confidence=confidence, cluster_column=cluster,
            )
        return self._results[(entry_a, entry_b, metric)]

    def cancel(self) -> None:
        """Make the render using these tests stop at its next test (`Cancelled`): a server shutting down."""
        self._cancelled = True

    def _check_cancelled(self) -> None:
        if self._cancelled:
            raise Cancelled("the paired tests were cancelled (the server is shutting down)")

    def keep_only(self, entry_ids: Collection[str]) -> None:
        """Forget the entries not in `entry_ids` (and their tests): what is kept is one board's worth."""
        kept = set(entry_ids)
        self._runs = {entry_id: run for entry_id, run in self._runs.items() if entry_id in kept}
        self._results = {key: result for key, result in self._results.items() if key[0] in kept and key[1] in kept}
        self._truths = [run for run in self._truths if any(run is kept_run for kept_run in self._runs.values())]


def _protocol_key(spec: BoardSpec) -> tuple[str, Any, Optional[str]]:
    """What a paired test depends on besides the two entries: the kind, the confidence block, the cluster column."""
    return spec.kind, spec.protocol.confidence, spec.protocol.cluster_column


def compute_tiers(
    spec: BoardSpec, entries: dict[str, Entry], current: list[str], outputs: "Callable[[str], Any] | PairedTests"
) -> Tiers:
    """Tiers, baseline tests and pairs of `current` (ranked ids). `outputs`: a function giving an
    entry's per-sample outputs, or the board's `PairedTests` kept from an earlier render (fitting `spec`)."""
    import numpy as np

    from medbench.evaluation.comparison import default_method
    from medbench.stats.significance import holm

    tests = outputs if isinstance(outputs, PairedTests) else PairedTests(spec, outputs)
    if not tests.fits(spec):
        raise ValueError("the kept paired tests were made for another kind or protocol than the board's")
    # The board's own protocol says how intervals are drawn and what is resampled together.
    confidence, cluster = spec.protocol.confidence, spec.protocol.cluster_column
    alpha = alpha_of(spec)

    def compare(a: str, b: str, metric: str = spec.primary):
        return tests.compare(a, b, metric)

    def outputs_of(entry_id: str) -> Any:
        return tests.run(entry_id).outputs

    tiers: dict[str, int] = {}
    start, tier = 0, 1
    while start < len(current):
        leader, rest = current[start], current[start + 1 :]
        adjusted = holm(np.array([compare(leader, other).p_value for other in rest])) if rest else np.array([])
        separated = next((i for i, p in enumerate(adjusted) if p < alpha), len(rest))
        for entry_id in current[start : start + 1 + separated]:
            tiers[entry_id] = tier
        start, tier = start + 1 + separated, tier + 1

    versus: dict[str, BaselineTest] = {}
    others = [entry_id for entry_id in current if entry_id != spec.baseline]
    if spec.baseline in current and others:
        results = [compare(entry_id, spec.baseline) for entry_id in others]
        adjusted = holm(np.array([result.p_value for result in results]))
        for entry_id, result, p in zip(others, results, adjusted):
            ci = result.ci
            versus[entry_id] = BaselineTest(
                result.difference, ci.low if ci else None, ci.high if ci else None, float(p), result.method,
                _finite(result.p_value), ci.level if ci else None, result.procedure,
            )

    pairs: dict[str, dict[str, PairTest]] = {}
    anchors = [entry_id for entry_id in (spec.baseline, current[0] if current else None) if entry_id in current]
    for entry_id in current[:PAIR_LIMIT]:
        for anchor in anchors:
            if entry_id != anchor and pair_key(anchor, entry_id) not in pairs:
                pairs[pair_key(entry_id, anchor)] = {metric: _pair(compare(entry_id, anchor, metric)) for metric in spec.metrics}
    method = default_method(spec.kind, spec.primary, cluster)
    procedure = "DeLong (interval and p from one standard error)" if method == "delong" else (
        f"paired bootstrap ({confidence.method}, {confidence.n_resamples} resamples; interval and p from the same resamples)"
    )
    note = (
        f"paired tests of {spec.primary} on the stored per-sample predictions by {procedure}, Holm-corrected, "
        f"alpha {alpha:g} (1 - the {confidence.level:g} confidence level); a tier ends at the first entry its leader beats"
    )
    from medbench.leaderboard.board.curves import binary_curves, subgroup_sizes

    curves = {entry_id: binary_curves(outputs_of(entry_id).predictions) for entry_id in current[:PAIR_LIMIT]} if spec.kind == "binary" else {}
    sizes = subgroup_sizes(outputs_of(current[0]).predictions, spec.protocol.subgroup_columns) if current else {}
    return Tiers(tiers, versus, note, pairs, curves, sizes)


def _pair(result: Any) -> PairTest:
    ci = result.ci
    return PairTest(
        result.value_a, result.value_b, result.difference, ci.low if ci else None, ci.high if ci else None,
        ci.level if ci else None, _finite(result.p_value), result.method, result.procedure,
    )


def alpha_of(spec: BoardSpec) -> float:
    """The significance level that matches the board's intervals: 1 - the task's confidence level."""
    return round(1.0 - spec.protocol.confidence.level, 12)


def _finite(value: float) -> Optional[float]:
    """JSON has no NaN: an undefined p-value is kept as None."""
    return float(value) if math.isfinite(value) else None


def released_tiers(policy: Optional[ReleasePolicy], tiers: Tiers, withheld: Collection[str]) -> Tiers:
    """The paired tests as the policy releases them: every difference, bound and p-value rounded to
    the resolution, only the public metrics, and nothing of an entry whose numbers the Ladder held
    (a test against it would give them away). Tier numbers are kept: they are coarser still."""
    if policy is None:
        return tiers
    step = policy.resolution
    versus = {
        entry_id: replace(
            test, difference=rounded(test.difference, step), low=rounded_or_none(test.low, step), high=rounded_or_none(test.high, step),
            p_holm=rounded(test.p_holm, step), p_value=rounded_or_none(test.p_value, step),
        )
        for entry_id, test in tiers.versus_baseline.items()
        if entry_id not in withheld
    }
    pairs = {}
    for key, tests in tiers.pairs.items():
        first, _, second = key.partition(":")
        if first in withheld or second in withheld:
            continue
        pairs[pair_key(first, second)] = {
            metric: replace(
                test, value_a=rounded(test.value_a, step), value_b=rounded(test.value_b, step),
                difference=rounded(test.difference, step), low=rounded_or_none(test.low, step), high=rounded_or_none(test.high, step),
                p_value=rounded_or_none(test.p_value, step),
            )
            for metric, test in tests.items()
            if metric in policy.public
        }
    # Curves are counts over coarse thresholds and bins; a held entry's would still describe it.
    curves = {entry_id: curve for entry_id, curve in tiers.curves.items() if entry_id not in withheld}
    return replace(tiers, tiers=dict(tiers.tiers), versus_baseline=versus, pairs=pairs, curves=curves)
