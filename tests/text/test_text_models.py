"""Text baselines: tokenizer, TF-IDF + logistic regression and TextCNN, each learning the synthetic notes."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from medbench.data.text import TextDataModule
from medbench.data.tokenize import hashed_ids, words
from medbench.models.sklearn import SklearnClassifier
from medbench.models.text import TextCNN, tfidf_logistic_regression
from medbench.engine.run import run


def test_words_keep_accents_whatever_their_unicode_form() -> None:
    text = "Œdème aigu; ÉCHOGRAPHIE normale, céphalées."
    assert words(text) == ["œdème", "aigu", "échographie", "normale", "céphalées"]
    decomposed = unicodedata.normalize("NFD", text)
    assert hashed_ids(decomposed, 1024, 10) == hashed_ids(text, 1024, 10)
    assert all(1 <= i < 1024 for i in hashed_ids(text, 1024, 10)) and len(hashed_ids(text, 1024, 3)) == 3


def test_text_cnn_reads_raw_texts() -> None:
    network = TextCNN(num_outputs=4, n_buckets=512)
    assert network(["Douleur thoracique.", "", "Sudden headache with motor deficit"]).shape == (3, 4)


def test_tfidf_logistic_regression_learns_the_notes(tmp_path) -> None:
    data = TextDataModule(generated={"n_per_class": 40, "seed": 1}, cache_dir=str(tmp_path), label_column="specialty")
    # min_df=1: this checks learning on 160 notes; the privacy floor (k=5) is tested in tests/security.
    model = SklearnClassifier(tfidf_logistic_regression(min_df=1))
    model.fit(data.split("train"), data.split("val"))
    scores = model.predict_scores(data.split("test"))
    accuracy = float(np.mean(scores.argmax(axis=1) == data.split("test").targets))
    assert scores.shape == (40, 4) and accuracy > 0.75  # chance: 0.25
    assert model.parameter_count() > 4


@pytest.mark.slow
def test_text_cnn_learns_the_notes_end_to_end(compose_config) -> None:
    record = run(compose_config("experiment=text_cnn", "callbacks.progress_bar=null", fast=False))
    metrics = record.metrics()
    assert metrics.values["macro_auroc"].value > 0.85 and metrics.values["accuracy"].value > 0.6  # chance: 0.25


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_tfidf_models_are_kept_as_plain_arrays_that_score_as_the_pipeline(tmp_path, kind: str) -> None:
    from medbench.tasks.split import Split
    from medbench.models.tfidf_arrays import read_tfidf

    data = TextDataModule(generated={"n_per_class": 40, "seed": 1}, cache_dir=str(tmp_path), label_column="specialty")
    train, test = data.split("train"), data.split("test")
    labels = {
        "binary": lambda y: (y == 0).astype(np.int64),
        "multiclass": lambda y: y,
        "multilabel": lambda y: np.column_stack([y == 0, y <= 1, y == 3]).astype(np.int64),
    }[kind]
    model = SklearnClassifier(tfidf_logistic_regression(min_df=2))
    model.fit(Split(ids=train.ids, inputs=train.inputs, targets=labels(np.asarray(train.targets))), data.split("val"))
    path = model.save(tmp_path / "model")
    assert path is not None and path.name == "model.tfidf.npz"
    with np.load(path, allow_pickle=False) as arrays:  # nothing in it needs unpickling
        assert {"terms", "idf", "coef", "intercept", "settings"} <= set(arrays.files)
    texts = list(test.inputs)
    expected = model.estimator.predict_proba(texts)
    assert np.max(np.abs(read_tfidf(path).predict_proba(texts) - expected)) < 1e-6
    assert np.array_equal(model.predict_scores(test), expected)  # one column per class: the task kind lays them out
