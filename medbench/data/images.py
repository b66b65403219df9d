"""Images for diagnosis tasks: the shared array layout, and a class-per-subfolder loader (PNG, JPEG, DICOM).

Every image data module gives models float32 arrays `(n, channels, height, width)` scaled to
[-1, 1] (MedMNIST v2's `Normalize(mean=.5, std=.5)`), and labels in the task kind's layout:
class indices for binary and multi-class tasks, a 0/1 matrix for multi-label ones.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from medbench.data.base import SPLIT_NAMES, DataInfo, MedbenchDataModule
from medbench.tasks.split import Split
from medbench.data.splits import check_seen_in_training, stratified_split
from medbench.errors import DataError
from medbench.tasks.kind import Classes
from medbench.tasks.registry import classes_of, classification_kinds

PIXEL_SUFFIXES = (".png", ".jpg", ".jpeg")
DICOM_SUFFIXES = (".dcm", ".dicom")


@dataclass(frozen=True)
class ImageArrays:
    """One split as read from disk: ids, images (n, h, w) or (n, h, w, c), labels (n,) or (n, L)."""

    ids: np.ndarray
    images: np.ndarray
    labels: np.ndarray


def to_model_inputs(images: np.ndarray, max_value: float = 255.0) -> np.ndarray:
    """(n, h, w[, c]) pixels in [0, max_value] → float32 (n, c, h, w) in [-1, 1]."""
    array = np.asarray(images, dtype=np.float32) / max_value
    array = array[:, None] if array.ndim == 3 else np.moveaxis(array, -1, 1)
    return np.ascontiguousarray((array - 0.5) / 0.5)


def task_kind_of(labels: np.ndarray) -> str:
    """The task kind that labels in MedMNIST's layout imply."""
    if labels.ndim == 2 and labels.shape[1] > 1:
        return "multilabel"
    return "binary" if set(np.unique(labels).tolist()) <= {0, 1} else "multiclass"


def image_classes(kind: str, source: str) -> Classes:
    """The class layout of `kind`; images are classified, so a kind without one is refused."""
    classes = classes_of(kind)
    if classes is None:
        raise DataError(f"{source}: image tasks are {classification_kinds()}, not {kind!r}")
    return classes


def check_kind(labels: np.ndarray, kind: str, source: str) -> None:
    """Refuse labels that cannot be read as the task kind asks."""
    classes = image_classes(kind, source)
    values = set(np.unique(labels).tolist())
    if not classes.exclusive and not values <= {0, 1}:
        raise DataError(f"{source}: a {kind} task needs 0/1 labels; found values {sorted(values)[:10]}")
    if classes.exclusive and labels.ndim == 2 and labels.shape[1] > 1:
        raise DataError(f"{source}: labels have {labels.shape[1]} columns (multi-label), but the task kind is {kind}")
    if classes.single_score and not values <= {0, 1}:
        raise DataError(f"{source}: a {kind} task needs labels 0/1; found {sorted(values)[:10]} (use kind=multiclass)")


class ImageDataModule(MedbenchDataModule):
    """Base of image data modules: subclasses read :class:`ImageArrays` per split, this class checks and scales them."""

    def __init__(self, kind: Optional[Any] = None, batch_size: int = 64, num_workers: int = 0) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers)
        self.kind = str(getattr(kind, "value", kind)) if kind is not None else None
        self._class_names: list[str] = []
        self._source = ""
        self._num_outputs = 0
        # True/False once the data were compared with a known public release; None otherwise.
        self._official_release: Optional[bool] = None

    @abstractmethod
    def read_arrays(self) -> tuple[dict[str, ImageArrays], list[str], str]:
        """Return the three splits, the class (or label) names if known, and a description of the source."""

    def load_splits(self) -> dict[str, Split]:
        arrays, names, self._source = self.read_arrays()
        all_labels = np.concatenate([arrays[name].labels for name in SPLIT_NAMES])
        self.kind = self.kind or task_kind_of(all_labels)
        check_kind(all_labels, self.kind, self._source)
        targets = {name: self._targets(arrays[name].labels) for name in SPLIT_NAMES}
        check_seen_in_training(targets["train"], targets["test"], self._source)
        classes = image_classes(self.kind, self._source)
        count = max(int(all_labels.max()) + 1, len(names), 2) if classes.exclusive else all_labels.shape[1]
        self._class_names = names or [str(k) for k in range(count)]
        self._num_outputs = 1 if classes.single_score else count
        return {
            name: Split(ids=arrays[name].ids, inputs=to_model_inputs(arrays[name].images), targets=targets[name])
            for name in SPLIT_NAMES
        }

    def _targets(self, labels: np.ndarray) -> np.ndarray:
        if not image_classes(self.kind, self._source).exclusive:
            return labels.astype(np.int64)
        return labels.reshape(len(labels)).astype(np.int64)

    def info(self) -> DataInfo:
        self.setup()
        inputs = self.split("train").inputs
        return DataInfo(
            network_kwargs={"in_channels": int(inputs.shape[1]), "num_outputs": self._num_outputs},
            class_names=self._class_names,
            source=self._source,
            official_release=self._official_release,
        )


