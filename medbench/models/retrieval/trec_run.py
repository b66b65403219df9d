"""A partner's search engine, scored from its TREC run file: no training code, no model weights.

The run (``qid Q0 docid rank score tag`` per line) is read with :mod:`medbench.data.trec`; the
lines of the task's test queries become the predictions, so an outside engine is judged by the
same qrels, metrics and confidence intervals as medbench's own retrievers. Lines of other queries
(a run that also covers training queries) are left out; a test query the run misses is reported,
and scores as a query with nothing retrieved.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Optional

import pandas as pd

from medbench.tasks.split import Split
from medbench.errors import ConfigError, DataError
from medbench.models.retrieval.ranking import retrieval_inputs
from medbench.tasks.columns import DOC_ID, SAMPLE_ID, trec_sorted
from medbench.tasks.retrieval import RUN_COLUMNS

log = logging.getLogger(__name__)


class TrecRunFile:
    def __init__(self, path: str, top_k: Optional[int] = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ConfigError(f"model.path: the TREC run file {self.path} does not exist")
        if top_k is not None and top_k < 1:
            raise ConfigError(f"model.top_k must be at least 1 or null (the whole run), got {top_k}")
        self.top_k = top_k

    def fit(self, train: Split, val: Split) -> None:
        """Nothing to learn: the partner's engine ran elsewhere."""

    def predict_scores(self, split: Split) -> pd.DataFrame:
        from medbench.data.trec import read_run

        corpus = retrieval_inputs(split, type(self).__name__).corpus
        run = read_run(self.path)
        wanted = {str(query_id) for query_id in split.ids}
        run = run[run[SAMPLE_ID].isin(wanted)]
        if run.empty:
            raise DataError(f"{self.path}: the run has no line for any of the {len(wanted)} test queries (are the query ids those of the task?)")
        unknown = sorted(set(run[DOC_ID]) - set(corpus.ids.tolist()))
        if unknown:
            raise DataError(f"{self.path}: the run names {len(unknown)} documents that are not in the task's corpus, e.g. {unknown[:3]}")
        missed = wanted - set(run[SAMPLE_ID])
        if missed:
            log.warning("%s: %d of %d test queries have no line in the run (they score 0), e.g. %s", self.path, len(missed), len(wanted), sorted(missed)[:3])
        if self.top_k is not None:
            run = trec_sorted(run)
            run = run.groupby(SAMPLE_ID, sort=False).head(self.top_k)
        return run[list(RUN_COLUMNS)].reset_index(drop=True)

    def save(self, path: Path) -> Optional[Path]:
        # A copy of the partner's run: its SHA-256 in the manifest says exactly what was scored.
        target = path.with_suffix(".run")
        shutil.copyfile(self.path, target)
        return target

    def parameter_count(self) -> Optional[int]:
        return None
