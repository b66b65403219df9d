"""Tabular patient data: feature matrices with one label per patient."""

from __future__ import annotations

from typing import Optional

import numpy as np

from medbench.data.base import DataInfo, MedbenchDataModule, Split
from medbench.data.splits import standardized_on, stratified_split
from medbench.errors import DataError
from medbench.tasks.registry import score_count

# scikit-learn loaders of real clinical data that ship inside the package (no download).
SKLEARN_DATASETS = {
    "breast_cancer": "load_breast_cancer",
}


class TabularDataModule(MedbenchDataModule):
    """Features, labels and ids from a subclass; a seeded stratified split; train-fitted scaling."""

    def __init__(
        self,
        val_fraction: float = 0.15,
        test_fraction: float = 0.25,
        split_seed: int = 0,
        standardize: bool = True,
        batch_size: int = 64,
        num_workers: int = 0,
    ) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers)
        self.val_fraction = val_fraction
        self.test_fraction = test_fraction
        self.split_seed = split_seed
        self.standardize = standardize
        self._class_names: list[str] = []
        self._source = ""

    def load_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], str]:
        """Return ids, features (n×d float), integer labels, class names and a source description."""
        raise NotImplementedError

    def load_splits(self) -> dict[str, Split]:
        ids, features, labels, self._class_names, self._source = self.load_table()
        if not np.isfinite(features).all():
            raise DataError(f"{self._source}: features contain NaN or infinite values")
        indices = stratified_split(labels, self.val_fraction, self.test_fraction, self.split_seed)
        if self.standardize:
            features = standardized_on(indices["train"], features)
        return {
            name: Split(ids=ids[idx], inputs=features[idx].astype(np.float32), targets=labels[idx])
            for name, idx in indices.items()
        }

    def info(self) -> DataInfo:
        self.setup()
        return DataInfo(
            network_kwargs={
                "in_features": int(self.split("train").inputs.shape[1]),
                "num_outputs": score_count(None, len(self._class_names)),
            },
            class_names=self._class_names,
            source=self._source,
        )


class SklearnTabularDataModule(TabularDataModule):
    """A clinical data set shipped inside scikit-learn, e.g. `breast_cancer` (WDBC, 569 patients).

    `positive_label` names the class that becomes label 1 in binary tasks (scikit-learn codes
    WDBC's malignant tumours as 0).
    """

    def __init__(self, dataset: str = "breast_cancer", positive_label: Optional[str] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if dataset not in SKLEARN_DATASETS:
            raise DataError(f"unknown scikit-learn data set {dataset!r}; choose one of {sorted(SKLEARN_DATASETS)}")
        self.dataset = dataset
        self.positive_label = positive_label

    def load_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], str]:
        import sklearn
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, SKLEARN_DATASETS[self.dataset])()
        names = [str(name) for name in bunch.target_names]
        labels = np.asarray(bunch.target, dtype=np.int64)
        if self.positive_label is not None:
            if self.positive_label not in names:
                raise DataError(f"positive_label {self.positive_label!r} is not a class of {self.dataset}: {names}")
            if len(names) != 2:
                raise DataError(f"positive_label only applies to binary data; {self.dataset} has {len(names)} classes")
            positive = names.index(self.positive_label)
            labels = (labels == positive).astype(np.int64)
            names = [names[1 - positive], names[positive]]
        ids = np.array([f"{self.dataset}-{i:05d}" for i in range(len(labels))])
        source = f"scikit-learn {sklearn.__version__} datasets.{SKLEARN_DATASETS[self.dataset]}"
        return ids, np.asarray(bunch.data, dtype=np.float64), labels, names, source
