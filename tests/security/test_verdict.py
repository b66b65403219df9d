"""The committee's verdict against an adaptive partner (issue 19): hidden labels read back from
released scores, a reviewer's reproduction oracle, and each hole of the committee's rules.

The label-recovery attack is the 2^-j construction: every score below 0.5 (so the accuracy is the
share of negatives), sample j of a group scored 2^-(j+2) and the rest 0, so that
n·Brier − Σ s² = P − Σ_j y_j 2^-(j+1): the full-precision Brier carries the group's labels as the
bits of a binary fraction. Run with a full day's quota against a 143-sample hidden board.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from medbench.errors import LeaderboardError
from medbench.leaderboard.board.gaming import Resubmission
from medbench.leaderboard.board.lifecycle import Forbidden
from medbench.leaderboard.committee.board_admin import create_board_from_record
from medbench.leaderboard.committee.store import CommitteeStore, QuotaExceeded
from medbench.records.record import read_record
from medbench.testing import synthetic
from tests.service.conftest import People, make_people

N_TEST, QUOTA, BOARD = 143, 5, "hidden143"


@pytest.fixture
def people(store: CommitteeStore) -> People:
    """The service tests' cast, in this suite's SQLite store (tests/security/conftest.py)."""
    return make_people(store)


@pytest.fixture
def hospital(tmp_path: Path) -> Path:
    return synthetic.write_record(tmp_path / "hospital", seed=0, n_samples=N_TEST)


@pytest.fixture
def board(store: CommitteeStore, people: People, hospital: Path) -> str:
    create_board_from_record(store, hospital, BOARD, daily_quota=QUOTA, actor=people.admin)
    return BOARD


def _truth(hospital: Path) -> pd.Series:
    frame = read_record(hospital).predictions()
    return frame.set_index("sample_id")["target"].astype(int)


def _probes(ids: list[str]) -> list[tuple[list[str], pd.DataFrame]]:
    """One crafted file per submission of the quota: its group of samples and its scores."""
    groups = np.array_split(np.array(ids), QUOTA)
    probes = []
    for group in groups:
        scores = pd.Series(0.0, index=ids)
        scores[list(group)] = [2.0 ** -(j + 2) for j in range(len(group))]
        probes.append((list(group), pd.DataFrame({"sample_id": ids, "score": scores.to_numpy()})))
    return probes


def _decoded(metrics: dict, group: list[str], scores: pd.DataFrame) -> dict[str, int]:
    """The attacker's reading of one answer: the group's labels from accuracy and Brier, or nothing."""
    if "brier" not in metrics or "accuracy" not in metrics:
        return {}
    n = len(scores)
    positives = round(n * (1.0 - metrics["accuracy"]["value"]))
    fraction = positives - n * metrics["brier"]["value"] + float((scores["score"] ** 2).sum())
    return {sample: int(np.floor(fraction * 2.0 ** (j + 1) + 1e-9)) % 2 for j, sample in enumerate(group)}


def _recovered(answers: list[dict], probes, truth: pd.Series) -> float:
    """The share of labels the attacker gets right: decoded where it could, the majority class elsewhere."""
    guesses: dict[str, int] = {}
    for metrics, (group, scores) in zip(answers, probes):
        guesses.update(_decoded(metrics, group, scores))
    majority = int(truth.mean() >= 0.5)
    return float(np.mean([guesses.get(sample, majority) == label for sample, label in truth.items()]))


def test_the_2_to_the_minus_j_attack_recovers_no_more_than_the_majority_class(store, board, people, hospital) -> None:
    truth = _truth(hospital)
    probes = _probes(list(truth.index))
    outcomes = [store.submit(board, scores, {"run_id": f"probe{k}"}, people.alice) for k, (_, scores) in enumerate(probes)]
    with pytest.raises(QuotaExceeded):
        store.submit(board, probes[0][1].assign(score=probes[0][1]["score"] / 2), {}, people.alice)
    majority_rate = max(truth.mean(), 1 - truth.mean())
    released = [outcome.aggregates["metrics"] for outcome in outcomes]
    public = store.released(board)
    assert _recovered(released, probes, truth) <= majority_rate + 0.05
    assert _recovered([public[o.entry_id]["metrics"] for o in outcomes], probes, truth) <= majority_rate + 0.05
    # The attack itself works: on the numbers the committee keeps, it reads back every label.
    full = store.aggregates(board)
    assert _recovered([full[o.entry_id]["metrics"] for o in outcomes], probes, truth) == 1.0
    assert sum(outcome.held for outcome in outcomes) == QUOTA - 1  # the Ladder: only the first probe's numbers left


def test_an_honest_submission_sees_its_primary_metric_within_the_resolution(store, board, people, tmp_path) -> None:
    record = read_record(synthetic.write_record(tmp_path / "partner", seed=3, n_samples=N_TEST, skill=0.6))
    outcome = store.submit(board, record.predictions(), {}, people.alice)
    policy, primary = store.policy(board), store.protocol(board).primary
    assert policy.resolution >= 1 / N_TEST and policy.ladder
    assert abs(outcome.aggregates["metrics"][primary]["value"] - record.metrics().values[primary].value) <= policy.resolution / 2 + 1e-12
    assert outcome.aggregates["subgroups"] == {}


def test_a_reviewer_learns_match_or_no_match_within_a_quota(store, board, people, hospital) -> None:
    truth = _truth(hospital)
    probes = _probes(list(truth.index))
    entry = store.submit(board, probes[0][1], {}, people.alice).entry_id
    policy = store.policy(board)
    events = [store.record_reproduction(entry, scores, people.bob) for _, scores in probes[1:]]
    events.append(store.record_reproduction(entry, probes[1][1].assign(score=0.1), people.bob))
    assert len(events) == policy.reproductions_per_day
    with pytest.raises(QuotaExceeded, match="reproduction"):
        store.record_reproduction(entry, probes[2][1], people.bob)
    assert all(set(event.data) == {"scores_sha256", "matches", "tolerance"} for event in events)
    assert {event.event for event in events} == {"reproduction_failed"}
    logged = json.dumps([[event.data, event.note] for event in store.events(board) if event.event.startswith("reproduc")])
    assert "brier" not in logged and "auroc" not in logged and "submitted" not in logged


def test_a_loose_tolerance_is_refused(store, board, people, hospital) -> None:
    scores = _probes(list(_truth(hospital).index))[0][1]
    entry = store.submit(board, scores, {}, people.alice).entry_id
    random = scores.assign(score=np.random.default_rng(0).random(len(scores)) * 0.49)
    for tolerance in (1e308, 1e-2, float("nan")):
        with pytest.raises(LeaderboardError, match="tolerance"):
            store.record_reproduction(entry, random, people.bob, tolerance=tolerance)
    with pytest.raises(LeaderboardError, match="tolerance"):
        create_board_from_record(store, hospital, "loose", daily_quota=1, actor=people.admin, release={"tolerance": 1e308})
    with pytest.raises(LeaderboardError, match="finer than one test sample"):
        create_board_from_record(store, hospital, "fine", daily_quota=1, actor=people.admin, release={"resolution": 1e-9})


def test_errors_name_counts_never_hidden_ids(store, board, people, hospital) -> None:
    scores = _probes(list(_truth(hospital).index))[0][1]
    with pytest.raises(LeaderboardError) as refused:
        store.submit(board, scores.iloc[:10], {}, people.alice)
    assert "133 of the test set's 143" in str(refused.value) and "s0" not in str(refused.value)


def test_a_baseline_is_never_the_choosers_own_team_nor_rejected(store, board, people, hospital) -> None:
    scores = _probes(list(_truth(hospital).index))[0][1]
    entry = store.submit(board, scores, {}, people.alice).entry_id
    with pytest.raises(Forbidden, match="own team"):
        store.set_baseline(board, entry, "ours is the reference", people.dave)
    store.review(entry, "reject", "a probe, not a model", people.bob)
    with pytest.raises(LeaderboardError, match="rejected"):
        store.set_baseline(board, entry, "the reference", people.bob)


def test_a_rejected_entrys_scores_resubmitted_are_refused(store, board, people, tmp_path) -> None:
    frame = read_record(synthetic.write_record(tmp_path / "partner", seed=4, n_samples=N_TEST)).predictions()
    entry = store.submit(board, frame, {"name": "first"}, people.alice).entry_id
    store.review(entry, "reject", "trained on the test set", people.bob)
    with pytest.raises(Resubmission, match=f"resubmission of rejected entry {entry[:12]}"):
        store.submit(board, frame.assign(score=frame["score"] * 0.999), {"name": "renamed"}, people.carol)
    # A refusal is logged and costs the team a submission of its day: no free probes of the rejected ranking.
    assert [event.data["team"] for event in store.events(board) if event.event == "refuse_submission"] == ["B"]
    for attempt in range(QUOTA - 1):
        with pytest.raises(Resubmission):
            store.submit(board, frame.assign(score=frame["score"] * (0.99 - attempt / 100)), {"name": f"try {attempt}"}, people.carol)
    with pytest.raises(QuotaExceeded):
        store.submit(board, frame.assign(score=frame["score"] ** 2), {"name": "and again"}, people.carol)
    assert store.submit(board, frame.assign(score=1 - frame["score"]), {"name": "team A's own"}, people.alice).entry_id


def test_folder_boards_refuse_self_approval_outsiders_and_resubmissions(make_record, submit, root: Path) -> None:
    from medbench.leaderboard.folder.review import choose_baseline, record_reproduction, set_reviewers, transition
    from medbench.leaderboard.folder.store import Board

    entry = submit(make_record(seed=1), submitter="mallory").entry_id
    board = Board(root, "synthetic")
    with pytest.raises(Forbidden, match="submitted by 'mallory'"):
        transition(board, entry, "reject", actor="mallory", note="mine")
    with pytest.raises(Forbidden, match="own team"):
        choose_baseline(board, entry, actor="mallory")
    with pytest.raises(LeaderboardError, match="tolerance"):
        record_reproduction(root, "synthetic", entry, reproducer="x", reproduced_run_id="r", matches=True, tolerance=1e308)
    set_reviewers(board, ["rita", "sam"], actor="rita")
    with pytest.raises(Forbidden, match="not a reviewer"):
        transition(board, entry, "reject", actor="trent", note="outsider")
    with pytest.raises(Forbidden, match="not a reviewer"):
        set_reviewers(board, ["trent"], actor="trent")
    transition(board, entry, "reject", actor="rita", note="leaks the test set")
    with pytest.raises(Resubmission, match=f"rejected entry {entry[:12]}"):
        submit(make_record(seed=1, name="renamed"), submitter="mallory")  # the same scores under a new name


def test_a_seed_group_counts_its_rejected_seed(make_record, submit, root: Path) -> None:
    from medbench.leaderboard.folder.ranking import rank_board
    from medbench.leaderboard.folder.review import transition
    from medbench.leaderboard.folder.store import Board
    from medbench.leaderboard.views.site import ranking_json

    worse = submit(make_record(seed=1, model="mlp", skill=0.3)).entry_id
    better = submit(make_record(seed=2, model="mlp", skill=0.9)).entry_id
    transition(Board(root, "synthetic"), worse, "reject", actor="rita", note="a bad seed")
    groups = json.loads(ranking_json(rank_board(Board(root, "synthetic"))))["groups"]["ranked"]
    assert [(sorted(group["entries"]), group["rejected"]) for group in groups] == [(sorted([worse, better]), [worse])]
    entries = Board(root, "synthetic").entries()
    mean = np.mean([entries[entry_id].primary_value().value for entry_id in (worse, better)])
    assert groups[0]["pooled"]["auroc"]["value"] == pytest.approx(mean)


def test_the_service_refuses_a_loose_tolerance_and_releases_no_salt(store, board, people, hospital) -> None:
    import base64

    from fastapi.testclient import TestClient

    from medbench.leaderboard.committee.app import create_app
    from medbench.leaderboard.committee.hidden import to_parquet

    scores = _probes(list(_truth(hospital).index))[0][1]
    entry = store.submit(board, scores, {}, people.alice).entry_id
    client = TestClient(create_app(store))
    body = {"predictions": base64.b64encode(to_parquet(scores.assign(score=0.3))).decode(), "tolerance": 1e308}
    answer = client.post(f"/entries/{entry}/reproductions", json=body, headers={"Authorization": f"Bearer {people.tokens['bob']}"})
    assert answer.status_code == 422 and "tolerance" in answer.json()["detail"]
    assert [event.event for event in store.events(board)].count("reproduce") == 0
    page = client.get(f"/boards/{board}").text + client.get(f"/entries/{entry}").text
    assert "salt" not in page and store.aggregates(board)[entry]["salt"]


def test_the_export_releases_no_finer_number_nor_tests_of_held_entries(store, board, people, hospital, tmp_path) -> None:
    from medbench.leaderboard.board.release import rounded
    from medbench.leaderboard.committee.publish import export, verify_export

    truth = _truth(hospital)
    probes = _probes(list(truth.index))
    outcomes = [store.submit(board, scores, {}, people.alice) for _, scores in probes[:3]]
    again = store.submit(board, probes[0][1], {}, people.alice)  # a retry answers what it answered, never more
    assert not again.added and again.aggregates == outcomes[0].aggregates
    out = export(store, tmp_path / "public")
    assert verify_export(out)[0] == []
    resolution = store.policy(board).resolution
    exported = {path.stem: json.loads(path.read_bytes()) for path in (out / "boards" / board / "entries").glob("*.json")}
    assert all("salt" not in entry for entry in exported.values())
    for entry in exported.values():
        for metric in entry["metrics"].values():
            assert metric["value"] == rounded(metric["value"], resolution)
    held = {outcome.entry_id for outcome in outcomes if outcome.held}
    site = json.loads((out / "site" / board / f"{board}.json").read_bytes())
    assert held and not any(entry_id in key for key in site["pairs"] for entry_id in held)
    for tests in site["pairs"].values():
        for test in tests.values():
            assert test["difference"] == rounded(test["difference"], resolution)
    majority_rate = max(truth.mean(), 1 - truth.mean())
    assert _recovered([exported[o.entry_id]["metrics"] for o in outcomes], probes[:3], truth) <= majority_rate + 0.05


def test_the_commands_set_the_policy_open_versions_and_name_reviewers(make_record, submit, root: Path, tmp_path, capsys, monkeypatch) -> None:
    from medbench.cli import main
    from medbench.leaderboard.folder.store import Board

    db, key = f"sqlite:///{tmp_path / 'c.db'}", tmp_path / "c.key"
    opened = CommitteeStore(db, key)
    _, token = opened.create_user("root", "admin", None, None)
    opened.close()
    monkeypatch.setenv("MEDBENCH_TOKEN", token)
    hospital = synthetic.write_record(tmp_path / "hospital", seed=0, n_samples=N_TEST)
    common = ["board", "create", "b", "--from-record", str(hospital), "--db", db, "--key", str(key)]
    assert main([*common, "--resolution", "0.001"]) == 2
    assert "finer than one test sample" in capsys.readouterr().err
    assert main([*common, "--resolution", "0.02", "--release-metrics", "auroc", "--no-ladder"]) == 0
    assert "released: auroc to 0.02" in capsys.readouterr().out
    opened = CommitteeStore(db, key)
    policy = opened.policy("b")
    assert (policy.public, policy.resolution, policy.ladder) == (("auroc",), 0.02, False)
    assert [e.data["release"]["resolution"] for e in opened.events("b") if e.event == "create"] == [0.02]
    opened.close()

    submit(make_record(seed=1), submitter="mallory")
    assert main(["board", "reviewers", "synthetic", "rita", "--by", "rita", "--root", str(root)]) == 0
    newer = make_record(seed=2, task_version="1.1")
    assert main(["board", "version", "synthetic", "--from-record", str(newer), "--by", "trent", "--root", str(root)]) == 2
    assert "not a reviewer" in capsys.readouterr().err
    assert main(["board", "version", "synthetic", "--from-record", str(newer), "--by", "rita", "--root", str(root)]) == 0
    assert Board(root, "synthetic").spec().task_version == "1.1"
