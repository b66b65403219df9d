"""Retrieval metrics with trec_eval's semantics, per query, on the ranked relevance matrices.

| medbench      | trec_eval       | per query                                                        |
|---------------|-----------------|------------------------------------------------------------------|
| ``ndcg@k``    | ``ndcg_cut.k``  | DCG of the top k (gain = grade, log2 discount) / ideal DCG at k  |
| ``ndcg``      | ``ndcg``        | the same over the whole run and every judged document            |
| ``map@k``     | ``map_cut.k``   | sum of precision at each relevant rank <= k / judged relevant    |
| ``map``       | ``map``         | the same over the whole run                                      |
| ``recall@k``  | ``recall.k``    | relevant in the top k / judged relevant                          |
| ``precision@k`` | ``P.k``       | relevant in the top k / k (k, even when the run is shorter)      |
| ``mrr@k``     | ``recip_rank`` of the run cut at k; ``mrr`` = ``recip_rank``     |

A document is relevant when its grade is >= 1; negative grades count as 0 gain. A query whose
judgments hold no relevant document scores 0. Every metric is the mean of its per-query values
over the evaluated queries (see :func:`medbench.metrics.ranking.rank_run`), so the bootstrap
resamples queries. Checked against pytrec_eval per query (tests/metrics/test_retrieval_agreement.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional

import numpy as np
import pandas as pd

from medbench.errors import DataError
from medbench.metrics.ranking import RankedChunk, RankedRun, rank_run
from medbench.tasks.columns import DOC_ID, RANK, SCORE
from medbench.tasks.columns import SAMPLE_ID as QUERY
from medbench.metrics.direction import HIGHER_SHARE
from medbench.metrics.registry import CUTOFF, Prepared, get_metric, register, register_preparer

if TYPE_CHECKING:
    from medbench.tasks.outputs import TaskOutputs

KIND = "retrieval"


def _cut(matrix: np.ndarray, k: Optional[int]) -> np.ndarray:
    return matrix if k is None else matrix[:, :k]


def _discount(depth: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, depth + 2))


def _relevant(chunk: RankedChunk, k: Optional[int]) -> np.ndarray:
    return _cut(chunk.relevant, k)


def _per_recall_base(values: np.ndarray, n_relevant: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_relevant > 0, values / np.maximum(n_relevant, 1), 0.0)


def _ndcg(chunk: RankedChunk, k: Optional[int]) -> np.ndarray:
    gains = np.maximum(_cut(chunk.relevance, k), 0).astype(np.float64)
    dcg = gains @ _discount(gains.shape[1]) if gains.shape[1] else np.zeros(len(gains))
    ideal = _cut(chunk.ideal_gains, k).astype(np.float64)
    idcg = ideal @ _discount(ideal.shape[1]) if ideal.shape[1] else np.zeros(len(ideal))
    return _per_recall_base(dcg, idcg)


def _average_precision(chunk: RankedChunk, k: Optional[int]) -> np.ndarray:
    relevant = _relevant(chunk, k)
    precision = np.cumsum(relevant, axis=1) / np.arange(1, relevant.shape[1] + 1)
    return _per_recall_base((relevant * precision).sum(axis=1), chunk.n_relevant)


def _recall(chunk: RankedChunk, k: Optional[int]) -> np.ndarray:
    return _per_recall_base(_relevant(chunk, k).sum(axis=1), chunk.n_relevant)


def _precision(chunk: RankedChunk, k: int) -> np.ndarray:
    return _relevant(chunk, k).sum(axis=1) / k


def _reciprocal_rank(chunk: RankedChunk, k: Optional[int]) -> np.ndarray:
    relevant = _relevant(chunk, k)
    if relevant.shape[1] == 0:
        return np.zeros(len(relevant))
    first = relevant.argmax(axis=1)
    return np.where(relevant.any(axis=1), 1.0 / (first + 1), 0.0)


@register(KIND, "ndcg", scale=HIGHER_SHARE, argument=CUTOFF, per_unit=True)
def ndcg(data: RankedRun, k: Optional[int]) -> np.ndarray:
    """Normalized discounted cumulative gain (trec_eval ndcg_cut.k; ndcg without a cut-off)."""
    return data.per_query(lambda chunk: _ndcg(chunk, k))


@register(KIND, "map", scale=HIGHER_SHARE, argument=CUTOFF, per_unit=True)
def mean_average_precision(data: RankedRun, k: Optional[int]) -> np.ndarray:
    """Average precision over all judged relevant documents (trec_eval map_cut.k; map)."""
    return data.per_query(lambda chunk: _average_precision(chunk, k))


@register(KIND, "recall", scale=HIGHER_SHARE, argument=CUTOFF, per_unit=True)
def recall(data: RankedRun, k: Optional[int]) -> np.ndarray:
    """Share of the judged relevant documents retrieved in the top k (trec_eval recall.k)."""
    return data.per_query(lambda chunk: _recall(chunk, k))


@register(KIND, "precision", scale=HIGHER_SHARE, argument=CUTOFF, per_unit=True)
def precision(data: RankedRun, k: Optional[int]) -> np.ndarray:
    """Relevant documents in the top k divided by k (trec_eval P.k)."""
    if k is None:
        raise DataError("precision needs a cut-off: precision@<k>")
    return data.per_query(lambda chunk: _precision(chunk, k))


@register(KIND, "mrr", scale=HIGHER_SHARE, argument=CUTOFF, per_unit=True)
def mrr(data: RankedRun, k: Optional[int]) -> np.ndarray:
    """Reciprocal rank of the first relevant document within the top k (trec_eval recip_rank)."""
    return data.per_query(lambda chunk: _reciprocal_rank(chunk, k))


@register_preparer(KIND)
def prepare(outputs: "TaskOutputs") -> Prepared:
    """Queries are the resampling units; the record's run rows are ranked as trec_eval ranks them.

    Every judged test query counts (trec_eval's ``-c``): a query the system left out scores 0, so
    a partner's run cannot look better by skipping the hard queries.
    """
    if outputs.qrels is None:
        raise DataError("a retrieval task's outputs need qrels (the judgments of the test queries)")
    ranked = rank_run(outputs.predictions, outputs.qrels, all_judged=True)
    return Prepared(units=ranked.queries, unit_name="query", data=ranked, metadata=_query_metadata(outputs.predictions, ranked.queries))


def _query_metadata(run: pd.DataFrame, queries: np.ndarray) -> pd.DataFrame:
    """Per evaluated query, the run's metadata columns (their first value for the query)."""
    columns = [c for c in run.columns if c not in (QUERY, DOC_ID, SCORE, RANK)]
    if not columns:
        return pd.DataFrame(index=range(len(queries)))
    first = run.drop_duplicates(QUERY).set_index(QUERY)[columns]
    return first.reindex(pd.Index(queries, dtype=first.index.dtype)).reset_index(drop=True)


def evaluate(
    run: pd.DataFrame, qrels: pd.DataFrame, metric_names: Sequence[str], *, all_judged: bool = False
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The evaluated query ids and, per metric name, its per-query values (trec_eval semantics)."""
    metrics = [get_metric(KIND, name) for name in metric_names]
    ranked = rank_run(run, qrels, all_judged=all_judged)
    return ranked.queries, {metric.name: metric.family.function(ranked, metric.argument) for metric in metrics}
