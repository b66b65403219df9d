"""Checkpoints follow the task's primary validation metric in its direction, not the validation loss."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
import torch
from torch import nn

from medbench.data.tabular import SklearnTabularDataModule
from medbench.engine.training import fit_and_predict

GOOD_EPOCH = 1


class ScriptedModule(pl.LightningModule):
    """Its validation loss falls every epoch, but only epoch 1 ranks the validation samples right.

    `epoch_marker` holds the epoch whose weights these are, so the reloaded checkpoint tells which
    epoch was kept; `predict_step` returns it for every sample.
    """

    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(30, 1)
        self.register_buffer("epoch_marker", torch.tensor(-1.0))

    def training_step(self, batch, batch_idx):
        inputs, targets = batch
        return nn.functional.binary_cross_entropy_with_logits(self.layer(inputs).squeeze(-1), targets.float())

    def on_validation_epoch_start(self) -> None:
        self.epoch_marker.fill_(float(self.current_epoch))

    def validation_step(self, batch, batch_idx):
        _, targets = batch
        self.log("val/loss", 1.0 / (self.current_epoch + 1), batch_size=len(targets))
        right = targets.double() * 0.8 + 0.1
        return right if self.current_epoch == GOOD_EPOCH else 1.0 - right

    def predict_step(self, batch, batch_idx):
        return self.epoch_marker.expand(len(batch[1])).double()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.0)


def test_the_kept_checkpoint_is_the_best_primary_epoch_not_the_lowest_loss(compose_config, tmp_path: Path) -> None:
    cfg = compose_config("trainer.max_epochs=4", "trainer.limit_val_batches=null", "logger=none")
    assert cfg.callbacks.model_checkpoint.monitor == "val/auroc" and cfg.callbacks.model_checkpoint.mode == "max"
    datamodule = SklearnTabularDataModule(dataset="breast_cancer", positive_label="malignant")
    datamodule.setup()
    module = ScriptedModule()
    scores = fit_and_predict(module, datamodule, cfg, tmp_path / "logs", tmp_path / "scratch")
    assert module.current_epoch == 4  # all four epochs ran; the lowest val/loss was the last one
    assert set(scores.tolist()) == {float(GOOD_EPOCH)}


def test_a_minimised_primary_metric_is_monitored_with_mode_min(compose_config) -> None:
    cfg = compose_config("task.primary_metric=brier", "task.direction=minimize")
    assert cfg.callbacks.early_stopping.monitor == "val/brier"
    assert cfg.callbacks.early_stopping.mode == "min" and cfg.callbacks.model_checkpoint.mode == "min"


class SilentValidationModule(ScriptedModule):
    """A module of the user's whose `validation_step` only logs its loss: the callback asks `predict_step`."""

    def validation_step(self, batch, batch_idx):
        super().validation_step(batch, batch_idx)

    def predict_step(self, batch, batch_idx):
        right = batch[1].double() * 0.8 + 0.1
        return right if self.epoch_marker.item() == GOOD_EPOCH else 1.0 - right


def test_a_module_that_returns_no_validation_predictions_is_scored_through_predict_step(compose_config, tmp_path: Path) -> None:
    cfg = compose_config("trainer.max_epochs=4", "trainer.limit_val_batches=null", "logger=none")
    datamodule = SklearnTabularDataModule(dataset="breast_cancer", positive_label="malignant")
    datamodule.setup()
    module = SilentValidationModule()
    fit_and_predict(module, datamodule, cfg, tmp_path / "logs", tmp_path / "scratch")
    assert module.epoch_marker.item() == GOOD_EPOCH  # the reloaded best checkpoint
