"""Forged boards (issue 19, items 6 and 7): a folder entry edited and re-hashed with its chain rebuilt
and a fake approval, a record whose targets were rewritten to agree with its scores, a signed
folder log rebuilt without its key, and one value edited in a committee export's site. Each is
named by `leaderboard verify` or refused by `submit`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from medbench.io import canonical_bytes, compact_bytes, sha256_hex
from medbench.leaderboard.board.entries import SubmissionRefused
from medbench.leaderboard.board.events import GENESIS, event_hash
from medbench.leaderboard.folder.log_lines import committed_lines
from medbench.leaderboard.folder import audit
from medbench.leaderboard.folder.signing import KEY_VARIABLE
from medbench.leaderboard.folder.store import Board
from medbench.leaderboard.folder.submit import submit_run
from medbench.leaderboard.folder.verify import verify_board
from medbench.testing import synthetic
from tests.security.conftest import BOARD


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "leaderboards"


def _submit(root: Path, runs: Path, seed: int):
    return submit_run(root, synthetic.write_record(runs, seed=seed), submitter=f"team-{seed}")


def _rebuild_chain(board: Board, lines: list[dict]) -> None:
    """What a forger without a key does: renumber and re-hash every event, signatures dropped."""
    previous, out = GENESIS, []
    for seq, fields in enumerate(lines):
        fields = {key: value for key, value in fields.items() if key not in ("hash", "signature")}
        fields.update(seq=seq, prev=previous)
        fields["hash"] = previous = event_hash(fields)
        out.append(compact_bytes(fields) + b"\n")
    board.audit_path.write_bytes(b"".join(out))


def _forge_entry(board: Board, entry_id: str, auroc: float) -> str:
    """Edit an entry's AUROC, store it under its new hash, point its submit event at it, rebuild
    the chain and add a reproduction and an approval that never happened; return the new id."""
    content = json.loads(board.entry_path(entry_id).read_bytes())
    content["metrics"]["auroc"]["value"] = auroc
    data = canonical_bytes(content)
    forged = sha256_hex(data)
    board.entry_path(forged).write_bytes(data)
    board.entry_path(entry_id).unlink()
    lines = [json.loads(line) for line in committed_lines(board.audit_path)]
    for fields in lines:
        if fields["entry"] == entry_id:
            fields["entry"] = forged
    for event in ("reproduce", "approve"):
        lines.append({**lines[-1], "event": event, "entry": forged, "actor": "committee", "note": "looks fine", "data": {}})
    _rebuild_chain(board, lines)
    return forged


def test_a_forged_folder_entry_with_a_rebuilt_chain_and_fake_approval_is_named_by_verify(root: Path, tmp_path: Path, capsys) -> None:
    from medbench.cli import main

    honest = _submit(root, tmp_path / "runs", seed=1)
    victim = _submit(root, tmp_path / "runs", seed=2)
    board = Board(root, BOARD)
    assert verify_board(board) == []
    forged = _forge_entry(board, victim.entry_id, 0.9999)
    assert audit.chain_problems(board.audit_path) == []  # the hashes alone no longer tell
    problems = verify_board(board)
    assert len(problems) == 1, problems
    assert str(board.entry_path(forged)) in problems[0] and "auroc 0.9999 stored" in problems[0]
    assert honest.entry_id not in problems[0]
    capsys.readouterr()
    assert main(["leaderboard", "verify", BOARD, "--root", str(root)]) == 1
    assert forged in capsys.readouterr().out


def _rewrite_targets(run_dir: Path) -> Path:
    """The record's targets replaced by its own decisions: its scores now rank them perfectly."""
    path = run_dir / "predictions.parquet"
    frame = pd.read_parquet(path)
    frame["target"] = frame["prediction"]
    frame.to_parquet(path, index=False)
    return run_dir


def test_a_record_whose_targets_were_rewritten_is_refused_by_submit(root: Path, tmp_path: Path) -> None:
    _submit(root, tmp_path / "runs", seed=1)
    forged = _rewrite_targets(synthetic.write_record(tmp_path / "forger", seed=3))
    with pytest.raises(SubmissionRefused, match="targets differ from the truth the board pinned at its first entry"):
        submit_run(root, forged, submitter="forger")
    assert len(Board(root, BOARD).entries()) == 1


