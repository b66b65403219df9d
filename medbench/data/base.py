"""The data contract every task's data module follows.

A data module turns files into named splits of samples: ids, model inputs, targets and optional
metadata (patient, site, sex...). Lightning models read them through the usual dataloaders;
scikit-learn-like models read the :class:`Split` arrays directly; the run record gets the sample
ids of each split and a fingerprint of their content.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from medbench.records.fingerprint import content_hash
from medbench.tasks.split import Split
from medbench.errors import DataError
from medbench.records.pathways import PathwaySummary

SPLIT_NAMES = ("train", "val", "test")


@dataclass(frozen=True)
class DataInfo:
    """What a model needs to know about the data before it is built."""

    # Keyword arguments given to a network's constructor: in_features, num_outputs, in_channels...
    network_kwargs: dict[str, Any]
    class_names: list[str] = field(default_factory=list)
    source: str = ""
    # Whether the data are the official release of a public benchmark (MedMNIST): True, False
    # (its numbers are not comparable with published ones), or None when there is nothing to compare.
    official_release: Optional[bool] = None


class MedbenchDataModule(pl.LightningDataModule):
    """Base data module: subclasses implement :meth:`load_splits` and :meth:`info`."""

    # Splits that must hold samples. Retrieval sets it to ("test",): most public retrieval
    # benchmarks judge only test queries, and their baselines learn nothing from training queries.
    required_splits: tuple[str, ...] = ("train", "test")

    def __init__(self, batch_size: int = 64, num_workers: int = 0) -> None:
        super().__init__()
        self.batch_size = batch_size
        self.num_workers = num_workers
        self._splits: Optional[dict[str, Split]] = None

    @abstractmethod
    def load_splits(self) -> dict[str, Split]:
        """Read the data and return the `train`, `val` and `test` splits."""

    @abstractmethod
    def info(self) -> DataInfo:
        """Sizes and names the model needs; valid after :meth:`setup`."""

    def setup(self, stage: Optional[str] = None) -> None:
        if self._splits is None:
            splits = self.load_splits()
            _check_splits(splits, type(self).__name__, self.required_splits)
            self._splits = splits

    def test_pathways(self) -> Optional[PathwaySummary]:
        """The test cohort's care pathways, kept with the run as an aggregate; None for data without timelines."""
        return None

    def split(self, name: str) -> Split:
        if self._splits is None:
            self.setup()
        assert self._splits is not None
        return self._splits[name]

    def split_ids(self) -> dict[str, list[str]]:
        return {name: [str(i) for i in self.split(name).ids] for name in SPLIT_NAMES}

    def fingerprint(self) -> str:
        """Content hash of ids, inputs and targets of every split."""
        return content_hash(
            {name: (self.split(name).ids, self.split(name).inputs, self.split(name).targets) for name in SPLIT_NAMES}
        )

    def to_dataset(self, split: Split) -> Dataset:
        """Tensors for Lightning models; modalities with other inputs override this."""
        inputs = torch.as_tensor(np.asarray(split.inputs), dtype=torch.float32)
        targets = torch.as_tensor(split.targets)
        return TensorDataset(inputs, targets)

    def train_dataloader(self) -> DataLoader:
        # The generator is seeded by `seed_everything` through torch's global RNG at creation.
        generator = torch.Generator().manual_seed(int(torch.initial_seed()) % (2**63))
        return self._loader("train", shuffle=True, generator=generator)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._loader("test")

    def predict_dataloader(self) -> DataLoader:
        return self._loader("test")

    def _loader(self, name: str, shuffle: bool = False, generator: Optional[torch.Generator] = None) -> DataLoader:
        return DataLoader(
            self.to_dataset(self.split(name)),
            batch_size=self.batch_size,
            shuffle=shuffle,
            generator=generator,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
        )


def _check_splits(splits: dict[str, Split], source: str, required: tuple[str, ...]) -> None:
    missing = [name for name in SPLIT_NAMES if name not in splits]
    if missing:
        raise DataError(f"{source}: splits {missing} are missing; a task needs train, val and test")
    for name in required:
        if len(splits[name]) == 0:
            raise DataError(f"{source}: the {name} split is empty")
    seen: dict[str, str] = {}
    for name in SPLIT_NAMES:
        ids = [str(i) for i in splits[name].ids]
        if len(set(ids)) != len(ids):
            raise DataError(f"{source}: sample ids repeat within the {name} split")
        for sample_id in ids:
            if sample_id in seen:
                raise DataError(f"{source}: sample id {sample_id!r} is in both {seen[sample_id]} and {name}")
            seen[sample_id] = name
