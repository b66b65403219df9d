"""The run engine: a complete, schema-valid, deterministic, reusable run record."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from medbench.errors import ConfigError, DataError, RecordError
from medbench.config.identity import run_id_of
from medbench.records.record import iter_records, read_record


@pytest.fixture
def default_record(compose_config):
    from medbench.engine.run import run

    cfg = compose_config()
    return run(cfg, overrides=["debug=fast"])


def test_record_is_complete_and_schema_valid(default_record) -> None:
    record = read_record(default_record.path)
    assert record.complete
    manifest = record.manifest
    assert manifest.protocol.name == "breast_cancer" and manifest.protocol.primary == "auroc"
    assert manifest.seed == 0
    assert manifest.model.parameter_count and manifest.model.parameter_count > 0
    assert manifest.model.checkpoint_sha256 and len(manifest.model.checkpoint_sha256) == 64
    assert manifest.dataset is not None and len(manifest.dataset.fingerprint) == 64
    assert manifest.environment.packages["torch"] is not None
    assert manifest.timing.duration_s > 0
    assert manifest.overrides == ["debug=fast"]
    metrics = record.metrics()
    assert metrics.primary == "auroc"
    assert 0.5 < metrics.primary_value().value <= 1.0
    assert record.config().task.name == "breast_cancer"


def test_predictions_hold_ids_targets_scores_only(default_record) -> None:
    frame = default_record.predictions()
    assert list(frame.columns) == ["sample_id", "target", "score", "prediction"]
    splits = default_record.splits()
    assert frame["sample_id"].tolist() == splits["test"]
    assert frame["score"].between(0, 1).all()


def test_splits_are_disjoint_stratified_and_cover_the_data(default_record) -> None:
    splits = default_record.splits()
    all_ids = [i for ids in splits.values() for i in ids]
    assert len(all_ids) == len(set(all_ids)) == 569
    frame = default_record.predictions()
    # WDBC has 212 malignant of 569 (37.3 %): stratification keeps that share in the test split.
    assert abs(frame["target"].mean() - 212 / 569) < 0.02


def test_same_config_and_seed_give_identical_results(compose_config, tmp_path: Path) -> None:
    from medbench.engine.run import run

    first = run(compose_config())
    second = run(compose_config("force=true"))
    assert first.path == second.path
    assert first.manifest.timing.started_at != second.manifest.timing.started_at
    pd.testing.assert_frame_equal(first.predictions(), second.predictions())
    assert first.metrics() == second.metrics()


def test_seed_changes_run_id_but_not_split(compose_config) -> None:
    from medbench.engine.run import run

    zero, one = run(compose_config("seed=0")), run(compose_config("seed=1"))
    assert zero.run_id != one.run_id
    assert zero.manifest.dataset.fingerprint == one.manifest.dataset.fingerprint
    assert zero.splits() == one.splits()


def test_run_id_ignores_non_semantic_keys(compose_config, tmp_path: Path) -> None:
    base = run_id_of(compose_config())
    assert run_id_of(compose_config("logger=none", "num_threads=2", "task.data.num_workers=1")) == base
    assert run_id_of(compose_config("paths.root_dir=/elsewhere")) == base
    assert run_id_of(compose_config("model.optimizer.lr=0.01")) != base
    assert run_id_of(compose_config("task.version=2.0")) != base


def test_complete_record_is_reused_not_recomputed(compose_config) -> None:
    from medbench.engine.run import run

    first = run(compose_config())
    again = run(compose_config())
    assert again.manifest == first.manifest


def test_failed_run_is_recorded_then_rerun(compose_config, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from medbench.models.sklearn import SklearnClassifier
    from medbench.engine.run import run

    cfg = compose_config("model=logreg")
    monkeypatch.setattr(SklearnClassifier, "predict_scores", lambda self, split: np.full(len(split), np.nan))
    with pytest.raises(DataError, match="NaN"):
        run(cfg)
    failed = list(iter_records(cfg.paths.runs_dir))
    assert len(failed) == 1 and failed[0].manifest.status == "failed"
    assert failed[0].manifest.failure.type == "DataError"
    monkeypatch.undo()
    rerun = run(cfg)
    assert rerun.complete and rerun.path == failed[0].path


def test_missing_mandatory_value_is_named_and_nothing_is_written(compose_config) -> None:
    from medbench.engine.run import run

    cfg = compose_config("task.version=???")
    with pytest.raises(ConfigError, match="task.version"):
        run(cfg)
    assert not Path(cfg.paths.runs_dir).exists()


def test_unknown_metric_is_refused_before_running(compose_config) -> None:
    from medbench.engine.run import run

    cfg = compose_config("task.metrics=[auroc,not_a_metric]")
    with pytest.raises(ConfigError, match="not_a_metric"):
        run(cfg)
    assert not Path(cfg.paths.runs_dir).exists()


def test_edited_record_is_reported(default_record) -> None:
    metrics_file = default_record.path / "metrics.json"
    data = json.loads(metrics_file.read_text())
    data["values"]["auroc"]["value"] = "excellent"
    metrics_file.write_text(json.dumps(data))
    with pytest.raises(RecordError, match="metrics.json"):
        read_record(default_record.path)
    (default_record.path / "predictions.parquet").unlink()
    with pytest.raises(RecordError, match="predictions.parquet"):
        read_record(default_record.path)


def test_a_bad_input_file_fails_before_the_model_and_leaves_no_record(
    compose_config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outcomes missing in some rows (its columns are right): one DataError from the loader; no model built, nothing under runs/."""
    from medbench.engine import run as engine

    table = tmp_path / "cohort.csv"
    table.write_text("age,sex,readmitted\n" + "".join(f"{30 + i},{'mf'[i % 2]},{'' if i % 7 == 0 else i % 2}\n" for i in range(40)))
    cfg = compose_config("task=tabular_csv", f"task.data.path={table}", "task.data.target_column=readmitted")
    monkeypatch.setattr(engine, "build_model", lambda *args: pytest.fail("the model was built before the data were checked"))
    with pytest.raises(DataError, match="readmitted"):
        engine.run(cfg)
    assert list(iter_records(cfg.paths.runs_dir)) == []


def test_a_misnamed_column_is_refused_before_torch_is_imported(cli_env: dict[str, str], tmp_path: Path) -> None:
    import subprocess
    import sys

    table = tmp_path / "cohort.csv"
    table.write_text("age,sex\n30,m\n31,f\n")
    probe = (
        "import sys; from medbench.cli import main; "
        f"code = main(['run', 'task=tabular_csv', 'task.data.path={table}', 'task.data.target_column=readmitted']); "
        "print('exit', code, 'torch' in sys.modules, 'pytorch_lightning' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=cli_env, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "exit 2 False False", result.stdout + result.stderr
    assert f"{table}: no column for task.data.target_column=readmitted; the file has ['age', 'sex']" in result.stderr
