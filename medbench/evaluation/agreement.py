"""Do two sets of metrics agree? The one rule for reproductions, rescorings and a record's claims.

Two values of a metric agree within `tolerance` when the largest absolute difference over the
value and its interval bounds is at most `tolerance`. Both undefined (NaN) agree; one undefined,
or an interval on one side only, never agrees; a metric on one side only never agrees. The same
rule decides a `medbench reproduce` of a record or bundle (`reproduce.outcome`), a committee's
rescoring of a rerun's predictions (`CommitteeStore.record_reproduction`) and whether a record's
`metrics.json` says what its predictions give (`board.entries.claimed_differences`). The
default tolerances are defined here and nowhere else.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from medbench.records.record import MetricValue

# A deterministic CPU rerun, or a record's claim against its own predictions: bit-identical.
EXACT = 0.0
# A rerun on a GPU or by a non-deterministic trainer: bit-identical results are not expected.
NONDETERMINISTIC_TOLERANCE = 1e-4
# A committee scoring a rerun's predictions on its server: the numbers differ by summation order at
# most. A board's release policy may loosen it up to the maximum, never beyond: past it a "match"
# would unlock approval for predictions that merely resemble the entry's.
RESCORING_TOLERANCE = 1e-6
MAX_RESCORING_TOLERANCE = 1e-3


def difference(before: Optional["MetricValue"], after: Optional["MetricValue"]) -> Optional[float]:
    """The largest absolute difference over the value and the interval bounds; None when a side lacks the metric.

    Bounds are compared only between intervals drawn by the same method: a record made before
    medbench drew collapsed intervals exactly (a percentile [1, 1] that is now Clopper-Pearson) has
    the same predictions and value, and an interval of another method is not a different result."""
    if before is None or after is None:
        return None
    pairs = [(before.value, after.value)]
    if before.ci is not None or after.ci is not None:
        if before.ci is None or after.ci is None:
            return math.inf
        if before.ci.method == after.ci.method:
            pairs += [(before.ci.low, after.ci.low), (before.ci.high, after.ci.high)]
    return max(_difference(a, b) for a, b in pairs)


def agree(before: Optional["MetricValue"], after: Optional["MetricValue"], tolerance: float) -> bool:
    found = difference(before, after)
    return found is not None and found <= tolerance


def disagreeing(original: Mapping[str, "MetricValue"], reproduced: Mapping[str, "MetricValue"], tolerance: float) -> list[str]:
    """The metrics, of either side, that do not agree within `tolerance` (sorted by name)."""
    return [name for name in sorted(set(original) | set(reproduced)) if not agree(original.get(name), reproduced.get(name), tolerance)]


def _difference(a: float, b: float) -> float:
    if math.isnan(a) and math.isnan(b):
        return 0.0
    found = abs(a - b)
    return math.inf if math.isnan(found) else found
