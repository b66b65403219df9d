"""Launcher and search configs: composed against the plugins' schemas, SLURM rendered without a cluster."""

from __future__ import annotations

import warnings

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf


@pytest.fixture
def compose_hydra(tmp_path: Path):
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from medbench.config.location import config_dir
    from medbench.config.schema import register_configs
    from medbench.sweeps.slurm_launcher import register_schema

    register_configs()
    register_schema()
    warnings.filterwarnings("ignore", message=r"[\s\S]*is validated against ConfigStore schema with the same name")
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        yield lambda *overrides: compose(
            "config", overrides=[f"paths.root_dir={tmp_path}", *overrides], return_hydra_config=True
        )
    GlobalHydra.instance().clear()


@pytest.mark.parametrize(
    ("launcher", "int_key"), [("joblib", "n_jobs"), ("submitit_local", "timeout_min"), ("submitit_slurm", "timeout_min")]
)
def test_launchers_compose_against_the_plugin_schemas(compose_hydra, launcher: str, int_key: str) -> None:
    cfg = compose_hydra(f"hydra/launcher={launcher}")
    assert cfg.hydra.launcher._target_.startswith("hydra_plugins.")
    # The plugin's schema types our file: a wrong type or an unknown key is refused at composition.
    with pytest.raises(Exception, match=int_key):
        compose_hydra(f"hydra/launcher={launcher}", f"hydra.launcher.{int_key}=abc")
    with pytest.raises(Exception, match="not_a_parameter"):
        compose_hydra(f"hydra/launcher={launcher}", "hydra.launcher.not_a_parameter=1")


def test_slurm_config_renders_a_valid_sbatch_script(compose_hydra, tmp_path: Path, monkeypatch) -> None:
    """What medbench's SLURM launcher submits for the config, up to the sbatch file (no cluster needed)."""
    from hydra.utils import instantiate

    # submitit only checks that `srun` exists before it builds an executor; nothing is submitted.
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "srun").write_text("#!/bin/sh\nexit 1\n")
    (fake_bin / "srun").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_bin}:{os.environ['PATH']}")

    cfg = compose_hydra(
        "hydra/launcher=submitit_slurm", "hydra.launcher.partition=gpu", "hydra.launcher.gpus_per_node=4", "trainer=ddp"
    )
    launcher_cfg = OmegaConf.to_container(cfg.hydra.launcher, resolve=False)
    launcher_cfg.update(submitit_folder=str(tmp_path / "submitit" / "%j"), name="medbench-breast_cancer")
    launcher = instantiate(launcher_cfg)
    assert launcher.watch_settings.status_timeout_s == 300 and launcher.watch_settings.max_pending_min is None
    script = launcher._executor()._executor._make_submission_file_text("python -m medbench run", "uid")
    assert "#SBATCH --partition=gpu" in script
    assert "#SBATCH --gpus-per-node=4" in script
    assert "#SBATCH --cpus-per-task=1" in script and "#SBATCH --mem=4GB" in script
    assert "export OMP_NUM_THREADS=1" in script
    assert cfg.trainer.strategy == "ddp"


@pytest.mark.slow
def test_optuna_search_runs_trials_on_the_validation_metric(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "medbench", "run", "hparams_search=mlp_optuna", "debug=fast", "hydra.sweeper.n_trials=2"],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (sweep_dir,) = (tmp_path / "runs" / ".sweeps").iterdir()
    summary = json.loads((sweep_dir / "sweep_summary.json").read_text())
    assert [row["status"] for row in summary["rows"]] == ["complete", "complete"]
    best = OmegaConf.load(sweep_dir / "optimization_results.yaml")
    assert 0.5 < best.best_value <= 1.0 and "model.optimizer.lr" in best.best_params
