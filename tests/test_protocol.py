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
