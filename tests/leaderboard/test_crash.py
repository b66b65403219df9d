"""Crash consistency: the audit event is a submission's commit point.

An entry file written without its `submit` event (a crash between the two) is not on the board and
`verify` names it; a torn last audit line is ignored by readers and cut off, with a `repair` event,
by the next write.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medbench.leaderboard.folder import audit

from medbench.leaderboard.folder import submit as submit_module
from medbench.leaderboard.folder.ranking import rank_board
from medbench.leaderboard.folder.store import Board


class Crash(Exception):
    """Stands for the process dying."""


@pytest.fixture
def board(make_record, submit, root: Path) -> Board:
    submit(make_record(seed=0, skill=0.6))
    return Board(root, "synthetic")


def test_entry_without_its_submit_event_is_not_ranked_and_verify_names_it(board, make_record, submit, cli, monkeypatch) -> None:
    real_append = audit.append_event

    def crash_on_submit(log_path, event, **options):
        if event == "submit":
            raise Crash
        return real_append(log_path, event, **options)

    monkeypatch.setattr(submit_module.audit, "append_event", crash_on_submit)
    with pytest.raises(Crash):
        submit(make_record(seed=1, skill=0.9))
    monkeypatch.undo()

    orphan = next(entry_id for entry_id in board.entry_ids() if entry_id not in audit.submitted_entries(board.audit_path))
    assert orphan not in board.entries()
    assert [row.entry_id for row in rank_board(board).current] == list(board.entries())
    verified = cli("leaderboard", "verify", "synthetic")
    assert verified.returncode == 1
    assert f"{board.entry_path(orphan)}: entry has no submit event" in verified.stdout
    assert "interrupted before it committed" in verified.stdout

    # Submitting the run again commits it (as a new entry: the orphan stays ignored).
    again = submit(make_record(seed=1, skill=0.9))
    assert again.added and again.entry_id in board.entries()
    assert len(rank_board(board).current) == 2


def test_torn_last_audit_line_is_ignored_reported_and_repaired(board, make_record, submit, cli) -> None:
    complete = board.audit_path.read_bytes()
    committed = audit.read_events(board.audit_path)
    torn = b'{"actor":"tester","data":{"run_id":"x'
    board.audit_path.write_bytes(complete + torn)

    assert audit.read_events(board.audit_path) == committed  # readers see only committed lines
    assert [row.entry_id for row in rank_board(board).current] == [committed[-1].entry]
    verified = cli("leaderboard", "verify", "synthetic")
    assert verified.returncode == 1
    assert f"{board.audit_path}:{len(committed) + 1}: unterminated last line" in verified.stdout
    assert "chain is broken" not in verified.stdout

    result = submit(make_record(seed=1, skill=0.9))
    assert result.added
    data = board.audit_path.read_bytes()
    assert data.startswith(complete) and torn not in data and data.endswith(b"\n")
    events = audit.read_events(board.audit_path)
    repair = events[len(committed)]
    assert repair.event == "repair" and repair.data["dropped_bytes"] == len(torn)
    assert events[-1].event == "submit" and events[-1].entry == result.entry_id
    assert audit.chain_problems(board.audit_path) == []
    assert cli("leaderboard", "verify", "synthetic").returncode == 0


def test_complete_last_event_without_its_newline_is_not_committed(board, make_record, submit) -> None:
    """Even a whole JSON event missing its newline is torn: appending to it would join two lines."""
    lines = board.audit_path.read_bytes().splitlines(keepends=True)
    board.audit_path.write_bytes(b"".join(lines[:-1]) + lines[-1].rstrip(b"\n"))
    dropped = json.loads(lines[-1])
    assert dropped["entry"] not in board.entries()

    submit(make_record(seed=1, skill=0.9))
    assert audit.chain_problems(board.audit_path) == []
    assert [event.event for event in audit.read_events(board.audit_path)][len(lines) - 1] == "repair"
