"""Seeded, stratified train/val/test splits.

The split belongs to the task (its `split_seed`), not to the run: every seed of every model is
tested on the same samples, which is what makes their numbers comparable.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from medbench.errors import DataError


def stratified_split(
    targets: np.ndarray, val_fraction: float, test_fraction: float, seed: int, stratify: bool = True
) -> dict[str, np.ndarray]:
    """Indices of train, val and test; each split keeps the class proportions of `targets`."""
    from sklearn.model_selection import train_test_split

    if not 0 < test_fraction < 1 or not 0 <= val_fraction < 1 or val_fraction + test_fraction >= 1:
        raise DataError(
            f"split fractions val={val_fraction}, test={test_fraction} must be in [0, 1) with val + test < 1"
        )
    indices = np.arange(len(targets))
    labels = _stratum(targets) if stratify else None
    try:
        rest, test = train_test_split(indices, test_size=test_fraction, random_state=seed, stratify=labels)
        if val_fraction == 0:
            return {"train": np.sort(rest), "val": np.array([], dtype=int), "test": np.sort(test)}
        rest_labels = labels[rest] if labels is not None else None
        train, val = train_test_split(
            rest, test_size=val_fraction / (1 - test_fraction), random_state=seed, stratify=rest_labels
        )
    except ValueError as error:
        raise DataError(f"cannot make a stratified split: {error}") from None
    return {"train": np.sort(train), "val": np.sort(val), "test": np.sort(test)}


def _stratum(targets: np.ndarray) -> np.ndarray:
    """One label per sample to stratify on: the class, or the label set for multi-label rows."""
    if targets.ndim == 1:
        return targets
    return np.array(["".join(map(str, row.astype(int))) for row in targets])


def check_seen_in_training(train: np.ndarray, test: np.ndarray, source: str, names: Sequence[str] = ()) -> None:
    """A class (or label) present in the test split must have been seen in training; `names` name the indices.

    Targets are class indices (n,), or a 0/1 matrix (n, labels) for multi-label tasks.
    """
    if train.ndim == 2:
        unseen = np.flatnonzero((test.sum(axis=0) > 0) & (train.sum(axis=0) == 0)).tolist()
        what = "labels"
    else:
        unseen = sorted(set(test.tolist()) - set(train.tolist()))
        what = "classes"
    if unseen:
        unseen = [names[k] for k in unseen] if names else unseen
        raise DataError(f"{source}: test {what} {unseen} never occur in the training split; the model cannot learn them")


def standardized_on(rows: np.ndarray, features: np.ndarray) -> np.ndarray:
    """`features` centred and scaled by the mean and standard deviation of the training `rows` only,
    so that nothing of the validation or test samples leaks into the inputs; constant columns are
    left unscaled."""
    train = features[rows]
    mean, std = train.mean(axis=0), train.std(axis=0)
    return (features - mean) / np.where(std > 0, std, 1.0)
