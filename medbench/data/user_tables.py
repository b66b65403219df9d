"""The user's own patient table as a task: `task=tabular_csv` (classification), `task=regression_csv`
(a numeric outcome: length of stay, cost) and `task=survival_csv`.

One CSV or parquet file, one row per sample (an admission, a patient), read by
:func:`medbench.data.tables.read_table`. The task config names the outcome column(s) and,
optionally, an id column, a patient column (split by patient, intervals by patient), metadata
columns kept for subgroup metrics, and the feature columns and their types (by default every
other column, typed by inference). Everything is plain config: a bundle of such a run names only
this module, so a partner reproduces it with their copy of the file and no code of the user's.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd

from medbench.data.base import DataInfo, MedbenchDataModule
from medbench.data.columns import ColumnTypes, column_types, encode_features, patient_split
from medbench.tasks.split import Split
from medbench.data.splits import check_seen_in_training, stratified_split
from medbench.data.survival import SurvivalDataModule, SurvivalSplit, check_eval_times
from medbench.errors import DataError
from medbench.tasks.registry import classes_of, score_count

log = logging.getLogger(__name__)

INCOMPLETE_POLICIES = ("refuse", "drop")
# Without a patient column, a numeric outcome's split is stratified by its quintiles.
N_TARGET_BINS = 5
TRUE_WORDS = {"1", "true", "yes", "y", "t", "1.0"}
FALSE_WORDS = {"0", "false", "no", "n", "f", "0.0"}


@dataclass(frozen=True)
class UserTable:
    """Where the table is and what its columns mean, apart from the outcome."""

    path: str
    id_column: Optional[str] = None
    patient_column: Optional[str] = None
    metadata_columns: tuple[str, ...] = ()
    feature_columns: tuple[str, ...] = ()
    numeric_columns: tuple[str, ...] = ()
    categorical_columns: tuple[str, ...] = ()
    drop_columns: tuple[str, ...] = ()
    incomplete_rows: str = "refuse"

    def __post_init__(self) -> None:
        if self.incomplete_rows not in INCOMPLETE_POLICIES:
            raise DataError(f"task.data.incomplete_rows must be one of {INCOMPLETE_POLICIES}, not {self.incomplete_rows!r}")

    @property
    def file(self) -> Path:
        return Path(self.path)

    def read(self, outcome_columns: Sequence[str]) -> pd.DataFrame:
        """The table's rows whose outcome (and patient id) is present; the others refused or dropped and counted."""
        from medbench.data.tables import read_table

        frame = read_table(self.file)
        wanted = [*outcome_columns, self.id_column, self.patient_column, *self.metadata_columns, *self.drop_columns]
        missing = [c for c in wanted if c is not None and c not in frame.columns]
        if missing:
            raise DataError(f"{self.file}: missing column(s) {missing}; the file has {list(frame.columns)} (set task.data.*_column)")
        required = [*outcome_columns, *([self.patient_column] if self.patient_column else [])]
        holes = frame[required].isna()
        if holes.any().any():
            counts = {column: int(n) for column, n in holes.sum().items() if n}
            if self.incomplete_rows == "refuse":
                first = int(np.flatnonzero(holes.any(axis=1).to_numpy())[0])
                raise DataError(
                    f"{self.file}: missing values in {counts} (first at row {first + 1}); fill them, or set "
                    "task.data.incomplete_rows=drop to drop those rows"
                )
            keep = ~holes.any(axis=1)
            log.warning("%s: dropped %d of %d rows with a missing outcome %s", self.file, int((~keep).sum()), len(frame), counts)
            frame = frame[keep].reset_index(drop=True)
        if len(frame) == 0:
            raise DataError(f"{self.file}: no row is left with a complete outcome")
        return frame

    def ids(self, frame: pd.DataFrame) -> np.ndarray:
        if self.id_column is None:
            return np.array([f"row-{i:06d}" for i in range(len(frame))])
        ids = frame[self.id_column].astype(str).to_numpy()
        duplicated = pd.Series(ids).duplicated().to_numpy()
        if duplicated.any():
            raise DataError(f"{self.file}: column {self.id_column!r} repeats id {ids[int(np.flatnonzero(duplicated)[0])]!r}")
        return ids

    def split(self, frame: pd.DataFrame, strata: np.ndarray, val: float, test: float, seed: int) -> dict[str, np.ndarray]:
        """By patient when a patient column is given (no patient in two splits), else stratified by `strata`."""
        if self.patient_column is None:
            try:
                return stratified_split(strata, val, test, seed)
            except DataError as error:
                raise DataError(f"{self.file}: {error}") from None
        return patient_split(frame[self.patient_column].astype(str).to_numpy(), val, test, seed)

    def features(self, frame: pd.DataFrame, outcome_columns: Sequence[str]) -> ColumnTypes:
        excluded = [*outcome_columns, self.id_column, self.patient_column, *self.drop_columns]
        return column_types(
            frame,
            [c for c in excluded if c is not None],
            self.file,
            self.feature_columns,
            self.numeric_columns,
            self.categorical_columns,
        )

    def metadata(self, frame: pd.DataFrame) -> Optional[pd.DataFrame]:
        columns = list(dict.fromkeys([c for c in (self.patient_column, *self.metadata_columns) if c is not None]))
        return frame[columns].reset_index(drop=True) if columns else None

    def source(self, frame: pd.DataFrame, types: ColumnTypes) -> str:
        patients = f", {frame[self.patient_column].nunique()} patients" if self.patient_column else ""
        return (
            f"{self.file.name} ({len(frame)} rows{patients}; {len(types.numeric)} numeric and "
            f"{len(types.categorical)} categorical features)"
        )


