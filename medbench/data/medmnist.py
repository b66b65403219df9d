"""MedMNIST `.npz` files: any 2D MedMNIST data set (grey or RGB; binary, multi-class or multi-label).

A file holds `{train,val,test}_{images,labels}`: images `(n, h, w)` or `(n, h, w, 3)` in uint8,
labels `(n, 1)` class indices or `(n, L)` 0/1. The official splits are part of the benchmark: the
file's MD5 and split sizes are compared with the official release (`medmnist_official.csv`, a
table of the 2D 28×28 files transcribed from medmnist's INFO; the `medmnist` package itself is not
needed), and a file that differs is flagged: a warning on the terminal, `official_release: false`
in the record's dataset section and "non-official split" in its task description, because its
numbers are not comparable with published ones.
"""

from __future__ import annotations

import csv
import logging
import warnings
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Optional

import numpy as np

from medbench.data.base import SPLIT_NAMES
from medbench.data.images import ImageArrays, ImageDataModule
from medbench.errors import DataError
from medbench.io import file_digest

log = logging.getLogger(__name__)


OFFICIAL_TABLE = "medmnist_official.csv"


class NonOfficialSplitWarning(UserWarning):
    """The file is not the official MedMNIST release: published numbers do not apply to it."""


@dataclass(frozen=True)
class OfficialRelease:
    """One official MedMNIST file: its MD5, split sizes and class names."""

    flag: str
    md5: str
    n_samples: dict[str, int]
    task: str
    label_names: tuple[str, ...]


class MedMNISTDataModule(ImageDataModule):
    """Loads a MedMNIST `.npz` from `path`, or generates a synthetic one in `cache_dir`.

    `flag` is the MedMNIST name (`pneumoniamnist`, `chestmnist`...), by default the file's stem;
    it selects the official INFO to compare with. `generated` holds keyword arguments of
    :func:`medbench.data.generators.images.write_medmnist_npz` (for CI and first runs).
    """

    def __init__(
        self,
        path: Optional[str] = None,
        flag: Optional[str] = None,
        generated: Optional[dict[str, Any]] = None,
        cache_dir: Optional[str] = None,
        kind: Optional[Any] = None,
        batch_size: int = 128,
        num_workers: int = 0,
    ) -> None:
        super().__init__(kind=kind, batch_size=batch_size, num_workers=num_workers)
        if (path is None) == (generated is None):
            raise DataError("MedMNISTDataModule: give exactly one of `path` (an .npz file) or `generated` (parameters)")
        self.path, self.flag, self.generated, self.cache_dir = path, flag, generated, cache_dir

    def _file(self) -> Path:
        if self.generated is None:
            return Path(str(self.path))
        from medbench.data.generators import generated_file
        from medbench.data.generators.images import write_medmnist_npz

        return generated_file(self.cache_dir or ".", "medmnist", ".npz", write_medmnist_npz, dict(self.generated))

    def read_arrays(self) -> tuple[dict[str, ImageArrays], list[str], str]:
        path = self._file()
        arrays = read_medmnist_npz(path)
        source = f"MedMNIST file {path} (md5 {file_digest(path, 'md5')})"
        names: list[str] = []
        if self.generated is None:
            official = official_info(self.flag) if self.flag else official_releases().get(path.stem.lower())
            if official is not None:
                names = list(official.label_names)
                verdict, self._official_release = compare_with_official(path, arrays, official)
                source += " — " + verdict
        else:
            source = f"synthetic MedMNIST-format data {self.generated}"
        return arrays, names, source


