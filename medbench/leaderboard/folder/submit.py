"""`medbench submit`: turn a run record into a board entry, refusing what cannot be compared.

A record is accepted when it is complete and schema-valid, its predictions are present, and it is
comparable with the board (`comparability.judge`: a newer task version is the committee's to
open, `medbench board version`), and its scores do not rank the test samples like a rejected
entry's (`board.gaming`). The first submission creates the board from the record and pins its
truth: the digest of the test set's sample ids, targets and metadata (`board.truth`), logged in the
`create` event (and in the `upgrade` event by which the committee opens a new task version); a
later record of that version whose truth differs (its targets rewritten to agree with its scores,
say) is refused. The same run with the same predictions submitted twice is recognised and not added
again, so submitting a whole sweep folder is safe to repeat.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Optional

from medbench.leaderboard.board.comparability import judge
from medbench.leaderboard.board.entries import (
    SubmissionRefused, checked_record, claimed_differences, default_board_name, entry_from_record,
)
from medbench.leaderboard.board.events import Event, now_utc
from medbench.leaderboard.board.schema import BoardSpec, Entry
from medbench.leaderboard.folder import audit
from medbench.leaderboard.folder.log_lines import committed_lines
from medbench.leaderboard.folder.store import Board


@dataclass(frozen=True)
class SubmitResult:
    board: str
    entry_id: str
    added: bool
    baseline: bool = False
    # Metric → (claimed, recomputed) where the record's metrics.json did not match its predictions.
    corrected: Optional[dict[str, tuple[float, float]]] = None


def default_submitter() -> str:
    return os.environ.get("MEDBENCH_SUBMITTER") or getpass.getuser()


def submit_run(
    root: Path, run_dir: Path, *, board: Optional[str] = None, submitter: str, baseline: bool = False
) -> SubmitResult:
    """Check the record at `run_dir` and add it to `board` (default: the task's name, marked for non-official data: `default_board_name`)."""
    import dataclasses

    from medbench.leaderboard.board.truth import frame_truth_sha256

    record = checked_record(run_dir)
    entry = entry_from_record(record, board or default_board_name(record), submitter)
    truth = frame_truth_sha256(record.predictions(), record.qrels(), record.protocol.kind)
    item = Submission(entry, record.predictions_path(), record.qrels_path(), truth)
    result = submit_entries(root, entry.board, [item], baseline=baseline)[0]
    return dataclasses.replace(result, corrected=claimed_differences(record, entry) or None)


class Submission(NamedTuple):
    """An entry with its predictions file, its qrels file (retrieval) and the digest of its test set's truth."""

    entry: Entry
    predictions: Path
    qrels: Optional[Path]
    truth_sha256: str


def submit_entries(root: Path, board_name: str, items: Iterable[Submission], *, baseline: bool = False) -> list[SubmitResult]:
    """Add entries under one hold of the board's lock.

    `baseline` names the first added entry the board's baseline. Otherwise a board has none until
    the committee chooses one (`medbench leaderboard baseline`): a baseline picked by submission
    order would compare every entry with whichever run happened to come first.
    """
    board = Board(root, board_name)
    items = list(items)
    results = []
    with board.locked():
        lines = committed_lines(board.audit_path)
        known = _submitted(lines, {item.entry.provenance.run_id for item in items})
        pinned = audit.pinned_truths(lines)
        rejected = _rejected(lines)
        for item in items:
            results.append(_add(board, item, known, pinned, rejected, baseline and not results))
    return results


def _add(
    board: Board, item: Submission, known: dict[tuple[str, str], str], pinned: dict[str, str], rejected: list[str], baseline: bool
) -> SubmitResult:
    """Add one entry; the caller holds the lock and passes what the board already holds, its
    pinned truth per task version (both updated here) and the entries it rejected."""
    entry, predictions, qrels = item.entry, item.predictions, item.qrels
    key = (entry.provenance.run_id, entry.provenance.predictions_sha256)
    if key in known:
        return SubmitResult(board.name, known[key], added=False)
    spec = _spec_for(board, entry, item.truth_sha256, pinned.get(entry.task_version))
    pinned.setdefault(entry.task_version, item.truth_sha256)
    _check_not_resubmission(board, entry, predictions, rejected)
    board.store_predictions(predictions, entry.provenance.predictions_sha256)
    if qrels is not None and entry.provenance.qrels_sha256:
        board.store_predictions(qrels, entry.provenance.qrels_sha256)
    entry_id = board.write_entry(entry)
    audit.append_event(
        board.audit_path,
        "submit",
        actor=entry.provenance.submitter,
        entry=entry_id,
        data={"run_id": key[0], "predictions_sha256": key[1], "task_version": entry.task_version, "truth_sha256": item.truth_sha256},
    )
    known[key] = entry_id
    if baseline:
        spec = spec.model_copy(update={"baseline": entry_id})
        digest = board.write_spec(spec)
        audit.append_event(
            board.audit_path, "baseline", actor=entry.provenance.submitter, entry=entry_id, data={"board_sha256": digest}
        )
    return SubmitResult(board.name, entry_id, added=True, baseline=baseline)


def _spec_for(board: Board, entry: Entry, truth_sha256: str, pinned: Optional[str]) -> BoardSpec:
    """The board's spec once `entry` is accepted (created from it when the board is new, pinning
    `truth_sha256`). Refused when the entry is not comparable, or its truth is not the one `pinned`
    for its version."""
    if not board.exists() or not audit.has_events(board.audit_path):
        # No committed event: a board file without its `create` event was interrupted; write it anew.
        new_spec = BoardSpec(
            name=board.name, protocol=entry.protocol, dataset_fingerprint=entry.dataset_fingerprint, created_at=now_utc()
        )
        digest = board.write_spec(new_spec)
        audit.append_event(
            board.audit_path, "create", actor=entry.provenance.submitter,
            data={"board_sha256": digest, "task_version": entry.task_version, "truth_sha256": truth_sha256},
        )
        return new_spec
    spec = board.spec()
    verdict = judge(spec, entry)
    if not verdict.accepted:
        raise SubmissionRefused(f"run {entry.provenance.run_id} refused by board {board.name!r}: " + "; ".join(verdict.reasons))
    if pinned is not None and truth_sha256 != pinned:
        raise SubmissionRefused(
            f"run {entry.provenance.run_id} refused by board {board.name!r}: its test set's targets differ from the truth "
            f"the board pinned at its first entry (truth {truth_sha256[:12]}, board {pinned[:12]}): "
            "its predictions.parquet was edited, or it was scored on other labels"
        )
    return spec


def _check_not_resubmission(board: Board, entry: Entry, predictions: Path, rejected: list[str]) -> None:
    """Refuse predictions that rank the test samples like a `rejected` entry's (`board.gaming`)."""
    import pandas as pd

    from medbench.leaderboard.board.gaming import check_not_resubmission

    if not rejected:
        return

    def stored(entry_id: str) -> "pd.DataFrame":
        return pd.read_parquet(board.predictions_path(board.read_entry(entry_id).provenance.predictions_sha256))

    loaders = [(entry_id, lambda entry_id=entry_id: stored(entry_id)) for entry_id in rejected]
    check_not_resubmission(pd.read_parquet(predictions), entry.kind, loaders)


def _rejected(lines: list[bytes]) -> list[str]:
    """The entries the committee rejected, from the log's committed `lines` (a reject is final:
    only reject lines are parsed)."""
    return [Event.from_line(line).entry for line in lines if b'"event":"reject"' in line]


def _submitted(lines: list[bytes], run_ids: set[str]) -> dict[tuple[str, str], str]:
    """(run id, predictions hash) → entry id of the earlier submissions of `run_ids` in the log's committed `lines`.

    Only submit lines naming one of the run ids are parsed (the run id is found by its key in
    the canonical line): the log grows with every event, and each submission reads it under the
    lock every other submitter waits on.
    """
    marker = b'"run_id":"'
    known = {}
    for line in lines:
        start = line.find(marker)
        if start < 0 or b'"event":"submit"' not in line:
            continue
        start += len(marker)
        if line[start : line.index(b'"', start)].decode() in run_ids:
            event = Event.from_line(line)
            known[(event.data["run_id"], event.data["predictions_sha256"])] = event.entry
    return known
