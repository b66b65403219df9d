"""One answer per pair: on boards of every kind, a pair's Δ interval excludes 0 exactly when its p-value is below alpha."""

from __future__ import annotations

from pathlib import Path

import pytest

from medbench.leaderboard.folder.ranking import rank_board
from medbench.leaderboard.board.tiers import alpha_of
from medbench.leaderboard.folder.tiers import board_tiers
from medbench.leaderboard.folder.store import Board
from medbench.tasks.registry import KIND_MODULES
from medbench.testing import synthetic

KINDS = sorted(KIND_MODULES)  # a new kind needs its synthetic records here
# Three models per board: two close together and one clearly apart, so both answers occur.
SKILLS = (0.40, 0.42, 0.95)


def excludes_zero(low: float, high: float) -> bool:
    return low > 0 or high < 0


@pytest.mark.parametrize(("kind", "interval_method"), [(kind, "percentile") for kind in KINDS] + [("regression", "bca"), ("multiclass", "bca")])
def test_every_pairs_interval_excludes_zero_exactly_when_its_p_value_is_below_alpha(
    make_record, submit, root: Path, kind: str, interval_method: str
) -> None:
    n = 40 if kind == "retrieval" else 120
    for seed, skill in enumerate(SKILLS):
        run = make_record(seed=seed, kind=kind, skill=skill, n_samples=n, n_resamples=200, interval_method=interval_method)
        submit(run, baseline=seed == 0)
    board = Board(root, synthetic.TASK if kind == "binary" else f"{synthetic.TASK}-{kind}")
    ranking = rank_board(board, board_tiers)
    alpha = alpha_of(ranking.spec)
    answers = []
    for key, tests in ranking.pairs.items():
        for metric, test in tests.items():
            if test.low is None:
                assert test.p_value is None, (key, metric)
                continue
            assert excludes_zero(test.low, test.high) == (test.p_value < alpha), (kind, metric, test)
            assert test.procedure and ("same resamples" in test.procedure or "DeLong" in test.procedure)
            answers.append(test.p_value < alpha)
    for row in ranking.current:
        if row.versus_baseline is not None:
            test = row.versus_baseline
            assert excludes_zero(test.low, test.high) == (test.p_value < alpha)
    # Tiers agree: the entry that opens tier 2 is separated from the leader, so its Δ interval excludes 0.
    leader, opener = ranking.current[0], next((row for row in ranking.current if row.tier == 2), None)
    if opener is not None:
        tests = ranking.pairs.get(f"{opener.entry_id}:{leader.entry_id}") or ranking.pairs[f"{leader.entry_id}:{opener.entry_id}"]
        test = tests[ranking.spec.primary]
        assert excludes_zero(test.low, test.high) and test.p_value < alpha
    assert True in answers and False in answers, f"{kind}: every pair gave the same answer; the check tested one side only"
    assert f"alpha {alpha:g}" in ranking.tiers_note and "one standard error" in ranking.tiers_note or "same resamples" in ranking.tiers_note
