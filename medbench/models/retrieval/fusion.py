"""Fuse the runs of several retrievers into one: reciprocal rank fusion and score interpolation.

Lexical and dense retrievers fail on different queries (a rare drug name; a paraphrase), so a
fused run is often better than either. Both rules work on the runs alone (sample_id, doc_id,
score), whatever made them:

* **RRF** (Cormack et al., 2009): a document scores Σ wᵢ / (k + rankᵢ) over the runs that
  retrieved it; only ranks count, so scores on different scales need no calibration.
* **Interpolation**: each run's scores are normalised per query (min-max to [0, 1], or z-scores)
  and summed with weights. A document that a run did not retrieve gets that run's lowest
  normalised score for the query: it ranked below everything the run returned. A run whose
  scores for a query are all equal carries no order and adds 0 for every document.

Ranks inside a run and the fused order follow trec_eval's rule (score descending, then document
id descending); fused scores are rounded before ranking, so that sums equal in exact arithmetic
tie on every machine instead of being ordered by floating-point noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from medbench.errors import ConfigError
from medbench.tasks.columns import DOC_ID, SAMPLE_ID, SCORE, trec_sorted
from medbench.tasks.retrieval import RUN_COLUMNS

NORMALISATIONS = ("minmax", "zscore")
FUSED_DECIMALS = 9
RANK = "_rank"


def reciprocal_rank_fusion(
    runs: Mapping[str, pd.DataFrame], weights: Mapping[str, float], k: float, top_k: int, query_ids: Sequence[str]
) -> pd.DataFrame:
    """RRF of `runs`: Σ weights[name] / (k + rank) over the runs that retrieved each document."""
    if k < 0:
        raise ConfigError(f"model.rrf_k must be non-negative, got {k}")
    parts = []
    for name, run in runs.items():
        ranked = ranked_run(run)
        parts.append(ranked.assign(**{SCORE: weights[name] / (k + ranked[RANK])}))
    return _best(parts, top_k, query_ids)


def interpolated_scores(
    runs: Mapping[str, pd.DataFrame], weights: Mapping[str, float], normalisation: str, top_k: int, query_ids: Sequence[str]
) -> pd.DataFrame:
    """Σ weights[name] × normalised score; a document a run missed gets that run's lowest normalised score."""
    if normalisation not in NORMALISATIONS:
        raise ConfigError(f"model.normalisation: {normalisation!r} is not one of {NORMALISATIONS}")
    normalised = {name: normalised_scores(run, normalisation) for name, run in runs.items()}
    candidates = pd.concat([run[[SAMPLE_ID, DOC_ID]] for run in normalised.values()]).drop_duplicates()
    parts = []
    for name, run in normalised.items():
        floor = run.groupby(SAMPLE_ID)[SCORE].min()
        scored = candidates.merge(run[[SAMPLE_ID, DOC_ID, SCORE]], on=[SAMPLE_ID, DOC_ID], how="left")
        # A query the run returned nothing for contributes 0 to each of its documents.
        scored[SCORE] = scored[SCORE].fillna(scored[SAMPLE_ID].map(floor).astype(np.float64)).fillna(0.0)
        parts.append(scored.assign(**{SCORE: weights[name] * scored[SCORE]}))
    return _best(parts, top_k, query_ids)


def normalised_scores(run: pd.DataFrame, normalisation: str) -> pd.DataFrame:
    """`run` with each query's scores min-max scaled to [0, 1] or turned into z-scores (0 when all equal)."""
    grouped = run.groupby(SAMPLE_ID)[SCORE]
    if normalisation == "minmax":
        low, spread = grouped.transform("min"), grouped.transform("max") - grouped.transform("min")
        centred = run[SCORE] - low
    else:
        spread = grouped.transform("std", ddof=0)
        centred = run[SCORE] - grouped.transform("mean")
    values = np.where(spread > 0, centred / spread.where(spread > 0, 1.0), 0.0)
    return run.assign(**{SCORE: values.astype(np.float64)})


def ranked_run(run: pd.DataFrame) -> pd.DataFrame:
    """`run` in trec_eval's order within each query, with 1-based ranks."""
    ordered = trec_sorted(run)
    return ordered.assign(**{RANK: ordered.groupby(SAMPLE_ID).cumcount() + 1})


def _best(parts: list[pd.DataFrame], top_k: int, query_ids: Sequence[str]) -> pd.DataFrame:
    """Sum the parts' scores per (query, document); each query's `top_k` best, in the queries' order."""
    if not parts:
        return pd.DataFrame(columns=list(RUN_COLUMNS))
    summed = pd.concat([part[[SAMPLE_ID, DOC_ID, SCORE]] for part in parts]).groupby([SAMPLE_ID, DOC_ID], as_index=False)[SCORE].sum()
    summed[SCORE] = summed[SCORE].round(FUSED_DECIMALS)
    position = {str(query): index for index, query in enumerate(query_ids)}
    summed["_query"] = summed[SAMPLE_ID].map(position)
    ordered = trec_sorted(summed, "_query")
    best = ordered.groupby(SAMPLE_ID, sort=False).head(top_k)
    return best[list(RUN_COLUMNS)].reset_index(drop=True)
