"""Dense bi-encoder retrieval: embed documents and queries with one encoder, rank by similarity.

The encoder is any :class:`TextEncoder` built from its own `_target_` (LSA fitted on the corpus,
an ONNX model or a sentence-transformers model from a local folder). Document embeddings are
cached under `cache_dir`, keyed by corpus fingerprint and encoder identity.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from medbench.tasks.split import Split
from medbench.errors import ConfigError, DataError
from medbench.models.retrieval.embedding_cache import EmbeddingCache
from medbench.models.retrieval.encoder import TextEncoder
from medbench.tasks.columns import doc_ranks
from medbench.models.retrieval.ranking import SCORE_BUDGET, check_same_corpus, retrieval_inputs, run_frame, top_k

SIMILARITIES = ("cosine", "dot")
# Similarities are rounded to this many decimals before ranking. float32 embeddings carry about 7
# significant digits, and the last ones depend on the BLAS kernel and the CPU: two documents that
# are equally similar in exact arithmetic must tie on every machine, then be ordered by the rule
# of trec_eval (`medbench.tasks.columns.trec_order`), not by rounding noise.
SCORE_DECIMALS = 6


class DenseRetriever:
    def __init__(
        self,
        encoder: TextEncoder,
        top_k: int = 100,
        similarity: str = "cosine",
        cache_dir: Optional[str] = None,
    ) -> None:
        if not isinstance(encoder, TextEncoder):
            raise ConfigError(
                f"model.encoder: {type(encoder).__name__} is not a text encoder (fit / encode / identity / save / parameter_count)"
            )
        if similarity not in SIMILARITIES:
            raise ConfigError(f"model.similarity: {similarity!r} is not one of {SIMILARITIES}")
        if top_k < 1:
            raise ConfigError(f"model.top_k must be at least 1, got {top_k}")
        self.encoder = encoder
        self.top_k = top_k
        self.similarity = similarity
        self.cache = EmbeddingCache(cache_dir)
        self._document_embeddings: Optional[np.ndarray] = None
        self._corpus_fingerprint: Optional[str] = None

    def fit(self, train: Split, val: Split) -> None:
        corpus = retrieval_inputs(train, type(self).__name__).corpus
        documents = corpus.documents()
        self.encoder.fit(documents)
        embeddings = self.cache.load_or_compute(
            corpus.fingerprint, self.encoder.identity(), len(corpus), lambda: self._encode(documents)
        )
        self._document_embeddings = self._normalised(embeddings)
        self._corpus_fingerprint = corpus.fingerprint

    def predict_scores(self, split: Split) -> pd.DataFrame:
        inputs = retrieval_inputs(split, type(self).__name__)
        check_same_corpus(self._corpus_fingerprint, inputs.corpus, type(self).__name__)
        assert self._document_embeddings is not None
        queries = self._normalised(self._encode(inputs.texts))
        rows = max(1, SCORE_BUDGET // len(self._document_embeddings))
        ranks = doc_ranks(inputs.corpus.ids)
        ranked = [
            top_k(np.round(queries[start : start + rows] @ self._document_embeddings.T, SCORE_DECIMALS), self.top_k, ranks)
            for start in range(0, len(queries), rows)
        ]
        indices = np.concatenate([part for part, _ in ranked]) if ranked else np.empty((0, 0), dtype=np.int64)
        scores = np.concatenate([part for _, part in ranked]) if ranked else np.empty((0, 0))
        return run_frame(split.ids, inputs.corpus, indices, scores)

    def save(self, path: Path) -> Optional[Path]:
        return self.encoder.save(path)

    def parameter_count(self) -> Optional[int]:
        return self.encoder.parameter_count()

    def _encode(self, texts: list[str]) -> np.ndarray:
        embeddings = np.asarray(self.encoder.encode(texts), dtype=np.float32)
        if embeddings.ndim != 2 or embeddings.shape[0] != len(texts):
            raise DataError(
                f"{type(self.encoder).__name__} returned embeddings of shape {embeddings.shape} for {len(texts)} texts"
            )
        if not np.isfinite(embeddings).all():
            raise DataError(f"{type(self.encoder).__name__} returned NaN or infinite embeddings")
        return embeddings

    def _normalised(self, embeddings: np.ndarray) -> np.ndarray:
        if self.similarity == "dot":
            return embeddings
        norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
        # A text without any known term has a zero vector: it scores 0 against every document.
        return embeddings / np.where(norms > 0, norms, 1.0)
