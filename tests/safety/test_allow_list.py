"""Outside configs select shipped options: anything else is refused before anything is built."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from medbench.errors import RecordError
from medbench.config.safety import SafetyError, check_outside_config


def test_the_resolved_default_config_is_allowed(compose_config) -> None:
    resolved = OmegaConf.to_container(compose_config(), resolve=True, enum_to_str=True)
    check_outside_config(resolved, "default")


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"model": {"_target_": "os.system", "_args_": ["echo pwned"]}}, "model._target_"),
        ({"model": {"net": {"_target_": "builtins.eval", "_args_": ["1"]}}}, "model.net._target_"),
        ({"a": {"_args_": [{"_target_": "subprocess.run", "_args_": [["true"]]}]}}, "a._args_"),
        ({"model": {"_args_": [1], "_target_": "os.system"}}, "model._target_"),
        ({"model": {"_target_": "medbench.records.record.shutil.rmtree", "_partial_": True}}, "model._target_"),
        ({"model": {"net": {"_target_": "torch.nn.modules.module.torch.load"}}}, "model.net._target_"),
        ({"model": {"_target_": "medbench.records.record.__builtins__"}}, "model._target_"),
        # medbench's own functions and whole scikit-learn modules are not options.
        ({"model": {"_target_": "medbench.app.main"}}, "model._target_"),
        ({"model": {"estimator": {"_target_": "sklearn.linear_model.LogisticRegressionCV"}}}, "model.estimator._target_"),
        # A shipped target, but at another place.
        ({"trainer": {"_target_": "medbench.models.sklearn.SklearnClassifier"}}, "trainer._target_"),
        ({"model": {"estimator": {"_target_": "sklearn.linear_model.LogisticRegression", "_recursive_": False}}}, "model.estimator._recursive_"),
        ({"model": {"estimator": {"_target_": "sklearn.linear_model.LogisticRegression", "memory": "cache"}}}, "model.estimator.memory"),
        ({"model": {"_target_": "medbench.models.sklearn.SklearnClassifier", "estimator": {"__init__": 1}}}, "model.estimator.__init__"),
    ],
)
def test_code_execution_targets_are_refused_naming_the_key(config: dict, key: str) -> None:
    with pytest.raises(SafetyError, match="bundle: " + re.escape(key) + ": "):
        check_outside_config(OmegaConf.create(config), "bundle")


def test_interpolations_are_refused() -> None:
    config = OmegaConf.create({"task": {"name": "${oc.env:AWS_SECRET_ACCESS_KEY}"}})
    with pytest.raises(SafetyError, match="task.name: interpolation"):
        check_outside_config(config, "bundle")


def test_user_can_allow_exact_targets_in_their_own_config() -> None:
    config = OmegaConf.create({"model": {"estimator": {"_target_": "sklearn.svm.SVC", "probability": True}}})
    with pytest.raises(SafetyError, match="safety.allowed_targets"):
        check_outside_config(config, "bundle")
    check_outside_config(config, "bundle", extra_targets=["sklearn.svm.SVC"])
    for loose in ("sklearn.svm", "sklearn.svm.*", "sklearn.svm._classes.SVC"):
        with pytest.raises(SafetyError):
            check_outside_config(config, "bundle", extra_targets=[loose])


def test_a_bundle_cannot_widen_its_own_allow_list() -> None:
    config = {"safety": {"allowed_targets": ["os.system"]}, "model": {"_target_": "os.system"}}
    with pytest.raises(SafetyError, match="model._target_"):
        check_outside_config(config, "bundle")


def test_values_keep_the_shipped_type_and_file_keys_are_refused() -> None:
    with pytest.raises(SafetyError, match="trainer.max_epochs: a str"):
        check_outside_config({"trainer": {"max_epochs": "many"}}, "bundle")
    with pytest.raises(SafetyError, match="callbacks.model_checkpoint.filename"):
        check_outside_config({"callbacks": {"model_checkpoint": {"filename": "../../x"}}}, "bundle")
    with pytest.raises(SafetyError, match="trainer.default_root_dir"):
        check_outside_config({"trainer": {"default_root_dir": "/tmp/elsewhere"}}, "bundle")


def test_instantiate_outside_builds_nothing_when_refused(tmp_path: Path) -> None:
    from medbench.config.instantiation import instantiate_outside

    marker = tmp_path / "ran"
    node = OmegaConf.create({"_target_": "pathlib.Path.touch", "_args_": [str(marker)]})
    with pytest.raises(SafetyError):
        instantiate_outside(node, "model", "bundle")
    assert not marker.exists()
    built = instantiate_outside(OmegaConf.create({"_target_": "torch.optim.AdamW", "_partial_": True, "lr": 0.1}), "model.optimizer", "bundle")
    assert built.keywords == {"lr": 0.1}


def test_checkpoints_load_weights_only(tmp_path: Path) -> None:
    import torch

    from medbench.engine.checkpoints import load_state_dict
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
