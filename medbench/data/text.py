"""Reports and clinical notes for text classification, from a user's CSV, JSONL or parquet file.

Files are read through Hugging Face `datasets` from local paths only. Columns are configurable
(text, label, optional id, optional split, optional metadata such as language or site). Labels
are cleaned before anything else sees them: whitespace stripped, an optional mapping applied
(synonyms, spelling variants), and classes rarer than `min_class_count` grouped into
`other_label` or dropped. Without a split column, the split is seeded and stratified.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from medbench.data.base import SPLIT_NAMES, DataInfo, MedbenchDataModule
from medbench.data.split import Split
from medbench.data.splits import check_seen_in_training, stratified_split
from medbench.errors import DataError

READERS = {".csv": "from_csv", ".jsonl": "from_json", ".json": "from_json", ".parquet": "from_parquet"}
# Values of a split column and the split they mean.
SPLIT_VALUES = {"train": "train", "val": "val", "valid": "val", "validation": "val", "dev": "val", "test": "test"}
RARE_POLICIES = ("group", "drop")


def read_table(path: Path, cache_dir: Optional[str] = None) -> pd.DataFrame:
    """A CSV, JSONL or parquet file as a frame of its columns (CSV cells as strings, so ids keep leading zeros)."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise DataError(f"{path}: unknown text file type {path.suffix!r}; use one of {sorted(READERS)}")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    import datasets

    datasets.disable_progress_bars()
    options: dict[str, Any] = {"keep_in_memory": True, "cache_dir": cache_dir}
    try:
        if reader == "from_csv":
            options["features"] = datasets.Features({name: datasets.Value("string") for name in _csv_header(path)})
            options["keep_default_na"] = False
        frame = getattr(datasets.Dataset, reader)(str(path), **options).to_pandas()
    except DataError:
        raise
    except Exception as error:
        raise DataError(f"{path}: cannot read it as {path.suffix.lstrip('.')}: {type(error).__name__}: {error}") from None
    if len(frame) == 0:
        raise DataError(f"{path}: the file has no rows")
    return frame


def _csv_header(path: Path) -> list[str]:
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        rows = csv.reader(handle)
        header, first_row = next(rows, []), next(rows, None)
    if len(set(header)) != len(header):
        raise DataError(f"{path}: the header repeats a column name: {header}")
    if first_row is None:
        raise DataError(f"{path}: the file has no rows")
    return header


