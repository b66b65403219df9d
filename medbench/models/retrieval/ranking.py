"""What every retriever returns: the top-k documents of each query with their scores."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from medbench.data.corpus import Corpus, RetrievalInputs
from medbench.tasks.columns import DOC_ID, SAMPLE_ID, SCORE, trec_order
from medbench.tasks.split import Split
from medbench.errors import DataError
from medbench.tasks.retrieval import RUN_COLUMNS

# Scores computed at once (queries × documents): bounds a retriever's score matrix to about 128 MB.
SCORE_BUDGET = 1 << 25


def top_k(scores: np.ndarray, k: int, ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices and scores of the `k` best documents of each row, in trec_eval's order.

    `ranks` are the corpus ids' :func:`medbench.tasks.columns.doc_ranks`: which documents make the
    cut when scores tie at the k-th place, and their order, never depend on the CPU, the BLAS
    build or the order of the corpus file.
    """
    k = min(k, scores.shape[1])
    if k == scores.shape[1]:
        candidates = np.broadcast_to(np.arange(k), scores.shape).copy()
    else:
        candidates = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        kth_score = np.take_along_axis(scores, candidates, axis=1).min(axis=1)
        # Where a document left out scores as much as the k-th, the cut is decided by the rule.
        for row in np.flatnonzero((scores >= kth_score[:, None]).sum(axis=1) > k):
            candidates[row] = trec_order(scores[row], ranks)[:k]
    candidate_scores = np.take_along_axis(scores, candidates, axis=1)
    order = trec_order(candidate_scores, ranks[candidates], axis=-1)
    return np.take_along_axis(candidates, order, axis=1), np.take_along_axis(candidate_scores, order, axis=1)


def run_frame(query_ids: Sequence[str], corpus: Corpus, indices: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
    """The long-form run (sample_id, doc_id, score) of per-query document indices and scores."""
    per_query = indices.shape[1]
    return pd.DataFrame(
        {
            SAMPLE_ID: np.repeat(np.asarray(query_ids, dtype=object).astype(str), per_query),
            DOC_ID: corpus.ids[indices.ravel()].astype(str),
            SCORE: scores.ravel().astype(np.float64),
        },
        columns=list(RUN_COLUMNS),
    )


def retrieval_inputs(split: Split, model: str) -> RetrievalInputs:
    """The split's queries and corpus; a clear error when the task is not a retrieval task."""
    if not isinstance(split.inputs, RetrievalInputs):
        raise DataError(f"{model} ranks documents for queries; the task's data module gave {type(split.inputs).__name__} inputs")
    return split.inputs


def check_same_corpus(indexed_fingerprint: str | None, corpus: Corpus, model: str) -> None:
    """Refuse to rank a corpus other than the one indexed in `fit`."""
    if indexed_fingerprint is None:
        raise DataError(f"{model}: fit must index the corpus before predict_scores")
    if corpus.fingerprint != indexed_fingerprint:
        raise DataError(f"{model}: the queries search another corpus than the one indexed in fit")
