"""The public export and its offline verification: every tampering the issue names is caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medbench.testing import synthetic
from medbench.leaderboard.committee.store import CommitteeStore
from medbench.io import canonical_bytes, compact_bytes, sha256_hex
from medbench.leaderboard.committee.publish import export, verify_export
from medbench.leaderboard.board.events import event_hash
from medbench.leaderboard.board.key_history import first_period
from medbench.leaderboard.committee.signed_log import head_message
from medbench.leaderboard.board.signing import fingerprint, load_or_create_key, public_pem, sign
from medbench.records.record import read_record

# Tampering happens to the exported files: one backend shows it (both export in test 1).
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def exported(store: CommitteeStore, board: str, people, runs: Path, tmp_path: Path) -> Path:
    """An export of a board with two entries: one the committee's baseline, one reproduced and rejected."""
    record = read_record(synthetic.write_record(runs, seed=1))
    first = store.submit(board, record.predictions(), {"run_id": record.run_id}, people.alice).entry_id
    second = store.submit(board, read_record(synthetic.write_record(runs, seed=2, skill=0.3)).predictions(), {}, people.carol)
    store.set_baseline(board, second.entry_id, "the committee's reference model", people.dave)
    store.record_reproduction(first, record.predictions(), people.bob)
    store.review(first, "reject", "leaks the test set", people.bob)
    out = tmp_path / "public"
    export(store, out)
    return out


def lines(folder: Path) -> list[bytes]:
    return (folder / "log.jsonl").read_bytes().splitlines()


def write_lines(folder: Path, new: list[bytes]) -> None:
    (folder / "log.jsonl").write_bytes(b"".join(line + b"\n" for line in new))


def test_an_untouched_export_verifies_and_holds_aggregates_only(exported: Path, runs: Path) -> None:
    problems, facts = verify_export(exported)
    assert problems == [] and facts["events"] == 11 and facts["boards"] == 1
    board_file = json.loads((exported / "boards" / "synthetic" / "board.json").read_bytes())
    assert board_file["baseline"] in {path.stem for path in (exported / "boards" / "synthetic" / "entries").glob("*.json")}
    sample_ids = set(synthetic.samples(200, 0)[0])
    for path in exported.rglob("*"):
        assert path.suffix != ".parquet"
        if path.is_file():
            content = path.read_text(errors="replace")
            assert not any(sample_id in content for sample_id in list(sample_ids)[:50]), path
    assert (exported / "site" / "synthetic" / "index.html").is_file()


@SQLITE_ONLY
def test_an_edited_event_is_caught(exported: Path) -> None:
    log = lines(exported)
    log[-1] = log[-1].replace(b'"reject"', b'"approve"')
    write_lines(exported, log)
    assert any("does not match its hash" in problem for problem in verify_export(exported)[0])


@SQLITE_ONLY
def test_reordered_and_deleted_events_are_caught(exported: Path) -> None:
    log = lines(exported)
    write_lines(exported, log[:6] + [log[7], log[6]] + log[8:])
    assert any("chain is broken" in problem for problem in verify_export(exported)[0])
    write_lines(exported, log[:8] + log[9:])
    assert any("chain is broken" in problem for problem in verify_export(exported)[0])


@SQLITE_ONLY
def test_truncation_is_caught_against_an_earlier_head(exported: Path, tmp_path: Path) -> None:
    """Cutting the committee's reject (and re-signing nothing) still matches a cut head... unless one kept the old head."""
    kept = tmp_path / "head-seen-last-week.json"
    kept.write_bytes((exported / "head.json").read_bytes())
    write_lines(exported, lines(exported)[:-1])
    problems = verify_export(exported, old_head=kept)[0]
    assert any("cut from its end" in problem for problem in problems)


@SQLITE_ONLY
def test_a_rebuilt_chain_fails_its_signatures(exported: Path, tmp_path: Path) -> None:
    """An attacker edits an event and recomputes every hash and the head, without the server's key."""
    forged_key = load_or_create_key(tmp_path / "attacker.key")
    rebuilt, prev = [], "0" * 64
    for line in lines(exported):
        fields = json.loads(line)
        if fields["event"] == "reject":
            fields["event"], fields["note"] = "approve", "looks great"
        fields["prev"] = prev
        fields["hash"] = event_hash(fields)
        fields["signature"] = sign(forged_key, fields["hash"].encode())
        rebuilt.append(compact_bytes(fields))
        prev = fields["hash"]
    write_lines(exported, rebuilt)
    original_key = (exported / "public_key.pem").read_text()
    problems = verify_export(exported, public_key_pem=original_key)[0]
    assert any("signature does not hold" in problem for problem in problems)
    # Swapping in the attacker's key too: the pinned key, or an earlier head, exposes it.
    (exported / "public_key.pem").write_text(public_pem(forged_key))
    (exported / "key_history.json").write_bytes(canonical_bytes([first_period(public_pem(forged_key)).as_json()]))
    forged, site = fingerprint(public_pem(forged_key)), json.loads((exported / "head.json").read_bytes())["site_sha256"]
    (exported / "head.json").write_bytes(canonical_bytes({
        "count": len(rebuilt), "hash": prev, "public_key": forged, "site_sha256": site,
        "signature": sign(forged_key, head_message(len(rebuilt), prev, forged, site)),
    }))
    assert verify_export(exported)[0] == []  # self-consistent, so a reader must pin the key:
    assert verify_export(exported, public_key_pem=original_key)[0]


@SQLITE_ONLY
def test_edited_removed_or_added_entries_are_caught(exported: Path) -> None:
    entries = sorted((exported / "boards" / "synthetic" / "entries").glob("*.json"))
    content = json.loads(entries[0].read_bytes())
    content["metrics"]["auroc"]["value"] = 0.9999
    entries[0].write_bytes(canonical_bytes(content))
    entries[1].unlink()
    content["provenance"]["run_id"] = "invented"
    invented = canonical_bytes(content)
    (entries[0].parent / f"{sha256_hex(invented)}.json").write_bytes(invented)
    problems = "\n".join(verify_export(exported)[0])
    assert "edited entry" in problems and "missing (removed)" in problems and "added by hand" in problems


@SQLITE_ONLY
def test_an_edited_board_file_is_caught(exported: Path) -> None:
    path = exported / "boards" / "synthetic" / "board.json"
    spec = json.loads(path.read_bytes())
    spec["baseline"] = None
    path.write_bytes(canonical_bytes(spec))
    assert any("board.json: does not match the hash" in problem for problem in verify_export(exported)[0])


@SQLITE_ONLY
def test_the_export_never_replaces_a_folder_that_is_not_an_export(store: CommitteeStore, tmp_path: Path) -> None:
    from medbench.errors import LeaderboardError

    precious = tmp_path / "home"
    (precious / "thesis.tex").parent.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(LeaderboardError, match="not an earlier export"):
        export(store, precious)
    assert (precious / "thesis.tex").read_text() == "years of work"