def test_an_entry_with_rewritten_targets_slipped_in_by_hand_is_named_by_verify(root: Path, tmp_path: Path) -> None:
    """The same forgery placed on the board outside `submit` (by a second board's files): the pinned truth names it."""
    _submit(root, tmp_path / "runs", seed=1)
    elsewhere = tmp_path / "elsewhere"
    forged = submit_run(elsewhere, _rewrite_targets(synthetic.write_record(tmp_path / "forger", seed=3)), submitter="forger")
    board, other = Board(root, BOARD), Board(elsewhere, BOARD)
    entry = json.loads(other.entry_path(forged.entry_id).read_bytes())
    assert entry["metrics"]["auroc"]["value"] == 1.0
    board.entry_path(forged.entry_id).write_bytes(other.entry_path(forged.entry_id).read_bytes())
    sha = entry["provenance"]["predictions_sha256"]
    board.predictions_path(sha).write_bytes(other.predictions_path(sha).read_bytes())
    lines = [json.loads(line) for line in committed_lines(board.audit_path)]
    submit_line = next(json.loads(line) for line in committed_lines(other.audit_path) if b'"event":"submit"' in line)
    _rebuild_chain(board, [*lines, {**submit_line, "data": {**submit_line["data"], "truth_sha256": lines[0]["data"]["truth_sha256"]}}])
    problems = verify_board(board)
    assert len(problems) == 1 and "not the truth the board pinned" in problems[0] and forged.entry_id in problems[0], problems


def test_a_signed_folder_log_rebuilt_without_its_key_fails_verify(root: Path, tmp_path: Path, monkeypatch) -> None:
    key = tmp_path / "board.ed25519"
    monkeypatch.setenv(KEY_VARIABLE, str(key))
    _submit(root, tmp_path / "runs", seed=1)
    victim = _submit(root, tmp_path / "runs", seed=2)
    board = Board(root, BOARD)
    assert verify_board(board) == [] and all(event.signature for event in audit.read_events(board.audit_path))
    lines = [json.loads(line) for line in committed_lines(board.audit_path)]
    lines.append({**lines[-1], "event": "reject", "entry": victim.entry_id, "actor": "committee", "note": "x", "data": {}})
    _rebuild_chain(board, lines)
    problems = verify_board(board)
    assert problems and all("signature does not hold" in problem for problem in problems)
    assert len(problems) == len(lines)
    monkeypatch.delenv(KEY_VARIABLE)
    with pytest.raises(Exception, match="the board is signed"):
        _submit(root, tmp_path / "runs", seed=3)


def test_an_edited_value_in_the_exported_site_fails_verify(store, alice, tmp_path: Path) -> None:
    from medbench.leaderboard.committee.hidden import public_columns
    from medbench.leaderboard.committee.publish import SITE_DIGESTS, export, verify_export
    from medbench.records.record import read_record

    user, _ = alice
    frame = public_columns(read_record(synthetic.write_record(tmp_path / "partner", seed=1)).predictions())
    outcome = store.submit(BOARD, frame, {"name": "honest"}, user)
    out = export(store, tmp_path / "export", tiers=False)
    assert verify_export(out, public_key_pem=store.public_key)[0] == []
    page = out / "site" / BOARD / "index.html"
    value = repr(outcome.aggregates["metrics"]["auroc"]["value"])
    assert value in page.read_text()
    page.write_text(page.read_text().replace(value, "0.9999"))
    problems = verify_export(out, public_key_pem=store.public_key)[0]
    assert problems == [f"{page}: edited (its SHA-256 is not the one the signed head covers)"]
    digests = json.loads((out / SITE_DIGESTS).read_text())  # re-hashing the page moves the failure to the head
    digests[f"{BOARD}/index.html"] = sha256_hex(page.read_bytes())
    (out / SITE_DIGESTS).write_bytes(canonical_bytes(digests))
    assert any("does not match the site digest in the signed head" in problem for problem in verify_export(out, public_key_pem=store.public_key)[0])
