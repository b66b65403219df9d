"""Reports and clinical notes for text classification, from a user's CSV, JSONL or parquet file.

Files are read by :func:`medbench.data.tables.read_table` (separator and encoding sniffed, a
pandas index column dropped, errors naming the file and line). Columns are configurable (text,
label, optional id, optional split, optional metadata such as language or site). Rows with an
empty text or a missing label are refused, or dropped and counted (`incomplete_rows: drop`).
Labels are cleaned before anything else sees them: whitespace stripped, an optional mapping
applied (synonyms, spelling variants), and classes rarer than `min_class_count` grouped into
`other_label` or dropped. A multi-label task reads a list of labels per row: a JSON list
(`["cardio", "pneumo"]`) or labels joined by `label_separator` (`cardio|pneumo`). Without a split
column, the split is seeded and stratified.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from medbench.data.base import SPLIT_NAMES, DataInfo, MedbenchDataModule
from medbench.tasks.split import Split
from medbench.data.splits import check_seen_in_training, stratified_split
from medbench.errors import DataError
from medbench.tasks.registry import classes_of, score_count

log = logging.getLogger(__name__)

# Values of a split column and the split they mean.
SPLIT_VALUES = {"train": "train", "val": "val", "valid": "val", "validation": "val", "dev": "val", "test": "test"}
RARE_POLICIES = ("group", "drop")
INCOMPLETE_POLICIES = ("refuse", "drop")


class TextDataModule(MedbenchDataModule):
    """Texts and labels from `path` (or a generated bilingual notes file when `generated` is set).

    `kind` is the task kind (binary, multiclass or multilabel). With two classes, `positive_label`
    names the class that becomes 1 (by default the second in sorted order).
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
        label_separator: str = "|",
        incomplete_rows: str = "refuse",
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
        if incomplete_rows not in INCOMPLETE_POLICIES:
            raise DataError(f"task.data.incomplete_rows must be one of {INCOMPLETE_POLICIES}, not {incomplete_rows!r}")
        self.path, self.generated, self.cache_dir = path, generated, cache_dir
        self.text_column, self.label_column, self.id_column = text_column, label_column, id_column
        self.split_column, self.metadata_columns = split_column, list(metadata_columns)
        self.label_mapping = dict(label_mapping or {})
        self.min_class_count, self.rare_classes, self.other_label = min_class_count, rare_classes, other_label
        self.positive_label, self.label_separator, self.incomplete_rows = positive_label, label_separator, incomplete_rows
        self.val_fraction, self.test_fraction, self.split_seed = val_fraction, test_fraction, split_seed
        self.kind = str(getattr(kind, "value", kind)) if kind is not None else None
        self._class_names: list[str] = []
        self._source = ""

    @property
    def multilabel(self) -> bool:
        classes = classes_of(self.kind)
        return classes is not None and not classes.exclusive

    @property
    def single_score(self) -> bool:
        """Whether the declared kind scores one class of two (binary); False when the kind is left to the labels."""
        classes = classes_of(self.kind)
        return classes is not None and classes.single_score

    def _file(self) -> Path:
        if self.generated is None:
            return Path(str(self.path))
        from medbench.data.generators import generated_file
        from medbench.data.generators.text import write_notes

        params = dict(self.generated)
        suffix = "." + str(params.get("file_format", "csv"))
        return generated_file(self.cache_dir or ".", "clinical-notes", suffix, write_notes, params)

    def load_splits(self) -> dict[str, Split]:
        from medbench.data.tables import read_table

        path = self._file()
        frame = read_table(path, strings=True)
        self._check_columns(frame, path)
        frame = self._complete_rows(frame, path)
        if self.multilabel:
            targets, names = self._label_sets(frame[self.label_column], path)
            strata = targets
        else:
            labels, keep = self._clean_labels(frame[self.label_column], path)
            frame, labels = frame[keep].reset_index(drop=True), labels[keep].reset_index(drop=True)
            names = self._ordered_classes(sorted(set(labels)), path)
            targets = labels.map({name: index for index, name in enumerate(names)}).to_numpy(dtype=np.int64)
            strata = targets
        ids = self._ids(frame, path)
        indices = self._split_indices(frame, strata, path)
        where = f"{path}: column {self.label_column!r}"
        check_seen_in_training(
            targets[indices["train"]], targets[indices["test"]], where, names
        )
        self._class_names = names
        self._source = f"{path.name} ({len(frame)} texts, {'labels' if self.multilabel else 'classes'} {names})"
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

    def _complete_rows(self, frame: pd.DataFrame, path: Path) -> pd.DataFrame:
        """Rows with a text and a label; the others refused, or dropped and counted (`incomplete_rows`)."""
        texts, labels = frame[self.text_column], frame[self.label_column]
        empty_text = texts.map(lambda text: not isinstance(text, str) or not text.strip()).to_numpy(dtype=bool)
        missing = labels.isna().to_numpy(dtype=bool) if self.multilabel else labels.map(_blank).to_numpy(dtype=bool)
        for mask, what, column in ((empty_text, "an empty or missing text", self.text_column),
                                   (missing, "a missing or empty label", self.label_column)):
            if mask.any() and self.incomplete_rows == "refuse":
                raise DataError(
                    f"{path}: column {column!r} has {int(mask.sum())} row(s) with {what} (row {int(np.flatnonzero(mask)[0]) + 1}); "
                    "fill them, or set task.data.incomplete_rows=drop to drop them"
                )
        dropped = empty_text | missing
        if dropped.any():
            log.warning(
                "%s: dropped %d of %d rows (%d with an empty text, %d with a missing label; task.data.incomplete_rows=drop)",
                path, int(dropped.sum()), len(frame), int(empty_text.sum()), int(missing.sum()),
            )
        return frame[~dropped].reset_index(drop=True)

    def _clean_labels(self, raw: pd.Series, path: Path) -> tuple[pd.Series, pd.Series]:
        """Stripped, mapped labels and the mask of rows kept (rare classes dropped when so configured)."""
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

    def _label_sets(self, raw: pd.Series, path: Path) -> tuple[np.ndarray, list[str]]:
        """A (rows × labels) 0/1 matrix from cells holding a list of labels, and the sorted label names.

        Labels rarer than `min_class_count` are removed from every set (a multi-label row has no
        single `other` to fall into); a row may keep an empty set ("no finding").
        """
        sets = [self._label_set(cell, row, path) for row, cell in enumerate(raw)]
        counts = pd.Series([label for labels in sets for label in labels]).value_counts()
        names = sorted(str(label) for label in counts[counts >= max(self.min_class_count, 1)].index)
        if len(names) < 2:
            raise DataError(f"{path}: column {self.label_column!r} holds {len(names)} label(s) after clean-up {names}; need at least two")
        position = {name: k for k, name in enumerate(names)}
        targets = np.zeros((len(sets), len(names)), dtype=np.int64)
        for row, labels in enumerate(sets):
            for label in labels:
                if label in position:
                    targets[row, position[label]] = 1
        return targets, names

    def _label_set(self, cell: Any, row: int, path: Path) -> list[str]:
        if isinstance(cell, str):
            text = cell.strip()
            if text.startswith("["):
                import json

                try:
                    cell = json.loads(text)
                except json.JSONDecodeError as error:
                    raise DataError(f"{path}: column {self.label_column!r}, row {row + 1}: not a JSON list of labels ({error})") from None
            else:
                cell = text.split(self.label_separator) if text else []
        if not isinstance(cell, (list, tuple, np.ndarray)):
            raise DataError(
                f"{path}: column {self.label_column!r}, row {row + 1}: expected a list of labels "
                f"(a JSON list or labels joined by {self.label_separator!r}), found {cell!r}"
            )
        labels = [self.label_mapping.get(str(label).strip(), str(label).strip()) for label in cell]
        return sorted({label for label in labels if label})

    def _ordered_classes(self, names: list[str], path: Path) -> list[str]:
        if len(names) < 2:
            raise DataError(f"{path}: column {self.label_column!r} has {len(names)} class(es) after clean-up {names}; need at least two")
        if self.single_score and len(names) != 2:
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
                if self.multilabel:  # label combinations are often too rare to stratify on
                    log.info("%s: label sets too rare to stratify on; the split is seeded but not stratified", path)
                    return stratified_split(targets, self.val_fraction, self.test_fraction, self.split_seed, stratify=False)
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
        return DataInfo(
            network_kwargs={"num_outputs": score_count(self.kind, len(self._class_names))},
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


def _blank(label: Any) -> bool:
    """A missing single label: NaN/None, or only whitespace."""
    return label is None or (isinstance(label, float) and np.isnan(label)) or (isinstance(label, str) and not label.strip())
