"""A LightningModule that trains any classification network for binary, multi-class or multi-label tasks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional

import pytorch_lightning as pl
import torch
import torchmetrics
from torch import nn
from torch.nn import functional as F

PROBLEMS = ("binary", "multiclass", "multilabel")


class ClassifierModule(pl.LightningModule):
    """Wraps `net` (logits out) with the loss, the validation metrics and the optimiser of the task.

    `optimizer` and `scheduler` are partials (Hydra `_partial_: true`) completed with the
    parameters, as in lightning-hydra-template. Validation AUROC is a torchmetrics `Metric` for
    monitoring only; the numbers in the run record are computed from the stored predictions.
    """

    def __init__(
        self,
        net: nn.Module,
        optimizer: Callable[..., torch.optim.Optimizer],
        task_kind: str,
        scheduler: Optional[Callable[..., Any]] = None,
        num_classes: Optional[int] = None,
    ) -> None:
        super().__init__()
        if task_kind not in PROBLEMS:
            raise ValueError(f"ClassifierModule handles {PROBLEMS}, not task kind {task_kind!r}")
        self.save_hyperparameters(ignore=["net", "optimizer", "scheduler"])
        self.net = net
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.task_kind = task_kind
        if task_kind == "binary":
            self.val_auroc = torchmetrics.AUROC(task="binary")
        elif task_kind == "multiclass":
            self.val_auroc = torchmetrics.AUROC(task="multiclass", num_classes=num_classes)
        else:
            self.val_auroc = torchmetrics.AUROC(task="multilabel", num_labels=num_classes)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.net(inputs)

    def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if self.task_kind == "binary":
            return F.binary_cross_entropy_with_logits(logits.squeeze(-1), targets.float())
        if self.task_kind == "multiclass":
            return F.cross_entropy(logits, targets.long())
        return F.binary_cross_entropy_with_logits(logits, targets.float())

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        if self.task_kind == "binary":
            return torch.sigmoid(logits.squeeze(-1))
        if self.task_kind == "multiclass":
            return torch.softmax(logits, dim=-1)
        return torch.sigmoid(logits)

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        inputs, targets = batch
        loss = self.loss(self(inputs), targets)
        self.log("train/loss", loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=len(targets))
        return loss

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        inputs, targets = batch
        logits = self(inputs)
        self.log("val/loss", self.loss(logits, targets), prog_bar=True, batch_size=len(targets))
        self.val_auroc.update(self.probabilities(logits), targets.long())
        self.log("val/auroc", self.val_auroc, prog_bar=True)

    def predict_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        inputs, _ = batch
        return self.probabilities(self(inputs))

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(params=self.parameters())
        if self.scheduler_factory is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": self.scheduler_factory(optimizer=optimizer), "monitor": "val/loss"}}
