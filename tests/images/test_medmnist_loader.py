"""The MedMNIST `.npz` loader on good files of each kind and on malformed ones."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import medbench.data.medmnist as medmnist_module
from medbench.data.medmnist import MedMNISTDataModule, NonOfficialSplitWarning, OfficialRelease, official_releases
from medbench.errors import DataError
from medbench.io import file_digest


def loaded(path, **kwargs) -> MedMNISTDataModule:
    module = MedMNISTDataModule(path=str(path), **kwargs)
    module.setup()
    return module


@pytest.mark.parametrize(
    "params, kind, outputs, channels",
    [
        ({"kind": "binary"}, "binary", 1, 1),
        ({"kind": "multiclass", "n_classes": 4, "channels": 3}, "multiclass", 4, 3),
        ({"kind": "multilabel", "n_classes": 3}, "multilabel", 3, 1),
    ],
)
def test_each_kind_is_read_from_the_labels(medmnist_file, params, kind, outputs, channels) -> None:
    module = loaded(medmnist_file(**params))
    assert module.kind == kind
    assert module.info().network_kwargs == {"in_channels": channels, "num_outputs": outputs}
    train = module.split("train")
    assert train.inputs.shape == (60, channels, 28, 28) and train.inputs.dtype == np.float32
    assert -1.0 <= train.inputs.min() and train.inputs.max() <= 1.0
    assert train.targets.shape == ((60, 3) if kind == "multilabel" else (60,))
    assert [len(module.split(name)) for name in ("train", "val", "test")] == [60, 20, 40]
    assert module.split("test").ids[0] == "test-000000"


def test_the_configured_kind_wins_when_labels_allow_it(medmnist_file) -> None:
    module = loaded(medmnist_file(kind="binary"), kind="multiclass")
    assert module.kind == "multiclass" and module.info().network_kwargs["num_outputs"] == 2


def test_binary_kind_refuses_three_classes(medmnist_file) -> None:
    with pytest.raises(DataError, match="binary task needs labels 0/1"):
        loaded(medmnist_file(kind="multiclass", n_classes=3), kind="binary")


def test_generated_files_are_deterministic_and_cached(tmp_path) -> None:
    params = {"kind": "binary", "sizes": [30, 10, 20], "seed": 3}
    first = MedMNISTDataModule(generated=params, cache_dir=str(tmp_path))
    second = MedMNISTDataModule(generated=params, cache_dir=str(tmp_path / "elsewhere"))
    assert first.fingerprint() == second.fingerprint()
    assert len(list((tmp_path / "generated").glob("medmnist-*.npz"))) == 1


@pytest.mark.parametrize(
    "replacements, message",
    [
        ({"val_labels": None}, r"missing key\(s\) \['val_labels'\]"),
        ({"train_labels": np.zeros((5, 1), dtype=np.uint8)}, r"train_labels has shape \(5, 1\) for 60 images"),
        ({"test_images": np.zeros((0, 28, 28), np.uint8), "test_labels": np.zeros((0, 1), np.uint8)}, "the test split is empty"),
        ({"train_images": np.zeros((60, 28), np.uint8)}, r"train_images has shape \(60, 28\)"),
        ({"val_images": np.zeros((20, 32, 32), np.uint8)}, "disagree on image shape"),
        ({"test_labels": np.full((40, 1), 2, np.uint8)}, r"test classes \[2\] never occur in the training split"),
        ({"train_labels": np.full((60, 1), -1)}, "negative values"),
    ],
)
def test_malformed_files_name_the_file_and_the_problem(npz_with, replacements, message) -> None:
    path = npz_with(**replacements)
    with pytest.raises(DataError, match=message) as error:
        loaded(path)
    assert str(path) in str(error.value)


def test_unseen_multilabel_label_is_refused(npz_with) -> None:
    rng = np.random.default_rng(0)
    train = (rng.random((60, 3)) < 0.5).astype(np.uint8)
    train[:, 2] = 0
    path = npz_with(train_labels=train, val_labels=np.ones((20, 3), np.uint8), test_labels=np.ones((40, 3), np.uint8))
    with pytest.raises(DataError, match=r"test labels \[2\] never occur"):
        loaded(path)


def test_missing_and_unreadable_files(tmp_path) -> None:
    with pytest.raises(DataError, match="no such file"):
        loaded(tmp_path / "absent.npz")
    broken = tmp_path / "broken.npz"
    broken.write_text("not an archive")
    with pytest.raises(DataError, match="not a readable .npz"):
        loaded(broken)


def test_the_shipped_table_holds_the_twelve_official_2d_files() -> None:
    releases = official_releases()
    assert len(releases) == 12
    pneumonia = releases["pneumoniamnist"]
    assert pneumonia.md5 == "28209eda62fecd6e6a2d98b1501bb15f"
    assert pneumonia.n_samples == {"train": 4708, "val": 524, "test": 624}
    assert pneumonia.label_names == ("normal", "pneumonia")
    assert len(releases["chestmnist"].label_names) == 14 and releases["breastmnist"].label_names[1] == "normal, benign"


def test_official_release_is_recognised_without_the_medmnist_package(medmnist_file, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "medmnist", None)  # import fails as when it is not installed
    path = medmnist_file("pneumoniamnist.npz")
    official = OfficialRelease("pneumoniamnist", file_digest(path, "md5"), {"train": 60, "val": 20, "test": 40}, "binary-class", ("normal", "pneumonia"))
    monkeypatch.setattr(medmnist_module, "official_releases", lambda: {"pneumoniamnist": official})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        module = loaded(path)
    info = module.info()
    assert "the official pneumoniamnist release" in info.source
    assert info.class_names == ["normal", "pneumonia"] and info.official_release is True


def test_non_official_split_is_flagged_without_the_medmnist_package(medmnist_file, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "medmnist", None)
    path = medmnist_file("pneumoniamnist.npz")
    with pytest.warns(NonOfficialSplitWarning, match="not comparable with published") as caught:
        module = loaded(path)
    message = str(caught[0].message)
    assert "train has 60 samples, officially 4708" in message and "MD5" in message
    info = module.info()
    assert "NOT the official pneumoniamnist release" in info.source and info.official_release is False


def test_an_unknown_flag_is_said_and_left_unchecked(medmnist_file) -> None:
    with pytest.warns(NonOfficialSplitWarning, match="set task.data.flag"):
        module = loaded(medmnist_file("my_xrays.npz"), flag="pneumonimnist")
    assert module.info().official_release is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert loaded(medmnist_file("my_xrays.npz")).info().official_release is None


def test_generated_data_are_not_compared(medmnist_file, tmp_path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        module = MedMNISTDataModule(generated={"sizes": [30, 10, 20]}, cache_dir=str(tmp_path))
        module.setup()
    assert module.info().official_release is None


@pytest.mark.slow
def test_a_run_on_a_non_official_file_says_so_in_manifest_and_description(compose_config, medmnist_file) -> None:
    from medbench.records.record import read_record
    from medbench.engine.run import run

    path = medmnist_file("pneumoniamnist.npz")
    with pytest.warns(NonOfficialSplitWarning):
        record = read_record(run(compose_config("experiment=images_small_cnn", "task=pneumoniamnist", f"task.data.path={path}")).path)
    assert record.complete and record.manifest.dataset.official_release is False
    assert "non-official split" in record.config().task.description
