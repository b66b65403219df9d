"""Run identity: a content hash of everything that can change a run's results.

The same request twice gives the same run id, hence the same record folder: that is what makes
records reusable, sweeps resumable and reproduction addressable. Keys that cannot change results
(output paths, loggers, progress bars, thread and worker counts, `force`) are left out, so moving
the runs folder or turning wandb on does not make a new run.
"""

from __future__ import annotations

from typing import Any

from omegaconf import DictConfig, OmegaConf

from medbench.io import compact_bytes, sha256_hex

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
    """A stable hex id for the semantic content of `cfg` (seed included)."""
    return sha256_hex(compact_bytes(semantic_config(cfg), default=str))[:RUN_ID_LENGTH]


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