def _user_table(**kwargs: Any) -> UserTable:
    for key in ("metadata_columns", "feature_columns", "numeric_columns", "categorical_columns", "drop_columns"):
        kwargs[key] = tuple(kwargs.get(key) or ())
    return UserTable(**kwargs)


def _rows(metadata: Optional[pd.DataFrame], idx: np.ndarray) -> Optional[pd.DataFrame]:
    return metadata.iloc[idx].reset_index(drop=True) if metadata is not None else None


class CsvClassificationDataModule(MedbenchDataModule):
    """Binary or multi-class labels from `target_column` of the user's table; features as declared or inferred.

    Classes are the column's distinct values in sorted order; in a binary task `positive_label`
    names the class that becomes 1 (by default the second).
    """

    def __init__(
        self,
        path: str,
        target_column: str,
        kind: Optional[Any] = None,
        positive_label: Optional[Any] = None,
        id_column: Optional[str] = None,
        patient_column: Optional[str] = None,
        metadata_columns: Sequence[str] = (),
        feature_columns: Sequence[str] = (),
        numeric_columns: Sequence[str] = (),
        categorical_columns: Sequence[str] = (),
        drop_columns: Sequence[str] = (),
        incomplete_rows: str = "refuse",
        val_fraction: float = 0.15,
        test_fraction: float = 0.25,
        split_seed: int = 0,
        batch_size: int = 64,
        num_workers: int = 0,
    ) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers)
        self.table = _user_table(
            path=path, id_column=id_column, patient_column=patient_column, metadata_columns=metadata_columns,
            feature_columns=feature_columns, numeric_columns=numeric_columns, categorical_columns=categorical_columns,
            drop_columns=drop_columns, incomplete_rows=incomplete_rows,
        )
        self.target_column = target_column
        self.kind = str(getattr(kind, "value", kind)) if kind is not None else None
        self.positive_label = None if positive_label is None else str(positive_label)
        self.val_fraction, self.test_fraction, self.split_seed = val_fraction, test_fraction, split_seed
        self._class_names: list[str] = []
        self._feature_names: list[str] = []
        self._source = ""

    def load_splits(self) -> dict[str, Split]:
        table = self.table
        frame = table.read([self.target_column])
        labels = frame[self.target_column].map(_label_text)
        names = self._classes(sorted(set(labels)))
        targets = labels.map({name: k for k, name in enumerate(names)}).to_numpy(dtype=np.int64)
        indices = table.split(frame, targets, self.val_fraction, self.test_fraction, self.split_seed)
        check_seen_in_training(
            targets[indices["train"]], targets[indices["test"]], f"{table.file}: column {self.target_column!r}", names
        )
        types = table.features(frame, [self.target_column])
        features, self._feature_names = encode_features(frame, types, indices["train"])
        ids, metadata = table.ids(frame), table.metadata(frame)
        self._class_names, self._source = names, table.source(frame, types)
        return {
            name: Split(ids=ids[idx], inputs=features[idx], targets=targets[idx], metadata=_rows(metadata, idx))
            for name, idx in indices.items()
        }

    def _classes(self, names: list[str]) -> list[str]:
        where = f"{self.table.file}: column {self.target_column!r}"
        if len(names) < 2:
            raise DataError(f"{where} has {len(names)} class(es) {names}; a classification task needs at least two")
        if (classes := classes_of(self.kind)) is not None and classes.single_score and len(names) != 2:
            raise DataError(f"{where}: a binary task needs two classes, the column has {len(names)}: {names[:20]} (use kind=multiclass)")
        if self.positive_label is not None:
            if self.positive_label not in names or len(names) != 2:
                raise DataError(f"{where}: positive_label {self.positive_label!r} must be one of two classes; found {names[:20]}")
            names = [name for name in names if name != self.positive_label] + [self.positive_label]
        return names

    def info(self) -> DataInfo:
        self.setup()
        return DataInfo(
            network_kwargs={"in_features": len(self._feature_names), "num_outputs": score_count(self.kind, len(self._class_names))},
            class_names=self._class_names,
            source=self._source,
        )


