"""Dense retrieval with outside encoders (ONNX, sentence-transformers) and the embedding cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from medbench.data.retrieval import BeirDataModule
from medbench.errors import ConfigError
from medbench.models.retrieval.dense import DenseRetriever
from medbench.models.retrieval.onnx_encoder import OnnxEncoder
from medbench.models.retrieval.sentence_transformer_encoder import SentenceTransformerEncoder
from medbench.models.retrieval.tokenizer import HuggingFaceTokenizer
from medbench.tasks.registry import get_kind
from tests.retrieval.conftest import DOCUMENTS, write_folder
from tests.retrieval.encoders import CountingEncoder, WordTokenizer, write_embedding_model

VOCABULARY = sorted({w for d in DOCUMENTS for w in f"{d['title']} {d['text']}".lower().replace(";", " ").replace(".", " ").split()})


@pytest.fixture
def onnx_model(tmp_path: Path) -> tuple[Path, np.ndarray]:
    table = np.random.default_rng(0).normal(size=(len(VOCABULARY) + 2, 8)).astype(np.float32)
    return write_embedding_model(tmp_path / "encoder.onnx", table), table


def test_onnx_encoder_mean_pools_token_states(onnx_model) -> None:
    path, table = onnx_model
    tokenizer = WordTokenizer(VOCABULARY)
    encoder = OnnxEncoder(str(path), tokenizer=tokenizer, batch_size=1)
    texts = ["fracture of the femur", "œdème"]
    tokens = tokenizer(texts)
    expected = [table[tokens["input_ids"][i][tokens["attention_mask"][i] == 1]].mean(axis=0) for i in range(2)]
    np.testing.assert_allclose(encoder.encode(texts), np.stack(expected), rtol=1e-6)
    cls = OnnxEncoder(str(path), tokenizer=tokenizer, pooling="cls").encode(texts)
    np.testing.assert_allclose(cls, table[tokens["input_ids"][:, 0]], rtol=1e-6)


def test_onnx_encoder_ranks_documents_by_shared_words(beir_folder: Path, tmp_path: Path) -> None:
    # One-hot token states: mean pooling is a bag of words, so each query finds its document.
    path = write_embedding_model(tmp_path / "one_hot.onnx", np.eye(len(VOCABULARY) + 2, dtype=np.float32))
    data = BeirDataModule(folder=str(beir_folder))
    model = DenseRetriever(OnnxEncoder(str(path), tokenizer=WordTokenizer(VOCABULARY)), top_k=2)
    model.fit(data.split("train"), data.split("val"))
    outputs = get_kind("retrieval").build_outputs(data.split("test"), model.predict_scores(data.split("test")), [])
    assert outputs.predictions.query("rank == 1")["doc_id"].tolist() == ["d3", "d4"]


def test_onnx_identity_follows_the_weights(tmp_path: Path) -> None:
    tokenizer = WordTokenizer(VOCABULARY)
    size = len(VOCABULARY) + 2
    (tmp_path / "moved").mkdir()
    first = OnnxEncoder(str(write_embedding_model(tmp_path / "a.onnx", np.eye(size))), tokenizer=tokenizer)
    same = OnnxEncoder(str(write_embedding_model(tmp_path / "moved" / "a.onnx", np.eye(size))), tokenizer=tokenizer)
    other = OnnxEncoder(str(write_embedding_model(tmp_path / "c.onnx", 2 * np.eye(size))), tokenizer=tokenizer)
    assert first.identity() == same.identity() != other.identity()


def test_onnx_errors_name_the_problem(tmp_path: Path, onnx_model) -> None:
    with pytest.raises(ConfigError, match="model_path: .* is not a file"):
        OnnxEncoder(str(tmp_path / "missing.onnx"), tokenizer=WordTokenizer([]))
    (tmp_path / "broken.onnx").write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="onnxruntime cannot load"):
        OnnxEncoder(str(tmp_path / "broken.onnx"), tokenizer=WordTokenizer([]))
    with pytest.raises(ConfigError, match="pooling"):
        OnnxEncoder(str(onnx_model[0]), tokenizer=WordTokenizer([]), pooling="max")
    with pytest.raises(ConfigError, match="output_name: 'pooled' is not an output"):
        OnnxEncoder(str(onnx_model[0]), tokenizer=WordTokenizer([]), output_name="pooled")


def test_without_a_tokenizer_package_the_error_says_what_to_install(onnx_model, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    # A module set to None in sys.modules cannot be imported: as if neither package were installed.
    monkeypatch.setitem(sys.modules, "tokenizers", None)
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(ConfigError, match="needs the `tokenizers` or `transformers` package"):
        OnnxEncoder(str(onnx_model[0]))
    with pytest.raises(ConfigError, match="does not exist"):
        HuggingFaceTokenizer("/nonexistent/folder")


def test_without_sentence_transformers_the_error_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    monkeypatch.setattr("medbench.models.retrieval.sentence_transformer_encoder.offline_hugging_face", lambda: None)
    with pytest.raises(ConfigError, match="sentence-transformers package is not installed"):
        SentenceTransformerEncoder(str(tmp_path))
    with pytest.raises(ConfigError, match="is not a folder"):
        SentenceTransformerEncoder(str(tmp_path / "missing"))


def test_document_embeddings_are_cached_by_corpus_and_encoder(beir_folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    data = BeirDataModule(folder=str(beir_folder))
    n_documents = len(DOCUMENTS)

    first = CountingEncoder()
    DenseRetriever(first, cache_dir=str(cache)).fit(data.split("train"), data.split("val"))
    assert first.encoded == n_documents and len(list(cache.glob("*.npy"))) == 1

    again = CountingEncoder()
    model = DenseRetriever(again, cache_dir=str(cache))
    model.fit(data.split("train"), data.split("val"))
    assert again.encoded == 0  # read from the cache
    assert set(model.predict_scores(data.split("test"))["doc_id"]) <= set(data.corpus.ids)

    other_encoder = CountingEncoder(dim=32)
    DenseRetriever(other_encoder, cache_dir=str(cache)).fit(data.split("train"), data.split("val"))
    assert other_encoder.encoded == n_documents

    changed = BeirDataModule(folder=str(write_folder(tmp_path / "changed", documents=[dict(DOCUMENTS[0], text="new text")] + DOCUMENTS[1:])))
    after_change = CountingEncoder()
    DenseRetriever(after_change, cache_dir=str(cache)).fit(changed.split("train"), changed.split("val"))
    assert after_change.encoded == n_documents and len(list(cache.glob("*.npy"))) == 3


def test_an_unreadable_cache_file_is_recomputed(beir_folder: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    data = BeirDataModule(folder=str(beir_folder))
    DenseRetriever(CountingEncoder(), cache_dir=str(cache)).fit(data.split("train"), data.split("val"))
    (cached,) = cache.glob("*.npy")
    cached.write_bytes(b"garbage")
    encoder = CountingEncoder()
    DenseRetriever(encoder, cache_dir=str(cache)).fit(data.split("train"), data.split("val"))
    assert encoder.encoded == len(DOCUMENTS) and np.load(cached).shape == (len(DOCUMENTS), 64)


def test_sentence_transformer_adapter_reads_the_local_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The package is not a dependency: a stand-in module records how the adapter calls it.
    import sys
    import types

    calls: dict[str, object] = {}

    class StandIn:
        def __init__(self, path: str, device: str, local_files_only: bool) -> None:
            calls.update(path=path, device=device, local_files_only=local_files_only)

        def encode(self, texts, batch_size, convert_to_numpy, show_progress_bar):
            calls.update(batch_size=batch_size)
            return np.ones((len(texts), 3), dtype=np.float32)

    monkeypatch.setitem(sys.modules, "sentence_transformers", types.SimpleNamespace(SentenceTransformer=StandIn))
    folder = tmp_path / "model"
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"weights")
    (folder / "1_Pooling" / "config.json").write_text("{}")
    encoder = SentenceTransformerEncoder(str(folder), batch_size=7)
    assert encoder.encode(["a", "b"]).shape == (2, 3)
    assert calls == {"path": str(folder), "device": "cpu", "local_files_only": True, "batch_size": 7}
    before = encoder.identity()
    (folder / "1_Pooling" / "config.json").write_text('{"pooling_mode_cls_token": true}')
    assert encoder.identity() != before


def test_hugging_face_tokenizer_reads_tokenizer_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `tokenizers` is not a dependency: a stand-in module records how the adapter configures it.
    import sys
    import types

    settings: dict[str, object] = {}

    class Encoding:
        def __init__(self, ids):
            self.ids, self.attention_mask, self.type_ids = ids, [1] * len(ids), [0] * len(ids)

    class StandIn:
        @staticmethod
        def from_file(path: str) -> "StandIn":
            settings["path"] = path
            return StandIn()

        def enable_truncation(self, max_length: int) -> None:
            settings["max_length"] = max_length

        def enable_padding(self) -> None:
            settings["padding"] = True

        def encode_batch(self, texts):
            return [Encoding([len(word) for word in text.split()]) for text in texts]

    monkeypatch.setitem(sys.modules, "tokenizers", types.SimpleNamespace(Tokenizer=StandIn))
    with pytest.raises(ConfigError, match="no tokenizer.json beside the model"):
        HuggingFaceTokenizer(tmp_path)
    (tmp_path / "tokenizer.json").write_text("{}")
    tokenizer = HuggingFaceTokenizer(tmp_path, max_length=12)
    batch = tokenizer(["ab cde", "f g"])
    assert settings == {"path": str(tmp_path / "tokenizer.json"), "max_length": 12, "padding": True}
    assert batch["input_ids"].tolist() == [[2, 3], [1, 1]] and batch["input_ids"].dtype == np.int64
    before = tokenizer.identity()
    (tmp_path / "tokenizer.json").write_text('{"changed": 1}')
    assert tokenizer.identity() != before
