"""Committee-store fixtures: a real PostgreSQL cluster (session), a fresh database per test on
either backend, a board made from a hospital-side synthetic record, and users of each role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from medbench.testing import synthetic
from medbench.leaderboard.committee.store import CommitteeStore, User
from tests.service.postgres import Cluster, server_binaries

BOARD = "synthetic"


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    binaries = server_binaries()
    if binaries is None:
        pytest.skip("PostgreSQL server binaries are not installed (.ci/postgres.sh installs them)")
    cluster = Cluster(binaries).start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'committee.db'}"
    return request.getfixturevalue("postgres").create_database()


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "server.ed25519"


@pytest.fixture
def store(db_url: str, key_path: Path) -> Iterator[CommitteeStore]:
    opened = CommitteeStore(db_url, key_path)
    yield opened
    opened.close()


@dataclass(frozen=True)
class People:
    admin: User
    alice: User  # submitter, team A
    carol: User  # submitter, team B
    bob: User  # reviewer, team B
    dave: User  # reviewer, team A
    tokens: dict[str, str]


def make_people(store: CommitteeStore) -> People:
    """The committee's cast in `store`: an admin (root), a submitter and a reviewer of each team, with their tokens."""
    admin, admin_token = store.create_user("root", "admin", None, None)
    made = {"root": (admin, admin_token)}
    for name, role, team in [("alice", "submitter", "A"), ("carol", "submitter", "B"), ("bob", "reviewer", "B"), ("dave", "reviewer", "A")]:
        made[name] = store.create_user(name, role, team, admin)
    return People(*(made[name][0] for name in ("root", "alice", "carol", "bob", "dave")), {name: token for name, (_, token) in made.items()})


@pytest.fixture
def people(store: CommitteeStore) -> People:
    return make_people(store)


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    return tmp_path / "runs"


@pytest.fixture
def board(store: CommitteeStore, people: People, runs: Path) -> str:
    """A board whose hidden labels come from the hospital's own run of the task (seed 0)."""
    from medbench.leaderboard.committee.board_admin import create_board_from_record

    create_board_from_record(store, synthetic.write_record(runs, seed=0), BOARD, daily_quota=5, actor=people.admin)
    return BOARD


REPO_ROOT = Path(__file__).resolve().parents[2]


class LiveServer:
    """`python -m medbench serve` on a free loopback port, as a separate process (so it can be killed)."""

    def __init__(self, db_url: str, key: Path, log: Path) -> None:
        from tests.service.postgres import free_port

        self.db_url, self.key, self.log = db_url, key, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self) -> "LiveServer":
        import os
        import subprocess
        import sys
        import time

        import httpx

        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
        command = [sys.executable, "-m", "medbench", "serve", "--db", self.db_url, "--key", str(self.key), "--port", str(self.port)]
        self.process = subprocess.Popen(command, env=env, stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"medbench serve exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("medbench serve did not answer within 60 s")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; what the database committed is all that remains."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except Exception:
                self.kill()


@pytest.fixture
def live_server(db_url: str, key_path: Path, tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(db_url, key_path, tmp_path / "serve.log")
    yield server
    server.stop()


@pytest.fixture
def medbench_cli(tmp_path: Path):
    """Run `python -m medbench ARGS` with this checkout's sources; `token=` sets MEDBENCH_TOKEN."""
    import os
    import subprocess
    import sys

    def run(*args: str, token: str | None = None):
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), MEDBENCH_ROOT=str(tmp_path))
        env.pop("MEDBENCH_SERVER", None)
        env.pop("MEDBENCH_DB", None)
        env.pop("MEDBENCH_TOKEN", None)
        if token:
            env["MEDBENCH_TOKEN"] = token
        return subprocess.run([sys.executable, "-m", "medbench", *args], capture_output=True, text=True, env=env)

    return run
