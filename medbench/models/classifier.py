"""A LightningModule that trains any classification network for binary, multi-class or multi-label tasks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional

import pytorch_lightning as pl
import torch
from torch import nn
from torch.nn import functional as F

from medbench.tasks.registry import classes_of


class ClassifierModule(pl.LightningModule):
    """Wraps `net` (logits out) with the loss, the validation metrics and the optimiser of the task.

    `optimizer` and `scheduler` are partials (Hydra `_partial_: true`) completed with the
    parameters, as in lightning-hydra-template. `class_weights` counter class imbalance in the
    loss (binary: the positive class's weight). `validation_step` returns the probabilities, from
    which :class:`medbench.callbacks.ValidationMetrics` logs the task's metrics for checkpoint
    selection; the numbers in the run record come from the stored test predictions.
    Inputs are whatever `net` takes: feature or image tensors, or a list of texts.
    """

    def __init__(
        self,
        net: nn.Module,
        optimizer: Callable[..., torch.optim.Optimizer],
        task_kind: str,
        scheduler: Optional[Callable[..., Any]] = None,
        class_weights: Optional[list[float]] = None,
    ) -> None:
        super().__init__()
        # Plain floats: hyper-parameters are pickled into checkpoints that are reloaded with weights_only=True.
        class_weights = [float(weight) for weight in class_weights] if class_weights else None
        classes = classes_of(task_kind)
        if classes is None:
            raise ValueError(f"ClassifierModule handles classification task kinds, not task kind {task_kind!r}")
        self.save_hyperparameters(ignore=["net", "optimizer", "scheduler"])
        self.net = net
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.task_kind = task_kind
        self.classes = classes
        # Binary: one weight, that of the positive class (BCE pos_weight); otherwise one per class/label.
        self.register_buffer(
            "class_weights", torch.tensor(class_weights, dtype=torch.float32) if class_weights else None, persistent=False
        )

    def forward(self, inputs: Any) -> torch.Tensor:
        return self.net(inputs)

    def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        if self.classes.single_score:
            logits = logits.squeeze(-1)
        if self.classes.activation == "softmax":
            return F.cross_entropy(logits, targets.long(), weight=self.class_weights)
        return F.binary_cross_entropy_with_logits(logits, targets.float(), pos_weight=self.class_weights)

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        if self.classes.single_score:
            logits = logits.squeeze(-1)
        if self.classes.activation == "softmax":
            return torch.softmax(logits, dim=-1)
        return torch.sigmoid(logits)

    def training_step(self, batch: tuple[Any, torch.Tensor], batch_idx: int) -> torch.Tensor:
        inputs, targets = batch
        loss = self.loss(self(inputs), targets)
        self.log("train/loss", loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=len(targets))
        return loss

    def validation_step(self, batch: tuple[Any, torch.Tensor], batch_idx: int) -> torch.Tensor:
        inputs, targets = batch
        logits = self(inputs)
        self.log("val/loss", self.loss(logits, targets), prog_bar=True, batch_size=len(targets))
        return self.probabilities(logits).detach()

    def predict_step(self, batch: tuple[Any, torch.Tensor], batch_idx: int) -> torch.Tensor:
        inputs, _ = batch
        return self.probabilities(self(inputs))

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(params=self.parameters())
        if self.scheduler_factory is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": self.scheduler_factory(optimizer=optimizer), "monitor": "val/loss"}}
