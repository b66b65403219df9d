"""The regression task end to end: real patients (scikit-learn's diabetes), a record, a re-score, a bundle."""

from __future__ import annotations

from pathlib import Path

import pytest

from medbench.transfer.export import export_bundle
from medbench.evaluation.scoring import record_outputs, score_outputs


def test_ridge_on_diabetes_explains_part_of_the_progression(compose_config, tmp_path: Path) -> None:
    from medbench.engine.run import run

    record = run(compose_config("experiment=diabetes_ridge"))
    assert record.complete and record.protocol.kind == "regression" and record.protocol.direction == "minimize"
    metrics = record.metrics()
    assert metrics.n_samples == record.manifest.dataset.split_sizes["test"]
    # Published linear models explain about half of the variance of this outcome.
    assert 0.3 < metrics.values["r2"].value < 0.65
    mae = metrics.values["mae"]
    assert mae.ci.low < mae.value < mae.ci.high
    assert score_outputs(record_outputs(record), record.protocol) == metrics
    bundle = export_bundle(record.path, tmp_path / "bundle")
    assert "Calibration by decile" in (bundle.path / "report.html").read_text()


@pytest.mark.slow
def test_the_mlp_learns_the_target_in_its_own_unit(compose_config) -> None:
    from medbench.engine.run import run

    record = run(compose_config("experiment=diabetes_mlp", fast=False))
    assert record.complete and record.metrics().values["r2"].value > 0.3


def test_linear_and_ridge_runs_are_named_by_their_model_option_on_the_board(compose_config, tmp_path: Path) -> None:
    from medbench.leaderboard.board.naming import name_entries
    from medbench.leaderboard.folder.store import Board
    from medbench.leaderboard.folder.submit import submit_run
    from medbench.engine.run import run

    # As `medbench run task=diabetes model=...` does: the overrides go into the record, which names the entry.
    overrides = {model: ["task=diabetes", f"model={model}"] for model in ("linear", "ridge")}
    records = {model: run(compose_config(*overrides[model]), overrides=overrides[model]) for model in overrides}
    entries = {model: submit_run(tmp_path / "boards", record.path, submitter="tester").entry_id for model, record in records.items()}
    names = name_entries(Board(tmp_path / "boards", "diabetes").entries())
    assert {model: names[entry_id].title for model, entry_id in entries.items()} == {"linear": "linear", "ridge": "ridge"}
    assert names[entries["linear"]].group != names[entries["ridge"]].group
