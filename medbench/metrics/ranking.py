"""A run and its qrels turned into relevance matrices in trec_eval's order, without Python loops.

Strings are hashed once by Arrow (`index_in` against the judged queries and documents), so a
10-million-row run costs a few vectorized passes, not a dictionary lookup per row. Rows are then
grouped by query (a no-op when the run is written query by query, as TREC runs are), and each
chunk of queries becomes a padded ``(queries, depth)`` matrix sorted like trec_eval sorts: score
descending, ties broken by document id descending (string comparison). Only rows with tied
scores ever look at document strings. Memory beyond the input is bounded by the chunk size.

Queries without judgments are ignored, as trec_eval ignores them. Unjudged documents have
relevance 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from medbench.errors import DataError

QUERY, DOC, SCORE, RELEVANCE = "sample_id", "doc_id", "score", "relevance"

# Run rows handled per chunk: bounds the padded matrices and their temporaries (~100 MB).
CHUNK_ROWS = 2_000_000


@dataclass(frozen=True)
class RankedChunk:
    """Consecutive queries: the relevance of each rank's document, and the ideal ranking's gains."""

    relevance: np.ndarray  # (q, depth) int; 0 past the end of a query's run
    ideal_gains: np.ndarray  # (q, r) positive judged grades, decreasing, 0-padded
    n_relevant: np.ndarray  # (q,) judged documents with relevance > 0


@dataclass(frozen=True)
class RankedRun:
    queries: np.ndarray  # ids of the evaluated queries, in chunk order
    chunks: tuple[RankedChunk, ...]

    def per_query(self, function) -> np.ndarray:
        """`function(chunk) -> (q,)` over every chunk, concatenated in the order of `queries`."""
        if not self.chunks:
            return np.empty(0)
        return np.concatenate([np.asarray(function(chunk), dtype=np.float64) for chunk in self.chunks])


def _arrow(column: pd.Series) -> pa.ChunkedArray:
    array = pa.chunked_array([pa.array(column, from_pandas=True)]) if not isinstance(column, pa.ChunkedArray) else column
    if not pa.types.is_string(array.type) and not pa.types.is_large_string(array.type):
        array = pc.cast(array, pa.string())
    return array


def _codes(values: pa.ChunkedArray, vocabulary: pa.Array) -> np.ndarray:
    """Position of each value in `vocabulary`, -1 when absent."""
    found = pc.index_in(values, value_set=vocabulary)
    return pc.fill_null(found, -1).to_numpy().astype(np.int64)


def rank_run(run: pd.DataFrame, qrels: pd.DataFrame, *, all_judged: bool = False, chunk_rows: int = CHUNK_ROWS) -> RankedRun:
    """The relevance matrices of `run` against `qrels`.

    The evaluated queries are the judged queries that appear in the run (trec_eval's default),
    or every judged query with ``all_judged`` (trec_eval ``-c``; absent queries score 0).
    """
    _check_columns(run, (QUERY, DOC, SCORE), "run")
    _check_columns(qrels, (QUERY, DOC, RELEVANCE), "qrels")
    judged_queries = pc.unique(_arrow(qrels[QUERY]))
    judged_docs = pc.unique(_arrow(qrels[DOC]))
    qrels_query = _codes(_arrow(qrels[QUERY]), judged_queries)
    qrels_doc = _codes(_arrow(qrels[DOC]), judged_docs)
    grades = qrels[RELEVANCE].to_numpy().astype(np.int64)

    run_docs = _arrow(run[DOC])
    run_query = _codes(_arrow(run[QUERY]), judged_queries)
    scores = run[SCORE].to_numpy(dtype=np.float64)
    if not np.isfinite(scores).all():
        raise DataError(f"the run has {int((~np.isfinite(scores)).sum())} NaN or infinite scores")
    run_relevance = _judged_grades(run_query, _codes(run_docs, judged_docs), qrels_query, qrels_doc, grades, len(judged_docs))

    kept = np.flatnonzero(run_query >= 0)
    in_run = np.bincount(run_query[kept], minlength=len(judged_queries)) > 0
    evaluated = np.ones(len(judged_queries), bool) if all_judged else in_run
    # Renumber the evaluated queries 0..Q-1; drop rows of the others.
    renumber = np.cumsum(evaluated) - 1
    kept = kept[evaluated[run_query[kept]]]
    row_query = renumber[run_query[kept]]
    order = kept[_group_order(row_query)]
    row_query = renumber[run_query[order]]

    judged_rows = np.flatnonzero(evaluated[qrels_query])
    qrels_order = judged_rows[np.lexsort((-grades[judged_rows], renumber[qrels_query[judged_rows]]))]
    n_queries = int(evaluated.sum())
    chunks = tuple(
        _chunk(order, row_query, scores, run_relevance, run_docs, renumber[qrels_query[qrels_order]], grades[qrels_order], start, stop)
        for start, stop in _query_ranges(row_query, n_queries, chunk_rows)
    )
    queries = np.asarray(judged_queries.to_numpy(zero_copy_only=False), dtype=object)[evaluated].astype(str)
    return RankedRun(queries, chunks)


def _check_columns(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"the {what} lacks column(s) {missing}; it has {list(frame.columns)}")


def _judged_grades(
    run_query: np.ndarray, run_doc: np.ndarray, qrels_query: np.ndarray, qrels_doc: np.ndarray, grades: np.ndarray, n_docs: int
) -> np.ndarray:
    """The judged grade of each run row (0 when its document is unjudged for its query)."""
    keys = qrels_query * n_docs + qrels_doc
    order = np.argsort(keys)
    keys = keys[order]
    relevance = np.zeros(len(run_query), dtype=np.int64)
    judged = np.flatnonzero((run_query >= 0) & (run_doc >= 0))
    wanted = run_query[judged] * n_docs + run_doc[judged]
    at = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
    hit = keys[at] == wanted if len(keys) else np.zeros(len(wanted), bool)
    relevance[judged[hit]] = grades[order[at[hit]]]
    return relevance


def _group_order(row_query: np.ndarray) -> np.ndarray:
    """Row order that groups rows by query code; identity when the run is already grouped in code order."""
    if len(row_query) == 0 or np.all(row_query[1:] >= row_query[:-1]):
        return np.arange(len(row_query))
    return np.argsort(row_query, kind="stable")


def _query_ranges(row_query: np.ndarray, n_queries: int, chunk_rows: int) -> Iterator[tuple[int, int]]:
    """Ranges of query codes whose rows add up to about `chunk_rows`."""
    if n_queries == 0:
        return
    rows_before = np.searchsorted(row_query, np.arange(n_queries + 1))
    start = 0
    while start < n_queries:
        stop = int(np.searchsorted(rows_before, rows_before[start] + chunk_rows, side="right")) - 1
        stop = min(max(stop, start + 1), n_queries)
        yield start, stop
        start = stop


def _chunk(
    order: np.ndarray,
    row_query: np.ndarray,
    scores: np.ndarray,
    run_relevance: np.ndarray,
    run_docs: pa.ChunkedArray,
    qrels_query: np.ndarray,
    qrels_grades: np.ndarray,
    start: int,
    stop: int,
) -> RankedChunk:
    first, last = np.searchsorted(row_query, [start, stop])
    rows = order[first:last]
    local = row_query[first:last] - start
    n = stop - start
    counts = np.bincount(local, minlength=n)
    position = np.arange(len(rows)) - (np.cumsum(counts) - counts)[local]
    depth = int(counts.max(initial=0))
    score = np.full((n, depth), -np.inf)
    score[local, position] = scores[rows]
    relevance = np.zeros((n, depth), dtype=np.int64)
    relevance[local, position] = run_relevance[rows]
    source = np.full((n, depth), -1, dtype=np.int64)
    source[local, position] = rows
    if not np.all(score[:, :-1] >= score[:, 1:]):
        by_score = np.argsort(-score, axis=1, kind="stable")
        score, relevance, source = (np.take_along_axis(m, by_score, axis=1) for m in (score, relevance, source))
    _break_ties(score, relevance, source, run_docs)

    first, last = np.searchsorted(qrels_query, [start, stop])
    ideal_gains, n_relevant = _ideal(qrels_query[first:last] - start, qrels_grades[first:last], n)
    return RankedChunk(relevance, ideal_gains, n_relevant)


def _break_ties(score: np.ndarray, relevance: np.ndarray, source: np.ndarray, run_docs: pa.ChunkedArray) -> None:
    """In place: within equal scores, order documents by id descending, as trec_eval does."""
    tied = (score[:, 1:] == score[:, :-1]) & np.isfinite(score[:, 1:])
    rows = np.flatnonzero(tied.any(axis=1))
    if len(rows) == 0:
        return
    sources = source[rows]
    valid = sources >= 0
    names = pc.take(run_docs, pa.array(sources[valid])).to_numpy(zero_copy_only=False)
    doc_rank = np.full(sources.shape, -1, dtype=np.int64)
    doc_rank[valid] = pd.factorize(pd.Series(names, dtype=object), sort=True)[0]
    # lexsort: last key is primary. Padding (-inf score) stays at the end.
    order = np.lexsort((-doc_rank, -score[rows]), axis=1)
    relevance[rows] = np.take_along_axis(relevance[rows], order, axis=1)
    score[rows] = np.take_along_axis(score[rows], order, axis=1)


def _ideal(query: np.ndarray, grades: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per query, the positive grades sorted decreasingly (rows arrive sorted by query, then grade)."""
    positive = grades > 0
    query, grades = query[positive], grades[positive]
    counts = np.bincount(query, minlength=n)
    position = np.arange(len(query)) - (np.cumsum(counts) - counts)[query]
    ideal = np.zeros((n, int(counts.max(initial=0))), dtype=np.int64)
    ideal[query, position] = grades
    return ideal, counts
