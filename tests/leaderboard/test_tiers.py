"""Tiers from paired tests on the stored predictions, and every entry tested against the baseline."""

from __future__ import annotations

import re
from pathlib import Path

from medbench.leaderboard.folder.ranking import rank_board
from medbench.leaderboard.folder.store import Board
from medbench.leaderboard.folder.tiers import board_tiers, cached_tiers


def test_clearly_different_entries_get_different_tiers_and_close_ones_share(make_record, submit, root: Path, cli) -> None:
    weak = submit(make_record(seed=1, skill=0.05, n_samples=300), baseline=True).entry_id  # near chance
    strong = [submit(make_record(seed=seed, skill=1.5, n_samples=300)).entry_id for seed in (2, 3)]
    board = Board(root, "synthetic")
    ranking = rank_board(board, board_tiers)
    tiers = {row.entry_id: row.tier for row in ranking.current}
    assert tiers[strong[0]] == tiers[strong[1]] == 1 and tiers[weak] == 2
    assert "Holm" in ranking.tiers_note
    for row in ranking.current:
        if row.entry_id in strong:
            test = row.versus_baseline
            assert test.p_holm < 0.05 and test.low < test.difference < test.high
            assert abs(test.difference - row.delta) < 1e-12
    shown = cli("leaderboard", "show", "synthetic")
    assert re.search(r"\bp (<0\.001|\d\.\d{3}), Holm (<0\.001|\d\.\d{3})", shown.stdout), shown.stdout


def test_show_reads_the_cached_tiers_and_says_when_they_are_out_of_date(make_record, submit, root: Path) -> None:
    submit(make_record(seed=1))
    submit(make_record(seed=2))
    board = Board(root, "synthetic")
    assert "not computed" in cached_tiers(board, board.spec(), board.entries()).note
    computed = board_tiers(board, board.spec(), board.entries())
    assert cached_tiers(board, board.spec(), board.entries()) == computed
    submit(make_record(seed=3))
    assert "out of date" in cached_tiers(board, board.spec(), board.entries()).note


def test_retrieval_boards_keep_the_qrels_and_rank_by_paired_query_tests(make_record, submit, root: Path, cli) -> None:
    weak = submit(make_record(seed=1, kind="retrieval", skill=0.2, n_samples=120), baseline=True)
    strong = submit(make_record(seed=2, kind="retrieval", skill=2.0, n_samples=120))
    board = Board(root, "synthetic-retrieval")
    entry = board.read_entry(strong.entry_id)
    assert entry.primary == "ndcg@10" and entry.provenance.qrels_sha256
    assert board.predictions_path(entry.provenance.qrels_sha256).is_file()
    ranking = rank_board(board, board_tiers)
    assert [row.entry_id for row in ranking.current] == [strong.entry_id, weak.entry_id]
    assert [row.tier for row in ranking.current] == [1, 2], ranking.tiers_note
    assert ranking.current[0].versus_baseline.p_holm < 0.05
    assert cli("leaderboard", "verify", "synthetic-retrieval").returncode == 0


def test_tiers_draw_intervals_as_the_boards_protocol_says(make_record, submit, root: Path, monkeypatch) -> None:
    """The resamples, level and seed of the paired tests are the board's, not a constant of the tiers module."""
    import medbench.evaluation.comparison as paired

    submit(make_record(seed=1, n_resamples=40))
    submit(make_record(seed=2, n_resamples=40))
    seen = []
    original = paired.compare_runs

    def spy(*args, **kwargs):
        seen.append((kwargs["confidence"], kwargs["cluster_column"]))
        return original(*args, **kwargs)

    monkeypatch.setattr(paired, "compare_runs", spy)
    board = Board(root, "synthetic")
    board_tiers(board, board.spec(), board.entries())
    assert seen and all(confidence == board.spec().protocol.confidence and cluster is None for confidence, cluster in seen)
    assert board.spec().protocol.confidence.n_resamples == 40
