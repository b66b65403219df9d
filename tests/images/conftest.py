"""Small MedMNIST-format files written per test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from medbench.data.generators.images import write_medmnist_npz


@pytest.fixture
def medmnist_file(tmp_path: Path) -> Callable[..., Path]:
    """`medmnist_file(kind=..., **params)` → a synthetic MedMNIST `.npz` under tmp_path."""

    def write(name: str = "synthetic.npz", **params) -> Path:
        path = tmp_path / name
        write_medmnist_npz(path, **{"sizes": (60, 20, 40), **params})
        return path

    return write


@pytest.fixture
def npz_with(tmp_path: Path, medmnist_file) -> Callable[..., Path]:
    """`npz_with(**replacements)` → a valid file with some arrays replaced or removed (value None)."""

    def write(**replacements) -> Path:
        arrays = dict(np.load(medmnist_file()))
        for key, value in replacements.items():
            if value is None:
                arrays.pop(key)
            else:
                arrays[key] = value
        path = tmp_path / "edited.npz"
        np.savez(path, **arrays)
        return path

    return write
