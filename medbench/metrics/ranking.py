"""A run and its qrels turned into relevance matrices in trec_eval's order, without Python loops.

String ids cost a few vectorized passes, never a lookup per row in Python: a query id is looked
up once per block of consecutive rows (runs list a query's documents together), and document
ids are compared as 64-bit integer keys of their bytes (:mod:`medbench.metrics.string_keys`)
against the few judged documents of their query (Arrow's hash lookup when queries have many
judgments). Rows are grouped by query (a no-op for runs written query by query) and each chunk
of queries becomes a padded ``(queries, depth)`` matrix (a reshape when every query has the
same depth) sorted like trec_eval sorts: score descending, ties by document id descending
(string comparison); only queries with tied scores ever look at document strings. Memory beyond
the input is bounded by the chunk size.

Queries without judgments are ignored, as trec_eval ignores them. Unjudged documents have
relevance 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from medbench.errors import DataError
from medbench.metrics import string_keys
from medbench.tasks.columns import DOC_ID as DOC
from medbench.tasks.columns import RELEVANCE, SCORE, doc_ranks, trec_order
from medbench.tasks.columns import SAMPLE_ID as QUERY


# Run rows handled per chunk: bounds the padded matrices and their temporaries (~100 MB).
CHUNK_ROWS = 2_000_000
# Up to this many judgments per query, rows are matched to them by integer keys of the ids;
# beyond, by hashing every retrieved id (fewer comparisons per row).
MAX_JUDGED_FOR_KEYS = 32
_NO_JUDGMENT, _NO_DOCUMENT = np.uint64((1 << 64) - 1), np.uint64((1 << 64) - 2)


@dataclass(frozen=True)
class RankedChunk:
    """Consecutive queries: the relevance of each rank's document, and the ideal ranking's gains."""

    relevance: np.ndarray  # (q, depth) int; 0 past the end of a query's run
    ideal_gains: np.ndarray  # (q, r) positive judged grades, decreasing, 0-padded
    n_relevant: np.ndarray  # (q,) judged documents with relevance > 0

    @cached_property
    def relevant(self) -> np.ndarray:
        """1.0 where the rank's document is relevant (grade >= 1), shared by every binary metric."""
        return (self.relevance > 0).astype(np.float64)


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


