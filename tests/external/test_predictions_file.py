"""A partner's predictions file: scored on the task's test split, refused when it does not answer it exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from medbench.errors import DataError
from medbench.models.predictions_file import PredictionsFile
from medbench.io import sha256_file


@pytest.fixture
def partner_table(breast_cancer, fitted_logreg) -> pd.DataFrame:
    """What a partner sends: every test sample's id and score, in their own order."""
    test = breast_cancer.split("test")
    table = pd.DataFrame({"sample_id": test.ids, "score": fitted_logreg.predict_proba(test.inputs)[:, 1]})
    return table.sample(frac=1.0, random_state=0)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_scores_are_read_in_the_test_splits_order(tmp_path: Path, breast_cancer, partner_table, suffix: str) -> None:
    path = tmp_path / f"partner{suffix}"
    partner_table.to_csv(path, index=False) if suffix == ".csv" else partner_table.to_parquet(path)
    test = breast_cancer.split("test")
    scores = PredictionsFile(str(path)).predict_scores(test)
    expected = partner_table.set_index("sample_id").loc[test.ids, "score"].to_numpy()
    # CSV keeps the scores to float32 precision (the features are float32).
    np.testing.assert_allclose(scores, expected, rtol=1e-6)


def test_run_scores_the_file_and_records_its_hash(compose_config, tmp_path: Path, breast_cancer, partner_table) -> None:
    from sklearn.metrics import roc_auc_score

    from medbench.engine.run import run

    path = tmp_path / "partner.csv"
    partner_table.to_csv(path, index=False)
    record = run(compose_config("model=predictions_file", f"model.path={path}"))
    assert record.complete and record.manifest.model.checkpoint_sha256 == sha256_file(path)
    frame = record.predictions()
    assert frame["sample_id"].tolist() == record.splits()["test"]
    truth = breast_cancer.split("test").targets
    expected = roc_auc_score(truth, partner_table.set_index("sample_id").loc[breast_cancer.split("test").ids, "score"])
    assert record.metrics().values["auroc"].value == pytest.approx(expected, abs=1e-9)


def _write(table: pd.DataFrame, path: Path) -> str:
    table.to_csv(path, index=False)
    return str(path)


def test_missing_extra_and_duplicated_ids_are_refused(tmp_path: Path, breast_cancer, partner_table) -> None:
    test = breast_cancer.split("test")
    missing = _write(partner_table.iloc[3:], tmp_path / "missing.csv")
    with pytest.raises(DataError, match=f"no scores for 3 of the {len(test)} test samples"):
        PredictionsFile(missing).predict_scores(test)
    extra_rows = pd.DataFrame({"sample_id": ["breast_cancer-99999"], "score": [0.5]})
    extra = _write(pd.concat([partner_table, extra_rows]), tmp_path / "extra.csv")
    with pytest.raises(DataError, match="1 sample id.*not in the task's test split.*breast_cancer-99999"):
        PredictionsFile(extra).predict_scores(test)
    assert len(PredictionsFile(extra, ignore_extra_ids=True).predict_scores(test)) == len(test)
    duplicated = _write(pd.concat([partner_table, partner_table.iloc[:2]]), tmp_path / "duplicated.csv")
    with pytest.raises(DataError, match="2 sample id.*more than once"):
        PredictionsFile(duplicated).predict_scores(test)


def test_nan_non_numeric_and_absent_columns_are_refused(tmp_path: Path, breast_cancer, partner_table) -> None:
    test = breast_cancer.split("test")
    with_nan = partner_table.copy()
    with_nan.iloc[0, 1] = np.nan
    with pytest.raises(DataError, match=f"NaN or infinite scores for 1 test sample.*{with_nan.iloc[0, 0]}"):
        PredictionsFile(_write(with_nan, tmp_path / "nan.csv")).predict_scores(test)
    text = partner_table.astype({"score": object})
    text.iloc[0, 1] = "high"
    with pytest.raises(DataError, match="non-numeric scores.*high"):
        PredictionsFile(_write(text, tmp_path / "text.csv")).predict_scores(test)
    renamed = _write(partner_table.rename(columns={"score": "probability"}), tmp_path / "renamed.csv")
    with pytest.raises(DataError, match=r"missing column\(s\) \['score'\]; it has \['sample_id', 'probability'\]"):
        PredictionsFile(renamed).predict_scores(test)
    assert len(PredictionsFile(renamed, score_columns=["probability"]).predict_scores(test)) == len(test)


def test_unreadable_files_are_refused(tmp_path: Path, breast_cancer) -> None:
    with pytest.raises(DataError, match=r"must be a \.csv or \.parquet"):
        (tmp_path / "scores.xlsx").write_text("x")
        PredictionsFile(str(tmp_path / "scores.xlsx"))
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match="cannot be read as a table"):
        PredictionsFile(str(corrupt)).predict_scores(breast_cancer.split("test"))
