"""What an admin meets starting the service: the port is bound before the banner, a taken port is
one line, every request is logged without its body or token, and the signing key has a command."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx
import pytest

from tests.service.conftest import REPO_ROOT, LiveServer


def test_a_taken_port_is_one_line_and_no_banner(tmp_path) -> None:
    import os

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "medbench", "serve", "--db", f"sqlite:///{tmp_path}/c.db", "--key", str(tmp_path / "k"),
             "--port", str(port)],
            capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)), timeout=60,
        )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"medbench serve: error: --port {port}: cannot listen on 127.0.0.1:{port}: already in use "
        "(is another `medbench serve` running?); choose another --port"
    ]


def test_connections_to_the_listener_send_without_nagles_delay() -> None:
    """asyncio (so uvicorn) sets TCP_NODELAY on each connection only if the listener says TCP:
    without it a gzip-encoded page waited 40 ms after its header for the client's delayed ACK."""
    import asyncio

    from medbench.leaderboard.committee.app import bind

    listener = bind("127.0.0.1", 0)

    async def nodelay_of_an_accepted_connection() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_connection(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        async with await asyncio.start_server(on_connection, sock=listener):
            _, client = await asyncio.open_connection(*listener.getsockname()[:2])
            try:
                return await asyncio.wait_for(accepted, timeout=10)
            finally:
                client.close()

    assert asyncio.run(nodelay_of_an_accepted_connection()) != 0


def test_each_request_is_logged_with_its_user_never_its_token(tmp_path) -> None:
    from medbench.leaderboard.committee.store import CommitteeStore

    db_url, key = f"sqlite:///{tmp_path}/committee.db", tmp_path / "server.ed25519"
    store = CommitteeStore(db_url, key)
    _, token = store.create_user("root", "admin", None, None)
    store.close()
    log = tmp_path / "serve.log"
    server = LiveServer(db_url, key, log).start()
    try:
        assert httpx.get(f"{server.url}/boards?since=1").json() == []
        answer = httpx.post(
            f"{server.url}/entries/abcdef/review", json={"decision": "approve", "note": "secret note"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 404, answer.text
    finally:
        server.stop()
    lines = log.read_text().splitlines()
    assert lines[0].startswith(f"medbench serve: http://127.0.0.1:{server.port}  (database ")
    requests = [line.split(" ", 2)[2] for line in lines if " /boards" in line or " /entries" in line]
    assert [r.rsplit(" ", 2)[0] for r in requests] == ["GET /boards 200", "POST /entries/abcdef/review 404"]
    assert [r.rsplit(" ", 1)[1] for r in requests] == ["-", "root"]
    assert all(r.split()[-2].endswith("ms") for r in requests)
    assert token not in log.read_text() and "secret note" not in log.read_text() and "since" not in log.read_text()


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT"])
def test_a_stop_signal_closes_the_database_and_exits_0(tmp_path, stop: str) -> None:
    """uvicorn raises SIGTERM again after its shutdown; the service still closes its store: SQLite
    checkpoints the write-ahead log into the database and removes the -wal file."""
    import signal

    from medbench.leaderboard.committee.store import CommitteeStore

    database = tmp_path / "committee.db"
    db_url, key = f"sqlite:///{database}", tmp_path / "server.ed25519"
    store = CommitteeStore(db_url, key)
    store.create_user("root", "admin", None, None)
    store.close()
    server = LiveServer(db_url, key, tmp_path / "serve.log").start()
    try:
        assert httpx.get(f"{server.url}/boards").json() == []
        wal = database.with_name(database.name + "-wal")
        assert wal.exists()
        server.process.send_signal(getattr(signal, stop))
        assert server.process.wait(timeout=30) == 0
    finally:
        server.kill()
    assert server.log.read_text().splitlines()[-1] == f"medbench serve: stopped by {stop}; background renders ended, database closed"
    assert not wal.exists()


def test_the_signing_key_is_created_once_and_its_fingerprint_shown(medbench_cli, tmp_path) -> None:
    from medbench.leaderboard.board.signing import fingerprint, load_key, public_pem

    key = tmp_path / "server.ed25519"
    created = medbench_cli("admin", "key", "create", "--key", str(key))
    assert created.returncode == 0 and "back it up" in created.stdout, created.stderr
    assert key.stat().st_mode & 0o777 == 0o600
    again = medbench_cli("admin", "key", "create", "--key", str(key))
    assert again.returncode == 2 and "exists" in again.stderr
    shown = medbench_cli("admin", "key", "show", "--key", str(key))
    public = public_pem(load_key(key))
    assert shown.stdout == created.stdout.split("\n", 1)[1] == f"fingerprint {fingerprint(public)} (publish it; the service also answers GET /public-key)\n{public}"


def test_submit_without_board_names_the_boards_that_take_the_records_protocol(medbench_cli, tmp_path) -> None:
    from medbench.testing import synthetic

    db = ("--db", f"sqlite:///{tmp_path}/committee.db", "--key", str(tmp_path / "server.ed25519"))
    root = medbench_cli("admin", "create-user", "root", "--role", "admin", *db).stdout.strip().splitlines()[-1]
    alice = medbench_cli("admin", "create-user", "alice", "--role", "submitter", "--team", "A", *db, token=root)
    alice = alice.stdout.strip().splitlines()[-1]
    hospital = synthetic.write_record(tmp_path / "hospital", seed=0)
    created = medbench_cli("board", "create", "synthetic-2026", "--from-record", str(hospital), *db, token=root)
    assert created.returncode == 0, created.stderr
    partner = synthetic.write_record(tmp_path / "runs", seed=1)
    refused = medbench_cli("submit", str(partner), *db, token=alice)
    assert refused.returncode == 2
    assert refused.stdout.splitlines()[0] == (
        f"refused {partner}: the committee has no board 'synthetic'; boards that take its protocol "
        "(task synthetic v1.0): synthetic-2026; pass --board synthetic-2026"
    )
    other = synthetic.write_record(tmp_path / "runs", seed=1, task_version="2.0")
    none = medbench_cli("submit", str(other), *db, token=alice)
    assert none.returncode == 2 and "no board of the committee takes its protocol (task synthetic v2.0)" in none.stdout
    assert "its boards: synthetic-2026" in none.stdout
    submitted = medbench_cli("submit", str(partner), "--board", "synthetic-2026", *db, token=alice)
    assert submitted.returncode == 0 and f"submitted {partner} to board synthetic-2026 as entry " in submitted.stdout
    again = medbench_cli("submit", str(partner), "--board", "synthetic-2026", *db, token=alice)
    assert again.returncode == 0 and f"already on board synthetic-2026: {partner} (entry " in again.stdout


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_predictions_file_entry_reports_no_invented_seed(store, people, board, runs) -> None:
    from medbench.records.record import read_record
    from medbench.testing import synthetic

    frame = read_record(synthetic.write_record(runs, seed=3)).predictions()
    outcome = store.submit(board, frame, {"model_target": "PartnerNet"}, people.alice)
    assert store.entries(board)[outcome.entry_id].provenance.seed is None
