"""`medbench leaderboard verify`: recompute every hash and say what was changed outside medbench.

Checks, per board: the audit chain (`audit.chain_problems`); the board file against the hash its
last create/upgrade/baseline event recorded; every entry file against the hash in its name and
against the schema; that every entry file has a submit event and every submit event its file; and
that every referenced predictions file is present and unchanged.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from medbench.leaderboard.board.events import Event
from medbench.leaderboard.folder import audit
from medbench.io import sha256_hex
from medbench.leaderboard.board.schema import BoardSpec, Entry
from medbench.leaderboard.folder.store import Board
from medbench.io import sha256_file


def verify_board(board: Board) -> list[str]:
    """Every problem found on `board`, each naming the file; empty when all hashes hold."""
    if not board.spec_path.is_file():
        return [f"{board.spec_path}: the board file is missing"]
    problems = audit.chain_problems(board.audit_path)
    events = audit.read_events(board.audit_path, skip_unreadable=True)
    problems += _board_file_problems(board, events)
    submitted = {event.entry for event in events if event.event == "submit"}
    on_disk = set(board.entry_ids())
    checked_predictions: dict[str, bool] = {}
    for entry_id in sorted(on_disk):
        path = board.entry_path(entry_id)
        data = path.read_bytes()
        if sha256_hex(data) != entry_id:
            problems.append(f"{path}: edited entry (its bytes no longer match the hash in its name)")
            continue
        try:
            entry = Entry.model_validate_json(data)
        except ValidationError as error:
            problems.append(f"{path}: does not match the entry schema ({error.error_count()} problem(s))")
            continue
        if entry_id not in submitted:
            problems.append(f"{path}: entry has no submit event in {board.audit_path} "
                "(added by hand, or a submission interrupted before it committed): it is not ranked; remove the file")
        for sha in filter(None, (entry.provenance.predictions_sha256, entry.provenance.qrels_sha256)):
            if sha not in checked_predictions:
                checked_predictions[sha] = _predictions_intact(board, sha, problems)
    for entry_id in sorted(submitted - on_disk):
        problems.append(f"{board.entry_path(entry_id)}: submitted entry is missing (removed by hand)")
    return problems


def _board_file_problems(board: Board, events: list[Event]) -> list[str]:
    recorded = [event.data["board_sha256"] for event in events if "board_sha256" in event.data]
    data = board.spec_path.read_bytes()
    problems = []
    if not recorded or recorded[-1] != sha256_hex(data):
        problems.append(f"{board.spec_path}: the board file does not match the hash in its last audit event (edited by hand)")
    try:
        BoardSpec.model_validate_json(data)
    except ValidationError as error:
        problems.append(f"{board.spec_path}: does not match the board schema ({error.error_count()} problem(s))")
    return problems


def _predictions_intact(board: Board, sha256: str, problems: list[str]) -> bool:
    path = board.predictions_path(sha256)
    if not path.is_file():
        problems.append(f"{path}: predictions referenced by entries are missing")
        return False
    if sha256_file(path) != sha256:
        problems.append(f"{path}: predictions file was edited (its hash no longer matches its name)")
        return False
    return True


def verify_boards(root: Path, names: list[str]) -> dict[str, list[str]]:
    return {name: verify_board(Board(root, name)) for name in names}
