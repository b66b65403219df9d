"""Load: 8 clients × 50 submissions over HTTP to PostgreSQL, the server killed with SIGKILL midway
and restarted; every submission ends up on the board exactly once and the log verifies."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from medbench.testing import synthetic
from medbench.leaderboard.committee.board_admin import create_board_from_record
from medbench.leaderboard.committee.publish import export, verify_export

CLIENTS, PER_CLIENT = 8, 50
N_SAMPLES = 100


@pytest.mark.slow
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_400_submissions_survive_a_killed_server(store, live_server, runs: Path, tmp_path: Path) -> None:
    import pandas as pd

    from medbench.leaderboard.committee.client import HttpCommittee

    admin, _ = store.create_user("root", "admin", None, None)
    tokens = [store.create_user(f"client{k}", "submitter", f"team{k}", admin)[1] for k in range(CLIENTS)]
    hospital_run = synthetic.write_record(runs, seed=0, n_samples=N_SAMPLES, n_resamples=20)
    create_board_from_record(store, hospital_run, "load", daily_quota=PER_CLIENT, actor=admin)
    ids, targets = synthetic.samples(N_SAMPLES, 0)
    live_server.start()

    entry_ids: list[list[str]] = [[] for _ in range(CLIENTS)]
    errors: list[BaseException] = []

    def client(k: int) -> None:
        committee = HttpCommittee(live_server.url, tokens[k])
        try:
            for i in range(PER_CLIENT):
                frame = pd.DataFrame({"sample_id": ids, "score": synthetic.scores(targets, 0.5, seed=k * PER_CLIENT + i)})
                entry_ids[k].append(committee.submit("load", frame, {"run_id": f"c{k}-{i}"})["entry_id"])
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for thread in threads:
        thread.start()
    while sum(map(len, entry_ids)) < CLIENTS * PER_CLIENT // 3 and not errors:
        time.sleep(0.05)
    live_server.kill()
    live_server.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    assert all(len(ids_) == PER_CLIENT for ids_ in entry_ids)
    stored = store.entries("load")
    assert len(stored) == CLIENTS * PER_CLIENT == len({entry for ids_ in entry_ids for entry in ids_})
    assert set(stored) == {entry for ids_ in entry_ids for entry in ids_}
    assert [event.event for event in store.events("load")].count("submit") == CLIENTS * PER_CLIENT
    problems, facts = verify_export(export(store, tmp_path / "public", tiers=False))
    assert problems == [] and facts["events"] == 1 + CLIENTS + 1 + CLIENTS * PER_CLIENT
