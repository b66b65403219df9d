"""Hybrid retrievers and the re-ranking stage, with BM25, LSA and a counting encoder (no pretrained weights)."""

from __future__ import annotations

import pandas as pd
import pytest

from medbench.errors import ConfigError
from medbench.config.identity import run_id_of
from medbench.models.retrieval.bm25 import BM25Retriever
from medbench.models.retrieval.dense import DenseRetriever
from medbench.models.retrieval.hybrid import HybridRetriever
from medbench.models.retrieval.lsa import LsaEncoder
from medbench.models.retrieval.rerank import BiEncoderScorer, RerankingRetriever
from medbench.engine.run import run
from tests.retrieval.encoders import CountingEncoder


def fitted(model, data):
    model.fit(data.split("train"), data.split("val"))
    return model


def ranking(frame: pd.DataFrame) -> dict[str, list[str]]:
    return {query: group["doc_id"].tolist() for query, group in frame.groupby("sample_id", sort=False)}


def test_a_hybrid_of_one_retriever_keeps_its_order(generated_data) -> None:
    test = generated_data.split("test")
    alone = fitted(BM25Retriever(top_k=20), generated_data).predict_scores(test)
    for fusion in ("rrf", "interpolation"):
        hybrid = fitted(HybridRetriever({"bm25": BM25Retriever(top_k=20)}, fusion=fusion, top_k=20), generated_data)
        fused = hybrid.predict_scores(test)
        assert ranking(fused) == ranking(alone), fusion
        assert fused["sample_id"].unique().tolist() == [str(query) for query in test.ids]


def test_fusion_of_bm25_and_lsa_ranks_every_test_query(generated_data) -> None:
    test = generated_data.split("test")
    components = lambda: {"bm25": BM25Retriever(top_k=30), "lsa": DenseRetriever(LsaEncoder(n_components=64), top_k=30)}  # noqa: E731
    for fusion in ("rrf", "interpolation"):
        model = fitted(HybridRetriever(components(), fusion=fusion, weights={"bm25": 0.7, "lsa": 0.3}, top_k=10), generated_data)
        fused = model.predict_scores(test)
        found = pd.concat([component.predict_scores(test) for component in model.retrievers.values()])
        assert set(zip(fused["sample_id"], fused["doc_id"])) <= set(zip(found["sample_id"], found["doc_id"]))
        assert fused.groupby("sample_id").size().eq(10).all() and len(fused.groupby("sample_id")) == len(test.ids)
        # Each query's documents in trec_eval's order: score descending, then document id descending.
        for _, group in fused.groupby("sample_id"):
            keys = list(zip(-group["score"], [tuple(-ord(c) for c in d) for d in group["doc_id"]]))
            assert keys == sorted(keys)


def test_hybrid_refuses_bad_settings() -> None:
    with pytest.raises(ConfigError, match="at least one retriever"):
        HybridRetriever({})
    with pytest.raises(ConfigError, match="not a retriever"):
        HybridRetriever({"x": object()})
    with pytest.raises(ConfigError, match="one weight for each retriever"):
        HybridRetriever({"bm25": BM25Retriever()}, weights={"dense": 1.0})
    with pytest.raises(ConfigError, match="fusion"):
        HybridRetriever({"bm25": BM25Retriever()}, fusion="max")


def test_reranking_reorders_only_the_first_stage_candidates(generated_data, tmp_path) -> None:
    test = generated_data.split("test")
    first = fitted(BM25Retriever(top_k=5), generated_data).predict_scores(test)
    reranked = fitted(RerankingRetriever(BM25Retriever(top_k=5), BiEncoderScorer(CountingEncoder()), depth=5, top_k=5), generated_data)
    second = reranked.predict_scores(test)
    assert {q: set(docs) for q, docs in ranking(second).items()} == {q: set(docs) for q, docs in ranking(first).items()}
    # Re-scoring the whole corpus with a bi-encoder is dense retrieval with that encoder.
    size = len(generated_data.corpus)
    everything = fitted(RerankingRetriever(BM25Retriever(top_k=size), BiEncoderScorer(CountingEncoder(), cache_dir=str(tmp_path)), depth=size, top_k=10), generated_data)
    dense = fitted(DenseRetriever(CountingEncoder(), top_k=10), generated_data)
    expected = dense.predict_scores(test)
    got = everything.predict_scores(test)
    assert ranking(got) == ranking(expected)
    assert got["score"].tolist() == pytest.approx(expected["score"].tolist(), abs=2e-6)  # both rounded to 1e-6


def test_hybrid_configs_compose_and_cache_folders_stay_out_of_the_run_id(compose_config) -> None:
    cfg = compose_config("experiment=retrieval_bm25", "model=hybrid_rrf", "model@model.retrievers.dense=dense_lsa")
    assert set(cfg.model.retrievers) == {"bm25", "dense"} and cfg.model.retrievers.dense.encoder._target_.endswith("LsaEncoder")
    moved = compose_config("experiment=retrieval_bm25", "model=hybrid_rrf", "model@model.retrievers.dense=dense_lsa", "paths.cache_dir=/elsewhere")
    assert run_id_of(cfg) == run_id_of(moved)
    minilm = compose_config("experiment=retrieval_bm25", "model=hybrid_interpolation")
    assert run_id_of(minilm) == run_id_of(compose_config("experiment=retrieval_bm25", "model=hybrid_interpolation", "model.retrievers.dense.encoder.cache_dir=/x"))


def test_hybrid_experiment_writes_a_complete_record(compose_config) -> None:
    record = run(compose_config("experiment=retrieval_bm25", "model=hybrid_interpolation", "model@model.retrievers.dense=dense_lsa", "model.normalisation=zscore"))
    assert record.complete and record.manifest.model.target.endswith("HybridRetriever")
    assert record.predictions().groupby("sample_id").size().eq(100).all()
