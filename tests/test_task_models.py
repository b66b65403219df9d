"""Every task kind names the models that serve it; every shipped task runs with no model given.

A newcomer types `medbench run task=<t>`: the task's own default model must fit its kind, and a
model of another kind is refused in one line naming the ones that fit, before anything is built.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from medbench.config.location import config_dir
from medbench.errors import ConfigError
from medbench.tasks.registry import KIND_MODULES, get_kind

SHIPPED_TASKS = sorted(path.stem for path in (config_dir() / "task").glob("*.yaml"))
SHIPPED_MODELS = sorted(path.stem for path in (config_dir() / "model").glob("*.yaml"))


@pytest.fixture
def compose_choices(compose_config):
    """`compose_choices(*overrides)` → (task kind, the model option Hydra chose)."""
    from hydra import compose

    def choices(*overrides: str) -> tuple[str, str]:
        cfg = compose(config_name="config", overrides=list(overrides), return_hydra_config=True)
        return str(cfg.task.kind), str(cfg.hydra.runtime.choices.model)

    return choices


def test_every_declared_model_is_a_shipped_option_and_every_option_serves_a_kind() -> None:
    declared = {model for kind in KIND_MODULES for model in get_kind(kind).models}
    assert declared == set(SHIPPED_MODELS)


@pytest.mark.parametrize("task", SHIPPED_TASKS)
def test_each_task_defaults_to_a_model_that_serves_its_kind(compose_choices, task: str) -> None:
    kind, model = compose_choices(f"task={task}")
    assert model in get_kind(kind).models, f"task={task} ({kind}) defaults to model={model}"


def test_a_named_model_and_an_experiment_win_over_the_task_default(compose_choices) -> None:
    assert compose_choices("task=diabetes") == ("regression", "ridge")
    assert compose_choices("task=diabetes", "model=linear") == ("regression", "linear")
    assert compose_choices("experiment=diabetes_mlp") == ("regression", "mlp_regressor")
    assert compose_choices("experiment=images_small_cnn", "task=medmnist_generated_multilabel") == ("multilabel", "small_cnn")


def test_a_model_of_another_kind_is_refused_naming_the_fitting_ones() -> None:
    from medbench.engine.run import check_model_fits

    with pytest.raises(ConfigError) as refused:
        check_model_fits("regression", {"task": "diabetes", "model": "mlp"})
    assert str(refused.value) == (
        "task=diabetes is a regression task, which model=mlp does not serve: use model=ridge, linear or mlp_regressor"
    )
    check_model_fits("regression", {"task": "diabetes", "model": "my_own_regressor"})  # a user's config: its own checks
    check_model_fits("regression", {})  # an API call: no option to judge


def test_cli_refuses_a_misfit_in_one_line_before_building_anything(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "medbench", "run", "task=survival_whas500", "model=ridge"],
        capture_output=True, text=True, env=cli_env, timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "medbench run: error: task=survival_whas500 is a survival task, which model=ridge does not serve: "
        "use model=coxph, deepsurv, timeline_gru_survival or predictions_file"
    ]
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("manifest.json"))


@pytest.mark.slow
@pytest.mark.parametrize("task", SHIPPED_TASKS)
def test_every_shipped_task_runs_or_is_refused_in_one_line(cli_env: dict[str, str], task: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "medbench", "run", f"task={task}", "debug=fast"],
        capture_output=True, text=True, env=cli_env, timeout=600,
    )
    if result.returncode == 0:
        assert f"{task} " in result.stdout and "next: medbench submit" in result.stdout, result.stdout
        return
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("medbench run: error: "), result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "cannot instantiate" not in result.stderr
    assert "missing mandatory value(s): " in lines[0]  # a task on the user's own files: name them
