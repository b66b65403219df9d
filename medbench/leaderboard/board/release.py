"""What a board releases of its numbers: the committee's release policy, one rule for both stores.

Aggregates computed on hidden labels are an oracle for those labels. A partner who scores sample j
of a group 2^-(j+2) (every score below 0.5) reads the number of positives from the accuracy and
the labels' bits from a full-precision Brier score: a 143-sample test set falls in one day's
quota. A board therefore releases what its policy says and no more (Kaggle's public numbers;
Blum & Hardt's *Ladder*, 2015):

* only the metrics the policy names, to the submitter and publicly, each value and interval bound
  rounded to `resolution`, which is never finer than 1/n_test (a count of one sample);
* with the Ladder rule, a new entry's numbers are released only when its primary metric beats its
  team's best released one by `resolution`; otherwise the board shows the team's best again and
  withholds the rest, so a probe that does not improve teaches nothing;
* subgroup metrics (computed on fewer samples, so finer per sample) only when the policy allows.

The full-precision numbers stay with the store, for the committee and the paired tests of the
export's tiers (whose differences and p-values are released rounded, `tiers.released_tiers`). The same policy bounds a reproduction (`reproductions_per_day` per reviewer,
answered match/no-match within `tolerance`). A folder board's records carry their own targets, so
nothing is hidden there and its spec has no policy (everything is released as computed).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Optional

from pydantic import Field

from medbench.errors import LeaderboardError
from medbench.evaluation.agreement import MAX_RESCORING_TOLERANCE, RESCORING_TOLERANCE
from medbench.io import Strict
from medbench.records.protocol import Protocol

DEFAULT_REPRODUCTIONS_PER_DAY = 5
# Entry fields that never leave the store: the salt that keeps the entry id from being a label oracle.
WITHHELD_FIELDS = frozenset({"salt"})


class ReleasePolicy(Strict):
    """Part of a hidden-label board's spec (`BoardSpec.release`), fixed at `medbench board create` and logged."""

    submitter: tuple[str, ...]  # metrics the submitter sees of their own entries
    public: tuple[str, ...]  # metrics the board page and the public export show
    intervals: bool = True
    subgroups: bool = False
    resolution: float  # every released value and bound is a multiple of it
    ladder: bool = True
    reproductions_per_day: int = Field(default=DEFAULT_REPRODUCTIONS_PER_DAY, ge=1)
    tolerance: float = RESCORING_TOLERANCE


@dataclass(frozen=True)
class Released:
    """One entry as an audience may see it: the entry's JSON with only the released numbers."""

    content: dict[str, Any]
    held: bool  # the Ladder kept the team's best: this entry's own numbers are not released


def finest_resolution(n_test: int) -> float:
    """The finest step allowed: the smallest 1, 2 or 5 × 10^k that is no finer than one sample in `n_test`."""
    floor = 1.0 / max(n_test, 1)
    exponent = math.floor(math.log10(floor))
    for power in (exponent, exponent + 1):
        for mantissa in (1, 2, 5):
            step = float(f"{mantissa}e{power}")
            if step >= floor * (1 - 1e-12):
                return step
    return 1.0


def default_policy(protocol: Protocol, n_test: int) -> ReleasePolicy:
    """Every metric of the protocol, rounded to one sample's worth, intervals kept, no subgroups, the Ladder on."""
    return ReleasePolicy(
        submitter=tuple(protocol.metrics), public=tuple(protocol.metrics), resolution=finest_resolution(n_test)
    )


def policy_for_version(policy: ReleasePolicy, old: Protocol, old_n: int, new: Protocol, new_n: int) -> ReleasePolicy:
    """The release policy of a board's newer task version (`medbench board version`): the committee's
    choices kept where the new protocol allows them, the resolution recomputed for the new test set.

    A metric list that was every metric of the old protocol becomes every metric of the new one;
    a chosen list keeps the metrics the new protocol still computes, and its primary. A resolution
    of one old test sample's worth becomes one new sample's worth; a coarser one the committee
    chose is kept unless the new test set needs a coarser one still."""

    def carried(names: tuple[str, ...]) -> tuple[str, ...]:
        if set(names) == set(old.metrics):
            return tuple(new.metrics)
        kept = tuple(name for name in names if name in new.metrics)
        return kept if new.primary in kept else (new.primary, *kept)

    floor = finest_resolution(new_n)
    chosen = policy.resolution if policy.resolution > finest_resolution(old_n) * (1 + 1e-9) else floor
    return policy.model_copy(
        update={"public": carried(policy.public), "submitter": carried(policy.submitter), "resolution": max(floor, chosen)}
    )


