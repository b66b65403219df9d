"""`medbench export`: a self-describing bundle that reproduces elsewhere, carries no patient rows, and is checked."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml

from medbench.transfer.bundle import METADATA_SCHEMA_PATH, metadata_json_schema, read_bundle
from medbench.cli import main
from medbench.errors import RecordError
from medbench.io import sha256_file
from medbench.records.record import read_record
from medbench.reproduce.outcome import read_reproduction

pytestmark = pytest.mark.slow


def test_the_shipped_json_schema_is_the_one_medbench_validates_with() -> None:
    assert json.loads(METADATA_SCHEMA_PATH.read_text()) == metadata_json_schema()


def test_bundle_describes_the_run_and_holds_no_per_sample_rows(default_run_dir: Path, tmp_path: Path) -> None:
    bundle_dir = tmp_path / "bundle"
    assert main(["export", str(default_run_dir), "-o", str(bundle_dir), "--licence", "Apache-2.0"]) == 0
    names = {p.name for p in bundle_dir.iterdir()}
    assert names == {
        "config.yaml", "overrides.yaml", "manifest.json", "metrics.json", "metadata.json",
        "model.pt", "environment.txt", "report.html",
    }
    bundle = read_bundle(bundle_dir)
    meta = bundle.metadata
    record = read_record(default_run_dir)
    assert meta.licence == "Apache-2.0" and meta.task.name == "breast_cancer" and meta.run_id == record.run_id
    assert meta.data.fingerprint == record.manifest.dataset.fingerprint
    assert meta.metrics == record.metrics().values and meta.primary_metric == "auroc"
    assert meta.task == record.protocol and meta.data.loader == record.manifest.dataset.loader != ""
    assert meta.checkpoint.sha256 == sha256_file(bundle_dir / "model.pt") == record.manifest.model.checkpoint_sha256
    assert meta.predictions.content_sha256 == record.predictions_content_hash()
    assert "to be completed by the developer" in meta.intended_use
    assert "torch==" in (bundle_dir / "environment.txt").read_text()
    # No sample ids, targets or scores of individual patients anywhere in the bundle.
    test_ids = record.splits()["test"]
    text = "".join(p.read_text(errors="ignore") for p in bundle_dir.iterdir() if p.suffix != ".pt")
    assert not any(f'"{sample_id}"' in text or f">{sample_id}<" in text for sample_id in test_ids)
    report = (bundle_dir / "report.html").read_text()
    assert report.count('src="data:image/png;base64,') == 2
    assert "ROC curve" in report and "Calibration" in report
    assert "to be completed by the developer" in report and meta.data.fingerprint in report


def test_metadata_is_checked_when_a_bundle_is_read(default_run_dir: Path, tmp_path: Path) -> None:
    bundle_dir = tmp_path / "bundle"
    main(["export", str(default_run_dir), "-o", str(bundle_dir)])
    meta = json.loads((bundle_dir / "metadata.json").read_text())
    del meta["licence"]
    (bundle_dir / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(RecordError, match="licence"):
        read_bundle(bundle_dir)
    (bundle_dir / "model.pt").write_bytes(b"tampered")
    meta["licence"] = "MIT"
    (bundle_dir / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(RecordError, match="SHA-256"):
        read_bundle(bundle_dir)


def test_zip_bundle_reproduces_in_another_clone(default_run_dir: Path, tmp_path: Path, monkeypatch) -> None:
    assert main(["export", str(default_run_dir), "-o", str(tmp_path / "out" / "bundle"), "--zip"]) == 0
    elsewhere = tmp_path / "partner"
    elsewhere.mkdir()
    shutil.copy(tmp_path / "out" / "bundle.zip", elsewhere / "bundle.zip")
    monkeypatch.setenv("MEDBENCH_ROOT", str(elsewhere))
    monkeypatch.chdir(elsewhere)
    assert main(["reproduce", "bundle.zip"]) == 0
    (path,) = (elsewhere / "runs" / "_reproductions").glob("*/reproduction.json")
    reproduction = read_reproduction(path)
    assert reproduction.target_kind == "bundle" and reproduction.status == "match"
    assert reproduction.predictions_identical and reproduction.weights_identical


def test_a_bundle_naming_os_system_is_refused_before_anything_runs(default_run_dir: Path, tmp_path: Path, capsys) -> None:
    bundle_dir = tmp_path / "bundle"
    main(["export", str(default_run_dir), "-o", str(bundle_dir)])
    marker = tmp_path / "pwned"
    config = yaml.safe_load((bundle_dir / "config.yaml").read_text())
    config["model"] = {"_target_": "os.system", "_args_": [f"touch {marker}"]}
    (bundle_dir / "config.yaml").write_text(yaml.safe_dump(config))
    assert main(["reproduce", str(bundle_dir)]) == 2
    error = capsys.readouterr().err
    assert "model._target_" in error and "os.system" in error and "not the _target_ of an option medbench ships" in error
    assert not marker.exists() and not (tmp_path / "runs" / "_reproductions").exists()


def test_zip_members_with_paths_are_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MEDBENCH_ROOT", str(tmp_path))
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../escaped.txt", "x")
    assert main(["reproduce", str(evil)]) == 2
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_export_refuses_to_overwrite(default_run_dir: Path, tmp_path: Path, capsys) -> None:
    (tmp_path / "taken").mkdir()
    assert main(["export", str(default_run_dir), "-o", str(tmp_path / "taken")]) == 2
    assert "already exists" in capsys.readouterr().err
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".medbench-export-")]


def test_retrieval_report_plots_the_primary_metric_per_query(compose_config, tmp_path: Path) -> None:
    from medbench.engine.run import run

    record = run(compose_config("experiment=retrieval_bm25"))
    assert main(["export", str(record.path), "-o", str(tmp_path / "bundle")]) == 0
    report = (tmp_path / "bundle" / "report.html").read_text()
    assert report.count('src="data:image/png;base64,') == 2
    assert "ndcg@10 per query, sorted" in report
    assert not (tmp_path / "bundle" / "qrels.parquet").exists()


def test_the_best_text_models_bundle_carries_its_tfidf_arrays(compose_config, tmp_path: Path) -> None:
    import numpy as np
    from hydra.utils import instantiate

    from medbench.engine.run import run
    from medbench.models.tfidf_arrays import read_tfidf

    cfg = compose_config("experiment=text_tfidf_logreg")
    record = run(cfg)
    assert record.manifest.model.checkpoint_file == "model.tfidf.npz"
    assert main(["export", str(record.path), "-o", str(tmp_path / "bundle")]) == 0
    meta = read_bundle(tmp_path / "bundle").metadata
    assert meta.checkpoint is not None and meta.checkpoint.format == "tfidf-arrays"
    data = instantiate(cfg.task.data)
    data.setup()
    test = data.split("test")
    scores = read_tfidf(tmp_path / "bundle" / meta.checkpoint.file).predict_proba(list(test.inputs))
    predictions = record.predictions().set_index("sample_id").loc[list(test.ids)]
    recorded = predictions[[f"score_{k}" for k in range(scores.shape[1])]].to_numpy()
    assert np.max(np.abs(scores - recorded)) < 1e-6
    # A partner scores the bundle's arrays as a model of its own: the same numbers, nothing retrained.
    weights = tmp_path / "bundle" / meta.checkpoint.file
    again = run(compose_config("experiment=text_tfidf_logreg", "model=tfidf_arrays", f"model.path={weights}", f"model.sha256={meta.checkpoint.sha256}"))
    assert again.run_id != record.run_id and again.manifest.model.checkpoint_file == "model.tfidf.npz"
    assert again.metrics().values["macro_auroc"].value == pytest.approx(record.metrics().values["macro_auroc"].value, abs=1e-9)
