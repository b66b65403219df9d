"""`medbench board create` and `board version`: a board of the committee's store, made (or moved to a
newer task version) on the hospital's side from its own run record of the task. The record gives
the protocol (metrics, primary, direction, intervals, clusters, subgroups), the data fingerprint
and, from its predictions, the test sample ids and ground truth, which become the board's hidden
labels (of that task version)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from medbench.errors import LeaderboardError

from medbench.leaderboard.committee.store import CommitteeStore, User
from medbench.leaderboard.board.events import Event


def create_board_from_record(
    store: CommitteeStore, run_dir: Path, name: str, *, daily_quota: int, actor: User, release: Optional[dict[str, Any]] = None,
    pathways: bool = True,
) -> Event:
    """The board of `run_dir`'s task; `release` overrides fields of the default release policy (`board.release`).

    A timeline record's care pathways (aggregates of at least k patients of the hidden test cohort)
    go into the spec and onto the board's page unless `pathways` is False."""
    from medbench.leaderboard.board.events import now_utc
    from medbench.leaderboard.committee.hidden import labels_of_record
    from medbench.leaderboard.board.schema import BoardSpec
    from medbench.leaderboard.board.entries import checked_record
    from medbench.evaluation.scoring import check_protocol
    from medbench.leaderboard.board.release import ReleasePolicy, default_policy

    record = checked_record(run_dir)
    check_protocol(record.protocol)
    labels = labels_of_record(record)
    policy = default_policy(record.protocol, len(labels.truth))
    try:
        policy = ReleasePolicy.model_validate({**policy.model_dump(), **(release or {})})
    except ValueError as error:  # pydantic's ValidationError
        raise LeaderboardError(f"release policy: {str(error).splitlines()[0]}") from None
    spec = BoardSpec(
        name=name, protocol=record.protocol, dataset_fingerprint=record.manifest.dataset.fingerprint, created_at=now_utc(),
        release=policy, pathways=record.pathways() if pathways else None,
    )
    return store.create_board(spec, labels, daily_quota, actor)


def version_board_from_record(
    store: CommitteeStore, run_dir: Path, name: str, *, actor: User, pathways: bool = True, note: str = ""
) -> Event:
    """Open the newer task version of board `name` that `run_dir` (the hospital's run of it) was made under:
    its protocol, data fingerprint, hidden labels and (unless `pathways` is False) care pathways become the
    board's; the release policy is carried over (`CommitteeStore.open_version`)."""
    from medbench.evaluation.scoring import check_protocol
    from medbench.leaderboard.board.entries import checked_record
    from medbench.leaderboard.committee.hidden import labels_of_record

    record = checked_record(run_dir)
    check_protocol(record.protocol)
    labels = labels_of_record(record)
    return store.open_version(
        name, record.protocol, record.manifest.dataset.fingerprint, labels, actor,
        pathways=record.pathways() if pathways else None, note=note,
    )
