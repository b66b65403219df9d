"""`task=tabular_csv` and `task=survival_csv`: the user's own patient table, typed, imputed, split by patient."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from medbench.data.survival import encode_covariates
from medbench.data.user_tables import CsvClassificationDataModule, CsvRegressionDataModule, CsvSurvivalDataModule
from medbench.errors import DataError

SPLITS = ("train", "val", "test")


def classification(path: Path, **options) -> CsvClassificationDataModule:
    options = {
        "kind": "binary", "target_column": "stroke", "positive_label": "yes", "id_column": "Id", "drop_columns": ["days", "died", "los_days"],
        **options,
    }
    module = CsvClassificationDataModule(path=str(path), **options)
    module.setup()
    return module


def test_mixed_types_and_holes_become_finite_features(cohort_csv) -> None:
    module = classification(cohort_csv())
    info = module.info()
    assert info.class_names == ["no", "yes"]
    assert info.network_kwargs == {"in_features": len(module._feature_names), "num_outputs": 1}
    assert {"BIRTHYEAR", "Diabetes", "GENDER_F", "GENDER_M", "RACE_missing"} <= set(module._feature_names)
    for name in SPLITS:
        assert np.isfinite(module.split(name).inputs).all()
    assert sum(len(module.split(name)) for name in SPLITS) == 240


def test_preprocessing_is_fitted_on_the_training_rows_only(cohort_csv, tmp_path: Path) -> None:
    path = cohort_csv(index=False)
    before = classification(path)
    table = pd.read_csv(path)
    test_rows = table["Id"].isin(before.split("test").ids)
    table.loc[test_rows, "BIRTHYEAR"] = table.loc[test_rows, "BIRTHYEAR"] + 500
    table.loc[test_rows, "RACE"] = "unseen-level"
    changed = tmp_path / "changed.csv"
    table.to_csv(changed, index=False)
    after = classification(changed)
    np.testing.assert_array_equal(before.split("train").inputs, after.split("train").inputs)
    assert not np.array_equal(before.split("test").inputs, after.split("test").inputs)


def test_declared_types_win_over_inference(cohort_csv) -> None:
    path = cohort_csv()
    module = classification(path, categorical_columns=["Diabetes"])
    assert "Diabetes_0.0" in module._feature_names and "Diabetes" not in module._feature_names
    with pytest.raises(DataError, match=r"'GENDER' is declared numeric but row 1 holds"):
        classification(path, numeric_columns=["GENDER"])


def test_an_identifier_left_among_the_features_is_refused(cohort_csv) -> None:
    with pytest.raises(DataError, match=r"column 'Id' has 240 distinct non-numeric values.*drop_columns"):
        classification(cohort_csv(), id_column=None)


def test_missing_outcomes_are_refused_or_dropped_with_a_count(cohort_csv, tmp_path: Path, caplog) -> None:
    table = pd.read_csv(cohort_csv(index=False))
    table.loc[[3, 7], "stroke"] = np.nan
    path = tmp_path / "holes.csv"
    table.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"missing values in \{'stroke': 2\} \(first at row 4\).*incomplete_rows=drop"):
        classification(path)
    module = classification(path, incomplete_rows="drop")
    assert sum(len(module.split(name)) for name in SPLITS) == 238
    assert "dropped 2 of 240 rows" in caplog.text


def test_admissions_are_split_by_patient(cohort_csv, tmp_path: Path) -> None:
    table = pd.read_csv(cohort_csv(index=False))
    admissions = pd.concat([table.assign(admission=k) for k in range(3)], ignore_index=True)
    admissions = admissions[admissions["admission"] <= admissions.index % 3].reset_index(drop=True)
    admissions["admission_id"] = admissions["Id"] + "-" + admissions["admission"].astype(str)
    path = tmp_path / "admissions.parquet"
    admissions.to_parquet(path)
    module = classification(
        path, id_column="admission_id", patient_column="Id", metadata_columns=["GENDER"],
        drop_columns=["days", "died", "los_days", "admission"],
    )
    patients = {name: set(module.split(name).metadata["Id"]) for name in SPLITS}
    assert not (patients["train"] & patients["test"]) and not (patients["train"] & patients["val"])
    assert not (patients["val"] & patients["test"])
    assert list(module.split("test").metadata.columns) == ["Id", "GENDER"]
    assert sum(len(module.split(name)) for name in SPLITS) == len(admissions) > 240


def test_survival_table_with_yes_no_events(cohort_csv, tmp_path: Path) -> None:
    table = pd.read_csv(cohort_csv(index=False))
    table["died"] = table["died"].map({1: "yes", 0: "no"})
    path = tmp_path / "survival.csv"
    table.to_csv(path, sep=";", index=False)
    module = CsvSurvivalDataModule(
        path=str(path), time_column="days", event_column="died", eval_times=[180, 365, 730],
        id_column="Id", drop_columns=["stroke"],
    )
    module.setup()
    targets = np.concatenate([module.split(name).targets for name in SPLITS])
    assert targets["event"].sum() == (table["died"] == "yes").sum()
    assert module.split("test").eval_times == (180.0, 365.0, 730.0)
    table.loc[5, "died"] = "maybe"
    table.to_csv(path, index=False)
    bad = CsvSurvivalDataModule(path=str(path), time_column="days", event_column="died", eval_times=[180, 365])
    with pytest.raises(DataError, match=r"'died' holds \['maybe'\]"):
        bad.setup()


@pytest.mark.parametrize("dtype", ["string", "str", "category", object])
def test_survival_covariates_of_any_text_dtype_are_categories(dtype) -> None:
    covariates = pd.DataFrame({"age": [50.0, 60, 70, 80], "sex": pd.Series(["F", "M", "F", "M"]).astype(dtype)})
    features, names = encode_covariates(covariates, np.arange(4), "test")
    assert names == ["age", "sex=M"]
    assert np.isfinite(features).all()


def test_a_numeric_outcome_for_regression(cohort_csv, tmp_path: Path) -> None:
    path = cohort_csv()
    module = CsvRegressionDataModule(path=str(path), target_column="los_days", id_column="Id", drop_columns=["stroke", "days", "died"])
    module.setup()
    assert module.info().network_kwargs == {"in_features": len(module._feature_names), "num_outputs": 1}
    assert module.split("test").targets.dtype == np.float64
    assert sum(len(module.split(name)) for name in SPLITS) == 240
    table = pd.read_csv(path, index_col=0)
    table["los_days"] = table["los_days"].astype(object)
    table.loc[4, "los_days"] = "long"
    table.to_csv(tmp_path / "bad.csv")
    bad = CsvRegressionDataModule(path=str(tmp_path / "bad.csv"), target_column="los_days", id_column="Id")
    with pytest.raises(DataError, match=r"'los_days', row 5: 'long' is not a number"):
        bad.setup()


@pytest.mark.parametrize("model", ["logreg", "mlp"])
def test_a_multiclass_task_of_two_classes_keeps_a_score_per_class(cohort_csv, compose_config, model: str) -> None:
    """Two classes make a multi-class task when it says so (one score per class), not a binary one."""
    from medbench.engine.run import run
    from medbench.records.record import read_record

    cfg = compose_config(
        "task=tabular_csv", "task.kind=multiclass", f"model={model}", f"task.data.path={cohort_csv()}",
        "task.data.target_column=stroke", "task.data.id_column=Id", "task.data.drop_columns=[days,died,los_days]",
        "task.confidence.n_resamples=50",
    )
    record = read_record(run(cfg).path)
    assert record.complete
    predictions = record.predictions()
    assert {"score_0", "score_1"} <= set(predictions.columns) and "score" not in predictions.columns
    assert np.allclose(predictions[["score_0", "score_1"]].sum(axis=1), 1.0)
    assert (predictions["prediction"] == predictions[["score_0", "score_1"]].to_numpy().argmax(axis=1)).all()
    assert set(record.metrics().values) >= {"accuracy", "macro_auroc"}


def test_the_two_class_layout_follows_the_kind_not_the_class_count(cohort_csv) -> None:
    from sklearn.linear_model import LogisticRegression

    from medbench.models.sklearn import SklearnClassifier
    from medbench.tasks.registry import get_kind

    path = cohort_csv()
    for kind, outputs in (("binary", 1), ("multiclass", 2)):
        module = classification(path, kind=kind)
        assert module.info().network_kwargs["num_outputs"] == outputs
        model = SklearnClassifier(LogisticRegression(max_iter=500))
        model.fit(module.split("train"), module.split("val"))
        test = module.split("test")
        frame = get_kind(kind).build_outputs(test, model.predict_scores(test), []).predictions
        probabilities = model.estimator.predict_proba(test.inputs)
        if kind == "binary":
            assert np.array_equal(frame["score"].to_numpy(), probabilities[:, 1])
        else:
            assert np.array_equal(frame[["score_0", "score_1"]].to_numpy(), probabilities)