def _segments(values: pa.ChunkedArray) -> np.ndarray:
    """Start row of each run of equal consecutive values (a run file lists a query's rows together)."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    changed = pc.not_equal(values[1:], values[:-1]).to_numpy(zero_copy_only=False)
    return np.r_[0, np.flatnonzero(changed) + 1]


def rank_run(run: pd.DataFrame, qrels: pd.DataFrame, *, all_judged: bool = False, chunk_rows: int = CHUNK_ROWS) -> RankedRun:
    """The relevance matrices of `run` against `qrels`.

    The evaluated queries are the judged queries that appear in the run (trec_eval's default),
    or every judged query with ``all_judged`` (trec_eval ``-c``; absent queries score 0). They are
    numbered in order of first appearance in the run (the judged ones absent from it last).
    """
    _check_columns(run, (QUERY, DOC, SCORE), "run")
    _check_columns(qrels, (QUERY, DOC, RELEVANCE), "qrels")
    judged_queries = pc.unique(_arrow(qrels[QUERY]))
    qrels_query = _codes(_arrow(qrels[QUERY]), judged_queries)
    grades = qrels[RELEVANCE].to_numpy().astype(np.int64)

    scores = run[SCORE].to_numpy(dtype=np.float64)
    if not np.isfinite(scores).all():
        raise DataError(f"the run has {int((~np.isfinite(scores)).sum())} NaN or infinite scores")
    run_queries, run_docs = _arrow(run[QUERY]), _arrow(run[DOC])
    # Only the first row of each block of equal query ids is looked up: string work per query, not per row.
    starts = _segments(run_queries)
    segment_query = _codes(run_queries.take(pa.array(starts)), judged_queries)
    segment_lengths = np.diff(np.r_[starts, len(run)])

    # Evaluated queries, renumbered 0..Q-1 (in order of appearance when the run is grouped by query,
    # so that its rows need no reordering); -1 for unjudged ones.
    known = segment_query[segment_query >= 0]
    blocks_per_query = np.bincount(known, minlength=len(judged_queries))
    appearing = known if blocks_per_query.max(initial=0) <= 1 else np.flatnonzero(blocks_per_query)
    absent = np.setdiff1d(np.arange(len(judged_queries)), appearing) if all_judged else np.zeros(0, np.int64)
    evaluated = np.r_[appearing, absent].astype(np.int64)
    renumber = np.full(len(judged_queries) + 1, -1, dtype=np.int64)  # the extra slot maps code -1 to -1
    renumber[evaluated] = np.arange(len(evaluated))
    row_query = np.repeat(renumber[segment_query], segment_lengths)

    qrels_code = renumber[qrels_query]
    judged_rows = np.flatnonzero(qrels_code >= 0)
    judged_rows = judged_rows[np.lexsort((-grades[judged_rows], qrels_code[judged_rows]))]
    judged_per_query = np.bincount(qrels_code[judged_rows], minlength=len(evaluated))
    if judged_per_query.max(initial=0) <= MAX_JUDGED_FOR_KEYS:
        matcher = _KeyMatcher.build(run_docs, _arrow(qrels[DOC]).take(pa.array(judged_rows)))
        run_relevance = None
    else:
        matcher = None
        judged_docs = pc.unique(_arrow(qrels[DOC]))
        qrels_doc = _codes(_arrow(qrels[DOC]), judged_docs)
        run_doc = _codes(run_docs, judged_docs)
        run_relevance = _judged_grades(row_query, qrels_code, run_doc, qrels_doc, grades, len(judged_docs))

    order = _group_order(row_query)
    row_query = row_query[order] if order is not None else row_query  # rows of unjudged queries (-1) first
    rows = _Rows(order, row_query, scores, run_relevance, run_docs, matcher)
    judgments = _Judgments(qrels_code[judged_rows], grades[judged_rows])
    chunks = tuple(_chunk(rows, judgments, start, stop) for start, stop in _query_ranges(row_query, len(evaluated), chunk_rows))
    queries = np.asarray(judged_queries.take(pa.array(evaluated, type=pa.int64())).to_pylist(), dtype=object).astype(str)
    return RankedRun(queries, chunks)


@dataclass(frozen=True)
class _KeyMatcher:
    """Run rows matched to judged documents by 64-bit keys of their ids (few judgments per query)."""

    run_keys: np.ndarray  # per run row
    judged_keys: np.ndarray  # per judgment, in the order of _Judgments
    judged_docs: pa.ChunkedArray  # per judgment: the ids, to confirm hashed keys
    exact: bool

    @classmethod
    def build(cls, run_docs: pa.ChunkedArray, judged_docs: pa.ChunkedArray) -> "_KeyMatcher":
        run_layout, judged_layout = string_keys.layout(run_docs), string_keys.layout(judged_docs)
        longest = max(string_keys.max_length(run_layout[0]), string_keys.max_length(judged_layout[0]))
        return cls(
            string_keys.string_keys(run_layout, longest),
            string_keys.string_keys(judged_layout, longest),
            judged_docs,
            string_keys.keys_are_exact(longest),
        )


@dataclass(frozen=True)
class _Judgments:
    """The evaluated queries' judgments, sorted by query code, then grade descending."""

    query: np.ndarray
    grade: np.ndarray


@dataclass(frozen=True)
class _Rows:
    """The run's rows grouped by query code: row i of the grouping is run row order[i] (or i)."""

    order: np.ndarray | None  # None: the run is already grouped in query-code order
    query: np.ndarray  # query code per grouped row, non-decreasing
    scores: np.ndarray  # per run row
    relevance: np.ndarray | None  # per run row, when judgments were looked up by hashing ids
    docs: pa.ChunkedArray  # per run row
    matcher: _KeyMatcher | None  # otherwise: match rows to judgments by keys, chunk by chunk

    def run_rows(self, first: int, last: int) -> np.ndarray | slice:
        return slice(first, last) if self.order is None else self.order[first:last]


def _check_columns(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"the {what} lacks column(s) {missing}; it has {list(frame.columns)}")


def _judged_grades(
    run_query: np.ndarray, qrels_query: np.ndarray, run_doc: np.ndarray, qrels_doc: np.ndarray, grades: np.ndarray, n_docs: int
) -> np.ndarray:
    """The judged grade of each run row (0 when its document is unjudged for its query)."""
    known = qrels_query >= 0
    keys = qrels_query[known] * n_docs + qrels_doc[known]
    relevance = np.zeros(len(run_query), dtype=np.int64)
    judged = np.flatnonzero((run_query >= 0) & (run_doc >= 0))
    if len(keys) == 0 or len(judged) == 0:
        return relevance
    at = pd.Index(keys).get_indexer(run_query[judged] * n_docs + run_doc[judged])
    hit = at >= 0
    relevance[judged[hit]] = grades[known][at[hit]]
    return relevance


def _group_order(row_query: np.ndarray) -> np.ndarray | None:
    """Stable row order that groups rows by query code; None when the run is already grouped in code order.

    A least-significant-digit radix sort on 16-bit digits (numpy sorts uint16 by radix): linear in
    the rows, where a comparison sort of 10 million int64 codes costs seconds.
    """
    if len(row_query) == 0 or np.all(row_query[1:] >= row_query[:-1]):
        return None
    codes = (row_query + 1).astype(np.uint64)  # -1 (unjudged) first
    order = np.argsort((codes & np.uint64(0xFFFF)).astype(np.uint16), kind="stable")
    shift = 16
    while shift < 64 and (codes >> np.uint64(shift)).any():
        digit = ((codes[order] >> np.uint64(shift)) & np.uint64(0xFFFF)).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
    return order


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


def _chunk(rows: _Rows, judgments: _Judgments, start: int, stop: int) -> RankedChunk:
    first, last = np.searchsorted(rows.query, [start, stop])
    run_rows = rows.run_rows(first, last)
    n = stop - start
    local = rows.query[first:last] - start
    counts = np.bincount(local, minlength=n)
    judged_first, judged_last = np.searchsorted(judgments.query, [start, stop])
    judged = slice(judged_first, judged_last)
    judged_counts = np.bincount(judgments.query[judged] - start, minlength=n)
    judged_position = _positions(judgments.query[judged] - start, judged_counts)
    cells = _Cells.of(local, counts)

    score = cells.matrix(rows.scores[run_rows], -np.inf)
    if rows.matcher is None:
        relevance = cells.matrix(rows.relevance[run_rows], 0)
    else:
        relevance = _matched_grades(
            cells, rows, run_rows, judgments.grade[judged], judged_first, judged_position, judgments.query[judged] - start
        )
    slot = None  # position of each cell among the chunk's rows, once a sort has moved cells
    if not np.all(score[:, :-1] >= score[:, 1:]):
        slot = np.argsort(-score, axis=1)  # equal scores are reordered by _break_ties
        score, relevance = np.take_along_axis(score, slot, axis=1), np.take_along_axis(relevance, slot, axis=1)
    relevance = _break_ties(score, relevance, slot, counts, rows, first, last)
    ideal_gains, n_relevant = _ideal(judgments.query[judged] - start, judgments.grade[judged], n)
    return RankedChunk(relevance, ideal_gains, n_relevant)


def _positions(query: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Position of each row within its query (rows sorted by query)."""
    return np.arange(len(query)) - (np.cumsum(counts) - counts)[query]


@dataclass(frozen=True)
class _Cells:
    """Where each of a chunk's rows goes in the (queries, depth) matrices."""

    query: np.ndarray
    position: np.ndarray | None  # None: every query has the same depth, the matrix is a reshape
    shape: tuple[int, int]

    @classmethod
    def of(cls, query: np.ndarray, counts: np.ndarray) -> "_Cells":
        depth = int(counts.max(initial=0))
        if (counts == depth).all():
            return cls(query, None, (len(counts), depth))
        return cls(query, _positions(query, counts), (len(counts), depth))

    def matrix(self, values: np.ndarray, fill) -> np.ndarray:
        if self.position is None:
            return values.reshape(self.shape)
        matrix = np.full(self.shape, fill, dtype=values.dtype)
        matrix[self.query, self.position] = values
        return matrix


def _matched_grades(
    cells: _Cells,
    rows: _Rows,
    run_rows: np.ndarray | slice,
    grades: np.ndarray,
    judged_first: int,
    judged_position: np.ndarray,
    judged_query: np.ndarray,
) -> np.ndarray:
    """Relevance matrix: each cell's key compared with the keys of its query's judged documents."""
    matcher = rows.matcher
    n, depth = cells.shape
    width = int(judged_position.max(initial=-1)) + 1
    # Exact keys never reach these two values (their top byte is a length <= 7).
    judged_keys = np.full((n, width), _NO_JUDGMENT, dtype=np.uint64)
    judged_keys[judged_query, judged_position] = matcher.judged_keys[judged_first : judged_first + len(judged_query)]
    judged_grades = np.zeros((n, width), dtype=np.int64)
    judged_grades[judged_query, judged_position] = grades
    keys = cells.matrix(matcher.run_keys[run_rows], _NO_DOCUMENT)
    relevance = np.zeros((n, depth), dtype=np.int64)
    if matcher.exact:
        for slot in range(width):
            np.copyto(relevance, judged_grades[:, slot : slot + 1], where=keys == judged_keys[:, slot : slot + 1])
        return relevance
    present = np.zeros((n, width), dtype=bool)
    present[judged_query, judged_position] = True
    filled = cells.matrix(np.ones(len(cells.query), dtype=bool), False)
    judgment = np.full((n, width), -1, dtype=np.int64)
    judgment[judged_query, judged_position] = np.arange(judged_first, judged_first + len(judged_query))
    chunk_rows = np.arange(run_rows.start, run_rows.stop) if isinstance(run_rows, slice) else run_rows
    cell_row = cells.matrix(chunk_rows, -1)
    for slot in range(width):
        hit = (keys == judged_keys[:, slot : slot + 1]) & present[:, slot : slot + 1] & filled
        hit = _confirmed(hit, cell_row, judgment[:, slot], rows.docs, matcher.judged_docs)
        relevance[hit] = np.broadcast_to(judged_grades[:, slot : slot + 1], hit.shape)[hit]
    return relevance


def _confirmed(hit: np.ndarray, cell_row: np.ndarray, judgment: np.ndarray, docs: pa.ChunkedArray, judged_docs: pa.ChunkedArray) -> np.ndarray:
    """`hit` without the cells whose id differs from the judged one (a collision of hashed long ids)."""
    hit_query, hit_position = np.nonzero(hit)
    if len(hit_query) == 0:
        return hit
    same = pc.equal(docs.take(pa.array(cell_row[hit_query, hit_position])), judged_docs.take(pa.array(judgment[hit_query])))
    confirmed = np.zeros_like(hit)
    keep = np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool)
    confirmed[hit_query[keep], hit_position[keep]] = True
    return confirmed


def _break_ties(
    score: np.ndarray, relevance: np.ndarray, slot: np.ndarray | None, counts: np.ndarray, rows: _Rows, first: int, last: int
) -> np.ndarray:
    """`relevance` with equal scores ordered by document id descending, as trec_eval orders them."""
    tied = score[:, 1:] == score[:, :-1]
    if counts.min(initial=0) < score.shape[1]:
        tied &= np.isfinite(score[:, 1:])  # the -inf padding of short queries is no tie
    tied_queries = np.flatnonzero(tied.any(axis=1))
    if len(tied_queries) == 0:
        return relevance
    depth = score.shape[1]
    within = slot[tied_queries] if slot is not None else np.broadcast_to(np.arange(depth), (len(tied_queries), depth))
    filled = within < counts[tied_queries, None]
    row_of_cell = (np.cumsum(counts) - counts)[tied_queries, None] + within  # among the chunk's grouped rows
    run_rows = np.arange(first, last) if rows.order is None else rows.order[first:last]
    names = rows.docs.take(pa.array(run_rows[row_of_cell[filled]])).to_numpy(zero_copy_only=False)
    doc_rank = np.full(within.shape, -1, dtype=np.int64)
    doc_rank[filled] = doc_ranks(names)
    order = trec_order(score[tied_queries], doc_rank, axis=1)  # padding (-inf score) stays at the end
    relevance = relevance.copy()
    relevance[tied_queries] = np.take_along_axis(relevance[tied_queries], order, axis=1)
    return relevance


def _ideal(query: np.ndarray, grades: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per query, the positive grades sorted decreasingly (rows arrive sorted by query, then grade)."""
    positive = grades > 0
    query, grades = query[positive], grades[positive]
    counts = np.bincount(query, minlength=n)
    position = np.arange(len(query)) - (np.cumsum(counts) - counts)[query]
    ideal = np.zeros((n, int(counts.max(initial=0))), dtype=np.int64)
    ideal[query, position] = grades
    return ideal, counts
