"""Rotating the server's signing key: the old key signs a `key_rotated` event that introduces the new
one, exports verify from the first published key or the new one, a forged rotation is refused in
one line, and a crash in the middle never leaves a key file the log did not introduce."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from medbench.errors import LeaderboardError
from medbench.io import canonical_bytes, compact_bytes
from medbench.leaderboard.board.events import event_hash
from medbench.leaderboard.board.key_history import KEY_ROTATED, rotation_data
from medbench.leaderboard.board.signing import (
    fingerprint,
    load_key,
    load_or_create_key,
    load_public_key,
    pending_path,
    public_pem,
    sign,
    signature_holds,
)
from medbench.leaderboard.committee import key_files
from medbench.leaderboard.committee.publish import export, verify_export
from medbench.leaderboard.committee.signed_log import head_message
from medbench.leaderboard.committee.store import CommitteeStore
from medbench.records.record import read_record
from medbench.testing import synthetic

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _submit(store: CommitteeStore, board: str, runs: Path, user, seed: int) -> None:
    store.submit(board, read_record(synthetic.write_record(runs, seed=seed)).predictions(), {}, user)


def test_a_rotated_log_verifies_from_the_first_key_or_the_new_one(store, board, people, runs, db_url, key_path, tmp_path) -> None:
    _submit(store, board, runs, people.alice, seed=1)
    first = store.public_key
    before = export(store, tmp_path / "before", tiers=False)
    event, retired = key_files.rotate(store, people.admin)
    new = store.public_key
    _submit(store, board, runs, people.carol, seed=2)
    after = export(store, tmp_path / "after", tiers=False)

    assert event.event == KEY_ROTATED and event.data == rotation_data(new, first) and new != first
    assert signature_holds(load_public_key(first), event.hash.encode(), event.signature)  # the old key hands over
    assert all(signature_holds(load_public_key(new), e.hash.encode(), e.signature) for e in store.events() if e.seq > event.seq)
    assert public_pem(load_key(key_path)) == new and not pending_path(key_path).exists()
    assert public_pem(load_key(retired)) == first and stat.S_IMODE(retired.stat().st_mode) == 0o600
    assert retired.name == f"{key_path.name}.retired-{fingerprint(first)}"
    for pinned in (first, new, None):
        assert verify_export(after, public_key_pem=pinned, old_head=before / "head.json")[0] == []
    facts = verify_export(after)[1]
    assert (facts["first_key"], facts["key"], facts["keys"]) == (fingerprint(first), fingerprint(new), 2)
    history = json.loads((after / "key_history.json").read_bytes())
    assert [(p["fingerprint"], p["since_event"], p["rotated_at"]) for p in history] == [
        (fingerprint(first), 0, None), (fingerprint(new), event.seq + 1, event.time)
    ]
    stranger = public_pem(load_or_create_key(tmp_path / "stranger.key"))
    assert "the key you pinned" in verify_export(after, public_key_pem=stranger)[0][0]
    with pytest.raises(LeaderboardError, match="holds the retired key"):
        CommitteeStore(db_url, retired)


@SQLITE_ONLY
@pytest.mark.parametrize("signer", ["itself", "unknown"])
def test_a_forged_rotation_is_refused_in_one_line(store, board, people, runs, tmp_path, signer) -> None:
    """Someone without the server's key appends a rotation to their own key and signs on with it."""
    _submit(store, board, runs, people.alice, seed=1)
    out = export(store, tmp_path / "public", tiers=False)
    original = store.public_key
    theirs = load_or_create_key(tmp_path / "theirs.key")
    rotation_signer = theirs if signer == "itself" else load_or_create_key(tmp_path / "unknown.key")
    lines = (out / "log.jsonl").read_bytes().splitlines()
    last = json.loads(lines[-1])
    forged = []
    for offset, (name, data, key) in enumerate([
        (KEY_ROTATED, rotation_data(public_pem(theirs), original), rotation_signer),
        ("approve", {}, theirs),
    ]):
        fields = {"seq": last["seq"] + 1, "time": last["time"], "board": None, "event": name, "entry": None, "actor": "root",
                  "note": "", "data": data, "prev": last["hash"]}
        fields["hash"] = event_hash(fields)
        fields["signature"] = sign(key, fields["hash"].encode())
        forged.append(compact_bytes(fields))
        last = fields
    (out / "log.jsonl").write_bytes(b"".join(line + b"\n" for line in lines + forged))
    (out / "public_key.pem").write_text(public_pem(theirs))
    count, theirs_sha = len(lines) + 2, fingerprint(public_pem(theirs))
    site = json.loads((out / "head.json").read_bytes())["site_sha256"]
    (out / "head.json").write_bytes(canonical_bytes({
        "count": count, "hash": last["hash"], "public_key": theirs_sha, "site_sha256": site,
        "signature": sign(theirs, head_message(count, last["hash"], theirs_sha, site)),
    }))
    how = "signed by that key itself" if signer == "itself" else "not signed by it"
    for pinned in (original, None):
        problems = verify_export(out, public_key_pem=pinned)[0]
        assert problems == [
            f"{out / 'log.jsonl'}:{len(lines) + 1}: a forged key rotation: it introduces key {theirs_sha}, {how}, but only "
            f"the key in force ({fingerprint(original)}) can hand the log on; refused, and no later event is trusted"
        ]


