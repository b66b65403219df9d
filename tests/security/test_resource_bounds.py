"""Resource-bearing keys from outside lie in declared ranges, and keys no shipped option has are
refused; every shipped option and experiment, composed as a record stores it, still passes."""

from __future__ import annotations

import re

import pytest
from omegaconf import OmegaConf

from medbench.config.location import config_dir
from medbench.config.recorded import recorded_config
from medbench.config.safety import RESOURCE_BOUNDS, SafetyError, check_outside_config

CONF = config_dir()
OPTIONS = [
    f"{group}={path.stem}"
    for group in ("model", "task", "trainer", "callbacks", "logger", "experiment")
    for path in sorted((CONF / group).glob("*.yaml"))
]


@pytest.mark.slow
def test_every_shipped_option_and_experiment_is_admitted(compose_config) -> None:
    for option in OPTIONS + ["hparams_search=mlp_optuna", "debug=fast"]:
        check_outside_config(recorded_config(compose_config(option, fast=False)), option)


def test_the_bounds_admit_every_shipped_value() -> None:
    import yaml

    from medbench.config.safety import _walk

    for file in CONF.rglob("*.yaml"):
        for path, key, value in _walk(yaml.safe_load(file.read_text()) or {}, ""):
            if key in RESOURCE_BOUNDS and isinstance(value, (int, float, list)):
                bound = RESOURCE_BOUNDS[key]
                assert all(bound.low <= v <= bound.high for v in (value if isinstance(value, list) else [value])), (file, path)


@pytest.fixture
def default_recorded(compose_config) -> dict:
    return recorded_config(compose_config())


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("task.confidence.n_resamples", 1_000_000_000),
        ("trainer.max_epochs", -1),
        ("trainer.devices", 0),
        ("trainer.devices", None),
        ("task.data.num_workers", 64),
        ("task.data.batch_size", 10**9),
        ("model.net.hidden_sizes", [64] * 100),
        ("model.net.hidden_sizes", [10**9]),
        ("callbacks.model_checkpoint.save_top_k", -1),
        ("num_threads", 512),
    ],
)
def test_a_resource_key_out_of_range_is_refused_naming_the_range(default_recorded: dict, path: str, value) -> None:
    config = OmegaConf.create(default_recorded)
    OmegaConf.update(config, path, value, merge=False)
    with pytest.raises(SafetyError, match=re.escape(f"bundle: {path}: ") + ".*outside the range"):
        check_outside_config(config, "bundle")


@pytest.mark.parametrize(
    "path",
    ["model.estimator.n_jobs", "trainer.max_time", "task.data.prefetch_factor", "model.net.bias_init", "task.confidence.extra"],
)
def test_a_key_no_shipped_option_has_is_refused(default_recorded: dict, path: str) -> None:
    config = OmegaConf.create(default_recorded)
    OmegaConf.update(config, path, 64, force_add=True)
    with pytest.raises(SafetyError, match=re.escape(f"bundle: {path}: no option medbench ships has this key")):
        check_outside_config(config, "bundle")


def test_keys_below_a_target_the_receiver_allowed_are_theirs_to_judge_but_still_bounded() -> None:
    config = {"model": {"estimator": {"_target_": "sklearn.ensemble.RandomForestClassifier", "n_estimators": 200, "n_jobs": 2}}}
    check_outside_config(config, "bundle", extra_targets=["sklearn.ensemble.RandomForestClassifier"])
    config["model"]["estimator"]["n_jobs"] = -1
    with pytest.raises(SafetyError, match="model.estimator.n_jobs: -1 is outside the range"):
        check_outside_config(config, "bundle", extra_targets=["sklearn.ensemble.RandomForestClassifier"])
