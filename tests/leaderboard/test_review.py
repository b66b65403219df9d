"""Committee review: allowed transitions only, each one a chained audit event."""

from __future__ import annotations

from pathlib import Path

import pytest

from medbench.errors import LeaderboardError
from medbench.leaderboard.folder import audit
from medbench.leaderboard.board.lifecycle import review_states
from medbench.leaderboard.folder.review import record_reproduction, transition
from medbench.leaderboard.folder.store import Board


@pytest.fixture
def entry(make_record, submit) -> str:
    return submit(make_record(seed=1)).entry_id


def states(root: Path) -> dict[str, str]:
    return review_states(audit.read_events(Board(root, "synthetic").audit_path))


def test_submitted_reproduced_approved(entry, root: Path, cli) -> None:
    assert states(root)[entry] == "submitted"
    refused = cli("review", "approve", entry[:10], "--reviewer", "ada", "--note", "looks fine")
    assert refused.returncode == 2 and "approve is possible only from reproduced" in refused.stderr
    record_reproduction(root, "synthetic", entry, reproducer="ci", reproduced_run_id="r2", matches=True, note="same AUROC")
    assert states(root)[entry] == "reproduced"
    approved = cli("review", "approve", entry[:10], "--reviewer", "ada", "--note", "reproduced exactly")
    assert approved.returncode == 0, approved.stderr
    assert f"approved entry {entry[:12]}" in approved.stdout
    assert states(root)[entry] == "approved"
    events = audit.read_events(Board(root, "synthetic").audit_path)
    assert [(e.event, e.actor, e.note) for e in events if e.entry == entry][-2:] == [
        ("reproduce", "ci", "same AUROC"),
        ("approve", "ada", "reproduced exactly"),
    ]
    again = cli("review", "reject", entry[:10], "--reviewer", "bob", "--note", "changed my mind")
    assert again.returncode == 2 and "is approved" in again.stderr
    assert cli("leaderboard", "verify").returncode == 0


def test_failed_reproduction_keeps_the_entry_submitted_and_it_can_be_rejected(entry, root: Path) -> None:
    board = Board(root, "synthetic")
    event = record_reproduction(
        root, "synthetic", entry, reproducer="ci", reproduced_run_id="r2", matches=False,
        differences={"auroc": {"submitted": 0.9, "reproduced": 0.8}},
    )
    assert event.event == "reproduction_failed" and event.data["differences"]["auroc"]["reproduced"] == 0.8
    assert states(root)[entry] == "submitted"
    transition(board, entry, "reject", actor="ada", note="does not reproduce")
    assert states(root)[entry] == "rejected"


def test_a_decision_needs_a_reviewer_and_a_reason(entry, root: Path) -> None:
    board = Board(root, "synthetic")
    with pytest.raises(LeaderboardError, match="--note"):
        transition(board, entry, "reject", actor="ada", note=" ")
    with pytest.raises(LeaderboardError, match="--reviewer"):
        transition(board, entry, "reject", actor="", note="bad")


def test_unknown_entry_is_named(entry, cli) -> None:
    result = cli("review", "reject", "ffffffff", "--reviewer", "ada", "--note", "x")
    assert result.returncode == 2 and "no entry 'ffffffff'" in result.stderr
