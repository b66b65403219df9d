"""Rotating a signed folder board's key ($MEDBENCH_BOARD_KEY): every board the key signs logs a
`key_rotated` event signed by the old key, `verify` follows it from the board's first key, a
forged rotation is refused in one line, and an interrupted rotation finishes when run again."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from medbench.errors import LeaderboardError
from medbench.io import compact_bytes
from medbench.leaderboard.board.events import event_hash
from medbench.leaderboard.board.key_history import KEY_ROTATED, rotation_data
from medbench.leaderboard.board.signing import fingerprint, load_key, load_or_create_key, pending_path, public_pem, sign
from medbench.leaderboard.folder.log_lines import committed_lines
from medbench.leaderboard.folder import audit, key_rotation
from medbench.leaderboard.folder.signing import KEY_VARIABLE, PUBLIC_KEY_FILE, board_keys
from medbench.leaderboard.folder.store import Board
from medbench.leaderboard.folder.submit import submit_run
from medbench.leaderboard.folder.verify import verify_board
from medbench.testing import synthetic
from tests.security.conftest import BOARD


@pytest.fixture
def signed(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """A signed folder board with one entry: (its root, the key file)."""
    key = tmp_path / "board.ed25519"
    monkeypatch.setenv(KEY_VARIABLE, str(key))
    root = tmp_path / "leaderboards"
    submit_run(root, synthetic.write_record(tmp_path / "runs", seed=1), submitter="team-1")
    return root, key


def test_a_rotated_folder_board_verifies_from_its_first_key_or_the_new_one(signed, tmp_path: Path) -> None:
    root, key = signed
    first = public_pem(load_key(key))
    rotated, old, new, retired = key_rotation.rotate_folder_key(root, "committee")
    submit_run(root, synthetic.write_record(tmp_path / "runs", seed=2), submitter="team-2")
    board = Board(root, BOARD)
    event = rotated[BOARD]
    assert (old, new) == (fingerprint(first), fingerprint(public_pem(load_key(key)))) and old != new
    assert event.data == rotation_data(public_pem(load_key(key)), first)
    assert public_pem(load_key(retired)) == first and stat.S_IMODE(retired.stat().st_mode) == 0o600
    assert (board.path / PUBLIC_KEY_FILE).read_text() == first  # the anchor stays
    assert [period.fingerprint for period in board_keys(board.audit_path)] == [old, new]
    for pinned in (None, first, public_pem(load_key(key))):
        assert verify_board(board, pinned) == []
    stranger = public_pem(load_or_create_key(tmp_path / "stranger.key"))
    assert verify_board(board, stranger) == [f"{board.path}: the board is signed with another key, not with the key you pinned"]


def test_the_retired_key_no_longer_changes_the_board(signed, tmp_path: Path, monkeypatch) -> None:
    root, key = signed
    _, _, new, retired = key_rotation.rotate_folder_key(root, "committee")
    monkeypatch.setenv(KEY_VARIABLE, str(retired))
    with pytest.raises(LeaderboardError, match=f"not the key this board is signed with \\({new}\\)"):
        submit_run(root, synthetic.write_record(tmp_path / "runs", seed=2), submitter="team-2")


def test_a_forged_folder_rotation_is_refused_in_one_line(signed, tmp_path: Path) -> None:
    root, key = signed
    board = Board(root, BOARD)
    theirs = load_or_create_key(tmp_path / "theirs.key")
    lines = committed_lines(board.audit_path)
    last = json.loads(lines[-1])
    forged = []
    for name, data in [(KEY_ROTATED, rotation_data(public_pem(theirs), public_pem(load_key(key)))), ("approve", {})]:
        fields = {**last, "seq": last["seq"] + 1, "event": name, "data": data, "prev": last["hash"]}
        fields.pop("signature")
        fields["hash"] = event_hash({k: v for k, v in fields.items() if k != "hash"})
        fields["signature"] = sign(theirs, fields["hash"].encode())
        forged.append(compact_bytes(fields))
        last = fields
    board.audit_path.write_bytes(b"".join(line + b"\n" for line in lines + forged))
    assert audit.chain_problems(board.audit_path) == [
        f"{board.audit_path}:{len(lines) + 1}: a forged key rotation: it introduces key {fingerprint(public_pem(theirs))}, "
        f"signed by that key itself, but only the key in force ({fingerprint(public_pem(load_key(key)))}) can hand the log on; "
        "refused, and no later event is trusted"
    ]


def test_an_interrupted_folder_rotation_signs_only_with_keys_the_logs_introduced(tmp_path: Path, monkeypatch) -> None:
    key = tmp_path / "board.ed25519"
    monkeypatch.setenv(KEY_VARIABLE, str(key))
    root = tmp_path / "leaderboards"
    submit_run(root, synthetic.write_record(tmp_path / "runs", seed=1), submitter="team-1")
    submit_run(root, synthetic.write_record(tmp_path / "runs", seed=1), submitter="team-1", board="second")
    first = public_pem(load_key(key))
    appended = []
    real_append = audit.append_event

    def crash_after_one(*args, **kwargs):
        if appended:
            raise KeyboardInterrupt("killed after the first board logged the rotation")
        appended.append(real_append(*args, **kwargs))
        return appended[-1]

    monkeypatch.setattr(key_rotation.audit, "append_event", crash_after_one)
    with pytest.raises(KeyboardInterrupt):
        key_rotation.rotate_folder_key(root, "committee")
    monkeypatch.undo()
    monkeypatch.setenv(KEY_VARIABLE, str(key))
    introduced = public_pem(load_key(pending_path(key)))
    assert public_pem(load_key(key)) == first
    keys = {name: board_keys(Board(root, name).audit_path)[-1].public_key for name in (BOARD, "second")}
    assert sorted(keys.values()) == sorted([first, introduced])
    for name in (BOARD, "second"):  # each board is still changed with the key its own log names
        submit_run(root, synthetic.write_record(tmp_path / "runs", seed=2), submitter="team-2", board=name)
        assert verify_board(Board(root, name), first) == []
    rotated, _, new, _ = key_rotation.rotate_folder_key(root, "committee")  # run again: finished with the same key
    assert new == fingerprint(introduced) == fingerprint(public_pem(load_key(key))) and len(rotated) == 1
    for name in (BOARD, "second"):
        assert verify_board(Board(root, name), first) == [] and board_keys(Board(root, name).audit_path)[-1].public_key == introduced


def test_rotate_key_from_the_cli(signed, tmp_path: Path, capsys) -> None:
    from medbench.cli import main

    root, key = signed
    assert main(["board", "rotate-key", "--by", "committee", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert f"-> {fingerprint(public_pem(load_key(key)))}: {BOARD} (audit event" in out and ".retired-" in out
    assert main(["leaderboard", "verify", BOARD, "--root", str(root)]) == 0
    assert "rotated 1 time(s) from the first key" in capsys.readouterr().out
    assert main(["board", "rotate-key", "--by", "committee", "--root", str(tmp_path / "empty")]) == 2
    assert "nothing to rotate" in capsys.readouterr().err
