"""The adversarial suite: each attack of issue 12, tried as a partner would, refused cleanly.

Every test asserts the one-line refusal (exit 2, no traceback) and that nothing was written,
executed or leaked: marker files that a successful attack would create, and greps of every
artefact for what must not be there. The threat model is docs/security.md.
"""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest
import yaml

from medbench.cli import main
from tests.security.conftest import RARE_DATE, RARE_NAME, files_holding

pytestmark = pytest.mark.slow


def _export(run_dir: Path, bundle: Path) -> Path:
    assert main(["export", str(run_dir), "-o", str(bundle)]) == 0
    return bundle


def _edit_config(bundle: Path, change) -> None:
    config = yaml.safe_load((bundle / "config.yaml").read_text())
    change(config)
    (bundle / "config.yaml").write_text(yaml.safe_dump(config))


def _refused(capsys, *needles: str) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err
    return err


# 1. Code execution through the allow-list: a nested medbench run, any function not an option.
@pytest.mark.parametrize(
    "target",
    ["medbench.app.launch", "medbench.engine.run.run", "medbench.transfer.export.export_bundle", "pathlib.Path.write_text"],
)
def test_a_bundle_naming_a_medbench_entry_point_runs_nothing(default_run_dir: Path, tmp_path: Path, capsys, target: str) -> None:
    bundle = _export(default_run_dir, tmp_path / "bundle")
    marker = tmp_path / "site-packages" / "evil.pth"
    _edit_config(bundle, lambda c: c.update(model={"_target_": target, "_args_": [str(marker), "import os"]}))
    capsys.readouterr()
    assert main(["reproduce", str(bundle)]) == 2
    _refused(capsys, "model._target_", target, "not the _target_ of an option medbench ships")
    assert not marker.exists() and not marker.parent.exists()
    assert not (tmp_path / "runs" / "_reproductions").exists()


# 2. joblib's `memory` unpickling a cache folder shipped inside the bundle.
def test_a_joblib_memory_cache_in_the_bundle_is_never_unpickled(default_run_dir: Path, tmp_path: Path, capsys) -> None:
    bundle = _export(default_run_dir, tmp_path / "bundle")
    marker = tmp_path / "unpickled"

    class Exploit:
        def __reduce__(self):
            return (Path.touch, (marker,))

    cache = bundle / "joblib"
    entry = cache / "sklearn" / "pipeline" / "_fit_transform_one" / ("0" * 32)
    entry.mkdir(parents=True)
    (entry / "output.pkl").write_bytes(pickle.dumps(Exploit()))

    def poison(config: dict) -> None:
        config["model"]["estimator"] = {
            "_target_": "sklearn.pipeline.Pipeline",
            "steps": [],
            "memory": str(cache),
        }

    _edit_config(bundle, poison)
    capsys.readouterr()
    assert main(["reproduce", str(bundle)]) == 2
    _refused(capsys, "model.estimator._target_")
    # Even with the pipeline allowed by the receiver, `memory` is refused.
    from medbench.config.safety import SafetyError, check_outside_config

    config = yaml.safe_load((bundle / "config.yaml").read_text())
    with pytest.raises(SafetyError, match="model.estimator.memory"):
        check_outside_config(config, "bundle", extra_targets=["sklearn.pipeline.Pipeline"])
    assert not marker.exists()


