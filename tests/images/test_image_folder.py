"""The class-per-subfolder loader on PNG and DICOM files (pydicom's own test files), good and bad."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from medbench.data.generators.images import write_image_folder
from medbench.data.images import ImageFolderDataModule, read_dicom_pixels, read_image_file
from medbench.errors import DataError

DICOM_FILES = ("CT_small.dcm", "MR_small.dcm")  # uncompressed: decoded without pixel-handler plugins


def dicom_test_file(name: str) -> Path:
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name, download=False)
    if path is None:
        pytest.skip(f"pydicom does not ship {name} in this installation")
    return Path(path)


def test_dicom_pixels_are_scaled_floats() -> None:
    pixels = read_dicom_pixels(dicom_test_file("CT_small.dcm"))
    assert pixels.shape == (128, 128) and pixels.dtype == np.float64
    assert pixels.min() == 0.0 and pixels.max() == 1.0


def test_dicom_is_resized_like_any_image() -> None:
    image = read_image_file(dicom_test_file("MR_small.dcm"), size=28, channels=1)
    assert image.shape == (28, 28) and 0 <= image.min() and image.max() <= 255


def test_dicom_without_pixels_is_refused() -> None:
    with pytest.raises(DataError, match="rtplan.dcm: cannot decode the DICOM pixel data"):
        read_dicom_pixels(dicom_test_file("rtplan.dcm"))


def test_png_folder_gives_a_stratified_binary_task(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "images", class_names=("normal", "opacity"), per_class=20, size=32)
    module = ImageFolderDataModule(root=str(tmp_path / "images"), size=28, val_fraction=0.2, test_fraction=0.3)
    module.setup()
    assert module.kind == "binary"
    assert module.info().class_names == ["normal", "opacity"]
    assert module.info().network_kwargs == {"in_channels": 1, "num_outputs": 1}
    test = module.split("test")
    assert test.inputs.shape[1:] == (1, 28, 28) and sorted(np.bincount(test.targets)) == [6, 6]
    assert all(sample_id.startswith(("normal/", "opacity/")) for sample_id in test.ids)


def test_mixed_png_and_dicom_folder_in_rgb(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "images", class_names=("ct", "mr", "other"), per_class=6, size=16)
    for index in range(6):
        for name in DICOM_FILES:
            shutil.copy(dicom_test_file(name), tmp_path / "images" / name[:2].lower() / f"{index}-{name}")
    module = ImageFolderDataModule(root=str(tmp_path / "images"), channels=3, val_fraction=0.2, test_fraction=0.3)
    module.setup()
    assert module.kind == "multiclass"
    assert module.info().network_kwargs == {"in_channels": 3, "num_outputs": 3}
    assert sum(len(module.split(name)) for name in ("train", "val", "test")) == 6 * 3 + 12


@pytest.mark.parametrize(
    "layout, message",
    [
        ({"a": ["x.png"]}, "a classification task needs at least two"),
        ({"a": ["x.png"], "b": []}, "no PNG, JPEG or DICOM files in this class folder"),
        ({"a": ["x.png", "y.png"], "b": ["broken.png", "z.png"]}, "broken.png: cannot read this image"),
    ],
)
def test_bad_folders_are_refused(tmp_path: Path, layout: dict, message: str) -> None:
    from PIL import Image

    for class_name, files in layout.items():
        (tmp_path / class_name).mkdir()
        for file_name in files:
            if file_name.startswith("broken"):
                (tmp_path / class_name / file_name).write_bytes(b"not a png")
            else:
                Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / class_name / file_name)
    with pytest.raises(DataError, match=message):
        ImageFolderDataModule(root=str(tmp_path)).setup()


def test_missing_root_and_ambiguous_source(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such image folder"):
        ImageFolderDataModule(root=str(tmp_path / "absent")).setup()
    with pytest.raises(DataError, match="exactly one of `root`"):
        ImageFolderDataModule(root=str(tmp_path), generated={"per_class": 2})
