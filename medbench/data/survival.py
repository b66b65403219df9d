"""Right-censored patient records for survival analysis: the clinical data sets scikit-survival ships.

Each patient has covariates, a follow-up time and an event flag (death, recurrence; 0 = censored).
Targets are a structured array with fields ``event`` (bool) and ``time`` (float), the layout
scikit-survival's estimators and metrics take. The split is seeded and stratified by event, so
every split keeps the share of censored patients; categorical covariates are one-hot coded and all
covariates standardised with statistics of the training split only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset, TensorDataset

from medbench.data.base import DataInfo, MedbenchDataModule
from medbench.tasks.split import Split
from medbench.data.splits import standardized_on, stratified_split
from medbench.errors import DataError
from medbench.tasks.survival import survival_targets

# scikit-survival loaders of real clinical data that ship inside the package (no download).
SKSURV_DATASETS = {
    "whas500": "load_whas500",
    "gbsg2": "load_gbsg2",
    "veterans": "load_veterans_lung_cancer",
}


@dataclass(frozen=True)
class SurvivalSplit(Split):
    """A split whose targets are (event, time) records, with the task's evaluation times.

    Models predict survival probabilities at `eval_times`; every split carries the same times so
    that an estimator's `predict_scores(split)` needs nothing else.
    """

    eval_times: tuple[float, ...] = ()

    @property
    def event(self) -> np.ndarray:
        return self.targets["event"]

    @property
    def time(self) -> np.ndarray:
        return self.targets["time"]


class SurvivalDataModule(MedbenchDataModule):
    """Covariates, follow-up and events from :meth:`load_table`; seeded split; train-fitted coding.

    `batch_size` defaults to more patients than these data sets hold: the Cox partial likelihood
    compares each event with everyone still at risk, which a full batch gets exactly right.
    """

    def __init__(
        self,
        eval_times: Sequence[float],
        val_fraction: float = 0.15,
        test_fraction: float = 0.25,
        split_seed: int = 0,
        batch_size: int = 1024,
        num_workers: int = 0,
    ) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers)
        self.eval_times = tuple(float(t) for t in eval_times)
        self.val_fraction = val_fraction
        self.test_fraction = test_fraction
        self.split_seed = split_seed
        self._feature_names: list[str] = []
        self._source = ""

    def load_table(self) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, str]:
        """Return covariates (one row per patient), event flags, follow-up times and a source description."""
        raise NotImplementedError

    def load_splits(self) -> dict[str, Split]:
        covariates, event, time, self._source = self.load_table()
        if not np.isfinite(time).all() or (time < 0).any():
            raise DataError(f"{self._source}: follow-up times must be finite and non-negative")
        ids = np.array([f"{self.dataset_name}-{i:05d}" for i in range(len(time))])
        indices = stratified_split(np.asarray(event, dtype=np.int64), self.val_fraction, self.test_fraction, self.split_seed)
        features, self._feature_names = encode_covariates(covariates, indices["train"], self._source)
        targets = survival_targets(event, time)
        check_eval_times(self.eval_times, targets[indices["test"]], self._source)
        return {
            name: SurvivalSplit(ids=ids[idx], inputs=features[idx], targets=targets[idx], eval_times=self.eval_times)
            for name, idx in indices.items()
        }

    @property
    def dataset_name(self) -> str:
        return type(self).__name__

    def info(self) -> DataInfo:
        self.setup()
        return DataInfo(
            network_kwargs={"in_features": len(self._feature_names), "num_outputs": 1},
            class_names=[],
            source=self._source,
        )

    def to_dataset(self, split: Split) -> Dataset:
        """Covariates, follow-up times and event flags as float tensors."""
        return TensorDataset(
            torch.as_tensor(np.asarray(split.inputs), dtype=torch.float32),
            torch.as_tensor(split.targets["time"].astype(np.float32)),
            torch.as_tensor(split.targets["event"].astype(np.float32)),
        )


def encode_covariates(covariates: pd.DataFrame, train_rows: np.ndarray, source: str) -> tuple[np.ndarray, list[str]]:
    """One-hot code categorical columns (first training level as reference) and standardise everything.

    Levels and statistics come from the training rows only, so nothing of the test patients leaks
    into the inputs; a level unseen in training codes as the reference level.
    """
    columns: dict[str, np.ndarray] = {}
    for name in covariates.columns:
        column = covariates[name]
        # Anything not numeric is a category: object, category, and pandas' `str`/`string` dtypes.
        if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
            values = column.astype(str)
            train_levels = [level for level in _levels(column) if level in set(values.iloc[train_rows])]
            for level in train_levels[1:]:
                columns[f"{name}={level}"] = (values == level).to_numpy(dtype=np.float64)
        else:
            columns[str(name)] = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    features = np.column_stack(list(columns.values())) if columns else np.empty((len(covariates), 0))
    if not np.isfinite(features).all():
        bad = [name for name, values in columns.items() if not np.isfinite(values).all()]
        raise DataError(
            f"{source}: covariates {bad} hold missing values; use task=survival_csv, which imputes them "
            "(fitted on the training split), or fill them"
        )
    return standardized_on(train_rows, features).astype(np.float32), list(columns)


def _levels(column: pd.Series) -> list[str]:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(level) for level in column.cat.categories]
    return sorted(column.astype(str).unique())


def check_eval_times(eval_times: Sequence[float], test_targets: np.ndarray, source: str) -> None:
    """Refuse evaluation times the test patients' follow-up cannot score (the IPCW Brier score's range)."""
    times = np.asarray(eval_times, dtype=np.float64)
    if len(times) < 2:
        raise DataError(f"task.eval_times: a survival task needs at least two evaluation times, got {list(eval_times)}")
    if not (np.diff(times) > 0).all() or times[0] <= 0:
        raise DataError(f"task.eval_times: must be positive and strictly increasing, got {list(eval_times)}")
    low, high = test_targets["time"].min(), test_targets["time"].max()
    if times[0] < low or times[-1] >= high:
        raise DataError(
            f"task.eval_times: {list(eval_times)} must lie within the follow-up of the test patients of {source}, "
            f"[{low:g}, {high:g}); choose times inside it"
        )


class SksurvDataModule(SurvivalDataModule):
    """A clinical data set shipped inside scikit-survival: `whas500`, `gbsg2` or `veterans`."""

    def __init__(self, dataset: str, **kwargs) -> None:
        if dataset not in SKSURV_DATASETS:
            raise DataError(f"task.data.dataset: unknown scikit-survival data set {dataset!r}; choose one of {sorted(SKSURV_DATASETS)}")
        super().__init__(**kwargs)
        self.dataset = dataset

    @property
    def dataset_name(self) -> str:
        return self.dataset

    def load_table(self) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, str]:
        import sksurv
        import sksurv.datasets

        loader = SKSURV_DATASETS[self.dataset]
        covariates, outcome = getattr(sksurv.datasets, loader)()
        event_field, time_field = outcome.dtype.names
        source = f"scikit-survival {sksurv.__version__} datasets.{loader}"
        return covariates, np.asarray(outcome[event_field], dtype=bool), np.asarray(outcome[time_field], dtype=np.float64), source