@SQLITE_ONLY
def test_a_crash_after_the_log_named_the_new_key_is_finished_when_the_store_opens(
    store, board, people, runs, db_url, key_path, tmp_path, monkeypatch
) -> None:
    first = store.public_key

    def crash(*_args) -> None:
        raise KeyboardInterrupt("killed before the rename")

    monkeypatch.setattr(key_files.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        key_files.rotate(store, people.admin)
    monkeypatch.undo()
    store.close()
    assert public_pem(load_key(key_path)) == first  # the key file is behind the log
    introduced = public_pem(load_key(pending_path(key_path)))
    reopened = CommitteeStore(db_url, key_path)
    try:
        assert reopened.public_key == introduced == public_pem(load_key(key_path))
        assert not pending_path(key_path).exists()
        _submit(reopened, board, runs, people.alice, seed=1)
        out = export(reopened, tmp_path / "public", tiers=False)
    finally:
        reopened.close()
    assert verify_export(out, public_key_pem=first)[0] == []


@SQLITE_ONLY
def test_a_crash_before_the_log_named_the_new_key_leaves_the_old_one_signing(
    store, board, people, runs, db_url, key_path, tmp_path, monkeypatch
) -> None:
    first = store.public_key

    def crash(*_args) -> None:
        raise KeyboardInterrupt("killed before the transaction committed")

    monkeypatch.setattr(CommitteeStore, "record_rotation", crash)
    with pytest.raises(KeyboardInterrupt):
        key_files.rotate(store, people.admin)
    monkeypatch.undo()
    store.close()
    unused = public_pem(load_key(pending_path(key_path)))
    reopened = CommitteeStore(db_url, key_path)
    try:
        assert reopened.public_key == first != unused
        _submit(reopened, board, runs, people.alice, seed=1)
        assert all(e.event != KEY_ROTATED for e in reopened.events())
        key_files.rotate(reopened, people.admin)  # the next rotation drops the unused key and makes its own
        assert reopened.public_key not in (first, unused)
        out = export(reopened, tmp_path / "public", tiers=False)
    finally:
        reopened.close()
    assert verify_export(out, public_key_pem=first)[0] == []


@SQLITE_ONLY
def test_a_running_store_signs_with_the_new_key_after_another_process_rotated(
    store, board, people, runs, db_url, key_path, tmp_path
) -> None:
    first = store.public_key
    rotating = CommitteeStore(db_url, key_path)
    try:
        key_files.rotate(rotating, people.admin)
    finally:
        rotating.close()
    _submit(store, board, runs, people.alice, seed=1)  # the serving store follows on its next write
    assert store.public_key != first and store.head()["public_key"] == fingerprint(store.public_key)
    assert verify_export(export(store, tmp_path / "public", tiers=False), public_key_pem=first)[0] == []


@SQLITE_ONLY
def test_public_key_answers_the_current_key_and_its_history(store, people) -> None:
    from fastapi.testclient import TestClient

    from medbench.leaderboard.committee.app import create_app

    first = store.public_key
    key_files.rotate(store, people.admin)
    with TestClient(create_app(store)) as client:
        assert client.get("/public-key").text == store.public_key
        answer = client.get("/public-key", headers={"Accept": "application/json"}).json()
    assert answer["fingerprint"] == fingerprint(store.public_key) and answer["public_key"] == store.public_key
    assert [p["fingerprint"] for p in answer["history"]] == [fingerprint(first), fingerprint(store.public_key)]
    assert answer["history"][1]["rotated_at"] is not None


@pytest.mark.slow  # thirteen CLI processes (~9 s on two shared cores)
def test_rotate_from_the_cli_end_to_end_and_a_forged_rotation_fails_verify(medbench_cli, tmp_path) -> None:
    db = ("--db", f"sqlite:///{tmp_path}/committee.db", "--key", str(tmp_path / "server.ed25519"))
    assert medbench_cli("admin", "key", "create", "--key", db[3]).returncode == 0
    first = medbench_cli("admin", "key", "show", "--key", db[3]).stdout.split("\n", 1)[1]
    root = medbench_cli("admin", "create-user", "root", "--role", "admin", *db).stdout.strip().splitlines()[-1]
    alice = medbench_cli("admin", "create-user", "alice", "--role", "submitter", "--team", "A", *db, token=root)
    alice = alice.stdout.strip().splitlines()[-1]
    hospital = synthetic.write_record(tmp_path / "hospital", seed=0)
    assert medbench_cli("board", "create", "synthetic", "--from-record", str(hospital), *db, token=root).returncode == 0
    partner = synthetic.write_record(tmp_path / "runs", seed=1)
    assert medbench_cli("submit", str(partner), *db, token=alice).returncode == 0

    refused = medbench_cli("admin", "key", "rotate", *db, token=alice)
    assert refused.returncode == 2 and "only admin may rotate the signing key" in refused.stderr
    assert sorted(path.name for path in tmp_path.glob("server.ed25519*")) == ["server.ed25519"]
    rotated = medbench_cli("admin", "key", "rotate", *db, token=root)
    assert rotated.returncode == 0, rotated.stderr
    assert f"-> {fingerprint(public_pem(load_key(Path(db[3]))))} (audit event 4, key_rotated" in rotated.stdout
    assert "retired-" in rotated.stdout and "2 key(s)" in rotated.stdout
    shown = medbench_cli("admin", "key", "show", *db)
    assert shown.returncode == 0 and f"1. {fingerprint(first)}  the log's first key" in shown.stdout
    assert "2. " in shown.stdout and "rotated in at" in shown.stdout and "(current)" in shown.stdout
    other = synthetic.write_record(tmp_path / "runs", seed=2)
    assert medbench_cli("submit", str(other), *db, token=alice).returncode == 0
    assert medbench_cli("leaderboard", "export", "-o", str(tmp_path / "public"), "--no-tiers", *db).returncode == 0

    (tmp_path / "first.pem").write_text(first)
    (tmp_path / "new.pem").write_text(public_pem(load_key(Path(db[3]))))
    for pinned in ("first.pem", "new.pem"):
        verified = medbench_cli("leaderboard", "verify", str(tmp_path / "public"), "--public-key", str(tmp_path / pinned))
        assert verified.returncode == 0 and "rotated 1 time(s)" in verified.stdout, verified.stdout + verified.stderr

    log = tmp_path / "public" / "log.jsonl"  # the rotation re-signed by the key it introduces
    lines = log.read_bytes().splitlines()
    fields = json.loads(lines[4])
    assert fields["event"] == KEY_ROTATED
    fields["signature"] = sign(load_key(Path(db[3])), fields["hash"].encode())
    log.write_bytes(b"".join(line + b"\n" for line in lines[:4] + [compact_bytes(fields)] + lines[5:]))
    forged = medbench_cli("leaderboard", "verify", str(tmp_path / "public"), "--public-key", str(tmp_path / "first.pem"))
    assert forged.returncode == 1
    assert forged.stdout.splitlines()[1:] == [
        f"  {log}:5: a forged key rotation: it introduces key {fingerprint((tmp_path / 'new.pem').read_text())}, signed by "
        f"that key itself, but only the key in force ({fingerprint(first)}) can hand the log on; refused, and no later event is trusted"
    ]


def test_rotate_refuses_bad_input_in_one_line(medbench_cli, tmp_path) -> None:
    database = f"sqlite:///{tmp_path}/committee.db"
    missing = medbench_cli("admin", "key", "rotate", "--db", database, "--key", str(tmp_path / "none.ed25519"))
    assert missing.returncode == 2 and missing.stderr.strip().count("\n") == 0
    assert f"no key at {tmp_path / 'none.ed25519'}" in missing.stderr
    key = tmp_path / "server.ed25519"
    CommitteeStore(database, key).close()
    no_db = medbench_cli("admin", "key", "rotate", "--key", str(key))
    assert no_db.returncode == 2 and "--db" in no_db.stderr and no_db.stderr.strip().count("\n") == 0
    load_or_create_key(tmp_path / "another.ed25519")
    wrong = medbench_cli("admin", "key", "rotate", "--db", database, "--key", str(tmp_path / "another.ed25519"))
    assert wrong.returncode == 2 and "signed with key" in wrong.stderr and wrong.stderr.strip().count("\n") == 0
    assert not (tmp_path / "another.ed25519.next").exists() and os.listdir(tmp_path).count("another.ed25519") == 1


@SQLITE_ONLY
def test_a_store_that_moves_the_new_key_first_does_not_break_the_rotation(store, people, db_url, key_path, monkeypatch) -> None:
    real = CommitteeStore.record_rotation

    def then_another_store_opens(self, new_key, actor):
        event = real(self, new_key, actor)
        CommitteeStore(db_url, key_path).close()  # it finds KEY.next holding the log's key and moves it into place
        return event

    monkeypatch.setattr(CommitteeStore, "record_rotation", then_another_store_opens)
    key_files.rotate(store, people.admin)
    assert public_pem(load_key(key_path)) == store.public_key and not pending_path(key_path).exists()
