"""A board is a task protocol + a dataset fingerprint; a newer task version, which the committee opens, makes older entries stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from medbench.errors import LeaderboardError

from medbench.leaderboard.folder.ranking import rank_board
from medbench.leaderboard.folder.store import Board
from medbench.leaderboard.board.entries import SubmissionRefused


@pytest.fixture
def board(make_record, submit, root: Path) -> Board:
    submit(make_record(seed=1))
    return Board(root, "synthetic")


def test_other_dataset_is_refused_with_the_reason(board, make_record, submit) -> None:
    with pytest.raises(SubmissionRefused, match="dataset fingerprint .* differs"):
        submit(make_record(seed=2, data_seed=7))
    assert len(board.entry_ids()) == 1


def test_other_metric_set_is_refused_with_the_reason(board, make_record, submit) -> None:
    with pytest.raises(SubmissionRefused, match=r"protocol metrics \['auroc', 'accuracy'\] differs from the board's \['auroc', 'accuracy', 'brier'\]"):
        submit(make_record(seed=2, metrics=("auroc", "accuracy")))


def test_other_confidence_settings_are_refused(board, make_record, submit) -> None:
    """Intervals drawn another way are not the same protocol, even under the same task version."""
    with pytest.raises(SubmissionRefused, match="protocol confidence .*'n_resamples': 50.* differs"):
        submit(make_record(seed=2, n_resamples=50))
    assert len(board.entry_ids()) == 1


def test_older_task_version_is_refused(board, make_record, submit) -> None:
    with pytest.raises(SubmissionRefused, match="task version 0.9 is older than the board's 1.0"):
        submit(make_record(seed=2, task_version="0.9"))


def test_other_board_name_keeps_boards_apart(board, make_record, submit, root: Path) -> None:
    result = submit(make_record(seed=2, data_seed=7), board="synthetic-other-data")
    assert result.added and Board(root, "synthetic-other-data").spec().dataset_fingerprint != board.spec().dataset_fingerprint


def test_a_submission_never_opens_a_task_version(board, make_record, submit) -> None:
    """One submission under task version 1.1 used to make every other entry stale."""
    before = board.spec_path.read_bytes()
    with pytest.raises(SubmissionRefused, match="newer than the board's 1.0: the committee opens it"):
        submit(make_record(seed=3, task_version="1.1"))
    assert board.spec_path.read_bytes() == before and not rank_board(board).stale


def test_a_task_version_the_committee_opens_marks_older_entries_stale_and_keeps_them(board, make_record, submit) -> None:
    from medbench.leaderboard.folder.review import open_version

    old = submit(make_record(seed=2))
    with pytest.raises(LeaderboardError, match="not newer"):
        open_version(board, make_record(seed=9), actor="committee")
    open_version(board, make_record(seed=9, task_version="1.1", data_seed=5), actor="committee")
    new = submit(make_record(seed=3, task_version="1.1", data_seed=5))
    assert new.added and not new.baseline
    spec = board.spec()
    assert spec.task_version == "1.1" and spec.baseline is None  # the old baseline is stale; the committee chooses anew
    ranking = rank_board(board)
    assert [row.entry_id for row in ranking.current] == [new.entry_id]
    assert old.entry_id in {row.entry_id for row in ranking.stale}
    assert all(row.stale and row.rank is None for row in ranking.stale)
    assert len(board.entry_ids()) == 3
    with pytest.raises(SubmissionRefused, match="older than the board's 1.1"):
        submit(make_record(seed=4))
