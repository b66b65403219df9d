"""The committee's store on SQLite and on a real PostgreSQL: server-side scoring against hidden
labels, idempotent submissions, quotas, roles, and a log the database refuses to rewrite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from medbench.errors import LeaderboardError
from medbench.testing import synthetic
from medbench.leaderboard.committee.store import CommitteeStore, Forbidden, QuotaExceeded, Unauthenticated
from medbench.records.record import read_record

# Checks that run the same SQL on both backends: one backend shows them.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_the_server_scores_the_submitted_scores_itself(store: CommitteeStore, board: str, people, runs: Path) -> None:
    record = read_record(synthetic.write_record(runs, seed=3, skill=0.5))
    frame = record.predictions()
    frame["target"] = 1 - frame["target"]  # a submitter's targets are ignored
    outcome = store.submit(board, frame, {"run_id": record.run_id}, people.alice)
    computed = store.aggregates(board)[outcome.entry_id]["metrics"]  # the committee's full-precision view
    assert outcome.added
    assert {name: value["value"] for name, value in computed.items()} == {
        name: value.value for name, value in record.metrics().values.items()
    }
    resolution = store.policy(board).resolution
    assert {name: value["value"] for name, value in outcome.aggregates["metrics"].items()} == pytest.approx(
        {name: value["value"] for name, value in computed.items()}, abs=resolution / 2 + 1e-12
    )
    assert "s00001" not in json.dumps(outcome.aggregates)  # aggregates only
    assert store.entries(board)[outcome.entry_id].provenance.submitter == "alice (A)"


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda frame: frame.iloc[1:], "have no score"),
        (lambda frame: frame.assign(sample_id=frame["sample_id"].where(frame.index > 0, "intruder")), "not in this board"),
        (lambda frame: frame.drop(columns="score"), "lack column"),
    ],
)
@SQLITE_ONLY
def test_ids_and_columns_are_checked(store, board, people, runs, damage, message) -> None:
    frame = read_record(synthetic.write_record(runs, seed=4)).predictions()
    with pytest.raises(LeaderboardError, match=message):
        store.submit(board, damage(frame), {}, people.alice)


@SQLITE_ONLY
def test_a_malformed_description_is_refused_in_one_line(store, board, people, runs) -> None:
    frame = read_record(synthetic.write_record(runs, seed=4)).predictions()
    with pytest.raises(LeaderboardError, match="description is invalid"):
        store.submit(board, frame, {"seed": "not a number"}, people.alice)


@SQLITE_ONLY
def test_a_retried_submission_is_not_added_twice_nor_counted(store, board, people, runs) -> None:
    frame = read_record(synthetic.write_record(runs, seed=5)).predictions()
    first = store.submit(board, frame, {"run_id": "r5"}, people.alice)
    again = [store.submit(board, frame.sample(frac=1.0, random_state=k), {"run_id": "r5"}, people.alice) for k in range(6)]
    assert first.added and not any(outcome.added for outcome in again)
    assert {outcome.entry_id for outcome in again} == {first.entry_id}
    assert [event.event for event in store.events(board)].count("submit") == 1


def test_the_daily_quota_limits_each_team(store, board, people, runs) -> None:
    frames = [read_record(synthetic.write_record(runs, seed=10 + k)).predictions() for k in range(6)]
    for frame in frames[:5]:
        assert store.submit(board, frame, {}, people.alice).added
    with pytest.raises(QuotaExceeded, match="5 submission"):
        store.submit(board, frames[5], {}, people.alice)
    assert store.submit(board, frames[5], {}, people.carol).added  # another team's quota


def test_roles_and_teams_decide_who_may_review(store, board, people, runs) -> None:
    record = read_record(synthetic.write_record(runs, seed=6))
    entry = store.submit(board, record.predictions(), {}, people.alice).entry_id
    with pytest.raises(Forbidden, match="role submitter"):
        store.review(entry, "reject", "no", people.carol)
    with pytest.raises(Forbidden, match="own team"):
        store.review(entry, "reject", "no", people.dave)
    with pytest.raises(LeaderboardError, match="reproduction first"):
        store.review(entry, "approve", "fine", people.bob)
    other = read_record(synthetic.write_record(runs, seed=7)).predictions()
    assert store.record_reproduction(entry, other, people.bob).event == "reproduction_failed"
    assert store.record_reproduction(entry, record.predictions(), people.bob).event == "reproduce"
    approved = store.review(entry, "approve", "reproduced on our side", people.bob)
    assert (approved.actor, approved.event) == ("bob", "approve")
    with pytest.raises(Forbidden):
        store.create_user("eve", "admin", None, people.bob)
    with pytest.raises(Unauthenticated):
        store.authenticate("mb_not-a-token")
    assert store.authenticate(people.tokens["bob"]) == people.bob


@pytest.mark.parametrize("table", ["audit_events", "entries"])
@pytest.mark.parametrize("statement", ["UPDATE {table} SET board = 'x'", "DELETE FROM {table}"])
def test_the_database_refuses_to_rewrite_the_log_or_an_entry(store, board, people, runs, table, statement) -> None:
    store.submit(board, read_record(synthetic.write_record(runs, seed=8)).predictions(), {}, people.alice)
    with pytest.raises(DBAPIError, match="append-only"):
        with store.engine.begin() as connection:
            connection.execute(text(statement.format(table=table)))
    assert len(store.events()) == 7  # five users, the board, the submission


def test_a_store_refuses_another_signing_key(store: CommitteeStore, db_url: str, tmp_path: Path) -> None:
    with pytest.raises(LeaderboardError, match="signed with key"):
        CommitteeStore(db_url, tmp_path / "another.key")


def test_the_schema_revision_constant_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    from medbench.leaderboard.committee.db.engine import SCHEMA_REVISION, alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_REVISION


def test_the_tables_the_store_queries_are_those_the_migrations_made(store: CommitteeStore) -> None:
    """tables.py mirrors the migrations: a database made by them (an existing one) is read as it is."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from medbench.leaderboard.committee.db.tables import metadata

    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_concurrent_writers_keep_one_unbroken_chain(store, board, people, runs, db_url, key_path, tmp_path) -> None:
    """Four writers (each its own engine, as separate processes would be) submit at once."""
    import threading

    from medbench.leaderboard.committee.publish import export, verify_export

    frames = [read_record(synthetic.write_record(runs, seed=20 + k)).predictions() for k in range(8)]
    writers = [CommitteeStore(db_url, key_path) for _ in range(4)]
    errors: list[BaseException] = []

    def submit(k: int) -> None:
        try:
            for frame in frames[2 * k : 2 * k + 2]:
                writers[k].submit(board, frame, {}, people.alice if k % 2 else people.carol)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=submit, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for writer in writers:
        writer.close()
    assert not errors, errors
    assert len(store.entries(board)) == 8
    assert verify_export(export(store, tmp_path / "public", tiers=False))[0] == []


