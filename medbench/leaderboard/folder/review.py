"""Committee review of a folder board: the board's lifecycle (`board.lifecycle`), each step in its audit log.

Reproduction API (for the reproduction command)::

    record_reproduction(root, board_name, entry_id, reproducer="ci", reproduced_run_id="…",
                        matches=True, differences={}, note="AUROC within 1e-9")

`matches=True` moves a `submitted` entry to `reproduced`; `matches=False` logs a
`reproduction_failed` event with the `differences` (metric → {"submitted": x, "reproduced": y}, or any
JSON-able description) and leaves the entry `submitted`, for the committee to reject or retry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from medbench.errors import LeaderboardError
from medbench.leaderboard.board import lifecycle
from medbench.leaderboard.board.events import Event
from medbench.leaderboard.board.schema import BoardSpec
from medbench.leaderboard.board.lifecycle import REPRODUCED, SUBMITTED, review_states
from medbench.leaderboard.folder import audit
from medbench.leaderboard.folder.store import Board, board_names


def find_entry(root: Path, prefix: str, board_name: Optional[str] = None) -> tuple[Board, str]:
    """The board and full id of the entry whose id starts with `prefix` (searching every board)."""
    names = [board_name] if board_name else board_names(root)
    found = [(board, entry_id) for board in (Board(root, name) for name in names) if (entry_id := board.resolve(prefix))]
    if not found:
        raise LeaderboardError(
            f"no entry {prefix!r} on {'board ' + repr(board_name) if board_name else 'any board'} under {root} "
            "(`medbench leaderboard show BOARD` lists the entry ids)"
        )
    if len(found) > 1:
        raise LeaderboardError(f"entry {prefix!r} matches on boards {[board.name for board, _ in found]}: pass --board")
    return found[0]


def transition(board: Board, entry_id: str, event: str, *, actor: str, note: str, data: Optional[dict[str, Any]] = None) -> Event:
    """Append `event` for the entry if its current state allows it; refuse otherwise, saying why."""
    lifecycle.check_step(event, actor=actor, note=note)
    with board.locked():
        entry = board.read_entry(entry_id)
        lifecycle.check_reviewer(
            entry_id, actor=actor, actor_team=None, entry_team=None, submitter=entry.provenance.submitter,
            reviewers=board.spec().reviewers,
        )
        state = review_states(audit.read_events(board.audit_path)).get(entry_id)
        if state is None:
            raise LeaderboardError(
                f"entry {entry_id[:12]} has no submit event in {board.audit_path}: run `medbench leaderboard verify {board.name}`"
            )
        lifecycle.next_state(state, event, entry_id, lambda state: unblocking(state, entry_id[:12], board.name))
        return audit.append_event(board.audit_path, event, actor=actor, entry=entry_id, note=note, data=data)


def unblocking(state: str, entry: str, board: str) -> str:
    """What to run so that `event` becomes possible for an entry in `state` (or why nothing will)."""
    if state == SUBMITTED:  # only approve is refused from here
        return f"reproduce it first with `medbench reproduce {entry} --board {board}` (a match moves it to reproduced)"
    if state == REPRODUCED:  # only a second reproduction is refused from here
        return f"it is already reproduced; decide with `medbench review approve|reject {entry} --reviewer NAME --note TEXT`"
    return (
        f"the committee's decision is final; a corrected run joins as a new entry with `medbench submit RUN_DIR --board {board}`"
    )


def choose_baseline(board: Board, entry_id: str, *, actor: str, note: str = "") -> Event:
    """Name the board's baseline (a current entry not rejected), written to the board file and logged."""
    if not actor.strip():
        raise LeaderboardError("baseline: name who chooses it (--by NAME)")
    with board.locked():
        spec = board.spec()
        entry = board.read_entry(entry_id)
        _check_committee(spec, actor, "choose the baseline")
        state = review_states(audit.read_events(board.audit_path)).get(entry_id)
        lifecycle.check_baseline(spec, entry_id, entry, state, chooser=actor)
        digest = board.write_spec(spec.model_copy(update={"baseline": entry_id}))
        return audit.append_event(
            board.audit_path, "baseline", actor=actor, entry=entry_id, note=note, data={"board_sha256": digest, "chosen": True}
        )


def record_reproduction(
    root: Path,
    board_name: str,
    entry_id: str,
    *,
    reproducer: str,
    reproduced_run_id: str,
    matches: bool,
    differences: Optional[dict[str, Any]] = None,
    note: str = "",
    tolerance: float = 0.0,
) -> Event:
    """Log the outcome of rerunning an entry (see the module docstring) compared within `tolerance`
    (bounded: `release.check_tolerance`)."""
    from medbench.evaluation.agreement import MAX_RESCORING_TOLERANCE
    from medbench.leaderboard.board.release import check_tolerance

    check_tolerance(tolerance, MAX_RESCORING_TOLERANCE, "reproduction tolerance")
    board = Board(root, board_name)
    data = {"reproduced_run_id": reproduced_run_id, "differences": differences or {}}
    event = "reproduce" if matches else "reproduction_failed"
    return transition(board, entry_id, event, actor=reproducer, note=note, data=data)


def open_version(board: Board, run_dir: Path, *, actor: str, note: str = "") -> Event:
    """The committee opens a newer task version from a record of it (`lifecycle.open_version`); logged as
    `upgrade`, with the digest of the record's test-set truth, which the version's entries must share."""
    from medbench.leaderboard.board.entries import checked_record
    from medbench.leaderboard.board.truth import frame_truth_sha256

    if not actor.strip():
        raise LeaderboardError("version: name who opens it (--by NAME)")
    record = checked_record(run_dir)
    truth = frame_truth_sha256(record.predictions(), record.qrels(), record.protocol.kind)
    with board.locked():
        spec = board.spec()
        _check_committee(spec, actor, "open a task version")
        new_spec = lifecycle.open_version(spec, record.protocol, record.manifest.dataset.fingerprint)
        digest = board.write_spec(new_spec)
        return audit.append_event(
            board.audit_path, "upgrade", actor=actor,
            note=note or f"task version {spec.task_version} -> {new_spec.task_version}: older entries are now stale",
            data={
                "board_sha256": digest, "task_version": new_spec.task_version, "previous_version": spec.task_version,
                "truth_sha256": truth,
            },
        )


def set_reviewers(board: Board, reviewers: list[str], *, actor: str, note: str = "") -> Event:
    """Name who may review the board (once named, only they review, and only they change the list)."""
    from medbench.names import checked_name

    if not actor.strip():
        raise LeaderboardError("reviewers: name who sets them (--by NAME)")
    names = tuple(sorted({checked_name(name, "reviewer name") for name in reviewers}))
    if not names:
        raise LeaderboardError("reviewers: name at least one")
    with board.locked():
        spec = board.spec()
        _check_committee(spec, actor, "change the reviewer list")
        digest = board.write_spec(spec.model_copy(update={"reviewers": names}))
        return audit.append_event(
            board.audit_path, "reviewers", actor=actor, note=note, data={"board_sha256": digest, "reviewers": list(names)}
        )


def _check_committee(spec: BoardSpec, actor: str, action: str) -> None:
    """On a board with a reviewer list, only its reviewers act for the committee."""
    if spec.reviewers and actor not in spec.reviewers:
        raise lifecycle.Forbidden(f"{actor!r} is not a reviewer of board {spec.name!r}: only {', '.join(spec.reviewers)} may {action}")
