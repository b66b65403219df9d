"""What may share a board: the same task protocol and the same dataset fingerprint.

A board is defined by a task protocol (task, version, kind, metrics, primary and direction,
confidence settings, clusters, subgroups) and the fingerprint of the exact samples and splits. An
entry is comparable when both are equal; otherwise it is refused, with every difference. A *newer* task
version is refused too: only the committee opens one (`lifecycle.open_version`, `medbench board
version`), since a submission that moved the board would make every other entry stale. Once
opened, the older entries are stale: kept and shown apart, never deleted, never ranked with the
current ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from packaging.version import InvalidVersion, Version

from medbench.leaderboard.board.schema import BoardSpec, Entry


@dataclass(frozen=True)
class Verdict:
    """Accept, or refuse for `reasons`."""

    reasons: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.reasons


def judge(spec: BoardSpec, entry: Entry) -> Verdict:
    """Whether `entry` may join the board `spec` describes, and why not."""
    if entry.task != spec.task:
        return Verdict([f"task {entry.task!r} differs from the board's task {spec.task!r}"])
    refusal = version_refusal(entry.task_version, spec)
    if refusal is not None:
        return Verdict([refusal])
    reasons = [
        f"protocol {key} {_shown(getattr(entry.protocol, key))} differs from the board's {_shown(getattr(spec.protocol, key))}"
        for key in spec.protocol.differing_fields(entry.protocol)
    ]
    if entry.dataset_fingerprint != spec.dataset_fingerprint:
        reasons.append(
            f"dataset fingerprint {entry.dataset_fingerprint[:12]}… differs from the board's "
            f"{spec.dataset_fingerprint[:12]}… (other samples or splits under the same task version)"
        )
    return Verdict(reasons)


def version_refusal(task_version: str, spec: BoardSpec) -> str | None:
    """Why a run under `task_version` may not join the board at its current version (None: it may)."""
    order = compare_versions(task_version, spec.task_version)
    if order is None:
        return f"task version {task_version!r} cannot be ordered against the board's {spec.task_version!r}"
    if order < 0:
        return f"task version {task_version} is older than the board's {spec.task_version}: rerun under the current protocol"
    if order > 0:
        return (
            f"task version {task_version} is newer than the board's {spec.task_version}: the committee opens it "
            f"first (`medbench board version {spec.name} --from-record RUN_DIR`)"
        )
    return None


def _shown(value: object) -> str:
    """A protocol value as a reader writes it (lists, not tuples; nested models as dicts)."""
    if isinstance(value, tuple):
        return str(list(value))
    dump = getattr(value, "model_dump", None)
    return str(dump()) if dump else repr(value)


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