@SQLITE_ONLY
def test_names_that_would_become_paths_are_refused(store: CommitteeStore, people, runs) -> None:
    from medbench.leaderboard.committee.board_admin import create_board_from_record
    from medbench.names import UnsafeName

    with pytest.raises(UnsafeName):
        create_board_from_record(store, synthetic.write_record(runs, seed=0), "../outside", daily_quota=1, actor=people.admin)
    with pytest.raises(UnsafeName):
        store.create_user("eve", "submitter", "../team", people.admin)


@SQLITE_ONLY
def test_a_retrieval_board_scores_runs_against_its_hidden_qrels(store: CommitteeStore, people, runs) -> None:
    from medbench.leaderboard.committee.board_admin import create_board_from_record

    create_board_from_record(store, synthetic.write_record(runs, seed=0, kind="retrieval", n_samples=30), "search", daily_quota=5, actor=people.admin)
    record = read_record(synthetic.write_record(runs, seed=1, kind="retrieval", n_samples=30, skill=0.5))
    outcome = store.submit("search", record.predictions(), {}, people.alice)
    assert {name: value["value"] for name, value in store.aggregates("search")[outcome.entry_id]["metrics"].items()} == {
        name: value.value for name, value in record.metrics().values.items()
    }
    invented = record.predictions().assign(sample_id="q9999")
    with pytest.raises(LeaderboardError, match="not in this board"):
        store.submit("search", invented, {}, people.alice)


@SQLITE_ONLY
@pytest.mark.parametrize("kind", ["multiclass", "survival", "regression"])
def test_every_task_kind_is_scored_against_the_boards_hidden_truth(store: CommitteeStore, people, runs, kind: str) -> None:
    """The submitted frame carries forged truth columns; the server drops them and scores against its own."""
    from medbench.leaderboard.committee.board_admin import create_board_from_record

    create_board_from_record(store, synthetic.write_record(runs, seed=0, kind=kind, n_samples=60), kind, daily_quota=5, actor=people.admin)
    record = read_record(synthetic.write_record(runs, seed=1, kind=kind, n_samples=60, skill=0.5))
    forged = record.predictions()
    truth_columns = {"multiclass": ["target"], "regression": ["target"], "survival": ["time", "event"]}[kind]
    forged[truth_columns] = forged[truth_columns].iloc[::-1].to_numpy()
    outcome = store.submit(kind, forged, {}, people.alice)
    expected = {name: value.value for name, value in record.metrics().values.items()}
    assert set(expected) == set(synthetic.SYNTHETIC_TASKS[kind].metrics)
    assert {name: value["value"] for name, value in store.aggregates(kind)[outcome.entry_id]["metrics"].items()} == pytest.approx(expected)
    with pytest.raises(LeaderboardError, match="lack column"):
        store.submit(kind, forged.drop(columns=[forged.columns[-1]]), {}, people.alice)
