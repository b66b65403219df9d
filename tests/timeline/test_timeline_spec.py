"""The declared timeline task: schema, its consistency with the task config, and the prediction time in the Protocol."""

from __future__ import annotations

import pytest

from medbench.data.timeline.cohort import timeline_task
from medbench.errors import ConfigError
from medbench.records.protocol import Protocol

READMISSION = {"trigger": {"codes": ["ENCOUNTER_END:inpatient"]}, "label": {"type": "binary", "codes": ["ENCOUNTER:inpatient"], "window_days": 30}}


def test_a_binary_label_needs_its_window_and_unknown_keys_are_refused() -> None:
    with pytest.raises(ConfigError, match="window_days"):
        timeline_task({"trigger": {"codes": ["X:1"]}, "label": {"type": "binary", "codes": ["X:2"]}})
    with pytest.raises(ConfigError, match="task.data.cohort.trigger.cods"):
        timeline_task({"trigger": {"cods": ["X:1"]}, "label": {"type": "time_to_event", "codes": ["X:2"]}})
    assert timeline_task(READMISSION).task_kind == "binary"


def test_the_datamodule_refuses_a_kind_or_prediction_time_that_contradicts_the_cohort() -> None:
    from medbench.data.timeline.datamodule import TimelineDataModule

    with pytest.raises(ConfigError, match="makes a binary task"):
        TimelineDataModule(READMISSION, kind="survival")
    with pytest.raises(ConfigError, match="prediction_time"):
        TimelineDataModule(READMISSION, kind="binary", prediction_time="first ENCOUNTER:wellness + 0 d")


def test_shipped_timeline_tasks_state_the_prediction_time_of_their_cohort(compose_config) -> None:
    for task in ("timeline_readmission", "timeline_mortality", "timeline_next_condition", "timeline_cardiovascular"):
        cfg = compose_config(f"task={task}")
        protocol = Protocol.from_task_config(cfg.task)
        assert protocol.prediction_time == timeline_task(cfg.task.data.cohort).prediction_time()
        assert protocol.cluster_column == "subject_id"


def test_protocols_recorded_before_the_prediction_time_read_as_none(compose_config) -> None:
    stored = Protocol.from_task_config(compose_config().task).model_dump()
    del stored["prediction_time"]
    assert Protocol.model_validate(stored).prediction_time is None
