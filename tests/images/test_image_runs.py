"""Image baselines learn the synthetic tasks end to end, and the record keeps no pixels."""

from __future__ import annotations

import pytest

from medbench.engine.run import run

EXPECTED_COLUMNS = {
    "medmnist_generated": {"sample_id", "target", "score", "prediction"},
    "medmnist_generated_multiclass": {"sample_id", "target", "prediction", "score_0", "score_1", "score_2", "score_3"},
    "medmnist_generated_multilabel": {f"{part}_{k}" for part in ("target", "score", "prediction") for k in range(3)} | {"sample_id"},
}


@pytest.mark.slow
@pytest.mark.parametrize("task", sorted(EXPECTED_COLUMNS))
def test_small_cnn_learns_each_kind(compose_config, task: str) -> None:
    cfg = compose_config("experiment=images_small_cnn", f"task={task}", "trainer.max_epochs=6", "callbacks.progress_bar=null", fast=False)
    record = run(cfg)
    metrics = record.metrics()
    assert metrics.values[metrics.primary].value > 0.85, f"{task}: {metrics.primary} {metrics.values[metrics.primary].value:.3f} (chance 0.5)"
    predictions = record.predictions()
    assert set(predictions.columns) == EXPECTED_COLUMNS[task]
    assert len(predictions) == 200


@pytest.mark.slow
def test_resnet18_learns_the_binary_task(compose_config) -> None:
    # A few hundred images and ~25 steps keep ResNet-18 (about 0.6 GFLOP per 28×28 image) affordable on a CPU.
    cfg = compose_config(
        "experiment=images_resnet18", "trainer.max_epochs=3", "task.data.batch_size=32", "callbacks.progress_bar=null",
        "task.data.generated.sizes=[256,64,128]", fast=False,
    )
    record = run(cfg)
    assert record.metrics().values["auroc"].value > 0.7
    assert record.manifest.model.parameter_count == 11_168_193  # ResNet-18 (28), one input channel, one logit


def test_image_folder_task_runs_from_nothing(compose_config) -> None:
    record = run(compose_config("task=image_folder", "model=small_cnn"))
    assert record.complete
    assert set(record.predictions().columns) == {"sample_id", "target", "score", "prediction"}


def test_class_weights_survive_the_best_checkpoint_reload(compose_config) -> None:
    # Checkpoints are reloaded with weights_only=True: hyper-parameters must be plain values.
    record = run(compose_config("experiment=images_small_cnn", "+model.class_weights=[2.0]"))
    assert record.complete
