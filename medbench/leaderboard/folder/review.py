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
        board.read_entry(entry_id)
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
        lifecycle.check_baseline(spec, entry_id, entry, review_states(audit.read_events(board.audit_path)).get(entry_id))
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
) -> Event:
    """Log the outcome of rerunning an entry (see the module docstring)."""
    board = Board(root, board_name)
    data = {"reproduced_run_id": reproduced_run_id, "differences": differences or {}}
    event = "reproduce" if matches else "reproduction_failed"
    return transition(board, entry_id, event, actor=reproducer, note=note, data=data)
