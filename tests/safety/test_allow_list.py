"""Outside configs: the allow-list refuses code execution before anything is built."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from medbench.errors import RecordError
from medbench.safety import SafetyError, check_outside_config


def test_the_resolved_default_config_is_allowed(compose_config) -> None:
    resolved = OmegaConf.to_container(compose_config(), resolve=True, enum_to_str=True)
    check_outside_config(resolved, "default")


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"model": {"_target_": "os.system", "_args_": ["echo pwned"]}}, "model._target_"),
        ({"model": {"net": {"_target_": "builtins.eval", "_args_": ["1"]}}}, "model.net._target_"),
        ({"a": {"_args_": [{"_target_": "subprocess.run", "_args_": [["true"]]}]}}, "a._args_[0]._target_"),
        # Reached through an import inside an allowed package: judged by where it is defined.
        ({"m": {"_target_": "medbench.record.shutil.rmtree", "_partial_": True}}, "m._target_"),
        ({"m": {"_target_": "torch.nn.modules.module.torch.load"}}, "m._target_"),
        ({"m": {"_target_": "medbench.record.__builtins__"}}, "m._target_"),
    ],
)
def test_code_execution_targets_are_refused_naming_the_key(config: dict, key: str) -> None:
    with pytest.raises(SafetyError, match="bundle: " + re.escape(key) + ": "):
        check_outside_config(OmegaConf.create(config), "bundle")


def test_interpolations_are_refused() -> None:
    config = OmegaConf.create({"task": {"name": "${oc.env:AWS_SECRET_ACCESS_KEY}"}})
    with pytest.raises(SafetyError, match="task.name: interpolation"):
        check_outside_config(config, "bundle")


def test_user_can_allow_more_modules_in_their_own_config() -> None:
    config = OmegaConf.create({"model": {"_target_": "collections.OrderedDict"}})
    with pytest.raises(SafetyError):
        check_outside_config(config, "bundle")
    check_outside_config(config, "bundle", extra_modules=["collections"])


def test_instantiate_outside_builds_nothing_when_refused(tmp_path: Path) -> None:
    from medbench.instantiation import instantiate_outside

    marker = tmp_path / "ran"
    node = OmegaConf.create({"_target_": "pathlib.Path.touch", "_args_": [str(marker)]})
    with pytest.raises(SafetyError):
        instantiate_outside(node, "model", "bundle")
    assert not marker.exists()
    built = instantiate_outside(OmegaConf.create({"_target_": "torch.nn.Linear", "in_features": 2, "out_features": 1}), "net", "bundle")
    assert built.out_features == 1


def test_checkpoints_load_weights_only(tmp_path: Path) -> None:
    import torch

    from medbench.checkpoints import load_state_dict
    from medbench.io import sha256_file

    good = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(2, 1).state_dict(), good)
    assert set(load_state_dict(good, sha256_file(good))) == {"weight", "bias"}
    with pytest.raises(RecordError, match="differs from the declared"):
        load_state_dict(good, "0" * 64)

    class Exploit:
        def __reduce__(self):
            return (Path.touch, (tmp_path / "pwned",))

    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle.dumps({"weight": Exploit()}, protocol=2))
    with pytest.raises(RecordError, match="weights-only"):
        load_state_dict(evil)
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "experiment", sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "conf" / "experiment").glob("*.yaml"))
)
def test_every_shipped_experiment_passes_the_allow_list(compose_config, experiment: str) -> None:
    """A bundle of any run made from medbench's own configs must be reproducible without extra allowances."""
    resolved = OmegaConf.to_container(compose_config(f"experiment={experiment}"), resolve=True, enum_to_str=True)
    check_outside_config(resolved, f"experiment={experiment}")