class CsvRegressionDataModule(MedbenchDataModule):
    """A numeric outcome from `target_column` of the user's table (length of stay, cost); features as declared or inferred."""

    def __init__(
        self,
        path: str,
        target_column: str,
        id_column: Optional[str] = None,
        patient_column: Optional[str] = None,
        metadata_columns: Sequence[str] = (),
        feature_columns: Sequence[str] = (),
        numeric_columns: Sequence[str] = (),
        categorical_columns: Sequence[str] = (),
        drop_columns: Sequence[str] = (),
        incomplete_rows: str = "refuse",
        val_fraction: float = 0.15,
        test_fraction: float = 0.25,
        split_seed: int = 0,
        batch_size: int = 64,
        num_workers: int = 0,
    ) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers)
        self.table = _user_table(
            path=path, id_column=id_column, patient_column=patient_column, metadata_columns=metadata_columns,
            feature_columns=feature_columns, numeric_columns=numeric_columns, categorical_columns=categorical_columns,
            drop_columns=drop_columns, incomplete_rows=incomplete_rows,
        )
        self.target_column = target_column
        self.val_fraction, self.test_fraction, self.split_seed = val_fraction, test_fraction, split_seed
        self._feature_names: list[str] = []
        self._source = ""

    def load_splits(self) -> dict[str, Split]:
        table = self.table
        frame = table.read([self.target_column])
        targets = pd.to_numeric(frame[self.target_column], errors="coerce").to_numpy(dtype=np.float64)
        if not np.isfinite(targets).all():
            row = int(np.flatnonzero(~np.isfinite(targets))[0])
            raise DataError(
                f"{table.file}: column {self.target_column!r}, row {row + 1}: {frame[self.target_column].iloc[row]!r} "
                "is not a number; a regression outcome must be numeric"
            )
        cuts = np.quantile(targets, np.linspace(0, 1, N_TARGET_BINS + 1)[1:-1])
        indices = table.split(frame, np.searchsorted(cuts, targets, side="right"), self.val_fraction, self.test_fraction, self.split_seed)
        types = table.features(frame, [self.target_column])
        features, self._feature_names = encode_features(frame, types, indices["train"])
        ids, metadata = table.ids(frame), table.metadata(frame)
        self._source = table.source(frame, types)
        return {
            name: Split(ids=ids[idx], inputs=features[idx], targets=targets[idx], metadata=_rows(metadata, idx))
            for name, idx in indices.items()
        }

    def info(self) -> DataInfo:
        self.setup()
        return DataInfo(network_kwargs={"in_features": len(self._feature_names), "num_outputs": 1}, source=self._source)


