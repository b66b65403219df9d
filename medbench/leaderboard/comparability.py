"""What may share a board: same task, task version, dataset fingerprint and metric set.

A board is defined by its task, the task's version, the fingerprint of the exact samples and splits,
and the set of metrics (with the primary one and its direction). An entry that differs in any of
these is refused, with every reason. The one exception is a *newer* task version: the protocol has
moved on, so the board moves with it and its older entries become stale: kept and shown apart,
never deleted, never ranked with the current ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from packaging.version import InvalidVersion, Version

from medbench.leaderboard.schema import BoardSpec, Entry


@dataclass(frozen=True)
class Verdict:
    """Accept as is, accept as the board's new task version (`upgrade`), or refuse for `reasons`."""

    reasons: list[str] = field(default_factory=list)
    upgrade: bool = False

    @property
    def accepted(self) -> bool:
        return not self.reasons


def judge(spec: BoardSpec, entry: Entry) -> Verdict:
    """Whether `entry` may join the board `spec` describes, and why not."""
    if entry.task != spec.task:
        return Verdict([f"task {entry.task!r} differs from the board's task {spec.task!r}"])
    order = compare_versions(entry.task_version, spec.task_version)
    if order is None:
        return Verdict([f"task version {entry.task_version!r} cannot be ordered against the board's {spec.task_version!r}"])
    if order < 0:
        return Verdict(
            [
                f"task version {entry.task_version} is older than the board's {spec.task_version}: "
                "rerun under the current protocol"
            ]
        )
    if order > 0:
        return Verdict(upgrade=True)
    reasons = []
    if entry.kind != spec.kind:
        reasons.append(f"task kind {entry.kind!r} differs from the board's {spec.kind!r}")
    if entry.dataset_fingerprint != spec.dataset_fingerprint:
        reasons.append(
            f"dataset fingerprint {entry.dataset_fingerprint[:12]}… differs from the board's "
            f"{spec.dataset_fingerprint[:12]}… (other samples or splits under the same task version)"
        )
    if sorted(entry.metrics) != spec.metrics:
        reasons.append(f"metric set {sorted(entry.metrics)} differs from the board's {spec.metrics}")
    if (entry.primary, entry.direction) != (spec.primary, spec.direction):
        reasons.append(
            f"primary metric {entry.primary} ({entry.direction}) differs from the board's {spec.primary} ({spec.direction})"
        )
    return Verdict(reasons)


def is_stale(spec: BoardSpec, entry: Entry) -> bool:
    """An entry made under an older task version than the board's current one."""
    return entry.task_version != spec.task_version


def compare_versions(left: str, right: str) -> int | None:
    """-1, 0 or 1 as `left` is older, equal or newer than `right`; None when either is not a version."""
    if left == right:
        return 0
    try:
        a, b = Version(left), Version(right)
    except InvalidVersion:
        return None
    return (a > b) - (a < b)
