"""Two-stage retrieval: a first stage's top `depth` documents re-scored by a slower, better scorer.

The first stage is any retriever (BM25, dense, hybrid); the re-scorer is any :class:`PairScorer`:
a bi-encoder (cosine between query and document embeddings, the document side cached) or a
cross-encoder that reads query and document together (sentence-transformers `CrossEncoder` from a
local folder). Only the first stage's candidates can be returned, so the stage re-orders; it
never finds what the first stage missed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from medbench.data.corpus import Corpus
from medbench.tasks.split import Split
from medbench.errors import ConfigError, DataError
from medbench.models.base import Estimator
from medbench.models.retrieval.embedding_cache import EmbeddingCache
from medbench.models.retrieval.encoder import TextEncoder
from medbench.models.retrieval.fusion import RANK, ranked_run
from medbench.models.retrieval.packaged import offline_hugging_face
from medbench.models.retrieval.ranking import retrieval_inputs
from medbench.tasks.columns import DOC_ID, SAMPLE_ID, SCORE
from medbench.tasks.retrieval import RUN_COLUMNS

# As dense similarities: rounded so that equal scores tie on every machine (see dense.py).
SCORE_DECIMALS = 6


@runtime_checkable
class PairScorer(Protocol):
    def fit(self, corpus: Corpus) -> None:
        """Prepare for the corpus (a bi-encoder embeds it once; a cross-encoder keeps the texts)."""

    def score(self, queries: list[str], candidates: list[np.ndarray]) -> list[np.ndarray]:
        """For each query, one score per candidate document (indices into the corpus), higher is better."""

    def parameter_count(self) -> Optional[int]:
        """Number of learned parameters, when known."""


class RerankingRetriever:
    def __init__(self, first_stage: Any, scorer: PairScorer, depth: int = 100, top_k: int = 100) -> None:
        if not isinstance(first_stage, Estimator):
            raise ConfigError(f"model.first_stage: {type(first_stage).__name__} is not a retriever (fit / predict_scores / save / parameter_count)")
        if not isinstance(scorer, PairScorer):
            raise ConfigError(f"model.scorer: {type(scorer).__name__} is not a pair scorer (fit / score / parameter_count)")
        if depth < 1 or top_k < 1:
            raise ConfigError(f"model.depth and model.top_k must be at least 1, got {depth} and {top_k}")
        self.first_stage = first_stage
        self.scorer = scorer
        self.depth = depth
        self.top_k = top_k

    def fit(self, train: Split, val: Split) -> None:
        self.first_stage.fit(train, val)
        self.scorer.fit(retrieval_inputs(train, type(self).__name__).corpus)

    def predict_scores(self, split: Split) -> pd.DataFrame:
        inputs = retrieval_inputs(split, type(self).__name__)
        first = ranked_run(self.first_stage.predict_scores(split))
        first = first[first[RANK] <= self.depth]
        position = {doc_id: index for index, doc_id in enumerate(inputs.corpus.ids.astype(str))}
        per_query = dict(tuple(first.groupby(SAMPLE_ID, sort=False)[DOC_ID]))
        query_ids = [str(query) for query in split.ids]
        kept = [(query, text) for query, text in zip(query_ids, inputs.texts) if query in per_query]
        candidates = [per_query[query].map(position).to_numpy(dtype=np.int64) for query, _ in kept]
        scores = self.scorer.score([text for _, text in kept], candidates)
        frames = []
        for (query, _), indices, values in zip(kept, candidates, scores):
            values = np.asarray(values, dtype=np.float64)
            if values.shape != indices.shape or not np.isfinite(values).all():
                raise DataError(f"{type(self.scorer).__name__} gave {values.shape} scores (finite expected) for {len(indices)} candidates of query {query}")
            frames.append(pd.DataFrame({SAMPLE_ID: query, DOC_ID: inputs.corpus.ids[indices].astype(str), SCORE: values.round(SCORE_DECIMALS)}))
        if not frames:
            return pd.DataFrame(columns=list(RUN_COLUMNS))
        ranked = ranked_run(pd.concat(frames, ignore_index=True))
        ranked = ranked[ranked[RANK] <= self.top_k]
        order = {query: index for index, query in enumerate(query_ids)}
        ranked = ranked.iloc[np.argsort(ranked[SAMPLE_ID].map(order).to_numpy(), kind="stable")]
        return ranked[list(RUN_COLUMNS)].reset_index(drop=True)

    def save(self, path: Path) -> Optional[Path]:
        return self.first_stage.save(path)

    def parameter_count(self) -> Optional[int]:
        counts = [count for count in (self.first_stage.parameter_count(), self.scorer.parameter_count()) if count is not None]
        return sum(counts) if counts else None


class BiEncoderScorer:
    """Cosine similarity of query and document embeddings from any :class:`TextEncoder`."""

    def __init__(self, encoder: TextEncoder, cache_dir: Optional[str] = None) -> None:
        if not isinstance(encoder, TextEncoder):
            raise ConfigError(f"model.scorer.encoder: {type(encoder).__name__} is not a text encoder")
        self.encoder = encoder
        self.cache = EmbeddingCache(cache_dir)
        self._documents: Optional[np.ndarray] = None

    def fit(self, corpus: Corpus) -> None:
        documents = corpus.documents()
        self.encoder.fit(documents)
        embeddings = self.cache.load_or_compute(
            corpus.fingerprint, self.encoder.identity(), len(corpus), lambda: self.encoder.encode(documents)
        )
        self._documents = _unit(np.asarray(embeddings, dtype=np.float32))

    def score(self, queries: list[str], candidates: list[np.ndarray]) -> list[np.ndarray]:
        if self._documents is None:
            raise DataError("BiEncoderScorer: fit it on the corpus before scoring")
        embedded = _unit(np.asarray(self.encoder.encode(queries), dtype=np.float32)) if queries else []
        return [self._documents[indices] @ query for query, indices in zip(embedded, candidates)]

    def parameter_count(self) -> Optional[int]:
        return self.encoder.parameter_count()


class CrossEncoderScorer:
    """A sentence-transformers `CrossEncoder` saved in a local folder: one relevance score per (query, document)."""

    def __init__(self, model_path: str, batch_size: int = 32, device: str = "cpu", max_length: int = 512) -> None:
        self.model_path = Path(model_path)
        if not self.model_path.is_dir():
            raise ConfigError(f"model.scorer.model_path: {self.model_path} is not a folder saved by sentence-transformers")
        offline_hugging_face()
        try:
            from sentence_transformers import CrossEncoder
        except ImportError:
            raise ConfigError("model.scorer: the sentence-transformers package is not installed (pip install sentence-transformers)") from None
        self.batch_size = batch_size
        self.model = CrossEncoder(str(self.model_path), device=device, max_length=max_length, local_files_only=True)
        self._texts: list[str] = []

    def fit(self, corpus: Corpus) -> None:
        self._texts = corpus.documents()

    def score(self, queries: list[str], candidates: list[np.ndarray]) -> list[np.ndarray]:
        pairs = [(query, self._texts[index]) for query, indices in zip(queries, candidates) for index in indices]
        flat = np.asarray(self.model.predict(pairs, batch_size=self.batch_size, show_progress_bar=False), dtype=np.float64).reshape(-1) if pairs else np.empty(0)
        bounds = np.cumsum([0] + [len(indices) for indices in candidates])
        return [flat[start:end] for start, end in zip(bounds[:-1], bounds[1:])]

    def parameter_count(self) -> Optional[int]:
        return sum(int(parameter.numel()) for parameter in self.model.model.parameters())


def _unit(embeddings: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(embeddings, axis=-1, keepdims=True)
    return embeddings / np.where(norms > 0, norms, 1.0)