def read_medmnist_npz(path: Path) -> dict[str, ImageArrays]:
    """The three splits of a MedMNIST `.npz`; DataError naming the file and key on anything malformed."""
    if not path.is_file():
        raise DataError(f"{path}: no such file (a MedMNIST .npz with {{train,val,test}}_{{images,labels}})")
    try:
        with np.load(path, allow_pickle=False) as archive:  # closed here: no file left open for the collector
            data = {key: archive[key] for key in archive.files}
    except Exception as error:
        raise DataError(f"{path}: not a readable .npz file: {error}") from None
    expected = [f"{split}_{part}" for split in SPLIT_NAMES for part in ("images", "labels")]
    missing = [key for key in expected if key not in data]
    if missing:
        raise DataError(f"{path}: missing key(s) {missing}; a MedMNIST file has {expected} (found {sorted(data)})")
    splits = {}
    channel_shapes = set()
    for split in SPLIT_NAMES:
        images, labels = data[f"{split}_images"], data[f"{split}_labels"]
        if len(images) == 0 and split != "val":
            raise DataError(f"{path}: the {split} split is empty ({split}_images has 0 images)")
        if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] not in (1, 3)):
            raise DataError(f"{path}: {split}_images has shape {images.shape}; expected (n, h, w) or (n, h, w, 3)")
        if labels.ndim == 1:
            labels = labels[:, None]
        if labels.ndim != 2 or len(labels) != len(images):
            raise DataError(
                f"{path}: {split}_labels has shape {labels.shape} for {len(images)} images; expected ({len(images)}, L)"
            )
        if not np.issubdtype(labels.dtype, np.integer) and not np.array_equal(labels, np.round(labels)):
            raise DataError(f"{path}: {split}_labels holds non-integer values")
        if (labels < 0).any():
            raise DataError(f"{path}: {split}_labels holds negative values")
        if images.ndim == 4 and images.shape[-1] == 1:
            images = images[..., 0]
        channel_shapes.add((images.shape[1:], labels.shape[1]))
        ids = np.array([f"{split}-{i:06d}" for i in range(len(images))])
        splits[split] = ImageArrays(ids, images, labels.astype(np.int64))
    if len(channel_shapes) > 1:
        raise DataError(f"{path}: the splits disagree on image shape or label columns: {sorted(channel_shapes)}")
    return splits


@lru_cache(maxsize=1)
def official_releases() -> dict[str, OfficialRelease]:
    """The shipped table of official 2D MedMNIST files, by flag."""
    text = resources.files("medbench.data").joinpath(OFFICIAL_TABLE).read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {
        row["flag"]: OfficialRelease(
            flag=row["flag"],
            md5=row["md5"],
            n_samples={split: int(row[split]) for split in SPLIT_NAMES},
            task=row["task"],
            label_names=tuple(row["labels"].split("|")),
        )
        for row in rows
    }


def official_info(flag: str) -> Optional[OfficialRelease]:
    """The official release named `flag` (a task's `flag`); None, with a warning, for a name medbench does not know.

    Without a configured flag the file's stem is looked up silently: a file of the user's own
    in MedMNIST format is no public benchmark to compare with.
    """
    releases = official_releases()
    if flag not in releases:
        warnings.warn(
            f"{flag!r} is not one of the official 2D MedMNIST files at 28×28 ({', '.join(sorted(releases))}); "
            "set task.data.flag to check the file against the official release",
            NonOfficialSplitWarning,
            stacklevel=2,
        )
        return None
    return releases[flag]


def compare_with_official(path: Path, arrays: dict[str, ImageArrays], official: OfficialRelease) -> tuple[str, bool]:
    """Compare MD5 and split sizes with the official release; warn when they differ.

    Returns a verdict for the record's source and whether the file is the official one.
    """
    differences = []
    md5 = file_digest(path, "md5")
    if md5 != official.md5:
        differences.append(f"MD5 {md5} is not the official {official.md5}")
    for split in SPLIT_NAMES:
        if official.n_samples[split] != len(arrays[split].ids):
            differences.append(f"{split} has {len(arrays[split].ids)} samples, officially {official.n_samples[split]}")
    if not differences:
        return f"the official {official.flag} release", True
    verdict = (
        f"NOT the official {official.flag} release ({'; '.join(differences)}): "
        "numbers on it are not comparable with published MedMNIST results"
    )
    warnings.warn(f"{path}: {verdict}", NonOfficialSplitWarning, stacklevel=2)
    return verdict, False