# 3. Names become paths: `../..` as a task name, a run id, a board or entry id.
def test_a_task_name_with_dots_writes_nothing_outside_runs(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("MEDBENCH_ROOT", str(tmp_path / "root"))
    assert main(["run", "debug=fast", "task.name=../../escaped"]) == 2
    _refused(capsys, "task name '../../escaped' is not a plain name")
    assert not list(tmp_path.rglob("escaped*")) and not list(tmp_path.rglob("manifest.json"))


def test_names_from_records_and_boards_are_validated(tmp_path: Path) -> None:
    from medbench.leaderboard.folder.store import Board
    from medbench.names import UnsafeName
    from medbench.records.record import record_dir

    for task, run_id in (("..", "abc"), ("task", "../../x"), ("/etc", "x"), ("a/b", "x"), ("ok", "")):
        with pytest.raises(UnsafeName):
            record_dir(tmp_path, task, run_id)
    with pytest.raises(UnsafeName):
        Board(tmp_path, "../boards")
    with pytest.raises(UnsafeName):
        Board(tmp_path, "board").entry_path("../../outside")


# 4. A bundle whose metadata points its checkpoint outside the bundle.
def test_a_checkpoint_outside_the_bundle_is_refused_unread(default_run_dir: Path, tmp_path: Path, capsys) -> None:
    from medbench.io import sha256_file

    bundle = _export(default_run_dir, tmp_path / "bundle")
    private = tmp_path / "private_key.pem"
    private.write_text("-----BEGIN PRIVATE KEY----- not for partners")
    metadata = json.loads((bundle / "metadata.json").read_text())
    metadata["checkpoint"]["file"] = "../private_key.pem"
    (bundle / "metadata.json").write_text(json.dumps(metadata))
    capsys.readouterr()
    assert main(["reproduce", str(bundle)]) == 2
    err = _refused(capsys, "checkpoint.file", "points outside")
    assert sha256_file(private) not in err and "PRIVATE KEY" not in err
    assert not (tmp_path / "runs" / "_reproductions").exists()


# 5. Secrets: `${oc.env:...}` in a config never reaches a record, a bundle or an entry.
def test_an_environment_secret_reaches_no_artefact(tmp_path: Path, monkeypatch, capsys) -> None:
    secret = "s3cr3t-token-7f1c2a9e"
    root = tmp_path / "root"
    monkeypatch.setenv("MEDBENCH_ROOT", str(root))
    monkeypatch.setenv("PARTNER_API_TOKEN", secret)
    # In a semantic key: refused before anything is written.
    assert main(["run", "debug=fast", "task.name=${oc.env:PARTNER_API_TOKEN}"]) == 2
    _refused(capsys, "task.name", "environment")
    assert not (root / "runs").exists() or not list((root / "runs").rglob("manifest.json"))
    # Elsewhere (tags, the run's name, a logger setting): recorded masked.
    assert main(["run", "debug=fast", "tags=[${oc.env:PARTNER_API_TOKEN}]", "name=${oc.env:PARTNER_API_TOKEN}"]) == 0
    (run_dir,) = [p.parent for p in (root / "runs").rglob("manifest.json")]
    assert "<environment variable PARTNER_API_TOKEN>" in (run_dir / "config.yaml").read_text()
    _export(run_dir, tmp_path / "bundle")
    assert main(["submit", str(run_dir), "--root", str(tmp_path / "boards"), "--submitter", "ada"]) == 0
    assert files_holding(tmp_path, secret) == []


# 6. Patient-level data in shared artefacts: rare n-grams, sample ids, per-sample rows.
def test_a_text_model_keeps_no_rare_ngram_and_the_bundle_none_either(
    tmp_path: Path, monkeypatch, capsys, notes_overrides: list[str], notes_csv: Path
) -> None:
    from medbench.data.text import TextDataModule
    from medbench.models.sklearn import SklearnClassifier
    from medbench.models.text import tfidf_logistic_regression

    data = TextDataModule(path=str(notes_csv), kind="multiclass", id_column="note_id", split_seed=0)
    data.setup()
    model = SklearnClassifier(tfidf_logistic_regression())
    model.fit(data.split("train"), data.split("val"))
    tfidf = model.estimator.steps[0][1]
    assert not any("zebulon" in term or "1961" in term for term in tfidf.vocabulary_)
    assert not hasattr(tfidf, "stop_words_") and model.vocabulary["left_out"] > 0

    monkeypatch.setenv("MEDBENCH_ROOT", str(tmp_path / "root"))
    assert main(["run", *notes_overrides]) == 0
    (run_dir,) = [p.parent for p in (tmp_path / "root" / "runs").rglob("manifest.json")]
    capsys.readouterr()
    bundle = _export(run_dir, tmp_path / "bundle")
    out = capsys.readouterr().out
    assert "left out:" in out and "fewer than k = 5 training documents" in out
    metadata = json.loads((bundle / "metadata.json").read_text())
    assert metadata["text_vocabulary"]["min_document_frequency"] == 5
    assert "k = 5" in (bundle / "report.html").read_text()
    for needle in (RARE_NAME, RARE_NAME.lower(), RARE_DATE, "note-0000"):
        assert files_holding(bundle, needle) == [], needle


def test_export_refuses_a_bundle_with_sample_ids_or_rows(default_run_dir: Path, tmp_path: Path, capsys) -> None:
    bundle = _export(default_run_dir, tmp_path / "bundle")
    assert main(["export", "--check", str(bundle)]) == 0
    test_ids = json.loads((default_run_dir / "splits.json").read_text())["test"]
    planted = tmp_path / "planted"
    shutil.copytree(bundle, planted)
    shutil.copyfile(default_run_dir / "predictions.parquet", planted / "predictions.parquet")
    capsys.readouterr()
    assert main(["export", "--check", str(planted)]) == 2
    _refused(capsys, "predictions.parquet", "patient-level")
    (planted / "predictions.parquet").unlink()
    metadata = json.loads((planted / "metadata.json").read_text())
    metadata["intended_use"] = f"validated on {test_ids[0]}"
    (planted / "metadata.json").write_text(json.dumps(metadata))
    assert main(["export", "--check", str(planted)]) == 2
    _refused(capsys, "metadata.json: holds 1 sample id")


# 7. Stale numbers: a changed data file at the same path is not answered with the old record.
def test_a_changed_data_file_is_run_again(tmp_path: Path, monkeypatch, notes_overrides: list[str], notes_csv: Path) -> None:
    import pandas as pd

    from medbench.records.record import read_record

    monkeypatch.setenv("MEDBENCH_ROOT", str(tmp_path / "root"))
    assert main(["run", *notes_overrides]) == 0
    (run_dir,) = [p.parent for p in (tmp_path / "root" / "runs").rglob("manifest.json")]
    before = read_record(run_dir).manifest
    assert main(["run", *notes_overrides]) == 0  # unchanged data: reused
    assert read_record(run_dir).manifest.timing == before.timing
    pd.read_csv(notes_csv).iloc[:-30].to_csv(notes_csv, index=False)
    assert main(["run", *notes_overrides]) == 0
    # The run id hashes the file's bytes: the edited file is another run, the first record stays as it was.
    (new_dir,) = [p.parent for p in (tmp_path / "root" / "runs").rglob("manifest.json") if p.parent != run_dir]
    after = read_record(new_dir).manifest
    assert after.dataset.fingerprint != before.dataset.fingerprint and after.run_id != before.run_id
    assert read_record(run_dir).manifest.timing == before.timing


# 8. Stored predictions: NaN, duplicated ids, a truncated file.
@pytest.mark.parametrize("damage", ["nan", "duplicate", "foreign_id", "truncated"])
def test_damaged_predictions_are_one_line_and_exit_2(default_run_dir: Path, tmp_path: Path, capsys, damage: str) -> None:
    import numpy as np
    import pandas as pd

    path = default_run_dir / "predictions.parquet"
    frame = pd.read_parquet(path)
    if damage == "nan":
        frame.loc[3, "score"] = np.nan
    elif damage == "duplicate":
        frame.loc[3, "sample_id"] = frame.loc[4, "sample_id"]
    elif damage == "foreign_id":
        frame.loc[3, "sample_id"] = "someone-else"
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:
        frame.to_parquet(path, index=False)
    expected = {"nan": "NaN or infinite", "duplicate": "more than once", "foreign_id": "not test samples", "truncated": "not a readable parquet"}
    for argv in (["score", str(default_run_dir)], ["compare", str(default_run_dir), str(default_run_dir)]):
        capsys.readouterr()
        assert main(argv) == 2
        _refused(capsys, expected[damage])
    capsys.readouterr()
    assert main(["submit", str(default_run_dir), "--root", str(tmp_path / "boards"), "--submitter", "ada"]) == 2
    assert expected[damage] in capsys.readouterr().out
    assert not list((tmp_path / "boards").rglob("*.json"))
