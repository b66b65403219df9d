"""Committee review: `submitted → reproduced → approved | rejected`, every step in the audit log.

The state of an entry is not stored in the entry (whose bytes are its identity) but derived from
the board's audit log, so a review can never be edited silently: it is one more chained event.

Reproduction API (for the reproduction command)::

    record_reproduction(root, board_name, entry_id, reproducer="ci", reproduced_run_id="…",
                        matches=True, differences={}, note="AUROC within 1e-9")

`matches=True` moves a `submitted` entry to `reproduced`; `matches=False` logs a
`reproduction_failed` event with the `differences` (metric → {"submitted": x, "reproduced": y}, or any
JSON-able description) and leaves the entry `submitted`, for the committee to reject or retry.
Approval needs a reproduced entry; rejection is possible before or after reproduction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from medbench.errors import LeaderboardError
from medbench.leaderboard.folder import audit
from medbench.leaderboard.folder.store import Board, board_names

SUBMITTED, REPRODUCED, APPROVED, REJECTED = "submitted", "reproduced", "approved", "rejected"

# event → (states it may follow, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "reproduce": (frozenset({SUBMITTED}), REPRODUCED),
    "reproduction_failed": (frozenset({SUBMITTED}), SUBMITTED),
    "approve": (frozenset({REPRODUCED}), APPROVED),
    "reject": (frozenset({SUBMITTED, REPRODUCED}), REJECTED),
}


def review_states(events: list[audit.AuditEvent]) -> dict[str, str]:
    """The current review state of every submitted entry, replaying the log."""
    states: dict[str, str] = {}
    for event in events:
        if event.event == "submit":
            states[event.entry] = SUBMITTED
        elif event.event in TRANSITIONS and event.entry in states:
            states[event.entry] = TRANSITIONS[event.event][1]
    return states


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


def transition(board: Board, entry_id: str, event: str, *, actor: str, note: str, data: Optional[dict[str, Any]] = None) -> audit.AuditEvent:
    """Append `event` for the entry if its current state allows it; refuse otherwise, saying why."""
    if not actor.strip():
        raise LeaderboardError(f"{event}: name who does it (--reviewer NAME)")
    if event in ("approve", "reject") and not note.strip():
        raise LeaderboardError(f"{event}: give the committee's reason (--note TEXT)")
    allowed, _ = TRANSITIONS[event]
    with board.locked():
        board.read_entry(entry_id)
        state = review_states(audit.read_events(board.audit_path)).get(entry_id)
        if state is None:
            raise LeaderboardError(
                f"entry {entry_id[:12]} has no submit event in {board.audit_path}: run `medbench leaderboard verify {board.name}`"
            )
        if state not in allowed:
            raise LeaderboardError(
                f"entry {entry_id[:12]} is {state}; {event} is possible only from {' or '.join(sorted(allowed))}: "
                + unblocking(state, event, entry_id[:12], board.name)
            )
        return audit.append_event(board.audit_path, event, actor=actor, entry=entry_id, note=note, data=data)


def unblocking(state: str, event: str, entry: str, board: str) -> str:
    """What to run so that `event` becomes possible for an entry in `state` (or why nothing will)."""
    if state == SUBMITTED:  # only approve is refused from here
        return f"reproduce it first with `medbench reproduce {entry} --board {board}` (a match moves it to reproduced)"
    if state == REPRODUCED:  # only a second reproduction is refused from here
        return f"it is already reproduced; decide with `medbench review approve|reject {entry} --reviewer NAME --note TEXT`"
    return (
        f"the committee's decision is final; a corrected run joins as a new entry with `medbench submit RUN_DIR --board {board}`"
    )


def choose_baseline(board: Board, entry_id: str, *, actor: str, note: str = "") -> audit.AuditEvent:
    """Name the board's baseline (a current entry not rejected), written to the board file and logged."""
    from medbench.leaderboard.board.comparability import is_stale

    if not actor.strip():
        raise LeaderboardError("baseline: name who chooses it (--by NAME)")
    with board.locked():
        spec = board.spec()
        entry = board.read_entry(entry_id)
        if is_stale(spec, entry):
            raise LeaderboardError(
                f"entry {entry_id[:12]} is stale (task version {entry.task_version}, the board is at {spec.task_version}): "
                f"choose a current entry (`medbench leaderboard show {board.name}` lists them)"
            )
        if review_states(audit.read_events(board.audit_path)).get(entry_id) == REJECTED:
            raise LeaderboardError(
                f"entry {entry_id[:12]} was rejected by the committee: choose another (`medbench leaderboard show {board.name}`)"
            )
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
) -> audit.AuditEvent:
    """Log the outcome of rerunning an entry (see the module docstring)."""
    board = Board(root, board_name)
    data = {"reproduced_run_id": reproduced_run_id, "differences": differences or {}}
    event = "reproduce" if matches else "reproduction_failed"
    return transition(board, entry_id, event, actor=reproducer, note=note, data=data)
