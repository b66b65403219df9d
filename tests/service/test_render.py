"""A board's render: tests kept between renders give the numbers a pair-by-pair render gives, and
readers of a board rendered in the background get its last version marked stale (or 503) at once."""

from __future__ import annotations

import json
import threading
import time

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from medbench.leaderboard.committee.app import create_app
from medbench.leaderboard.committee.pages import ServedPages
from medbench.testing import synthetic

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
BROWSER = {"Accept": "text/html"}


def _submit(store, board, people, seed: int, skill: float) -> str:
    ids, targets = synthetic.samples(200, 0)
    frame = pd.DataFrame({"sample_id": ids, "score": synthetic.scores(targets, skill, seed)})
    return store.submit(board, frame, {"seed": seed}, people.alice if seed % 2 else people.carol).entry_id


@pytest.fixture
def open_board(store, people, runs) -> str:
    """The service fixture's board without the Ladder rule, so that its page shows every pair."""
    from medbench.leaderboard.committee.board_admin import create_board_from_record

    create_board_from_record(store, synthetic.write_record(runs, seed=0), "open", daily_quota=9, actor=people.admin, release={"ladder": False})
    return "open"


@SQLITE_ONLY
def test_kept_tests_give_the_numbers_of_each_pair_tested_on_its_own(store, people, open_board, monkeypatch) -> None:
    """The board's JSON and CSV after a render that reuses its kept tests equal those of a render whose
    every pair goes through `compare_paired` on the two entries' outputs, which checks and prepares both anew (the old way)."""
    from medbench.evaluation.comparison import compare_paired, default_method
    from medbench.leaderboard.board.tiers import PairedTests

    board = open_board
    for seed, skill in ((1, 0.9), (2, 0.9), (3, 0.5), (4, 0.2)):
        _submit(store, board, people, seed, skill)
    kept = ServedPages(store)
    kept.board(board)
    _submit(store, board, people, 5, 0.7)  # the second render tests only this entry's pairs anew
    reused = kept.board(board)
    tested = kept._tests[board]._results
    assert tested and all(result.n_units == 200 for result in tested.values())

    def each_pair_on_its_own(self, entry_a, entry_b, metric):
        kind, confidence, cluster = self.key
        return compare_paired(
            self.run(entry_a).outputs, self.run(entry_b).outputs, kind, metric,
            method=default_method(kind, metric, cluster), confidence=confidence, cluster_column=cluster,
        )

    monkeypatch.setattr(PairedTests, "compare", each_pair_on_its_own)
    alone = ServedPages(store).board(board)
    for kind in ("json", "csv"):
        assert reused.bodies[kind].content == alone.bodies[kind].content
    data = json.loads(reused.bodies["json"].content)
    assert {row["tier"] for row in data["entries"]} >= {1, 2} and data["pairs"]  # tiers and pairs were tested


class Gate:
    """Holds every board render at its tiers until opened; counts the renders under way at once."""

    def __init__(self, monkeypatch) -> None:
        import medbench.leaderboard.committee.publish as publish

        self.opened, self.entered = threading.Event(), threading.Event()
        self.running = self.most = 0
        self._lock = threading.Lock()
        original = publish.committee_tiers

        def held(*args, **kwargs):
            with self._lock:
                self.running += 1
                self.most = max(self.most, self.running)
            self.entered.set()
            try:
                assert self.opened.wait(20), "the gate was never opened"
                return original(*args, **kwargs)
            finally:
                with self._lock:
                    self.running -= 1

        monkeypatch.setattr(publish, "committee_tiers", held)


def _wait_until(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@SQLITE_ONLY
def test_a_big_board_is_answered_stale_while_one_thread_renders_it(store, people, board, monkeypatch) -> None:
    for seed, skill in ((1, 0.9), (2, 0.5)):
        _submit(store, board, people, seed, skill)
    gate = Gate(monkeypatch)
    with TestClient(create_app(store, sync_entries=1)) as http:  # two entries: a "big" board
        pages = http.app.state.pages
        first = http.get(f"/boards/{board}", headers=BROWSER)
        assert first.status_code == 503 and int(first.headers["retry-after"]) > 0 and "rendered" in first.json()["detail"]
        assert http.get("/", headers=BROWSER).status_code == 503  # the index lists it once it is rendered
        gate.opened.set()
        _wait_until(lambda: not pages.rendering())
        fresh = http.get(f"/boards/{board}", headers=BROWSER)
        version = store.event_count()
        assert fresh.status_code == 200 and fresh.headers["x-medbench-log-version"] == str(version)
        assert "x-medbench-stale" not in fresh.headers and 'id="stale-banner"' not in fresh.text
        json_etag = http.get(f"/api/boards/{board}").headers["etag"]

        gate.opened.clear()
        gate.entered.clear()
        _submit(store, board, people, 3, 0.7)
        started = time.perf_counter()
        answers = [http.get(f"/boards/{board}", headers=BROWSER) for _ in range(5)]
        assert time.perf_counter() - started < 5.0  # nobody waited for the held render
        assert gate.entered.wait(10) and pages.rendering() == [board]
        stale = answers[-1]
        assert stale.status_code == 200 and stale.headers["x-medbench-stale"]
        assert stale.headers["x-medbench-log-version"] == str(version)
        assert f"at log version {version}" in stale.text and stale.headers["etag"] != fresh.headers["etag"]
        assert {answer.headers["etag"] for answer in answers} == {stale.headers["etag"]}
        unchanged = http.get(f"/api/boards/{board}", headers={"If-None-Match": json_etag})
        assert unchanged.status_code == 304 and unchanged.headers["x-medbench-stale"]  # the same numbers as before
        assert http.get("/", headers=BROWSER).headers["x-medbench-stale"]

        gate.opened.set()
        _wait_until(lambda: not pages.rendering())
        current = http.get(f"/boards/{board}", headers=BROWSER)
        assert current.headers["x-medbench-log-version"] == str(store.event_count()) and "x-medbench-stale" not in current.headers
        assert current.headers["etag"] not in (fresh.headers["etag"], stale.headers["etag"])
        assert len(http.get(f"/api/boards/{board}").json()["entries"]) == 3
        assert gate.most == 1  # one render of the board at a time


@SQLITE_ONLY
def test_shutdown_cancels_the_render_under_way_and_joins_its_thread(store, people, board, monkeypatch) -> None:
    _submit(store, board, people, 1, 0.9)
    gate = Gate(monkeypatch)
    with TestClient(create_app(store, sync_entries=0)) as http:
        pages = http.app.state.pages
        assert http.get(f"/boards/{board}").status_code == 503
        assert gate.entered.wait(10)
        threading.Timer(0.2, gate.opened.set).start()  # the render resumes after shutdown began: cancelled
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("render-")]
    assert board not in pages._boards and not pages.rendering()


@SQLITE_ONLY
def test_a_failed_background_render_is_logged_and_tried_again(store, people, board, monkeypatch, caplog) -> None:
    import medbench.leaderboard.committee.publish as publish

    _submit(store, board, people, 1, 0.9)
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("database went away")

    monkeypatch.setattr(publish, "committee_tiers", broken)
    with TestClient(create_app(store, sync_entries=0)) as http:
        pages = http.app.state.pages
        assert http.get(f"/boards/{board}").status_code == 503
        _wait_until(lambda: calls and not pages.rendering())
        assert "rendering board 'synthetic' failed" in caplog.text and "database went away" in caplog.text
        assert http.get(f"/boards/{board}").status_code == 503
        _wait_until(lambda: len(calls) == 2 and not pages.rendering())
