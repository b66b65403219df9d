"""Tabular patients with a numeric outcome, from data sets that ship inside scikit-learn.

`diabetes`: 442 diabetes patients (Efron et al. 2004), ten baseline measurements (age, sex, BMI,
blood pressure, six serum measurements) and a quantitative measure of disease progression one
year later. Real patients, no download.
"""

from __future__ import annotations

import numpy as np

from medbench.data.base import DataInfo, MedbenchDataModule, Split
from medbench.data.splits import standardized_on, stratified_split
from medbench.errors import DataError

SKLEARN_DATASETS = {"diabetes": "load_diabetes"}
# The split keeps the outcome's distribution: it is stratified by quantile bins of the target.
N_TARGET_BINS = 5


class SklearnRegressionDataModule(MedbenchDataModule):
    """A seeded split stratified by target quintiles; features standardised on the training split."""

    def __init__(
        self,
        dataset: str = "diabetes",
        val_fraction: float = 0.15,
        test_fraction: float = 0.25,
        split_seed: int = 0,
        standardize: bool = True,
        batch_size: int = 64,
        num_workers: int = 0,
    ) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers)
        if dataset not in SKLEARN_DATASETS:
            raise DataError(f"unknown scikit-learn regression data set {dataset!r}; choose one of {sorted(SKLEARN_DATASETS)}")
        self.dataset = dataset
        self.val_fraction, self.test_fraction, self.split_seed = val_fraction, test_fraction, split_seed
        self.standardize = standardize
        self._source = ""

    def load_splits(self) -> dict[str, Split]:
        import sklearn
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, SKLEARN_DATASETS[self.dataset])(scaled=False)
        features, targets = np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.float64)
        self._source = f"scikit-learn {sklearn.__version__} datasets.{SKLEARN_DATASETS[self.dataset]}"
        ids = np.array([f"{self.dataset}-{i:05d}" for i in range(len(targets))])
        bins = np.searchsorted(np.quantile(targets, np.linspace(0, 1, N_TARGET_BINS + 1)[1:-1]), targets, side="right")
        indices = stratified_split(bins, self.val_fraction, self.test_fraction, self.split_seed)
        if self.standardize:
            features = standardized_on(indices["train"], features)
        return {
            name: Split(ids=ids[idx], inputs=features[idx].astype(np.float32), targets=targets[idx])
            for name, idx in indices.items()
        }

    def info(self) -> DataInfo:
        self.setup()
        return DataInfo(
            network_kwargs={"in_features": int(self.split("train").inputs.shape[1]), "num_outputs": 1},
            source=self._source,
        )
