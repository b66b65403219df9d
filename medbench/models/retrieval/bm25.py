"""BM25 through `bm25s`: the lexical baseline every retrieval benchmark reports.

Tokenisation lower-cases, splits on word characters (Unicode-aware, so accents are kept), drops
the stop words of `stopwords` and, when `stemming` is on, stems with the Snowball stemmer of
`language` (PyStemmer), so that "cancers" matches "cancer" and "tumeurs" matches "tumeur".
"""

from __future__ import annotations

import logging

from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd

from medbench.tasks.split import Split
from medbench.errors import ConfigError
from medbench.tasks.columns import doc_ranks
from medbench.models.retrieval.ranking import SCORE_BUDGET, check_same_corpus, retrieval_inputs, run_frame, top_k


class BM25Retriever:
    """Indexes the task's corpus in `fit` (no training queries needed) and returns the top `top_k` per query.

    The defaults k1 = 0.9, b = 0.4 are Anserini's, behind the BM25 numbers published for BEIR.
    """

    def __init__(
        self,
        top_k: int = 100,
        k1: float = 0.9,
        b: float = 0.4,
        method: str = "lucene",
        stemming: bool = True,
        language: str = "english",
        stopwords: Optional[str] = "english",
    ) -> None:
        import bm25s

        # bm25s sets its own logger to DEBUG on import ("Building index from tokens" on every fit).
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        if top_k < 1:
            raise ConfigError(f"model.top_k must be at least 1, got {top_k}")
        self.top_k = top_k
        self.stemmer = _stemmer(language) if stemming else None
        try:
            self.tokenizer = bm25s.tokenization.Tokenizer(stopwords=stopwords, stemmer=self.stemmer)
        except ValueError as error:
            raise ConfigError(f"model.stopwords: {error}") from None
        self.index = bm25s.BM25(k1=k1, b=b, method=method)
        self._corpus_fingerprint: Optional[str] = None

    def fit(self, train: Split, val: Split) -> None:
        corpus = retrieval_inputs(train, type(self).__name__).corpus
        tokens = self.tokenizer.tokenize(corpus.documents(), update_vocab=True, return_as="tuple", show_progress=False)
        self.index.index(tokens, show_progress=False)
        self._corpus_fingerprint = corpus.fingerprint

    def predict_scores(self, split: Split) -> pd.DataFrame:
        inputs = retrieval_inputs(split, type(self).__name__)
        check_same_corpus(self._corpus_fingerprint, inputs.corpus, type(self).__name__)
        queries = self.tokenizer.tokenize(inputs.texts, update_vocab=False, return_as="string", show_progress=False)
        # Every document's score, then medbench's own top k: bm25s's selection leaves the order
        # of equal scores (and which of them make the cut) unspecified.
        ranks = doc_ranks(inputs.corpus.ids)
        rows = max(1, SCORE_BUDGET // len(inputs.corpus))
        ranked = [
            top_k(np.stack([self._scores(query) for query in queries[start : start + rows]]), self.top_k, ranks)
            for start in range(0, len(queries), rows)
        ]
        indices = np.concatenate([part for part, _ in ranked]) if ranked else np.empty((0, 0), dtype=np.int64)
        scores = np.concatenate([part for _, part in ranked]) if ranked else np.empty((0, 0))
        return run_frame(split.ids, inputs.corpus, indices, scores)

    def _scores(self, query: list[str]) -> np.ndarray:
        """BM25 score of every document for one tokenised query; 0 everywhere when no term is indexed."""
        known = [token for token in query if token in self.index.vocab_dict]
        if not known:
            return np.zeros(self.index.scores["num_docs"], dtype=np.float32)
        return self.index.get_scores(known)

    def save(self, path: Path) -> Optional[Path]:
        # Nothing: the index holds the corpus vocabulary, words of the patients' documents, and a
        # record may leave the centre. It is rebuilt from the corpus and the config in seconds.
        return None

    def parameter_count(self) -> Optional[int]:
        return None


def _stemmer(language: str) -> Any:
    import Stemmer

    if language not in Stemmer.algorithms():
        raise ConfigError(f"model.language: no Snowball stemmer for {language!r}; choose one of {Stemmer.algorithms()}")
    return Stemmer.Stemmer(language).stemWord