def check_policy(policy: ReleasePolicy, protocol: Protocol, n_test: int) -> None:
    """Refuse a policy that releases more than one sample's worth, or names what the board does not compute."""
    for audience in ("submitter", "public"):
        names = getattr(policy, audience)
        unknown = sorted(set(names) - set(protocol.metrics))
        if unknown:
            raise LeaderboardError(f"release policy: {audience} metric(s) {unknown} are not the board's {list(protocol.metrics)}")
        if protocol.primary not in names:
            raise LeaderboardError(f"release policy: the {audience} metrics must include the primary metric {protocol.primary!r}")
    floor = finest_resolution(n_test)
    if not (math.isfinite(policy.resolution) and policy.resolution >= floor):
        raise LeaderboardError(
            f"release policy: resolution {policy.resolution:g} is finer than one test sample in {n_test} allows "
            f"(at least {floor:g})"
        )
    check_tolerance(policy.tolerance, MAX_RESCORING_TOLERANCE, "the board's reproduction tolerance")


def check_tolerance(tolerance: float, bound: float, what: str = "tolerance") -> None:
    """Refuse a tolerance that is not a number in [0, bound]: a loose one turns any predictions into a reproduction."""
    if not (isinstance(tolerance, (int, float)) and 0 <= tolerance <= bound):
        raise LeaderboardError(f"{what} {tolerance:g}: must be between 0 and {bound:g}")


def rounded(value: float, resolution: float) -> float:
    """`value` to the nearest multiple of `resolution`, written with no more digits than the step has."""
    if not math.isfinite(value):
        return value
    digits = max(0, -math.floor(math.log10(resolution))) + 1
    return round(round(value / resolution) * resolution, digits)


def released_entries(
    policy: Optional[ReleasePolicy],
    protocol: Protocol,
    contents: Mapping[str, Mapping[str, Any]],
    teams: Mapping[str, Optional[str]],
    order: Iterable[str],
    audience: str = "public",
) -> dict[str, Released]:
    """Every entry of `contents` (entry JSON by id) as `audience` sees it under `policy`.

    `order` is the order the entries were submitted in (the log's), which the Ladder replays per
    team (`teams`). Without a policy (a folder board) everything is released as computed.
    """
    if policy is None:
        return {entry_id: Released(dict(content), False) for entry_id, content in contents.items()}
    # Each entry is one team's probe of the hidden labels: released in turn, against its team's best so far.
    names = getattr(policy, audience)
    best: dict[Optional[str], float] = {}
    sign = 1.0 if protocol.direction == "maximize" else -1.0
    released = {}
    for entry_id in order:
        if entry_id not in contents:
            continue
        content, team = contents[entry_id], teams.get(entry_id)
        value = content["metrics"][protocol.primary]["value"]
        standing = best.get(team)
        improves = standing is None or not policy.ladder or sign * (value - standing) > policy.resolution
        if improves:
            metrics = {name: _metric(content["metrics"][name], policy) for name in names if name in content["metrics"]}
            best[team] = metrics[protocol.primary]["value"] if standing is None or sign * (value - standing) > 0 else standing
        else:
            metrics = {protocol.primary: {"value": standing, "ci": None}}
        subgroups = _subgroups(content.get("subgroups") or {}, names, policy) if improves and policy.subgroups else {}
        public = {key: value for key, value in content.items() if key not in WITHHELD_FIELDS}
        released[entry_id] = Released({**public, "metrics": metrics, "subgroups": subgroups}, held=not improves)
    return released


def rounded_or_none(value: Optional[float], step: float) -> Optional[float]:
    """`rounded`, passing None (no interval, no p-value) through."""
    return None if value is None else rounded(value, step)


def _metric(metric: Mapping[str, Any], policy: ReleasePolicy) -> dict[str, Any]:
    ci = metric.get("ci")
    if ci is not None and policy.intervals:
        ci = {**ci, "low": rounded(ci["low"], policy.resolution), "high": rounded(ci["high"], policy.resolution)}
    else:
        ci = None
    return {"value": rounded(metric["value"], policy.resolution), "ci": ci}


def _subgroups(subgroups: Mapping[str, Any], names: tuple[str, ...], policy: ReleasePolicy) -> dict[str, Any]:
    return {
        column: {
            level: {name: _metric(metric, policy) for name, metric in metrics.items() if name in names and metric is not None}
            for level, metrics in levels.items()
        }
        for column, levels in subgroups.items()
    }
