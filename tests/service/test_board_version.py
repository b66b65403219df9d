"""`medbench board version` on the committee's store: a newer task version with new hidden labels;
the older entries stale but still reproduced against (and released as) what they were scored on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from medbench.errors import LeaderboardError
from medbench.io import canonical_bytes, sha256_hex
from medbench.leaderboard.board.ranking import rank_entries
from medbench.leaderboard.board.release import finest_resolution
from medbench.leaderboard.committee.board_admin import version_board_from_record
from medbench.leaderboard.committee.store import CommitteeStore, Forbidden
from medbench.records.record import read_record
from medbench.testing import synthetic

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
NEW = {"task_version": "1.1", "data_seed": 5, "n_samples": 500}  # the hospital's new test set: other patients, more of them


def _submit(store: CommitteeStore, board: str, user, runs: Path, seed: int, **record) -> tuple[str, object]:
    """Submit a synthetic run as a client does (its predictions and its description); return the entry id and record."""
    from medbench.leaderboard.committee.client import record_submission

    run = synthetic.write_record(runs, seed=seed, **record)
    frame, meta, _ = record_submission(run)
    return store.submit(board, frame, meta, user).entry_id, read_record(run)


@pytest.fixture
def versioned(store: CommitteeStore, board: str, people, runs: Path) -> dict:
    """The service board with two entries of task version 1.0 (one the baseline), then opened at 1.1."""
    old, old_record = _submit(store, board, people.alice, runs, seed=1)
    other, _ = _submit(store, board, people.carol, runs, seed=2, skill=0.6)
    store.set_baseline(board, other, "the reference", people.dave)
    released_before = store.released(board)
    old_labels = store.hidden_labels(board)
    event = version_board_from_record(store, synthetic.write_record(runs, seed=0, **NEW), board, actor=people.admin)
    return {"old": old, "other": other, "old_record": old_record, "released_before": released_before,
            "old_labels": old_labels, "event": event}


def test_a_new_version_keeps_the_old_labels_and_makes_old_entries_stale(store, board, people, runs, versioned) -> None:
    event, spec = versioned["event"], store.spec(board)
    assert event.event == "upgrade" and event.actor == people.admin.name
    assert event.data["task_version"] == "1.1" and event.data["previous_version"] == "1.0" and event.data["n_samples"] == 500
    assert event.data["board_sha256"] == sha256_hex(canonical_bytes(spec.model_dump(mode="json")))
    assert spec.task_version == "1.1" and spec.baseline is None
    assert spec.dataset_fingerprint == read_record(synthetic.write_record(runs, seed=0, **NEW)).manifest.dataset.fingerprint
    assert spec.release.resolution == finest_resolution(500) < finest_resolution(200)  # recomputed for the new test set
    assert len(store.hidden_labels(board).truth) == 500
    old_labels = store.hidden_labels(board, "1.0")
    assert old_labels.truth.equals(versioned["old_labels"].truth)
    # The old entries' released bytes are those their submit events hold (the export verifies them).
    assert {entry: store.released(board)[entry] for entry in versioned["released_before"]} == versioned["released_before"]

    new, new_record = _submit(store, board, people.carol, runs, seed=3, **NEW)
    computed = store.aggregates(board)[new]["metrics"]
    assert {name: value["value"] for name, value in computed.items()} == {
        name: value.value for name, value in new_record.metrics().values.items()
    }  # scored on the new labels: the hospital-side record's own numbers
    ranking = rank_entries(spec, store.released_entries(board), store.events(board))
    assert [row.entry_id for row in ranking.current] == [new]
    assert {row.entry_id for row in ranking.stale} == {versioned["old"], versioned["other"]}

    # A stale entry is reproduced against the labels of its own version, and only those.
    reproduced = store.record_reproduction(versioned["old"], versioned["old_record"].predictions(), people.bob)
    assert reproduced.event == "reproduce" and reproduced.data["matches"]


def test_a_run_of_the_old_version_is_refused_with_the_reason(store, board, people, runs, versioned) -> None:
    from medbench.leaderboard.committee.client import record_submission

    frame, meta, _ = record_submission(synthetic.write_record(runs, seed=7))
    with pytest.raises(LeaderboardError, match=r"task version 1.0 is older than the board's 1.1: rerun under the current protocol"):
        store.submit(board, frame, meta, people.alice)
    without_version = {key: value for key, value in meta.items() if key != "task_version"}  # a client that names no version
    with pytest.raises(LeaderboardError, match=r"made on the data of task version 1.0, which the board's task version 1.1"):
        store.submit(board, frame, without_version, people.alice)
    with pytest.raises(LeaderboardError, match="300 of the test set's 500 sample ids have no score"):  # a bare file of the old test set
        store.submit(board, frame[["sample_id", "score"]], {}, people.alice)


def test_only_an_admin_opens_a_newer_version_of_the_same_task(store, board, people, runs) -> None:
    newer = synthetic.write_record(runs, seed=0, **NEW)
    with pytest.raises(Forbidden, match="only admin may open task versions"):
        version_board_from_record(store, newer, board, actor=people.bob)
    with pytest.raises(LeaderboardError, match="is not newer than the board's '1.0'"):
        version_board_from_record(store, synthetic.write_record(runs, seed=0, data_seed=5), board, actor=people.admin)
    with pytest.raises(LeaderboardError, match="differs from the board's task 'synthetic'"):
        version_board_from_record(
            store, synthetic.write_record(runs, seed=0, kind="survival", task_version="2.0"), board, actor=people.admin
        )
    assert store.spec(board).task_version == "1.0" and [event.event for event in store.events(board)] == ["create"]


@SQLITE_ONLY
def test_an_export_after_a_new_version_verifies(store, board, people, runs, versioned, tmp_path) -> None:
    from medbench.leaderboard.committee.publish import export, verify_export

    _submit(store, board, people.carol, runs, seed=3, **NEW)
    _submit(store, board, people.alice, runs, seed=4, skill=0.6, **NEW)
    out = export(store, tmp_path / "public")
    problems, facts = verify_export(out)
    assert problems == [] and facts["boards"] == 1
    exported = json.loads((out / "boards" / board / "board.json").read_bytes())
    assert exported["protocol"]["version"] == "1.1"
    assert sha256_hex((out / "boards" / board / "board.json").read_bytes()) == versioned["event"].data["board_sha256"]


@SQLITE_ONLY
def test_served_tiers_after_a_new_version_test_the_new_labels(store, board, people, runs) -> None:
    """A server's kept paired tests are of the old version's truth: the new version's tiers are tested anew."""
    from medbench.leaderboard.committee.pages import ServedPages

    for seed, skill in ((1, 0.9), (2, 0.5)):
        _submit(store, board, people.alice, runs, seed=seed, skill=skill)
    kept = ServedPages(store)
    assert sum(row.get("tier") is not None for row in json.loads(kept.board(board).bodies["json"].content)["entries"]) == 2
    version_board_from_record(store, synthetic.write_record(runs, seed=0, **NEW), board, actor=people.admin)
    for seed, skill in ((3, 0.9), (4, 0.5)):
        _submit(store, board, people.carol, runs, seed=seed, skill=skill, **NEW)
    after = kept.board(board).bodies["json"].content
    assert after == ServedPages(store).board(board).bodies["json"].content
    rows = json.loads(after)["entries"]
    assert sum(row.get("tier") is not None for row in rows) == 2 and len(rows) == 4