def read_image_file(path: Path, size: int, channels: int) -> np.ndarray:
    """One PNG, JPEG or DICOM file → uint8-range float array (size, size[, 3]), resized bilinearly."""
    from PIL import Image

    suffix = path.suffix.lower()
    try:
        if suffix in DICOM_SUFFIXES:
            image = Image.fromarray((read_dicom_pixels(path) * 255).astype(np.uint8))
        else:
            image = Image.open(path)
            image.load()
    except DataError:
        raise
    except Exception as error:
        raise DataError(f"{path}: cannot read this image: {error}") from None
    image = image.convert("L" if channels == 1 else "RGB").resize((size, size), Image.BILINEAR)
    return np.asarray(image, dtype=np.float32)


def read_dicom_pixels(path: Path) -> np.ndarray:
    """A 2D DICOM image as floats in [0, 1]: modality LUT (rescale) applied, min-max scaled, MONOCHROME1 inverted."""
    import pydicom
    from pydicom.pixels import apply_modality_lut

    try:
        dataset = pydicom.dcmread(path)
        pixels = apply_modality_lut(dataset.pixel_array, dataset).astype(np.float64)
    except Exception as error:
        raise DataError(f"{path}: cannot decode the DICOM pixel data: {error}") from None
    if pixels.ndim != 2:
        raise DataError(f"{path}: a {pixels.ndim}-D DICOM image (shape {pixels.shape}); only single 2D frames are supported")
    low, high = pixels.min(), pixels.max()
    scaled = (pixels - low) / (high - low) if high > low else np.zeros_like(pixels)
    if dataset.get("PhotometricInterpretation") == "MONOCHROME1":
        scaled = 1.0 - scaled
    return scaled


class ImageFolderDataModule(ImageDataModule):
    """`root/<class name>/<image>` with PNG, JPEG or DICOM files; a seeded stratified split.

    Classes are the subfolders in sorted order (with two classes, the second is the positive one,
    unless `class_names` orders them). `generated` makes a synthetic folder in `cache_dir` instead
    (for CI and first runs): keyword arguments of :func:`medbench.data.generators.images.write_image_folder`.
    """

    def __init__(
        self,
        root: Optional[str] = None,
        class_names: Optional[list[str]] = None,
        size: int = 28,
        channels: int = 1,
        val_fraction: float = 0.15,
        test_fraction: float = 0.25,
        split_seed: int = 0,
        generated: Optional[dict[str, Any]] = None,
        cache_dir: Optional[str] = None,
        kind: Optional[Any] = None,
        batch_size: int = 64,
        num_workers: int = 0,
    ) -> None:
        super().__init__(kind=kind, batch_size=batch_size, num_workers=num_workers)
        if (root is None) == (generated is None):
            raise DataError("ImageFolderDataModule: give exactly one of `root` (a folder) or `generated` (parameters)")
        if channels not in (1, 3):
            raise DataError(f"ImageFolderDataModule: channels must be 1 (grey) or 3 (RGB), not {channels}")
        self.root, self.class_names, self.size, self.channels = root, class_names, size, channels
        self.val_fraction, self.test_fraction, self.split_seed = val_fraction, test_fraction, split_seed
        self.generated, self.cache_dir = generated, cache_dir

    def _root(self) -> Path:
        if self.generated is None:
            return Path(str(self.root))
        from medbench.data.generators import generated_file
        from medbench.data.generators.images import write_image_folder

        return generated_file(self.cache_dir or ".", "image-folder", "", write_image_folder, dict(self.generated))

    def read_arrays(self) -> tuple[dict[str, ImageArrays], list[str], str]:
        root = self._root()
        if not root.is_dir():
            raise DataError(f"{root}: no such image folder")
        names = list(self.class_names) if self.class_names else sorted(p.name for p in root.iterdir() if p.is_dir())
        files, labels = [], []
        for index, name in enumerate(names):
            folder = root / name
            if not folder.is_dir():
                raise DataError(f"{root}: class folder {name!r} is missing")
            found = sorted(p for p in folder.iterdir() if p.suffix.lower() in PIXEL_SUFFIXES + DICOM_SUFFIXES)
            if not found:
                raise DataError(f"{folder}: no PNG, JPEG or DICOM files in this class folder")
            files += found
            labels += [index] * len(found)
        if len(names) < 2:
            raise DataError(f"{root}: found {len(names)} class folder(s); a classification task needs at least two")
        images = np.stack([read_image_file(path, self.size, self.channels) for path in files])
        ids = np.array([str(path.relative_to(root)) for path in files])
        label_array = np.asarray(labels, dtype=np.int64)
        indices = stratified_split(label_array, self.val_fraction, self.test_fraction, self.split_seed)
        arrays = {name: ImageArrays(ids[idx], images[idx], label_array[idx]) for name, idx in indices.items()}
        return arrays, names, f"image folder {root} ({len(files)} files, classes {names})"
