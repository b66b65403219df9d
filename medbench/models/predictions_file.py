"""Predictions sent by a partner: a CSV or parquet table of sample id → score(s), scored on the test split.

The partner ran their model elsewhere; medbench only checks that the file answers exactly the
task's test patients, once each, with finite scores, and keeps a copy of the file in the record.
Score columns follow the task kind's layout (:mod:`medbench.models.base`): one probability for
binary tasks, one per class or label otherwise; for survival, the risk then the survival
probabilities at the task's evaluation times (:mod:`medbench.tasks.survival`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from medbench.tasks.split import Split
from medbench.errors import ConfigError, DataError
from medbench.models.external import existing_file, keep_copy
from medbench.tasks.columns import SAMPLE_ID

READERS = {".csv": "csv", ".parquet": "parquet"}
SHOWN = 5


class PredictionsFile:
    """Scores read from `path`; `ignore_extra_ids` accepts rows for samples outside the test split."""

    def __init__(
        self,
        path: str,
        id_column: str = SAMPLE_ID,
        score_columns: Sequence[str] = ("score",),
        ignore_extra_ids: bool = False,
        sha256: Optional[str] = None,
    ) -> None:
        self.path = existing_file(path, "model.path", sha256)
        if self.path.suffix.lower() not in READERS:
            raise DataError(f"model.path: {self.path} must be a .csv or .parquet file")
        if not score_columns:
            raise ConfigError("model.score_columns: name at least one score column")
        self.id_column = id_column
        self.score_columns = list(score_columns)
        self.ignore_extra_ids = ignore_extra_ids

    def fit(self, train: Split, val: Split) -> None:
        """Nothing to learn: the partner's model was trained elsewhere."""

    def predict_scores(self, split: Split) -> np.ndarray:
        table = self._read()
        ids = table[self.id_column]
        duplicated = ids[ids.duplicated()].unique().tolist()
        if duplicated:
            raise DataError(f"{self.path}: {len(duplicated)} sample id(s) appear more than once, e.g. {duplicated[:SHOWN]}")
        wanted = [str(i) for i in split.ids]
        missing = sorted(set(wanted) - set(ids))
        if missing:
            raise DataError(f"{self.path}: no scores for {len(missing)} of the {len(wanted)} test samples, e.g. {missing[:SHOWN]}")
        extra = sorted(set(ids) - set(wanted))
        if extra and not self.ignore_extra_ids:
            raise DataError(
                f"{self.path}: {len(extra)} sample id(s) are not in the task's test split, e.g. {extra[:SHOWN]}; "
                "remove them or set model.ignore_extra_ids=true"
            )
        scores = table.set_index(self.id_column).loc[wanted, self.score_columns]
        values = scores.to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values).all(axis=1)
        if bad.any():
            raise DataError(
                f"{self.path}: NaN or infinite scores for {int(bad.sum())} test sample(s), e.g. {scores.index[bad][:SHOWN].tolist()}"
            )
        return values[:, 0] if len(self.score_columns) == 1 else values

    def _read(self) -> pd.DataFrame:
        try:
            if READERS[self.path.suffix.lower()] == "csv":
                table = pd.read_csv(self.path, dtype={self.id_column: str})
            else:
                table = pd.read_parquet(self.path)
        except Exception as error:
            raise DataError(f"{self.path}: cannot be read as a table: {error}") from None
        wanted = [self.id_column] + self.score_columns
        absent = [column for column in wanted if column not in table.columns]
        if absent:
            raise DataError(f"{self.path}: missing column(s) {absent}; it has {list(table.columns)} (see model.id_column, model.score_columns)")
        table = table[wanted].copy()
        table[self.id_column] = table[self.id_column].astype(str)
        for column in self.score_columns:
            numeric = pd.to_numeric(table[column], errors="coerce")
            text = numeric.isna() & table[column].notna()
            if text.any():
                raise DataError(f"{self.path}: column {column!r} holds non-numeric scores, e.g. {table.loc[text, column].head(SHOWN).tolist()}")
            table[column] = numeric
        return table

    def save(self, path: Path) -> Optional[Path]:
        return keep_copy(self.path, path)

    def parameter_count(self) -> Optional[int]:
        return None
