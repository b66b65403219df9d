"""Shared fixtures: hermetic environment, composed configs pointed at a temporary folder."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# One thread per process (2-core machines; torch's default threads slow small ops 2-100x), and
# wandb strictly offline with every one of its folders inside the test's temporary space.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ["WANDB_MODE"] = "offline"
os.environ["WANDB_SILENT"] = "true"
os.environ["HYDRA_FULL_ERROR"] = "0"

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _hermetic_wandb(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    base = tmp_path_factory.getbasetemp() / "wandb"
    for name in ("WANDB_DIR", "WANDB_CACHE_DIR", "WANDB_CONFIG_DIR", "WANDB_DATA_DIR", "WANDB_ARTIFACT_DIR"):
        path = base / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(name, str(path))


@pytest.fixture
def compose_config(tmp_path: Path) -> Iterator[Callable[..., "object"]]:
    """`compose_config(*overrides)` → the composed config, writing under `tmp_path`, with tiny trainer limits."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from medbench.config.location import config_dir
    from medbench.config.schema import register_configs

    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):

        def compose_with(*overrides: str, fast: bool = True):
            base = [f"paths.root_dir={tmp_path}"] + (["debug=fast"] if fast else [])
            return compose(config_name="config", overrides=base + list(overrides))

        yield compose_with
    GlobalHydra.instance().clear()


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for `python -m medbench` subprocesses: records land under `tmp_path`."""
    env = dict(os.environ)
    env["MEDBENCH_ROOT"] = str(tmp_path)
    env["PYTHONPATH"] = str(REPO_ROOT)
    return env


@pytest.fixture
def default_run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder of a complete default run (debug=fast, seed=3) under `tmp_path`; MEDBENCH_ROOT points there."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from medbench.config.location import config_dir
    from medbench.engine.run import run
    from medbench.config.schema import register_configs

    monkeypatch.setenv("MEDBENCH_ROOT", str(tmp_path))
    register_configs()
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        cfg = compose(config_name="config", overrides=["debug=fast", "seed=3"])
    GlobalHydra.instance().clear()
    record = run(cfg, overrides=["debug=fast", "seed=3"])
    return record.path
