"""BM25 through `bm25s`: the lexical baseline every retrieval benchmark reports.

Tokenisation lower-cases, splits on word characters (Unicode-aware, so accents are kept), drops
the stop words of `stopwords` and, when `stemming` is on, stems with the Snowball stemmer of
`language` (PyStemmer), so that "cancers" matches "cancer" and "tumeurs" matches "tumeur".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import pandas as pd

from medbench.data.split import Split
from medbench.errors import ConfigError
from medbench.models.retrieval.ranking import check_same_corpus, retrieval_inputs, run_frame


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
        tokens = self.tokenizer.tokenize(inputs.texts, update_vocab=False, return_as="tuple", show_progress=False)
        indices, scores = self.index.retrieve(
            tokens, k=min(self.top_k, len(inputs.corpus)), show_progress=False, n_threads=1
        )
        return run_frame(split.ids, inputs.corpus, indices, scores)

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
