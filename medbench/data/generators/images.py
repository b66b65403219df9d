"""Synthetic images in the MedMNIST layout, with a learnable signal.

Each class (or label) owns a pattern: a bright Gaussian blob at its own place on a noisy,
randomly shifted background. Binary tasks: the positive class carries the blob; multi-class: each
class its own blob; multi-label: every present label adds its blob. Contrast and position jitter
keep the task learnable but not trivial.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from medbench.tasks.kind import Classes
from medbench.tasks.registry import classes_of, classification_kinds


def pattern_centres(n_patterns: int, size: int) -> list[tuple[float, float]]:
    """Centres of the class patterns, spread on a circle around the image centre."""
    radius = size * 0.28
    angles = 2 * np.pi * np.arange(n_patterns) / max(n_patterns, 1)
    return [(size / 2 + radius * np.sin(a), size / 2 + radius * np.cos(a)) for a in angles]


def _classes(kind: str) -> Classes:
    """The class layout of classification kind `kind` (images here are generated for classification only)."""
    classes = classes_of(kind)
    if classes is None:
        raise ValueError(f"kind must be one of {classification_kinds()}, not {kind!r}")
    return classes


def make_labels(kind: str, n: int, n_classes: int, rng: np.random.Generator) -> np.ndarray:
    """Labels in MedMNIST's shape: (n, 1) class indices, or (n, L) 0/1 for multi-label."""
    classes = _classes(kind)
    if not classes.exclusive:
        return (rng.random((n, n_classes)) < 0.4).astype(np.int64)
    return rng.integers(0, 2 if classes.single_score else n_classes, size=(n, 1))


def draw_images(labels: np.ndarray, kind: str, n_classes: int, size: int, channels: int, rng: np.random.Generator) -> np.ndarray:
    """uint8 images (n, size, size[, channels]) showing the patterns of `labels`."""
    n = len(labels)
    n_patterns = 1 if _classes(kind).single_score else n_classes
    centres = pattern_centres(n_patterns, size)
    rows, cols = np.mgrid[0:size, 0:size]
    images = rng.normal(80.0, 35.0, size=(n, size, size))
    for i, row in enumerate(labels):
        for k in _present_patterns(row, kind):
            cy, cx = np.asarray(centres[k]) + rng.normal(0, 1.5, size=2)
            width = size / 9 * rng.uniform(0.8, 1.2)
            images[i] += rng.uniform(15, 60) * np.exp(-((rows - cy) ** 2 + (cols - cx) ** 2) / (2 * width**2))
    images = np.clip(images, 0, 255).astype(np.uint8)
    if channels == 3:
        tint = rng.uniform(0.85, 1.0, size=(n, 1, 1, 3))
        images = (images[..., None] * tint).astype(np.uint8)
    return images


def _present_patterns(label_row: np.ndarray, kind: str) -> list[int]:
    classes = _classes(kind)
    if classes.single_score:
        return [0] if label_row[0] == 1 else []
    if classes.exclusive:
        return [int(label_row[0])]
    return [int(k) for k in np.flatnonzero(label_row)]


def write_medmnist_npz(
    path: Path,
    kind: str = "binary",
    n_classes: int = 2,
    sizes: tuple[int, int, int] = (400, 100, 200),
    size: int = 28,
    channels: int = 1,
    seed: int = 0,
) -> None:
    """Write a MedMNIST-format `.npz` (`{train,val,test}_{images,labels}`) to `path`."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in zip(("train", "val", "test"), sizes):
        labels = make_labels(kind, int(n), n_classes, rng)
        arrays[f"{split}_images"] = draw_images(labels, kind, n_classes, size, channels, rng)
        arrays[f"{split}_labels"] = labels.astype(np.uint8)
    with open(path, "wb") as handle:
        np.savez_compressed(handle, **arrays)


def write_image_folder(
    path: Path, class_names: tuple[str, ...] = ("normal", "opacity"), per_class: int = 60, size: int = 32, seed: int = 0
) -> None:
    """Write PNGs in the class-per-subfolder layout: `path/<class>/<class>-<i>.png`."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    kind = "binary" if len(class_names) == 2 else "multiclass"
    for index, name in enumerate(class_names):
        folder = Path(path) / name
        folder.mkdir(parents=True, exist_ok=True)
        labels = np.full((per_class, 1), index)
        for i, image in enumerate(draw_images(labels, kind, len(class_names), size, 1, rng)):
            Image.fromarray(image).save(folder / f"{name}-{i:04d}.png")
