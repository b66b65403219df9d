"""The one task protocol: built from every shipped task, written whole into the record, read back from there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from medbench.errors import ConfigError, RecordError
from medbench.testing import synthetic
from medbench.records.protocol import Confidence, Protocol
from medbench.records.record import MANIFEST_FILE, read_record
from medbench.evaluation.scoring import check_protocol

TASKS = sorted(path.stem for path in (Path(__file__).resolve().parents[1] / "conf" / "task").glob("*.yaml"))


@pytest.mark.parametrize("task", TASKS)
def test_every_shipped_task_has_a_valid_protocol(compose_config, task: str) -> None:
    cfg = compose_config(f"task={task}", *(["task.name=mine"] if task == "beir" else []))
    protocol = Protocol.from_task_config(cfg.task)
    check_protocol(protocol)
    assert protocol.name == cfg.task.name and protocol.primary == cfg.task.primary_metric
    assert protocol.confidence == Confidence(**OmegaConf.to_container(cfg.task.confidence))


def test_a_primary_metric_that_is_not_computed_is_refused_with_its_key() -> None:
    task = OmegaConf.create({"name": "t", "version": "1", "kind": "binary", "metrics": ["auroc"], "primary_metric": "brier"})
    with pytest.raises(ConfigError, match="task.*primary metric 'brier' is not among"):
        Protocol.from_task_config(task)


def test_protocols_are_frozen_and_compared_by_value() -> None:
    one = Protocol(name="t", version="1", kind="binary", metrics=("auroc",), primary="auroc")
    with pytest.raises(ValueError):
        one.primary = "brier"  # type: ignore[misc]
    other = one.replaced(confidence={"n_resamples": 200})
    assert one == Protocol.model_validate_json(one.model_dump_json())
    assert one.differing_fields(other) == ["confidence"]


def test_the_record_holds_the_protocol_it_was_scored_under(tmp_path: Path) -> None:
    record = read_record(synthetic.write_record(tmp_path, seed=1, n_resamples=30))
    assert record.protocol.confidence.n_resamples == 30
    metrics = record.metrics()
    assert (metrics.primary, metrics.direction) == (record.protocol.primary, record.protocol.direction)
    assert next(iter(metrics.values.values())).ci.n_resamples <= 30


def test_a_record_from_before_the_protocol_says_to_rerun(tmp_path: Path) -> None:
    folder = synthetic.write_record(tmp_path, seed=1, n_resamples=30)
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    protocol = manifest.pop("protocol")
    manifest.update(schema_version=1, task={"name": protocol["name"], "version": "1.0", "kind": "binary"})
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(RecordError, match=r"older medbench .*rerun it with `medbench run \.\.\. force=true`"):
        read_record(folder)


def test_the_config_schema_and_score_overrides_take_the_confidence_settings_from_the_protocol() -> None:
    from medbench.commands.score import apply_overrides
    from medbench.config.schema import ConfidenceConfig

    assert OmegaConf.to_container(OmegaConf.structured(ConfidenceConfig)) == Confidence().model_dump()
    protocol = Protocol(name="t", version="1", kind="binary", metrics=("auroc",), primary="auroc")
    changed = apply_overrides(protocol, ["method=bca", "level=0.9", "n_resamples=50", "seed=4"])
    assert changed.confidence == Confidence(method="bca", level=0.9, n_resamples=50, seed=4)
    with pytest.raises(ConfigError, match="known: metrics, method, level, n_resamples, seed"):
        apply_overrides(protocol, ["alpha=1"])


def test_one_direction_type_for_the_protocol_the_config_and_the_record() -> None:
    import dataclasses

    from medbench.config.schema import ObjectiveConfig, TaskConfig
    from medbench.metrics.direction import Direction
    from medbench.records.record import Metrics

    assert Protocol.model_fields["direction"].annotation is Direction
    assert Metrics.model_fields["direction"].annotation is Direction
    for schema in (TaskConfig, ObjectiveConfig):
        assert {field.name: field.type for field in dataclasses.fields(schema)}.get("direction", "Direction") in (Direction, "Direction")
    protocol = Protocol(name="t", version="1", kind="binary", metrics=("auroc",), primary="auroc", direction="minimize")
    assert protocol.direction is Direction.minimize
    assert json.loads(protocol.model_dump_json())["direction"] == "minimize" and f"{protocol.direction}" == "minimize"


def test_a_direction_its_primary_metric_contradicts_is_refused_and_a_target_metric_is_accepted() -> None:
    from medbench.config.schema import lightning_mode

    wrong = Protocol(name="t", version="1", kind="forecasting", metrics=("smape",), primary="smape", direction="maximize")
    with pytest.raises(ConfigError, match=r"task.direction: 'maximize', but 'smape' is better lower; write task.direction=minimize"):
        check_protocol(wrong)
    coverage = Protocol(name="t", version="1", kind="forecasting", metrics=("coverage@0.9",), primary="coverage@0.9", direction="target")
    check_protocol(coverage)
    loss = coverage.primary_loss()
    assert loss(0.89) < loss(0.95) < loss(0.8) and loss(0.88) == pytest.approx(loss(0.92))
    with pytest.raises(ValueError, match="checkpoints and early stopping follow a metric to maximize or minimize"):
        lightning_mode("target")
    assert (lightning_mode("maximize"), lightning_mode("minimize")) == ("max", "min")
