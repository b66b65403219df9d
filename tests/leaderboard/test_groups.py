"""Seed groups: a pooled estimate whose interval carries the seeds' spread, a Δ whose interval and p
agree, one sequence of ranks with seeds placed within their group, and a leader with its ties."""

from __future__ import annotations

import json
import math

import pytest

from medbench.leaderboard.board.groups import pooled, pooled_difference
from medbench.leaderboard.folder.ranking import rank_board
from medbench.leaderboard.folder.review import choose_baseline
from medbench.leaderboard.folder.store import Board
from medbench.leaderboard.folder.tiers import board_tiers
from medbench.leaderboard.views.site import board_json, leader
from medbench.leaderboard.board.naming import name_entries


def test_the_pooled_interval_adds_the_seeds_spread_to_their_mean_interval() -> None:
    same = pooled([0.8, 0.8, 0.8], [0.75, 0.74, 0.76], [0.85, 0.86, 0.84], 0.95)
    assert same.value == pytest.approx(0.8) and same.low == pytest.approx(0.75) and same.high == pytest.approx(0.85)
    spread = pooled([0.70, 0.80, 0.90], [0.65, 0.75, 0.85], [0.75, 0.85, 0.95], 0.95)
    seeds_part = 1.959963984540054 * 0.1 / math.sqrt(3)
    assert spread.high - spread.value == pytest.approx(math.hypot(0.05, seeds_part))
    assert spread.low < 0.75 and spread.sd == pytest.approx(0.1) and spread.seeds == 3
    assert pooled([0.8, 0.9], [None, 0.85], [0.9, 0.95], 0.95).low is None  # a seed without an interval: none pooled


@pytest.mark.parametrize("level", [0.9, 0.95])
def test_a_pooled_difference_excludes_zero_exactly_when_its_p_is_below_alpha(level: float) -> None:
    checked = 0
    for centre in [x / 100 for x in range(-12, 13)]:
        for width in (0.02, 0.05, 0.1):
            differences = [centre - 0.01, centre, centre + 0.02]
            result = pooled_difference(differences, [d - width for d in differences], [d + width * 1.3 for d in differences], level)
            excludes = result.low > 0 or result.high < 0
            assert excludes == (result.p_value < 1 - level), (centre, width, result)
            checked += excludes
    assert 0 < checked < 75


def test_ranks_are_one_sequence_and_seeds_are_placed_within_their_group(make_record, submit, root) -> None:
    logreg = [submit(make_record(seed=seed, model="logreg", skill=0.5)).entry_id for seed in (1, 2)]
    for seed in (1, 2, 3):
        submit(make_record(seed=seed, model="mlp", skill=0.9))
    submit(make_record(seed=4, model="gbm", skill=0.7))
    board = Board(root, "synthetic")
    choose_baseline(board, logreg[0], actor="committee", note="the classic")
    ranking = rank_board(board, board_tiers)
    names = name_entries({row.entry_id: row.entry for row in ranking.current})
    data = json.loads(board_json(ranking, names))
    groups = data["groups"]["ranked"]
    assert [g["title"] for g in groups] == ["mlp", "gbm", "logreg"] and [g["rank"] for g in groups] == [1, 2, 3]
    places = {row["entry_id"]: row["place"] for row in data["entries"]}
    assert sorted(places[e] for e in groups[0]["entries"]) == ["1.1", "1.2", "1.3"]
    assert places[groups[1]["entries"][0]] == "2" and sorted(places[e] for e in logreg) == ["3.1", "3.2"]
    mlp = groups[0]
    assert mlp["pooled"]["auroc"]["low"] < mlp["pooled"]["auroc"]["value"] <= mlp["pooled"]["auroc"]["high"] <= 1.0
    delta = mlp["delta"]
    assert delta["low"] is not None and (delta["low"] > 0) == (delta["p_value"] < 0.05)
    assert groups[2]["delta"] is None  # the group holding the baseline has no Δ
    top = leader(ranking, names)
    assert top["name"].startswith("mlp") and "3 seeds" in top["name"]
    assert (top["tied"] == 0) == (top["tie_note"] == "")


def test_the_leader_notes_its_ties_when_the_tier_is_shared(make_record, submit, root) -> None:
    for seed, skill in ((1, 0.8), (2, 0.8)):
        submit(make_record(seed=seed, model=f"m{seed}", skill=skill, n_samples=60))
    ranking = rank_board(Board(root, "synthetic"), board_tiers)
    names = name_entries({row.entry_id: row.entry for row in ranking.current})
    top = leader(ranking, names)
    assert len({row.tier for row in ranking.current}) == 1  # two near-equal models on 60 samples: one tier
    assert top["tied"] == 1 and "tier T1" in top["tie_note"] and "(entry " in top["name"]
