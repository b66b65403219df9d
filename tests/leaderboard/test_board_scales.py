"""The board reads each metric's scale from the registry: its JSON, its ranking of a target metric, its warnings."""

from __future__ import annotations

import json
from pathlib import Path

from medbench.leaderboard.folder.ranking import build_site, rank_board
from medbench.leaderboard.folder.store import Board
from medbench.leaderboard.views.site import ranking_json


def test_the_boards_json_carries_each_metrics_registered_scale(make_record, submit, root: Path) -> None:
    submit(make_record(seed=1, kind="forecasting", n_samples=60))
    scales = json.loads(ranking_json(rank_board(Board(root, "synthetic-forecasting"))))["scales"]
    assert scales["smape"] == {"direction": "minimize", "low": 0.0, "high": 200.0, "unit": "%", "target": None, "better": "lower"}
    assert scales["mase"]["direction"] == "minimize" and scales["mase"]["high"] is None
    assert scales["pinball"]["direction"] == scales["width@0.9"]["direction"] == "minimize"
    assert scales["coverage@0.9"] | {"low": None} == {
        "direction": "target", "low": None, "high": 1.0, "unit": "", "target": 0.9, "better": "closer to 0.9",
    }


def test_a_board_of_a_target_metric_ranks_by_the_distance_to_its_target(make_record, submit, root: Path, tmp_path: Path) -> None:
    for seed, skill in enumerate((-0.5, 0.3, 0.9)):
        submit(make_record(seed=seed, kind="forecasting", skill=skill, n_samples=80, metrics=("coverage@0.5", "mase")))
    ranking = rank_board(Board(root, "synthetic-forecasting"))
    assert ranking.spec.direction == "target"
    coverages = [row.entry.metrics["coverage@0.5"].value for row in ranking.current]
    distances = [abs(value - 0.5) for value in coverages]
    assert distances == sorted(distances) and len(coverages) == 3
    page = build_site(root, tmp_path / "site").parent / "synthetic-forecasting" / "index.html"
    assert "(closer to 0.5 is better)" in page.read_text()


def test_a_tiny_test_class_is_named_in_the_entry_and_on_the_board(make_record, submit, root: Path) -> None:
    submit(make_record(seed=1, kind="multiclass", n_samples=10))
    data = json.loads(ranking_json(rank_board(Board(root, "synthetic-multiclass"))))
    warning = data["entries"][0]["entry"]["metrics"]["macro_auroc"]["warning"]
    assert warning.startswith("test classes with fewer than 5 samples (class ")
