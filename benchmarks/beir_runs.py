"""Shared by the retrieval benchmarks: unpack a BEIR zip, run medbench on it, read a record's numbers.

Each retriever is run through `medbench run` (`run(cfg)` on the composed config), so its record is
the one a user would get and `medbench compare` works on it.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any


def beir_folder(path: Path, scratch: Path) -> Path:
    """The folder holding corpus.jsonl: `path` itself, or where the zip unpacks it (once) under `scratch`."""
    if path.is_dir():
        return path
    existing = sorted(scratch.rglob("corpus.jsonl"))
    if not existing:
        with zipfile.ZipFile(path) as archive:
            archive.extractall(scratch)
        existing = sorted(scratch.rglob("corpus.jsonl"))
    return existing[0].parent


def run_retriever(name: str, folder: Path, root: Path, overrides: list[str], threads: int = 2) -> Any:
    """The record of `medbench run task=beir task.name=NAME task.data.folder=FOLDER` plus `overrides`."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from medbench.app import config_dir
    from medbench.run import run
    from medbench.schema import register_configs

    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose(
            config_name="config",
            overrides=[
                f"paths.root_dir={root}",
                "task=beir",
                f"task.name={name}",
                f"task.data.folder={folder}",
                "print_config=false",
                f"num_threads={threads}",
                *overrides,
            ],
        )
    return run(cfg)


def primary(record: Any) -> tuple[float, float, float]:
    """nDCG@10 of a record and its confidence interval (bootstrap over queries)."""
    value = record.metrics().values["ndcg@10"]
    return value.value, value.ci.low, value.ci.high
