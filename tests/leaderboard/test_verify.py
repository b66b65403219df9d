"""Tampering: any edit of an entry, the board file, the predictions or the audit log is reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medbench.errors import LeaderboardError
from medbench.leaderboard.folder.store import Board


@pytest.fixture
def board(make_record, submit, root: Path) -> Board:
    for seed in range(3):
        submit(make_record(seed=seed, skill=0.5 + seed / 10))
    return Board(root, "synthetic")


def test_untouched_boards_verify(board, cli) -> None:
    result = cli("leaderboard", "verify")
    assert result.returncode == 0, result.stdout
    assert "board synthetic: ok" in result.stdout


def test_edited_entry_is_named_and_refused_by_readers(board, cli) -> None:
    entry_id = board.entry_ids()[1]
    path = board.entry_path(entry_id)
    content = json.loads(path.read_text())
    content["metrics"]["auroc"]["value"] = 0.999
    path.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n")
    result = cli("leaderboard", "verify", "synthetic")
    assert result.returncode == 1
    assert f"{path}: edited entry" in result.stdout
    with pytest.raises(LeaderboardError, match="edited by hand"):
        board.entries()
    shown = cli("leaderboard", "show", "synthetic")
    assert shown.returncode == 2 and str(path) in shown.stderr


def test_edited_audit_line_breaks_the_chain_at_that_line(board, cli) -> None:
    lines = board.audit_path.read_text().splitlines()
    event = json.loads(lines[2])
    event["actor"] = "someone else"
    lines[2] = json.dumps(event, sort_keys=True, separators=(",", ":"))
    board.audit_path.write_text("\n".join(lines) + "\n")
    result = cli("leaderboard", "verify")
    assert result.returncode == 1
    assert f"{board.audit_path}:3: the event's content does not match its hash" in result.stdout


def test_removed_audit_line_breaks_the_chain(board, cli) -> None:
    lines = board.audit_path.read_text().splitlines()
    board.audit_path.write_text("\n".join(lines[:1] + lines[2:]) + "\n")
    result = cli("leaderboard", "verify")
    assert result.returncode == 1
    assert f"{board.audit_path}:2: the chain is broken" in result.stdout
    assert "entry has no submit event" in result.stdout


def test_removed_entry_edited_board_file_and_missing_predictions_are_reported(board, cli) -> None:
    removed = board.entry_ids()[0]
    sha = board.read_entry(board.entry_ids()[1]).provenance.predictions_sha256
    board.entry_path(removed).unlink()
    board.predictions_path(sha).unlink()
    board.spec_path.write_text(board.spec_path.read_text().replace('"version": "1.0"', '"version": "2.0"'))
    result = cli("leaderboard", "verify")
    assert result.returncode == 1
    assert f"{board.entry_path(removed)}: submitted entry is missing" in result.stdout
    assert f"{board.predictions_path(sha)}: predictions referenced by entries are missing" in result.stdout
    assert f"{board.spec_path}: the board file does not match" in result.stdout
