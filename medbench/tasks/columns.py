"""The column names of a record's frames, and trec_eval's order of a ranked run: defined once here.

Every frame a record keeps (`predictions.parquet`, `qrels.parquet`), every run a retriever returns
and every TREC file read or written uses these names; the kinds' modules (:mod:`medbench.tasks`)
say which of them each kind lays out. Retrieval runs are ordered as trec_eval orders them, in one
place (:func:`trec_order`): per query, score descending, equal scores by document id descending
(string comparison). Retrievers cutting their top k, fusion, run files and the metrics all use it,
so which documents make the cut and their ranks never depend on the CPU or the order of a file.
numpy and pandas are imported by the functions that need them: the names are read at start-up by
modules that must stay light (the committee's service, the kinds' specs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

SAMPLE_ID = "sample_id"  # the unit of a row: a sample, a patient's forecast origin, a query
TARGET = "target"
SCORE = "score"
PREDICTION = "prediction"
DOC_ID = "doc_id"
RANK = "rank"
RELEVANCE = "relevance"


def doc_ranks(doc_ids: np.ndarray) -> np.ndarray:
    """Each document id's place in ascending string order (equal ids share a place)."""
    import numpy as np
    import pandas as pd

    return pd.factorize(pd.Series(np.asarray(doc_ids).astype(str), dtype=object), sort=True)[0].astype(np.int64)


def trec_order(scores: np.ndarray, ranks: np.ndarray, groups: Optional[np.ndarray] = None, axis: int = -1) -> np.ndarray:
    """The indices that order documents as trec_eval does: score descending, then id descending.

    `ranks` are the documents' :func:`doc_ranks` (of the same shape as `scores`); `groups` (1-d,
    optional) keeps rows of one query together, in increasing group order.
    """
    import numpy as np

    keys = [-np.asarray(ranks), -np.asarray(scores, dtype=np.float64)]
    if groups is not None:
        keys.append(np.asarray(groups))
    return np.lexsort(keys, axis=axis)


def trec_sorted(run: pd.DataFrame, group: str = SAMPLE_ID) -> pd.DataFrame:
    """`run` (columns `group`, doc_id, score) with each group's rows in trec_eval's order, groups increasing."""
    import numpy as np
    import pandas as pd

    order = trec_order(run[SCORE].to_numpy(dtype=np.float64), doc_ranks(run[DOC_ID].to_numpy()), pd.factorize(run[group], sort=True)[0])
    return run.iloc[order]
