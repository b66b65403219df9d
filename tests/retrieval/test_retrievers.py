"""BM25 and LSA find the relevant documents of the generated task far above chance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from medbench.data.corpus import Corpus, RetrievalInputs
from medbench.data.retrieval import BeirDataModule
from medbench.tasks.split import Split
from medbench.errors import ConfigError, DataError
from medbench.models.retrieval.bm25 import BM25Retriever
from medbench.models.retrieval.dense import DenseRetriever
from medbench.models.retrieval.lsa import LsaEncoder
from medbench.models.retrieval.ranking import top_k
from medbench.tasks.columns import doc_ranks
from medbench.tasks.registry import get_kind
from tests.retrieval.conftest import mean_ndcg_at_10, write_folder


def _test_outputs(model, data):
    model.fit(data.split("train"), data.split("val"))
    return get_kind("retrieval").build_outputs(data.split("test"), model.predict_scores(data.split("test")), [])


def test_random_ranking_is_near_zero(generated_data) -> None:
    test = generated_data.split("test")
    rng = np.random.default_rng(0)
    ids = generated_data.corpus.ids
    rows = [(q, d, s) for q in test.ids for d, s in zip(rng.choice(ids, 100, replace=False), rng.random(100))]
    outputs = get_kind("retrieval").build_outputs(test, pd.DataFrame(rows, columns=["sample_id", "doc_id", "score"]), [])
    assert mean_ndcg_at_10(outputs) < 0.1


@pytest.mark.parametrize("stemming", [True, False])
def test_bm25_learns_the_generated_task(generated_data, stemming: bool) -> None:
    outputs = _test_outputs(BM25Retriever(top_k=100, stemming=stemming), generated_data)
    assert mean_ndcg_at_10(outputs) > 0.7
    assert outputs.predictions.groupby("sample_id").size().eq(100).all()
    assert set(outputs.predictions.columns) == {"sample_id", "doc_id", "score", "rank"}


def test_lsa_dense_retrieval_learns_the_generated_task(generated_data) -> None:
    outputs = _test_outputs(DenseRetriever(LsaEncoder(n_components=256), top_k=100), generated_data)
    assert mean_ndcg_at_10(outputs) > 0.7


def test_top_k_larger_than_the_corpus_returns_the_whole_corpus(beir_folder: Path) -> None:
    data = BeirDataModule(folder=str(beir_folder))
    for model in (BM25Retriever(top_k=1000), DenseRetriever(LsaEncoder(n_components=2), top_k=1000)):
        outputs = _test_outputs(model, data)
        assert outputs.predictions.groupby("sample_id").size().eq(4).all()
        assert outputs.predictions.groupby("sample_id")["rank"].apply(list).eq([[1, 2, 3, 4]] * 2).all()


def test_bm25_ranks_each_querys_own_document_first(beir_folder: Path) -> None:
    # Not asked of LSA here: the four documents share no term, so their TF-IDF vectors are
    # orthonormal, every singular value is 1 and any 2-dimensional subspace is an equally good
    # LSA; which one the solver returns depends on the BLAS build.
    outputs = _test_outputs(BM25Retriever(top_k=1000), BeirDataModule(folder=str(beir_folder)))
    assert outputs.predictions.query("rank == 1")["doc_id"].tolist() == ["d3", "d4"]


def test_equal_scores_are_cut_and_ordered_by_document_id_descending() -> None:
    corpus = Corpus(ids=np.array(["d1", "d2", "d3", "d4", "d5"], dtype=object), titles=[""] * 5, texts=[""] * 5)
    scores = np.array([[0.5, 1.0, 1.0, 0.2, 1.0], [0.0, 0.0, 0.0, 0.0, 0.0]])
    indices, ranked = top_k(scores, 2, doc_ranks(corpus.ids))
    assert corpus.ids[indices].tolist() == [["d5", "d3"], ["d5", "d4"]]
    assert ranked.tolist() == [[1.0, 1.0], [0.0, 0.0]]
    indices, _ = top_k(scores, 5, doc_ranks(corpus.ids))
    assert corpus.ids[indices].tolist() == [["d5", "d3", "d2", "d1", "d4"], ["d5", "d4", "d3", "d2", "d1"]]


def _duplicated_corpus(order: list[int]) -> BeirDataModule:
    documents = [{"_id": f"d{i}", "title": "", "text": "fracture of the femur after a fall"} for i in range(1, 4)]
    documents.append({"_id": "d4", "title": "", "text": "pneumonia treated with antibiotics"})
    return [documents[i] for i in order]


@pytest.mark.parametrize("model", [lambda: BM25Retriever(top_k=2), lambda: DenseRetriever(LsaEncoder(n_components=2), top_k=2)])
def test_identical_documents_rank_by_id_whatever_the_corpus_order(tmp_path: Path, model) -> None:
    queries = [{"_id": "q0", "text": "pneumonia"}, {"_id": "q1", "text": "femur fracture"}]
    qrels = {"train": [("q0", "d4", 1)], "test": [("q1", "d1", 1)]}
    firsts = []
    for position, order in enumerate(([0, 1, 2, 3], [3, 2, 0, 1], [1, 3, 0, 2])):
        data = BeirDataModule(folder=str(write_folder(tmp_path / str(position), _duplicated_corpus(order), queries, qrels)))
        firsts.append(_test_outputs(model(), data).predictions["doc_id"].tolist())
    assert firsts == [["d3", "d2"]] * 3


def _queries(data: BeirDataModule, texts: list[str]) -> Split:
    ids = np.array([f"x{i}" for i in range(len(texts))], dtype=object)
    return Split(ids=ids, inputs=RetrievalInputs(texts=texts, corpus=data.corpus), targets=np.empty(len(texts), dtype=object))


def test_french_stemming_matches_inflected_forms(beir_folder: Path) -> None:
    data = BeirDataModule(folder=str(beir_folder))
    data.setup()
    query = _queries(data, ["échographies"])  # d1 says "échographie"

    def score_of_d1(model: BM25Retriever) -> float:
        model.fit(data.split("train"), data.split("val"))
        run = model.predict_scores(query)
        return float(run.loc[run["doc_id"] == "d1", "score"].iloc[0])

    assert score_of_d1(BM25Retriever(language="french", stopwords="french")) > 0
    assert score_of_d1(BM25Retriever(stemming=False, stopwords="french")) == 0


def test_bad_settings_are_named() -> None:
    with pytest.raises(ConfigError, match="model.language: no Snowball stemmer for 'klingon'"):
        BM25Retriever(language="klingon")
    with pytest.raises(ConfigError, match="model.stopwords"):
        BM25Retriever(stopwords="klingon")
    with pytest.raises(ConfigError, match="model.top_k"):
        BM25Retriever(top_k=0)
    with pytest.raises(ConfigError, match="model.similarity"):
        DenseRetriever(LsaEncoder(), similarity="euclid")
    with pytest.raises(ConfigError, match="model.encoder: str is not a text encoder"):
        DenseRetriever("lsa")


def test_ranking_another_corpus_than_the_indexed_one_is_refused(beir_folder: Path, generated_data) -> None:
    data = BeirDataModule(folder=str(beir_folder))
    for model in (BM25Retriever(), DenseRetriever(LsaEncoder(n_components=2))):
        with pytest.raises(DataError, match="fit must index the corpus"):
            model.predict_scores(data.split("test"))
        model.fit(data.split("train"), data.split("val"))
        with pytest.raises(DataError, match="another corpus"):
            model.predict_scores(generated_data.split("test"))


def test_non_retrieval_inputs_are_refused() -> None:
    split = Split(ids=np.array(["a"]), inputs=np.zeros((1, 3)), targets=np.zeros(1))
    with pytest.raises(DataError, match="BM25Retriever ranks documents for queries"):
        BM25Retriever().fit(split, split)


def test_no_corpus_vocabulary_is_saved_and_parameters_are_counted(generated_data, tmp_path: Path) -> None:
    # Both fitted states hold words of the corpus: they never go into a record.
    bm25 = BM25Retriever()
    bm25.fit(generated_data.split("train"), generated_data.split("val"))
    assert bm25.save(tmp_path / "bm25") is None and bm25.parameter_count() is None
    lsa = DenseRetriever(LsaEncoder(n_components=16))
    lsa.fit(generated_data.split("train"), generated_data.split("val"))
    assert lsa.save(tmp_path / "lsa") is None and not list(tmp_path.iterdir())
    assert lsa.parameter_count() == 16 * lsa.encoder._vectorizer.idf_.size


def test_bm25_indexes_without_debug_chatter(beir_folder: Path, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    _test_outputs(BM25Retriever(top_k=10), BeirDataModule(folder=str(beir_folder)))
    assert not [record.getMessage() for record in caplog.records if record.name.startswith("bm25s")]
