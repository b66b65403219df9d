"""`medbench board create`: a board of the committee's store, made on the hospital's side from its
own run record of the task. The record gives the protocol (metrics, primary, direction,
intervals, clusters, subgroups), the data fingerprint and, from its predictions, the test sample
ids and ground truth, which become the board's hidden labels."""

from __future__ import annotations

from pathlib import Path

from medbench.leaderboard.committee.store import CommitteeStore, User
from medbench.leaderboard.board.events import Event


def create_board_from_record(store: CommitteeStore, run_dir: Path, name: str, *, daily_quota: int, actor: User) -> Event:
    from medbench.leaderboard.board.events import now_utc
    from medbench.leaderboard.committee.hidden import labels_of_record
    from medbench.leaderboard.board.schema import BoardSpec
    from medbench.leaderboard.board.entries import checked_record
    from medbench.evaluation.scoring import check_protocol

    record = checked_record(run_dir)
    check_protocol(record.protocol)
    spec = BoardSpec(
        name=name, protocol=record.protocol, dataset_fingerprint=record.manifest.dataset.fingerprint, created_at=now_utc()
    )
    return store.create_board(spec, labels_of_record(record), daily_quota, actor)
