"""The user's tables end to end: one command, a record with patient-clustered intervals, a bundle that reproduces."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from medbench.cli import main
from medbench.records.record import read_record
from medbench.reproduce.outcome import read_reproduction

pytestmark = pytest.mark.slow


def test_tabular_csv_run_exports_and_reproduces_from_its_bundle(cohort_csv, compose_config, tmp_path: Path, monkeypatch) -> None:
    from medbench.engine.run import run

    path = cohort_csv()
    cfg = compose_config(
        "task=tabular_csv", "model=logreg", f"task.data.path={path}", "task.data.target_column=stroke",
        "task.data.positive_label=yes", "task.data.patient_column=Id", "task.data.drop_columns=[days,died,los_days]",
        "task.subgroup_columns=[GENDER]", "task.confidence.n_resamples=200",
    )
    record = read_record(run(cfg).path)
    assert record.complete
    metrics = record.metrics()
    assert metrics.values["auroc"].ci.resampling_unit == "cluster:Id"
    assert 0.6 < metrics.values["auroc"].value <= 1.0
    assert {"Id", "GENDER"} <= set(record.predictions().columns)

    monkeypatch.setenv("MEDBENCH_ROOT", str(tmp_path))
    assert main(["export", str(record.path), "-o", str(tmp_path / "bundle"), "--zip"]) == 0
    elsewhere = tmp_path / "partner"
    elsewhere.mkdir()
    shutil.copy(tmp_path / "bundle.zip", elsewhere / "bundle.zip")
    monkeypatch.setenv("MEDBENCH_ROOT", str(elsewhere))
    monkeypatch.chdir(elsewhere)
    assert main(["reproduce", "bundle.zip"]) == 0
    (result,) = (elsewhere / "runs" / "_reproductions").glob("*/reproduction.json")
    reproduction = read_reproduction(result)
    assert reproduction.status == "match" and reproduction.predictions_identical


def test_survival_csv_run_with_deepsurv(cohort_csv, compose_config) -> None:
    from medbench.engine.run import run

    cfg = compose_config(
        "task=survival_csv", "model=deepsurv", f"task.data.path={cohort_csv()}", "task.data.time_column=days",
        "task.data.event_column=died", "task.eval_times=[180,365,730]", "task.data.id_column=Id",
        "task.data.drop_columns=[stroke,los_days]", "task.confidence.n_resamples=100",
    )
    record = read_record(run(cfg).path)
    assert record.complete
    assert set(record.metrics().values) == {"c_index", "uno_c_index", "ibs"}


def test_regression_csv_run_with_the_mlp_selects_on_validation_mae(cohort_csv, compose_config) -> None:
    from medbench.engine.run import run

    cfg = compose_config(
        "task=regression_csv", "model=mlp_regressor", f"task.data.path={cohort_csv()}", "task.data.target_column=los_days",
        "task.data.patient_column=Id", "task.data.drop_columns=[stroke,days,died]", "task.confidence.n_resamples=100",
    )
    assert cfg.callbacks.model_checkpoint.monitor == "val/mae" and cfg.callbacks.model_checkpoint.mode == "min"
    record = read_record(run(cfg).path)
    assert record.complete
    metrics = record.metrics()
    assert metrics.primary == "mae" and metrics.values["mae"].ci.resampling_unit == "cluster:Id"
    assert "val/mae" in record.logged_metrics().columns
