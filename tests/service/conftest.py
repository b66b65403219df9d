"""Committee-store fixtures: a real PostgreSQL cluster (session), a fresh database per test on
either backend, a board made from a hospital-side synthetic record, and users of each role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from medbench.leaderboard import synthetic
from medbench.leaderboard.committee import CommitteeStore, User
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


@pytest.fixture
def people(store: CommitteeStore) -> People:
    admin, admin_token = store.create_user("root", "admin", None, None)
    made = {"root": (admin, admin_token)}
    for name, role, team in [("alice", "submitter", "A"), ("carol", "submitter", "B"), ("bob", "reviewer", "B"), ("dave", "reviewer", "A")]:
        made[name] = store.create_user(name, role, team, admin)
    return People(*(made[name][0] for name in ("root", "alice", "carol", "bob", "dave")), {name: token for name, (_, token) in made.items()})


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    return tmp_path / "runs"


@pytest.fixture
def board(store: CommitteeStore, people: People, runs: Path) -> str:
    """A board whose hidden labels come from the hospital's own run of the task (seed 0)."""
    from medbench.leaderboard.board_admin import create_board_from_record

    create_board_from_record(store, synthetic.write_record(runs, seed=0), BOARD, daily_quota=5, actor=people.admin)
    return BOARD