@SQLITE_ONLY  # the command is a thin layer over the store, tested on both backends above
def test_the_cli_opens_a_version_and_refuses_an_older_one_in_one_line(db_url, key_path, runs, medbench_cli) -> None:
    store = CommitteeStore(db_url, key_path)
    admin, token = store.create_user("root", "admin", None, None)
    store.close()
    common = ("--db", db_url, "--key", str(key_path))
    made = medbench_cli("board", "create", "b", "--from-record", str(synthetic.write_record(runs, seed=0)), *common, token=token)
    assert made.returncode == 0, made.stderr
    opened = medbench_cli("board", "version", "b", "--from-record", str(synthetic.write_record(runs, seed=0, **NEW)), *common, token=token)
    assert opened.returncode == 0, opened.stderr
    assert "board b is at task version 1.1 (from 1.0): 500 new hidden test samples" in opened.stdout
    again = medbench_cli("board", "version", "b", "--from-record", str(synthetic.write_record(runs, seed=0)), *common, token=token)
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1
    assert "not newer than the board's '1.1'" in again.stderr


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_a_database_of_the_previous_schema_upgrades_and_keeps_its_labels(db_url, key_path, runs) -> None:
    """A store at migration 0001 (one set of labels a board) opens at the current head: its labels become
    those of the board's task version, and the board takes entries and a new version."""
    from alembic import command

    from medbench.leaderboard.committee.board_admin import create_board_from_record
    from medbench.leaderboard.committee.db.engine import alembic_config, sqlalchemy_url
    from tests.service.conftest import make_people

    store = CommitteeStore(db_url, key_path)
    people = make_people(store)
    create_board_from_record(store, synthetic.write_record(runs, seed=0), "b", daily_quota=5, actor=people.admin)
    entry, record = _submit(store, "b", people.alice, runs, seed=1)
    labels = store.hidden_labels("b")
    store.close()
    engine = create_engine(sqlalchemy_url(db_url))
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
        assert "hidden_labels" in inspect(connection).get_table_names()
    engine.dispose()

    store = CommitteeStore(db_url, key_path)
    try:
        assert store.hidden_labels("b", "1.0").truth.equals(labels.truth)
        assert store.policy("b") == store.spec("b").release
        version_board_from_record(store, synthetic.write_record(runs, seed=0, **NEW), "b", actor=people.admin)
        assert store.record_reproduction(entry, record.predictions(), people.bob).event == "reproduce"
        assert _submit(store, "b", people.carol, runs, seed=3, **NEW)[0] in store.aggregates("b")
    finally:
        store.close()


@SQLITE_ONLY
def test_over_http_an_old_run_is_refused_and_a_stale_entry_reproduced(store, board, people, runs, versioned) -> None:
    """The service decodes a reproduction against the stale entry's own test set, a submission against the new one."""
    from fastapi.testclient import TestClient

    from medbench.leaderboard.committee.app import create_app
    from medbench.leaderboard.committee.client import _encoded, record_submission

    frame, meta, _ = record_submission(synthetic.write_record(runs, seed=7))
    with TestClient(create_app(store)) as http:
        refused = http.post(
            f"/boards/{board}/submissions", json={"meta": meta, "predictions": _encoded(frame)},
            headers={"Authorization": f"Bearer {people.tokens['alice']}"},
        )
        assert refused.status_code == 422 and "older than the board's 1.1" in refused.json()["detail"]
        reproduced = http.post(
            f"/entries/{versioned['old'][:12]}/reproductions",
            json={"predictions": _encoded(versioned["old_record"].predictions())},
            headers={"Authorization": f"Bearer {people.tokens['bob']}"},
        )
        assert reproduced.status_code == 200, reproduced.text
        assert reproduced.json()["event"] == "reproduce"
