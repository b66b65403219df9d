"""No future leaks: events planted at and after the prediction time (label events included) change no input and no prediction.

Events are planted at each subject's last trigger event and after it, so that they are in the
future of every sample that subject can have: a label code, a numeric measurement with an extreme value,
a new sex code, a code never seen before, and a trigger-free birth code. Planting can add samples
(a planted event extends a subject's follow-up) and change labels, but every original sample must
keep exactly its inputs (each feature path) and its metadata, and a model fitted on unchanged
training data must give it exactly the same prediction.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from medbench.data.timeline.cohort import PREDICTION_TIME, extract_samples, matches
from medbench.data.timeline.cohort import timeline_task
from medbench.data.timeline.datamodule import TimelineDataModule
from medbench.data.timeline.meds import CODE, SUBJECT, TIME, VALUE, as_events, assign_splits, write_meds
from medbench.data.timeline.sources import convert

READMISSION = {"trigger": {"codes": ["ENCOUNTER_END:inpatient"]}, "label": {"type": "binary", "codes": ["ENCOUNTER:inpatient"], "window_days": 30}}
CARDIOVASCULAR = {
    "trigger": {"codes": ["ENCOUNTER:wellness"], "occurrence": "first", "min_age_years": 40},
    "label": {"type": "time_to_event", "codes": ["SNOMED:22298006", "SNOMED:230690007"]},
}
NEXT_CONDITION = {"trigger": {"codes": ["ENCOUNTER_END:inpatient"]}, "label": {"type": "next_code", "codes": ["SNOMED:*"], "window_days": 365}}
PLANTED = [("ENCOUNTER:inpatient", None), ("LOINC:39156-5", 999.0), ("GENDER:M", None), ("PLANTED:never-seen", 1.0), ("SNOMED:22298006", None), ("MEDS_BIRTH", None)]


def planted(events: pl.DataFrame, cohort: dict, subjects: set[int] | None = None, after_days: tuple[float, ...] = (0, 1, 10)) -> pl.DataFrame:
    """`events` plus PLANTED codes at each subject's last trigger (the latest possible prediction time) + `after_days`."""
    trigger = timeline_task(cohort).trigger
    last = events.filter(matches(trigger.codes)).group_by(SUBJECT).agg(pl.col(TIME).max())
    if subjects is not None:
        last = last.filter(pl.col(SUBJECT).is_in(sorted(subjects)))
    rows = [
        {SUBJECT: subject, TIME: moment + timedelta(days=days), CODE: code, VALUE: value}
        for subject, moment in last.iter_rows()
        for days in after_days
        for code, value in PLANTED
    ]
    return as_events(pl.concat([events, pl.DataFrame(rows, schema=events.schema)]))


def _module(tmp_path: Path, name: str, events: pl.DataFrame, splits: pl.DataFrame, cohort: dict, kind: str, **options) -> TimelineDataModule:
    write_meds(events, splits, tmp_path / name, dataset_name=name)
    return TimelineDataModule(cohort, kind, source="meds", path=str(tmp_path / name), min_code_samples=2, **options)


def _by_id(module: TimelineDataModule) -> dict[str, tuple]:
    rows = {}
    for name in ("train", "val", "test"):
        split = module.split(name)
        for i, sample_id in enumerate(split.ids):
            rows[sample_id] = (np.asarray(split.inputs[i]), tuple(split.metadata.iloc[i]))
    return rows


@pytest.fixture(scope="module")
def source_events(synthea_folder: Path) -> pl.DataFrame:
    return convert("synthea", synthea_folder)


