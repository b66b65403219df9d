"""Run identity: a content hash of everything that can change a run's results.

The same request twice gives the same run id, hence the same record folder: that is what makes
records reusable, sweeps resumable and reproduction addressable. Keys that cannot change results
(output paths, loggers, progress bars, thread and worker counts, `force`) are left out, so moving
the runs folder or turning wandb on does not make a new run.

The user's data file (or folder) counts by what it holds, not where it lies: the run id hashes
its bytes in place of its path, so a partner's copy elsewhere (`reproduce --data-root`) or a
moved file keeps the run id, and an edited file gets a new one. Records made before hashed the
path; `legacy_run_id_of` still computes their ids, so they are found, reused and reproduced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from medbench.io import compact_bytes, sha256_file, sha256_hex

RUN_ID_LENGTH = 16

# Dotted keys removed before hashing. A trailing `*` matches any key under a node.
NON_SEMANTIC_KEYS: tuple[str, ...] = (
    "paths",
    "objective",
    "safety",
    "logger",
    "hydra",
    "force",
    "num_threads",
    "print_config",
    "name",
    "tags",
    "callbacks.progress_bar",
    "callbacks.rich_model_summary",
    "trainer.enable_progress_bar",
    "trainer.enable_model_summary",
    "trainer.log_every_n_steps",
    "trainer.default_root_dir",
    "task.description",
    "task.data.num_workers",
    "task.data.cache_dir",
    "task.data.persistent_workers",
    # Where cached document embeddings live; their key already names the corpus and the encoder.
    "model.cache_dir",
)
# Keys naming the user's data file or folder: hashed by content in the run id.
DATA_LOCATION_KEYS: tuple[str, ...] = ("task.data.path", "task.data.root", "task.data.folder")
# Keys left out wherever they occur: a cache folder (of embeddings, of an unpacked packaged model,
# at any depth of a composed model such as a hybrid's components) never changes results.
NON_SEMANTIC_NAMES: tuple[str, ...] = ("cache_dir",)


def semantic_config(cfg: DictConfig) -> dict[str, Any]:
    """The resolved config with the non-semantic keys removed, as plain Python data."""
    data = OmegaConf.to_container(cfg, resolve=True, enum_to_str=True)
    assert isinstance(data, dict)
    for dotted in NON_SEMANTIC_KEYS:
        _drop(data, dotted.split("."))
    _drop_names(data)
    return data


def run_id_of(cfg: DictConfig) -> str:
    """A stable hex id for the semantic content of `cfg` (seed included), its data file by content."""
    data = semantic_config(cfg)
    for dotted in DATA_LOCATION_KEYS:
        _replace(data, dotted.split("."), _content_of)
    return sha256_hex(compact_bytes(data, default=str))[:RUN_ID_LENGTH]


def legacy_run_id_of(cfg: DictConfig) -> str:
    """The id records made before content hashing have: the same, with the data's path as typed."""
    return sha256_hex(compact_bytes(semantic_config(cfg), default=str))[:RUN_ID_LENGTH]


def _content_of(location: Any) -> Any:
    """`{"content_sha256": ...}` of an existing data file or folder; anything else as it is (the run will say what is wrong)."""
    if not isinstance(location, str) or not location:
        return location
    path = Path(location).expanduser()
    if path.is_file():
        return {"content_sha256": _file_hash(str(path.resolve()), *_stamp(path))}
    if path.is_dir():
        files = sorted(file for file in path.rglob("*") if file.is_file())
        listing = [(file.relative_to(path).as_posix(), _file_hash(str(file.resolve()), *_stamp(file))) for file in files]
        return {"content_sha256": sha256_hex(compact_bytes(listing))}
    return location


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


# A run computes its id more than once (run, sweep bookkeeping, reproduce): each file is read once
# per process while its size and modification time stay the same.
_HASHES: dict[tuple[str, int, int], str] = {}


def _file_hash(path: str, size: int, mtime_ns: int) -> str:
    key = (path, size, mtime_ns)
    if key not in _HASHES:
        _HASHES[key] = sha256_file(Path(path))
    return _HASHES[key]


def _replace(node: Any, path: list[str], change: Any) -> None:
    for key in path[:-1]:
        if not isinstance(node, dict) or key not in node:
            return
        node = node[key]
    if isinstance(node, dict) and path[-1] in node:
        node[path[-1]] = change(node[path[-1]])


def _drop(node: Any, path: list[str]) -> None:
    for key in path[:-1]:
        if not isinstance(node, dict) or key not in node:
            return
        node = node[key]
    if isinstance(node, dict):
        node.pop(path[-1], None)


def _drop_names(node: Any) -> None:
    if isinstance(node, dict):
        for name in NON_SEMANTIC_NAMES:
            node.pop(name, None)
        for value in node.values():
            _drop_names(value)
    elif isinstance(node, list):
        for value in node:
            _drop_names(value)
