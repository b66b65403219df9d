"""`medbench run` on timeline tasks from raw exports: tabular and sequence baselines, intervals by subject, a board."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.timeline.conftest import N_SUBJECTS

BY_SUBJECT = "cluster:subject_id"


def _run(compose_config, *overrides: str):
    from medbench.engine.run import run

    return run(compose_config(*overrides, f"task.data.n_subjects={N_SUBJECTS}"))


def _submit(record, tmp_path: Path) -> str:
    from medbench.leaderboard.folder.submit import submit_run

    return submit_run(tmp_path / "boards", record.path, submitter="tester").entry_id


def _check(record, metric: str) -> None:
    assert record.complete
    value = record.metrics().values[metric]
    assert np.isfinite(value.value) and value.ci.low <= value.value <= value.ci.high
    assert value.ci.resampling_unit == BY_SUBJECT
    predictions = record.predictions()
    assert (predictions["sample_id"].str.split("@").str[0] == predictions["subject_id"]).all()


def test_readmission_from_a_raw_synthea_folder_runs_and_submits(compose_config, synthea_folder: Path, tmp_path: Path) -> None:
    record = _run(compose_config, "task=timeline_readmission", "model=logreg", "task.data.source=synthea", f"task.data.path={synthea_folder}")
    _check(record, "auroc")
    assert record.protocol.prediction_time == "each ENCOUNTER_END:inpatient + 0 d" and record.protocol.cluster_column == "subject_id"
    train_subjects = {i.split("@")[0] for i in record.splits()["train"]}
    test_subjects = {i.split("@")[0] for i in record.splits()["test"]}
    assert not train_subjects & test_subjects
    assert _submit(record, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("task", "model", "features", "metric"),
    [
        ("timeline_readmission", "gbm", "counts", "auroc"),
        ("timeline_readmission", "timeline_gru", "sequence", "auroc"),
        ("timeline_cardiovascular", "coxph", "counts", "c_index"),
        ("timeline_cardiovascular", "timeline_gru_survival", "sequence", "c_index"),
        ("timeline_next_condition", "logreg", "counts", "top_k_accuracy@3"),
        ("timeline_next_condition", "timeline_gru", "sequence", "top_k_accuracy@3"),
    ],
)
def test_timeline_baselines_run_from_synthea_and_submit(compose_config, synthea_folder: Path, tmp_path: Path, task, model, features, metric) -> None:
    record = _run(compose_config, f"task={task}", f"model={model}", f"task.data.features={features}", "task.data.source=synthea", f"task.data.path={synthea_folder}")
    _check(record, metric)
    assert _submit(record, tmp_path)


@pytest.mark.slow
def test_one_year_mortality_after_a_diagnosis_runs_on_the_generated_cohort(compose_config, tmp_path: Path) -> None:
    from medbench.engine.run import run

    record = run(compose_config("task=timeline_mortality", "model=logreg"))
    _check(record, "auroc")
    assert record.predictions()["target"].sum() > 0 and _submit(record, tmp_path)


@pytest.mark.slow
def test_an_omop_extract_runs_the_same_task_on_the_same_samples(compose_config, synthea_folder: Path, omop_folder: Path) -> None:
    synthea = _run(compose_config, "task=timeline_readmission", "model=logreg", "task.data.source=synthea", f"task.data.path={synthea_folder}")
    omop = _run(compose_config, "task=timeline_readmission", "model=logreg", "task.data.source=omop", f"task.data.path={omop_folder}")
    _check(omop, "auroc")
    assert omop.splits() == synthea.splits()


def test_converted_meds_gives_the_same_samples_as_the_raw_folder(synthea_folder: Path, tmp_path: Path) -> None:
    from medbench.data.timeline.datamodule import TimelineDataModule
    from medbench.data.timeline.meds import SUBJECT, assign_splits, write_meds
    from medbench.data.timeline.sources import convert

    events = convert("synthea", synthea_folder)
    write_meds(events, assign_splits(events[SUBJECT].unique().to_numpy(), 0.15, 0.25, 0), tmp_path / "meds", "g")
    cohort = {"trigger": {"codes": ["ENCOUNTER_END:inpatient"]}, "label": {"type": "binary", "codes": ["ENCOUNTER:inpatient"], "window_days": 30}}
    raw = TimelineDataModule(cohort, "binary", source="synthea", path=str(synthea_folder))
    meds = TimelineDataModule(cohort, "binary", source="meds", path=str(tmp_path / "meds"))
    assert raw.split_ids() == meds.split_ids() and raw.fingerprint() == meds.fingerprint()


def test_next_condition_scores_top_k_accuracy(compose_config) -> None:
    from medbench.metrics.multiclass import MulticlassData, top_k_accuracy

    data = MulticlassData(targets=np.array([0, 1, 2]), scores=np.array([[0.5, 0.3, 0.2], [0.5, 0.3, 0.2], [0.5, 0.3, 0.2]]), predictions=np.zeros(3, int))
    assert top_k_accuracy(data, 1).tolist() == [1, 0, 0] and top_k_accuracy(data, 2).tolist() == [1, 1, 0] and top_k_accuracy(data, 3).all()


@pytest.mark.slow
def test_the_time_to_event_task_finds_the_same_index_visits_in_omop(compose_config, synthea_folder: Path, omop_folder: Path) -> None:
    """OMOP has no wellness visit class (Synthea's wellness visits are ambulatory there): the index is the first outpatient visit in both."""
    synthea = _run(compose_config, "task=timeline_cardiovascular", "task.data.source=synthea", f"task.data.path={synthea_folder}")
    omop = _run(compose_config, "task=timeline_cardiovascular", "task.data.source=omop", f"task.data.path={omop_folder}")
    _check(omop, "c_index")
    assert omop.splits() == synthea.splits() and len(omop.splits()["test"]) > 0
