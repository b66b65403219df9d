"""A LightningModule that trains any network with one output as a regressor (squared error)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional

import numpy as np
import pytorch_lightning as pl
import torch
from torch import nn
from torch.nn import functional as F


class RegressorModule(pl.LightningModule):
    """Wraps `net` (one output) with a squared-error loss on standardised targets.

    Outcomes such as costs or days span orders of magnitude that a freshly initialised network
    cannot reach: the network learns the target standardised with the training split's mean and
    standard deviation (taken at fit start, kept in the weights), and predictions are mapped back
    to the target's unit. `optimizer` and `scheduler` are partials (`_partial_: true`).
    """

    def __init__(
        self,
        net: nn.Module,
        optimizer: Callable[..., torch.optim.Optimizer],
        task_kind: str,
        scheduler: Optional[Callable[..., Any]] = None,
    ) -> None:
        super().__init__()
        if task_kind != "regression":
            raise ValueError(f"RegressorModule handles regression tasks, not task kind {task_kind!r}")
        self.save_hyperparameters(ignore=["net", "optimizer", "scheduler"])
        self.net = net
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.register_buffer("target_mean", torch.zeros(()))
        self.register_buffer("target_scale", torch.ones(()))

    def setup(self, stage: str) -> None:
        if stage == "fit":
            targets = np.asarray(self.trainer.datamodule.split("train").targets, dtype=np.float64)
            self.target_mean.fill_(float(targets.mean()))
            self.target_scale.fill_(float(targets.std()) or 1.0)

    def forward(self, inputs: Any) -> torch.Tensor:
        """Predictions in the target's unit."""
        return self.net(inputs).squeeze(-1) * self.target_scale + self.target_mean

    def loss(self, inputs: Any, targets: torch.Tensor) -> torch.Tensor:
        standardised = (targets.float() - self.target_mean) / self.target_scale
        return F.mse_loss(self.net(inputs).squeeze(-1), standardised)

    def training_step(self, batch: tuple[Any, torch.Tensor], batch_idx: int) -> torch.Tensor:
        inputs, targets = batch
        loss = self.loss(inputs, targets)
        self.log("train/loss", loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=len(targets))
        return loss

    def validation_step(self, batch: tuple[Any, torch.Tensor], batch_idx: int) -> torch.Tensor:
        """Logs the loss; returns the predictions, from which the task's metrics are logged (`val/<metric>`)."""
        inputs, targets = batch
        self.log("val/loss", self.loss(inputs, targets), prog_bar=True, batch_size=len(targets))
        return self(inputs)

    def predict_step(self, batch: tuple[Any, torch.Tensor], batch_idx: int) -> torch.Tensor:
        inputs, _ = batch
        return self(inputs)

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(params=self.parameters())
        if self.scheduler_factory is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": self.scheduler_factory(optimizer=optimizer), "monitor": "val/loss"}}