def _label_text(value: Any) -> str:
    """A class label as text; 1.0 and 1 are the same class (pandas reads integer columns with holes as floats)."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


class CsvSurvivalDataModule(SurvivalDataModule):
    """Follow-up time and event flag from the user's table; covariates as declared or inferred.

    The event column holds 1/0, true/false or yes/no (1 = the event happened, 0 = censored).
    """

    def __init__(
        self,
        path: str,
        time_column: str,
        event_column: str,
        eval_times: Sequence[float],
        id_column: Optional[str] = None,
        patient_column: Optional[str] = None,
        metadata_columns: Sequence[str] = (),
        feature_columns: Sequence[str] = (),
        numeric_columns: Sequence[str] = (),
        categorical_columns: Sequence[str] = (),
        drop_columns: Sequence[str] = (),
        incomplete_rows: str = "refuse",
        **kwargs: Any,
    ) -> None:
        super().__init__(eval_times=eval_times, **kwargs)
        self.table = _user_table(
            path=path, id_column=id_column, patient_column=patient_column, metadata_columns=metadata_columns,
            feature_columns=feature_columns, numeric_columns=numeric_columns, categorical_columns=categorical_columns,
            drop_columns=drop_columns, incomplete_rows=incomplete_rows,
        )
        self.time_column, self.event_column = time_column, event_column

    def load_splits(self) -> dict[str, Split]:
        from medbench.tasks.survival import survival_targets

        table = self.table
        outcome = [self.time_column, self.event_column]
        frame = table.read(outcome)
        time = pd.to_numeric(frame[self.time_column], errors="coerce").to_numpy(dtype=np.float64)
        if not np.isfinite(time).all() or (time < 0).any():
            row = int(np.flatnonzero(~np.isfinite(time) | (time < 0))[0])
            raise DataError(
                f"{table.file}: column {self.time_column!r}, row {row + 1}: follow-up time "
                f"{frame[self.time_column].iloc[row]!r} is not a non-negative number"
            )
        event = self._events(frame[self.event_column])
        indices = table.split(frame, event.astype(np.int64), self.val_fraction, self.test_fraction, self.split_seed)
        types = table.features(frame, outcome)
        features, self._feature_names = encode_features(frame, types, indices["train"])
        targets = survival_targets(event, time)
        self._source = table.source(frame, types)
        check_eval_times(self.eval_times, targets[indices["test"]], self._source)
        ids, metadata = table.ids(frame), table.metadata(frame)
        return {
            name: SurvivalSplit(
                ids=ids[idx], inputs=features[idx], targets=targets[idx], metadata=_rows(metadata, idx), eval_times=self.eval_times
            )
            for name, idx in indices.items()
        }

    def _events(self, column: pd.Series) -> np.ndarray:
        words = column.map(lambda value: _label_text(value).lower())
        unknown = sorted(set(words) - TRUE_WORDS - FALSE_WORDS)
        if unknown:
            raise DataError(
                f"{self.table.file}: column {self.event_column!r} holds {unknown[:5]}; an event column holds 1/0, "
                "true/false or yes/no (1 = the event happened, 0 = censored)"
            )
        return words.isin(TRUE_WORDS).to_numpy(dtype=bool)
