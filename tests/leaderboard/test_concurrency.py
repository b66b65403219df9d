"""Many submitters at once: 8 processes × 50 submissions give 400 intact entries and one unbroken chain."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from medbench.leaderboard.folder import audit
from medbench.leaderboard.folder.store import Board
from medbench.leaderboard.folder.verify import verify_board

PROCESSES, PER_PROCESS = 8, 50


def _submit_all(root: str, run_dirs: list[str], submitter: str) -> int:
    from medbench.leaderboard.folder.submit import submit_run

    return sum(submit_run(Path(root), Path(run_dir), submitter=submitter).added for run_dir in run_dirs)


@pytest.mark.slow
def test_concurrent_submissions_lose_and_corrupt_nothing(make_record, root: Path) -> None:
    # Two resamples: the intervals play no part here, and 400 records are scored before the race.
    run_dirs = [str(make_record(seed=seed, n_samples=50, n_resamples=2)) for seed in range(PROCESSES * PER_PROCESS)]
    batches = [(str(root), run_dirs[i::PROCESSES], f"worker-{i}") for i in range(PROCESSES)]
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        added = pool.starmap(_submit_all, batches)
    assert added == [PER_PROCESS] * PROCESSES
    board = Board(root, "synthetic")
    assert len(board.entry_ids()) == PROCESSES * PER_PROCESS
    assert len({entry.provenance.run_id for entry in board.entries().values()}) == PROCESSES * PER_PROCESS
    events = audit.read_events(board.audit_path)
    assert sum(event.event == "submit" for event in events) == PROCESSES * PER_PROCESS
    assert sum(event.event == "create" for event in events) == 1
    assert verify_board(board) == []
    assert not [path for path in board.path.rglob("*.tmp")]
