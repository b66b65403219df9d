"""`reproduce` on a bundle that asks for too much: refused before anything is built, run or spawned.

The bundle is a real export of a default run; each attack edits its `config.yaml` as a partner
could. A spy on `subprocess.Popen` and on the engine's `run` shows that nothing started."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from omegaconf import OmegaConf

from medbench.cli import main
from medbench.config.safety import SafetyError
from medbench.reproduce.rebuild import limit_processes
from tests.security.test_bundle_limits import BILLION_LAUGHS

LOCAL = OmegaConf.create({"trainer": {"devices": 1}, "task": {"data": {"num_workers": 0}}})


def test_devices_beyond_the_receivers_own_are_refused() -> None:
    trainer = {"_target_": "pytorch_lightning.Trainer", "devices": 3, "strategy": "ddp"}
    with pytest.raises(SafetyError, match=r"trainer.devices=3 starts more processes .*\(trainer.devices=1\)"):
        limit_processes({"trainer": trainer}, LOCAL, "bundle")
    limit_processes({"trainer": trainer}, OmegaConf.create({"trainer": {"devices": 4}}), "bundle")


def test_a_trainer_without_devices_or_with_more_nodes_is_refused() -> None:
    with pytest.raises(SafetyError, match="trainer.devices is missing"):
        limit_processes({"trainer": {"_target_": "pytorch_lightning.Trainer"}}, LOCAL, "bundle")
    with pytest.raises(SafetyError, match="trainer.num_nodes=2"):
        limit_processes({"trainer": {"_target_": "pytorch_lightning.Trainer", "devices": 1, "num_nodes": 2}}, LOCAL, "bundle")


def test_data_workers_are_capped_at_the_receivers_own() -> None:
    config = {"trainer": {"_target_": "pytorch_lightning.Trainer", "devices": 1}, "task": {"data": {"num_workers": 8}}}
    limit_processes(config, LOCAL, "bundle")
    assert config["task"]["data"]["num_workers"] == 0


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle folder exported from a default run (debug=fast)."""
    root = tmp_path_factory.mktemp("origin")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MEDBENCH_ROOT", str(root))
        assert main(["run", "debug=fast", "seed=3"]) == 0
        (run_dir,) = [p.parent for p in (root / "runs").rglob("manifest.json")]
        assert main(["export", str(run_dir), "-o", str(root / "bundle")]) == 0
    return root / "bundle"


def _set(config: dict, path: str, value) -> None:
    *parents, key = path.split(".")
    for part in parents:
        config = config.setdefault(part, {})
    config[key] = value


ATTACKS = {
    "n_resamples": ({"task.confidence.n_resamples": 1_000_000_000}, "task.confidence.n_resamples: 1000000000 is outside the range"),
    "devices": ({"trainer.devices": 3, "trainer.strategy": "ddp"}, "trainer.devices=3 starts more processes"),
    "unknown key": ({"model.estimator.n_jobs": 64}, "model.estimator.n_jobs: no option medbench ships has this key"),
}


@pytest.mark.slow
@pytest.mark.parametrize("attack", [*ATTACKS, "billion laughs"])
def test_reproduce_refuses_before_anything_runs_or_spawns(exported: Path, tmp_path: Path, monkeypatch, capsys, attack: str) -> None:
    import medbench.engine.run

    bundle = Path(shutil.copytree(exported, tmp_path / "bundle"))
    if attack == "billion laughs":
        (bundle / "config.yaml").write_text(BILLION_LAUGHS)
        expected = "anchors and aliases are refused"
    else:
        edits, expected = ATTACKS[attack]
        config = yaml.safe_load((bundle / "config.yaml").read_text())
        for path, value in edits.items():
            _set(config, path, value)
        (bundle / "config.yaml").write_text(yaml.safe_dump(config))
    started: list[object] = []
    monkeypatch.setattr(subprocess, "Popen", lambda *args, **kwargs: started.append(args))
    monkeypatch.setattr(medbench.engine.run, "run", lambda *args, **kwargs: started.append(args))
    monkeypatch.setenv("MEDBENCH_ROOT", str(tmp_path))
    capsys.readouterr()
    assert main(["reproduce", str(bundle)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and expected in err, err
    assert started == [] and not (tmp_path / "runs").exists()
