"""One lifecycle for both stores: the committee's public tiers leave rejected entries out, as folder boards do.

The committee's export used to compute tiers over every current entry, rejected ones included, so
a rejected entry opened tier 1, took part in the Holm corrections and anchored the side-by-side
pairs of the public board.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medbench.leaderboard.board.schema import BoardSpec, Entry
from medbench.leaderboard.board.tiers import compute_tiers
from medbench.leaderboard.committee.client import record_submission
from medbench.leaderboard.committee.hidden import outputs_of
from medbench.leaderboard.committee.publish import export
from medbench.leaderboard.board.release import rounded
from medbench.leaderboard.committee.store import CommitteeStore
from medbench.testing import synthetic

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
# seed → skill: the best run is the one the committee rejects; seed 3 is its chosen baseline.
SKILLS = {1: 0.95, 2: 0.5, 3: 0.75}
REJECTED_SEED, BASELINE_SEED = 1, 3


@pytest.fixture
def board(store: CommitteeStore, people, runs: Path) -> str:
    """The service fixture's board without the Ladder rule: every one of team A's entries shows its own numbers."""
    from medbench.leaderboard.committee.board_admin import create_board_from_record

    create_board_from_record(
        store, synthetic.write_record(runs, seed=0), "synthetic", daily_quota=5, actor=people.admin, release={"ladder": False}
    )
    return "synthetic"


@pytest.fixture
def records(runs: Path) -> dict[int, Path]:
    return {seed: synthetic.write_record(runs / "partner", seed=seed, skill=skill) for seed, skill in SKILLS.items()}


@pytest.fixture
def reviewed(store: CommitteeStore, board: str, people, records: dict[int, Path]) -> dict[int, str]:
    """Team A's three entries on the committee's board: the best rejected, another chosen as baseline."""
    ids = {}
    for seed, run_dir in records.items():
        frame, meta, _ = record_submission(run_dir)
        ids[seed] = store.submit(board, frame, meta, people.alice).entry_id
    store.review(ids[REJECTED_SEED], "reject", "trained on the test set", people.bob)
    store.set_baseline(board, ids[BASELINE_SEED], "the committee's reference model", people.bob)
    return ids


def _board_json(out: Path, board: str) -> dict:
    return json.loads((out / "site" / board / f"{board}.json").read_bytes())


@SQLITE_ONLY
def test_the_exports_tiers_and_deltas_leave_the_rejected_entry_and_other_baselines_out(
    store: CommitteeStore, board: str, reviewed: dict[int, str], tmp_path: Path
) -> None:
    data = _board_json(export(store, tmp_path / "public"), board)
    rows = {row["entry_id"]: row for row in data["entries"]}
    rejected, baseline = reviewed[REJECTED_SEED], reviewed[BASELINE_SEED]
    assert rows[rejected]["section"] == "rejected"
    assert rows[rejected]["tier"] is None and rows[rejected]["delta_baseline"] is None and rows[rejected]["versus_baseline"] is None
    assert not any(rejected in key for key in data["pairs"])
    ranked = [entry_id for entry_id, row in rows.items() if row["section"] == "ranked"]
    assert sorted(ranked) == sorted(entry_id for seed, entry_id in reviewed.items() if seed != REJECTED_SEED)
    assert [row["baseline"] for row in data["entries"]].count(True) == 1 and rows[baseline]["baseline"]

    primary = data["board"]["protocol"]["primary"]
    value = {entry_id: rows[entry_id]["entry"]["metrics"][primary]["value"] for entry_id in rows}
    for entry_id in ranked:
        assert rows[entry_id]["delta_baseline"] == pytest.approx(value[entry_id] - value[baseline])
        versus = rows[entry_id]["versus_baseline"]
        if entry_id == baseline:
            assert versus is None
        else:
            # The paired test reads the full-precision scores; the released values are rounded (`board.release`).
            resolution = data["board"]["release"]["resolution"]
            assert versus["difference"] == pytest.approx(value[entry_id] - value[baseline], abs=resolution)

    # The same tests over the ranked entries alone: a rejected entry in them would move tiers, p_holm and pairs.
    spec = BoardSpec.model_validate(data["board"])
    entries = {entry_id: Entry.model_validate(rows[entry_id]["entry"]) for entry_id in rows}
    labels = store.hidden_labels(board)
    order = sorted(ranked, key=lambda entry_id: -value[entry_id])
    alone = compute_tiers(spec, entries, order, lambda entry_id: outputs_of(store.scores(entry_id), labels, spec.kind))
    assert {entry_id: rows[entry_id]["tier"] for entry_id in ranked} == alone.tiers
    for entry_id, test in alone.versus_baseline.items():
        assert rows[entry_id]["versus_baseline"]["p_holm"] == rounded(test.p_holm, resolution)  # released rounded
    assert set(data["pairs"]) == set(alone.pairs)


@SQLITE_ONLY
def test_folder_and_committee_boards_give_the_same_tiers_for_the_same_entries_and_reviews(
    store: CommitteeStore, board: str, reviewed: dict[int, str], records: dict[int, Path], tmp_path: Path
) -> None:
    from medbench.leaderboard.folder.review import choose_baseline, transition
    from medbench.leaderboard.folder.store import Board
    from medbench.leaderboard.folder.submit import submit_run
    from medbench.leaderboard.folder.tiers import board_tiers

    root = tmp_path / "leaderboards"
    folder_ids = {seed: submit_run(root, run_dir, board=board, submitter="alice").entry_id for seed, run_dir in records.items()}
    folder = Board(root, board)
    transition(folder, folder_ids[REJECTED_SEED], "reject", actor="bob", note="trained on the test set")
    choose_baseline(folder, folder_ids[BASELINE_SEED], actor="bob", note="the committee's reference model")
    folder_tiers = board_tiers(folder, folder.spec(), folder.entries())

    data = _board_json(export(store, tmp_path / "public"), board)
    committee_rows = {row["entry_id"]: row for row in data["entries"]}
    for seed in SKILLS:
        on_folder, on_committee = folder_ids[seed], committee_rows[reviewed[seed]]
        assert folder_tiers.tiers.get(on_folder) == on_committee["tier"], seed
        versus = folder_tiers.versus_baseline.get(on_folder)
        if versus is None:
            assert on_committee["versus_baseline"] is None, seed
        else:
            # The committee releases the tests rounded to its resolution (`board.release`); the folder board all digits.
            resolution = data["board"]["release"]["resolution"]
            assert on_committee["versus_baseline"]["difference"] == rounded(versus.difference, resolution)
            assert on_committee["versus_baseline"]["p_holm"] == rounded(versus.p_holm, resolution)
    assert folder_tiers.tiers and len(folder_tiers.tiers) == len(SKILLS) - 1
