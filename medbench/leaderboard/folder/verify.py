"""`medbench leaderboard verify`: recompute every hash and say what was changed outside medbench.

Checks, per board: the audit chain (`audit.chain_problems`); the board file against the hash its
last create/upgrade/baseline event recorded; every entry file against the hash in its name and
against the schema; that every entry file has a submit event and every submit event its file; and
that every referenced predictions file is present and unchanged; and then that each entry's
numbers are what its stored predictions give against the truth the board pinned: the file's
truth digest (`board.truth`) must be the one pinned for the entry's task version, and the
metrics rescored from it (`evaluation.scoring`) must equal the entry's, overall and per subgroup.
So an entry whose numbers were edited and renamed to its new hash, with the chain rebuilt
around it, is still named, and so is one whose predictions' targets were rewritten.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from pydantic import ValidationError

from medbench.leaderboard.board.events import Event
from medbench.leaderboard.folder import audit
from medbench.leaderboard.folder.log_lines import committed_lines
from medbench.io import sha256_hex
from medbench.leaderboard.board.schema import BoardSpec, Entry
from medbench.leaderboard.folder.store import Board
from medbench.io import sha256_file


def verify_board(board: Board, public_key_pem: Optional[str] = None) -> list[str]:
    """Every problem found on `board`, each naming the file; empty when all hashes hold (and, on a
    signed board or with `public_key_pem` pinned, every signature)."""
    if not board.spec_path.is_file():
        return [f"{board.spec_path}: the board file is missing"]
    problems = audit.chain_problems(board.audit_path, public_key_pem)
    events = audit.read_events(board.audit_path, skip_unreadable=True)
    problems += _board_file_problems(board, events)
    submitted = {event.entry for event in events if event.event == "submit"}
    on_disk = set(board.entry_ids())
    checked_predictions: dict[str, bool] = {}
    pinned = audit.pinned_truths(committed_lines(board.audit_path))
    rescored: dict[tuple[str, str], tuple[str, Any]] = {}
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
        if all(checked_predictions[sha] for sha in filter(None, (entry.provenance.predictions_sha256, entry.provenance.qrels_sha256))):
            problems += _rescoring_problems(board, path, entry, pinned.get(entry.task_version), rescored)
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


def _rescoring_problems(
    board: Board, path: Path, entry: Entry, pinned: Optional[str], cache: dict[tuple[str, str], tuple[str, Any]]
) -> list[str]:
    """What differs between the entry and its stored predictions rescored: its truth against the
    pinned one, and every metric (overall and per subgroup) that does not agree exactly."""
    from medbench.errors import MedbenchError
    from medbench.evaluation.agreement import EXACT, disagreeing

    try:
        truth, metrics = _rescored(board, entry, cache)
    except (MedbenchError, ValueError, KeyError, OSError) as error:
        return [f"{path}: its stored predictions cannot be rescored ({str(error).splitlines()[0] if str(error) else type(error).__name__})"]
    problems = []
    if pinned is not None and truth != pinned:
        problems.append(
            f"{path}: its predictions' test targets are not the truth the board pinned for task version "
            f"{entry.task_version} (truth {truth[:12]}, pinned {pinned[:12]}): the targets were rewritten"
        )
    differing = [f"{name} {entry.metrics[name].value if name in entry.metrics else None} stored, "
                 f"{metrics.values[name].value if name in metrics.values else None} rescored"
                 for name in disagreeing(entry.metrics, metrics.values, EXACT)]
    for column in sorted(set(entry.subgroups) | set(metrics.subgroups)):
        stored, again = entry.subgroups.get(column, {}), metrics.subgroups.get(column, {})
        for level in sorted(set(stored) | set(again)):
            differing += [f"{name} of {column}={level}" for name in disagreeing(stored.get(level, {}), again.get(level, {}), EXACT)]
    if differing:
        problems.append(f"{path}: its numbers are not what its stored predictions give ({'; '.join(differing[:5])}): the entry was edited")
    return problems


def _rescored(board: Board, entry: Entry, cache: dict[tuple[str, str], tuple[str, Any]]) -> tuple[str, Any]:
    """(truth digest, metrics) of the entry's stored predictions under its protocol, once per file and protocol."""
    import pandas as pd

    from medbench.evaluation.scoring import score_outputs
    from medbench.leaderboard.board.truth import frame_truth_sha256
    from medbench.tasks.outputs import TaskOutputs
    from medbench.tasks.stored import check_stored_predictions

    provenance = entry.provenance
    key = (f"{provenance.predictions_sha256}:{provenance.qrels_sha256}", entry.protocol.model_dump_json())
    if key not in cache:
        path = board.predictions_path(provenance.predictions_sha256)
        frame = pd.read_parquet(path)
        check_stored_predictions(frame, entry.kind, None, path)
        qrels = pd.read_parquet(board.predictions_path(provenance.qrels_sha256)) if provenance.qrels_sha256 else None
        cache[key] = (frame_truth_sha256(frame, qrels, entry.kind), score_outputs(TaskOutputs(frame, qrels), entry.protocol))
    return cache[key]


def _predictions_intact(board: Board, sha256: str, problems: list[str]) -> bool:
    path = board.predictions_path(sha256)
    if not path.is_file():
        problems.append(f"{path}: predictions referenced by entries are missing")
        return False
    if sha256_file(path) != sha256:
        problems.append(f"{path}: predictions file was edited (its hash no longer matches its name)")
        return False
    return True


def verify_boards(root: Path, names: list[str], public_key_pem: Optional[str] = None) -> dict[str, list[str]]:
    return {name: verify_board(Board(root, name), public_key_pem) for name in names}
