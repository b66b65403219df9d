"""`medbench board create`: a board of the committee's store, made on the hospital's side from its
own run record of the task. The record gives the protocol (metrics, primary, direction,
intervals, clusters, subgroups), the data fingerprint and, from its predictions, the test sample
ids and ground truth, which become the board's hidden labels."""

from __future__ import annotations

from pathlib import Path

from medbench.errors import RecordError
from medbench.leaderboard.committee import CommitteeStore, User
from medbench.leaderboard.signed_log import LogEvent


def create_board_from_record(store: CommitteeStore, run_dir: Path, name: str, *, daily_quota: int, actor: User) -> LogEvent:
    from medbench.leaderboard.audit import now_utc
    from medbench.leaderboard.hidden import labels_of_record
    from medbench.leaderboard.schema import BoardSpec
    from medbench.leaderboard.submit import checked_record
    from medbench.scoring import check_metric_names, record_protocol

    record = checked_record(run_dir)
    try:
        protocol = record_protocol(record)
    except RecordError as error:
        raise RecordError(f"{error}: a board needs the record's scoring protocol") from None
    check_metric_names(protocol.kind, protocol.metrics, protocol.primary)
    manifest = record.manifest
    spec = BoardSpec(
        name=name,
        task=manifest.task.name,
        task_version=manifest.task.version,
        kind=protocol.kind,
        dataset_fingerprint=manifest.dataset.fingerprint,
        metrics=sorted(protocol.metrics),
        primary=protocol.primary,
        direction=protocol.direction,
        created_at=now_utc(),
    )
    return store.create_board(spec, protocol, labels_of_record(record), daily_quota, actor)