class TextDataModule(MedbenchDataModule):
    """Texts and labels from `path` (or a generated bilingual notes file when `generated` is set).

    `kind` is the task kind (binary or multiclass). With two classes, `positive_label` names the
    class that becomes 1 (by default the second in sorted order).
    """

    def __init__(
        self,
        path: Optional[str] = None,
        text_column: str = "text",
        label_column: str = "label",
        id_column: Optional[str] = None,
        split_column: Optional[str] = None,
        metadata_columns: tuple[str, ...] = (),
        label_mapping: Optional[dict[str, str]] = None,
        min_class_count: int = 0,
        rare_classes: str = "group",
        other_label: str = "other",
        positive_label: Optional[str] = None,
        val_fraction: float = 0.15,
        test_fraction: float = 0.25,
        split_seed: int = 0,
        generated: Optional[dict[str, Any]] = None,
        cache_dir: Optional[str] = None,
        kind: Optional[Any] = None,
        batch_size: int = 32,
        num_workers: int = 0,
    ) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers)
        if (path is None) == (generated is None):
            raise DataError("TextDataModule: give exactly one of `path` (a CSV/JSONL/parquet file) or `generated` (parameters)")
        if rare_classes not in RARE_POLICIES:
            raise DataError(f"TextDataModule: rare_classes must be one of {RARE_POLICIES}, not {rare_classes!r}")
        self.path, self.generated, self.cache_dir = path, generated, cache_dir
        self.text_column, self.label_column, self.id_column = text_column, label_column, id_column
        self.split_column, self.metadata_columns = split_column, list(metadata_columns)
        self.label_mapping = dict(label_mapping or {})
        self.min_class_count, self.rare_classes, self.other_label = min_class_count, rare_classes, other_label
        self.positive_label = positive_label
        self.val_fraction, self.test_fraction, self.split_seed = val_fraction, test_fraction, split_seed
        self.kind = str(getattr(kind, "value", kind)) if kind is not None else None
        self._class_names: list[str] = []
        self._source = ""

    def _file(self) -> Path:
        if self.generated is None:
            return Path(str(self.path))
        from medbench.data.generators import generated_file
        from medbench.data.generators.text import write_notes

        params = dict(self.generated)
        suffix = "." + str(params.get("file_format", "csv"))
        return generated_file(self.cache_dir or ".", "clinical-notes", suffix, write_notes, params)

    def load_splits(self) -> dict[str, Split]:
        path = self._file()
        frame = read_table(path, os.path.join(self.cache_dir, "datasets") if self.cache_dir else None)
        self._check_columns(frame, path)
        texts = frame[self.text_column]
        if texts.isna().any() or not texts.map(lambda t: isinstance(t, str)).all():
            row = int(np.flatnonzero(texts.isna() | ~texts.map(lambda t: isinstance(t, str)))[0])
            raise DataError(f"{path}: column {self.text_column!r} has a missing or non-text value (row {row + 1})")
        labels, keep = self._clean_labels(frame[self.label_column], path)
        frame, labels = frame[keep].reset_index(drop=True), labels[keep].reset_index(drop=True)
        names = self._ordered_classes(sorted(set(labels)), path)
        targets = labels.map({name: index for index, name in enumerate(names)}).to_numpy(dtype=np.int64)
        ids = self._ids(frame, path)
        indices = self._split_indices(frame, targets, path)
        where = f"{path}: column {self.label_column!r}"
        check_seen_in_training(targets[indices["train"]], targets[indices["test"]], "multiclass", where, names)
        self._class_names = names
        self._source = f"{path.name} ({len(frame)} texts, classes {names})"
        metadata = frame[self.metadata_columns] if self.metadata_columns else None
        return {
            name: Split(
                ids=ids[idx],
                inputs=frame[self.text_column].to_numpy(dtype=object)[idx],
                targets=targets[idx],
                metadata=metadata.iloc[idx].reset_index(drop=True) if metadata is not None else None,
            )
            for name, idx in indices.items()
        }

    def _check_columns(self, frame: pd.DataFrame, path: Path) -> None:
        wanted = [self.text_column, self.label_column, self.id_column, self.split_column, *self.metadata_columns]
        missing = [column for column in wanted if column is not None and column not in frame.columns]
        if missing:
            raise DataError(f"{path}: missing column(s) {missing}; the file has {list(frame.columns)} (set task.data.*_column)")

    def _clean_labels(self, raw: pd.Series, path: Path) -> tuple[pd.Series, pd.Series]:
        """Stripped, mapped labels and the mask of rows kept (rare classes dropped when so configured)."""
        if raw.isna().any():
            row = int(np.flatnonzero(raw.isna())[0])
            raise DataError(f"{path}: column {self.label_column!r} has a missing label (row {row + 1})")
        labels = raw.astype(str).str.strip().map(lambda label: self.label_mapping.get(label, label))
        if (labels == "").any():
            row = int(np.flatnonzero(labels == "")[0])
            raise DataError(f"{path}: column {self.label_column!r} has an empty label (row {row + 1})")
        counts = labels.value_counts()
        rare = set(counts[counts < self.min_class_count].index)
        keep = pd.Series(True, index=labels.index)
        if rare and self.rare_classes == "drop":
            keep = ~labels.isin(rare)
        elif rare:
            labels = labels.where(~labels.isin(rare), self.other_label)
        return labels, keep

    def _ordered_classes(self, names: list[str], path: Path) -> list[str]:
        if len(names) < 2:
            raise DataError(f"{path}: column {self.label_column!r} has {len(names)} class(es) after clean-up {names}; need at least two")
        if self.kind == "binary" and len(names) != 2:
            raise DataError(f"{path}: a binary task needs two classes; column {self.label_column!r} has {len(names)}: {names[:20]}")
        if self.positive_label is not None:
            if self.positive_label not in names or len(names) != 2:
                raise DataError(f"{path}: positive_label {self.positive_label!r} must be one of two classes; found {names[:20]}")
            names = [name for name in names if name != self.positive_label] + [self.positive_label]
        return names

    def _ids(self, frame: pd.DataFrame, path: Path) -> np.ndarray:
        if self.id_column is None:
            return np.array([f"row-{i:06d}" for i in range(len(frame))])
        ids = frame[self.id_column].astype(str).to_numpy()
        duplicated = pd.Series(ids).duplicated()
        if duplicated.any():
            raise DataError(f"{path}: column {self.id_column!r} repeats id {ids[int(np.flatnonzero(duplicated)[0])]!r}")
        return ids

    def _split_indices(self, frame: pd.DataFrame, targets: np.ndarray, path: Path) -> dict[str, np.ndarray]:
        if self.split_column is None:
            try:
                return stratified_split(targets, self.val_fraction, self.test_fraction, self.split_seed)
            except DataError as error:
                raise DataError(
                    f"{path}: column {self.label_column!r}: {error} (raise task.data.min_class_count to group "
                    "or drop rare classes, or give a split column)"
                ) from None
        values = frame[self.split_column].astype(str).str.strip().str.lower()
        unknown = sorted(set(values) - set(SPLIT_VALUES))
        if unknown:
            raise DataError(f"{path}: column {self.split_column!r} has value(s) {unknown[:5]}; use {sorted(SPLIT_VALUES)}")
        split_of = values.map(SPLIT_VALUES).to_numpy()
        indices = {name: np.flatnonzero(split_of == name) for name in SPLIT_NAMES}
        for name in ("train", "test"):
            if len(indices[name]) == 0:
                raise DataError(f"{path}: column {self.split_column!r} marks no row as {name}")
        return indices

    def info(self) -> DataInfo:
        self.setup()
        n_classes = len(self._class_names)
        binary = self.kind == "binary" or (self.kind is None and n_classes == 2)
        return DataInfo(
            network_kwargs={"num_outputs": 1 if binary else n_classes},
            class_names=self._class_names,
            source=self._source,
        )

    def to_dataset(self, split: Split) -> Dataset:
        return TextDataset(list(split.inputs), split.targets)


class TextDataset(Dataset):
    """(text, target) pairs; the default collate gives a list of texts and a tensor of targets."""

    def __init__(self, texts: list[str], targets: np.ndarray) -> None:
        self.texts, self.targets = texts, torch.as_tensor(targets)

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, index: int) -> tuple[str, torch.Tensor]:
        return self.texts[index], self.targets[index]