@pytest.mark.parametrize(
    ("cohort", "kind", "options"),
    [
        (READMISSION, "binary", {"features": "counts"}),
        (READMISSION, "binary", {"features": "sequence", "sequence_length": 16}),
        (CARDIOVASCULAR, "survival", {"features": "counts", "eval_times": (2500, 4000)}),
        (CARDIOVASCULAR, "survival", {"features": "sequence", "eval_times": (2500, 4000)}),
        (NEXT_CONDITION, "multiclass", {"features": "counts"}),
    ],
    ids=["readmission-counts", "readmission-sequence", "cardiovascular-counts", "cardiovascular-sequence", "next-condition-counts"],
)
def test_planted_future_events_change_no_input(source_events: pl.DataFrame, tmp_path: Path, cohort: dict, kind: str, options: dict) -> None:
    """Planted into the test subjects' future: the training samples, hence vocabulary and scaling, stay as they were."""
    splits = assign_splits(source_events[SUBJECT].unique().to_numpy(), 0.15, 0.25, 0)
    test_subjects = set(splits.filter(pl.col("split") == "test")[SUBJECT].to_list())
    original = _module(tmp_path, "original", source_events, splits, cohort, kind, **options)
    # Survival: the planted label events come late, so the test follow-up still covers eval_times.
    after_days = (0, 5000, 5001) if kind == "survival" else (0, 1, 10)
    future = _module(tmp_path, "future", planted(source_events, cohort, test_subjects, after_days), splits, cohort, kind, **options)
    before, after = _by_id(original), _by_id(future)
    # Planted labels may move a next-code sample out of the training set's classes; no other sample is lost.
    common = set(before) & set(after)
    assert len(common) == len(before) if kind != "multiclass" else len(common) >= 0.9 * len(before)
    assert future.codes == original.codes and "PLANTED:never-seen" not in future.codes
    for sample_id in common:
        inputs, metadata = before[sample_id]
        assert np.array_equal(after[sample_id][0], inputs), sample_id
        assert after[sample_id][1] == metadata, sample_id


@pytest.mark.parametrize("cohort", [READMISSION, CARDIOVASCULAR, NEXT_CONDITION], ids=["readmission", "cardiovascular", "next-condition"])
def test_planted_future_of_every_subject_changes_no_feature_of_a_sample(source_events: pl.DataFrame, cohort: dict) -> None:
    """Every subject's future planted, every feature function compared on the original samples with one vocabulary."""
    from medbench.data.timeline import features as F

    samples = extract_samples(source_events, timeline_task(cohort)).with_row_index("sample_index")
    codes = F.vocabulary(F.history(source_events, samples), range(samples.height), 2, 200)
    outputs = []
    for events in (source_events, planted(source_events, cohort)):
        past = F.history(events, samples)
        n = samples.height
        counts = F.window_counts(past, n, codes, codes, (30.0, 365.0, None), F.ages_at_prediction(past, n))
        outputs.append((counts.values, F.token_sequences(past, n, codes, 32), F.subgroups(past, n)))
    (counts, sequences, groups), (counts_planted, sequences_planted, groups_planted) = outputs
    assert np.array_equal(counts, counts_planted, equal_nan=True) and np.array_equal(sequences, sequences_planted)
    assert all(np.array_equal(groups[key], groups_planted[key]) for key in groups)


def test_planted_label_events_do_change_labels(source_events: pl.DataFrame) -> None:
    """The check above is not vacuous: the planted events are in the labels' window."""
    task = timeline_task(READMISSION)
    labels = extract_samples(source_events, task)
    with_future = extract_samples(planted(source_events, READMISSION), task)
    joined = labels.join(with_future, on=[SUBJECT, PREDICTION_TIME], suffix="_planted")
    assert (joined["label_planted"] > joined["label"]).any()


@pytest.mark.slow
@pytest.mark.parametrize(("model", "features"), [("logreg", "counts"), ("timeline_gru", "sequence")])
def test_planted_future_of_test_subjects_changes_no_prediction(compose_config, source_events: pl.DataFrame, tmp_path: Path, model: str, features: str) -> None:
    from medbench.engine.run import run

    splits = assign_splits(source_events[SUBJECT].unique().to_numpy(), 0.15, 0.25, 0)
    test_subjects = set(splits.filter(pl.col("split") == "test")[SUBJECT].to_list())
    predictions = []
    for name, events in (("original", source_events), ("future", planted(source_events, READMISSION, test_subjects))):
        write_meds(events, splits, tmp_path / name, dataset_name=name)
        overrides = ["task=timeline_readmission", f"model={model}", f"task.data.features={features}", "task.data.source=meds", f"task.data.path={tmp_path / name}"]
        predictions.append(run(compose_config(*overrides)).predictions().set_index("sample_id"))
    before, after = predictions
    assert set(before.index) <= set(after.index)
    # Equal inputs, equal model; float32 products over a test matrix of another height round differently (~1e-7).
    np.testing.assert_allclose(after.loc[before.index, "score"].to_numpy(), before["score"].to_numpy(), rtol=1e-5, atol=0)
    assert (after.loc[before.index, "target"] >= before["target"]).all()
