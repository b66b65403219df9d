"""Every task kind names the models that serve it; every shipped task runs with no model given.

A newcomer types `medbench run task=<t>`: the task's own default model must fit its kind and its
data, and a model of another kind, or one its data cannot feed (a sequence model on a table, an
image network on timelines), is refused in one line naming the ones that fit, before anything is built.
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


TIMELINE_COHORT = {"cohort": {"trigger": {"codes": ["ENCOUNTER:wellness"]}, "label": {"type": "binary", "codes": ["SNOMED:1"], "window_days": 30}}}


@pytest.fixture
def compose_choices(compose_config):
    """`compose_choices(*overrides)` → (task kind, the model option Hydra chose)."""
    from hydra import compose

    def choices(*overrides: str) -> tuple[str, str]:
        cfg = compose(config_name="config", overrides=list(overrides), return_hydra_config=True)
        return str(cfg.task.kind), str(cfg.hydra.runtime.choices.model)

    return choices


@pytest.fixture
def offered_models(compose_config):
    """`offered_models(task)` → (the model option Hydra chose, the options offered to that task)."""
    from hydra import compose

    from medbench.tasks.timeline_spec import on_timelines

    def offered(task: str) -> tuple[str, tuple[str, ...]]:
        cfg = compose(config_name="config", overrides=[f"task={task}"], return_hydra_config=True)
        return str(cfg.hydra.runtime.choices.model), get_kind(str(cfg.task.kind)).models_for(on_timelines(cfg.task.data))

    return offered


def test_every_declared_model_is_a_shipped_option_and_every_option_serves_a_kind() -> None:
    declared = {model for kind in KIND_MODULES for model in get_kind(kind).models}
    assert declared == set(SHIPPED_MODELS)


@pytest.mark.parametrize("task", SHIPPED_TASKS)
def test_each_task_defaults_to_a_model_that_serves_its_kind_and_data(offered_models, task: str) -> None:
    model, offered = offered_models(task)
    assert model in offered, f"task={task} defaults to model={model}, not one of {offered}"


def test_only_timeline_tasks_are_offered_the_sequence_models(offered_models) -> None:
    assert offered_models("timeline_readmission")[1] == ("mlp", "logreg", "onnx", "gbm", "timeline_gru", "predictions_file")
    assert offered_models("timeline_cardiovascular")[1] == ("coxph", "deepsurv", "timeline_gru_survival", "predictions_file")
    assert offered_models("tabular_csv")[1] == (
        "mlp", "logreg", "small_cnn", "resnet18", "text_cnn", "tfidf_logreg", "tfidf_arrays", "onnx", "gbm", "predictions_file"
    )
    assert offered_models("survival_whas500")[1] == ("coxph", "deepsurv", "predictions_file")


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


def test_a_model_its_data_cannot_feed_is_refused_naming_the_fitting_ones() -> None:
    from medbench.engine.run import check_model_fits

    with pytest.raises(ConfigError) as on_a_table:
        check_model_fits("binary", {"task": "cohort", "model": "timeline_gru"}, {"path": "cohort.csv"})
    assert str(on_a_table.value) == (
        "task=cohort has no patient timelines, which model=timeline_gru needs: "
        "use model=mlp, logreg, small_cnn, resnet18, text_cnn, tfidf_logreg, tfidf_arrays, onnx, gbm or predictions_file"
    )
    with pytest.raises(ConfigError) as on_timelines:
        check_model_fits("binary", {"task": "timeline_readmission", "model": "small_cnn"}, TIMELINE_COHORT)
    assert str(on_timelines.value) == (
        "task=timeline_readmission is on patient timelines (window counts or code sequences), which model=small_cnn "
        "does not read: use model=mlp, logreg, onnx, gbm, timeline_gru or predictions_file"
    )
    check_model_fits("binary", {"task": "timeline_readmission", "model": "timeline_gru"}, {**TIMELINE_COHORT, "features": "sequence"})
    check_model_fits("binary", {"task": "timeline_readmission", "model": "gbm"}, {**TIMELINE_COHORT, "features": "counts"})


def test_a_timeline_model_needs_the_features_it_reads() -> None:
    from medbench.engine.run import check_model_fits

    with pytest.raises(ConfigError) as sequence_on_counts:
        check_model_fits("binary", {"task": "timeline_readmission", "model": "timeline_gru"}, {**TIMELINE_COHORT, "features": "counts"})
    assert str(sequence_on_counts.value) == (
        "model=timeline_gru reads code sequences, and task=timeline_readmission has task.data.features=counts: "
        "add task.data.features=sequence (or use model=mlp, logreg or gbm on the window counts)"
    )
    with pytest.raises(ConfigError, match="model=coxph reads window counts.*use model=timeline_gru_survival"):
        check_model_fits("survival", {"task": "timeline_cardiovascular", "model": "coxph"}, {**TIMELINE_COHORT, "features": "sequence"})


@pytest.mark.parametrize(
    ("model", "problem"),
    [
        ("ridge", "is a survival task, which model=ridge does not serve"),
        ("timeline_gru_survival", "has no patient timelines, which model=timeline_gru_survival needs"),
    ],
)
def test_cli_refuses_a_misfit_in_one_line_before_building_anything(cli_env: dict[str, str], tmp_path: Path, model: str, problem: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "medbench", "run", "task=survival_whas500", f"model={model}"],
        capture_output=True, text=True, env=cli_env, timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"medbench run: error: task=survival_whas500 {problem}: use model=coxph, deepsurv or predictions_file"
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
