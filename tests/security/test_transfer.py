"""What may cross: scikit-learn models as ONNX (never a pickle), and a bundle pointed at the partner's data copy."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from medbench.cli import main

pytestmark = pytest.mark.slow


def test_a_scikit_learn_model_travels_as_onnx_never_as_a_pickle(tmp_path: Path, monkeypatch) -> None:
    import onnxruntime

    from medbench.records.record import read_record

    monkeypatch.setenv("MEDBENCH_ROOT", str(tmp_path))
    assert main(["run", "debug=fast", "model=logreg"]) == 0
    (run_dir,) = [p.parent for p in (tmp_path / "runs").rglob("manifest.json")]
    assert not list(run_dir.rglob("*.pkl")) and (run_dir / "model.onnx").is_file()
    record = read_record(run_dir)
    assert record.manifest.model.checkpoint_file == "model.onnx"
    assert main(["export", str(run_dir), "-o", str(tmp_path / "bundle")]) == 0
    metadata = json.loads((tmp_path / "bundle" / "metadata.json").read_text())
    assert metadata["checkpoint"]["format"] == "onnx"
    # The ONNX graph answers as the fitted estimator did on the test split.
    from medbench.data.tabular import SklearnTabularDataModule

    data = SklearnTabularDataModule(dataset="breast_cancer", positive_label="malignant", val_fraction=0.15, test_fraction=0.25)
    data.setup()
    session = onnxruntime.InferenceSession(str(tmp_path / "bundle" / "model.onnx"), providers=["CPUExecutionProvider"])
    inputs = np.asarray(data.split("test").inputs, dtype=np.float32)
    probabilities = session.run(None, {session.get_inputs()[0].name: inputs})[-1][:, 1]
    np.testing.assert_allclose(probabilities, record.predictions()["score"].to_numpy(), atol=1e-5)
    assert main(["reproduce", str(tmp_path / "bundle")]) == 0


def test_reproduce_reads_the_partners_copy_of_the_data_with_data_root(
    tmp_path: Path, monkeypatch, capsys, notes_overrides: list[str], notes_csv: Path
) -> None:
    from medbench.reproduce.outcome import read_reproduction

    monkeypatch.setenv("MEDBENCH_ROOT", str(tmp_path / "hospital"))
    assert main(["run", *notes_overrides]) == 0
    (run_dir,) = [p.parent for p in (tmp_path / "hospital" / "runs").rglob("manifest.json")]
    assert main(["export", str(run_dir), "-o", str(tmp_path / "bundle.zip"), "--zip"]) == 0
    # The partner has the same file elsewhere; the hospital's path does not exist there.
    partner = tmp_path / "partner_data"
    partner.mkdir()
    shutil.move(str(notes_csv), partner / notes_csv.name)
    monkeypatch.setenv("MEDBENCH_ROOT", str(tmp_path / "partner"))
    capsys.readouterr()
    assert main(["reproduce", str(tmp_path / "bundle.zip")]) == 2
    assert "no such file" in capsys.readouterr().err.lower()
    assert main(["reproduce", str(tmp_path / "bundle.zip"), "--data-root", str(partner)]) == 0
    (path,) = (tmp_path / "partner" / "runs" / "_reproductions").glob("*/reproduction.json")
    assert read_reproduction(path).status == "match"
    assert read_reproduction(path).same_run_id  # the run id hashes the file's bytes, not the hospital's path
    # Only the data's place can change: anything else is not an option of reproduce.
    with pytest.raises(SystemExit) as exit_:
        main(["reproduce", str(tmp_path / "bundle.zip"), "model.estimator.C=1"])
    assert exit_.value.code == 2
