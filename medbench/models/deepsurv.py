"""A DeepSurv-like survival model (Katzman et al., 2018): a network trained on the Cox partial likelihood.

The network maps covariates to a log-risk f(x); training minimises the negative Cox partial
log-likelihood (Breslow's handling of tied times). At prediction time Breslow's baseline hazard
is fitted on the training patients with the final weights, which turns risks into survival curves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional

import numpy as np
import pytorch_lightning as pl
import torch
from torch import nn

from medbench.models.survival import BreslowBaseline


def cox_partial_nll(log_risk: torch.Tensor, time: torch.Tensor, event: torch.Tensor) -> torch.Tensor:
    """Negative Cox partial log-likelihood per event, Breslow ties: every tied patient stays at risk.

    -1/d * sum over events i of [ f(x_i) - log sum_{j: t_j >= t_i} exp f(x_j) ].
    A batch without events carries no information: its loss is 0 (with a gradient graph).
    """
    order = torch.argsort(time)
    log_risk, time, event = log_risk[order], time[order], event[order]
    # log sum_{j >= k} exp f(x_j) in time order; tied times share the risk set of their first member.
    suffix = torch.logcumsumexp(log_risk.flip(0), dim=0).flip(0)
    first_of_tie = torch.searchsorted(time, time, side="left")
    n_events = event.sum()
    if n_events == 0:
        return log_risk.sum() * 0.0
    return -((log_risk - suffix[first_of_tie]) * event).sum() / n_events


class DeepSurvModule(pl.LightningModule):
    """Wraps `net` (one output: the log-risk) with the Cox loss and Breslow survival curves.

    `predict_step` returns [risk, S(t_1)..S(t_m)] at the evaluation times of the data module's
    splits, the survival layout of :mod:`medbench.tasks.survival`.
    """

    def __init__(
        self,
        net: nn.Module,
        optimizer: Callable[..., torch.optim.Optimizer],
        task_kind: str,
        scheduler: Optional[Callable[..., Any]] = None,
    ) -> None:
        super().__init__()
        if task_kind != "survival":
            raise ValueError(f"DeepSurvModule handles survival tasks, not task kind {task_kind!r}")
        self.save_hyperparameters(ignore=["net", "optimizer", "scheduler"])
        self.net = net
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.baseline: Optional[BreslowBaseline] = None
        self.eval_times: tuple[float, ...] = ()

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.net(inputs).squeeze(-1)

    def training_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        inputs, time, event = batch
        loss = cox_partial_nll(self(inputs), time, event)
        self.log("train/loss", loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=len(time))
        return loss

    def on_validation_epoch_start(self) -> None:
        self.fit_baseline()

    def validation_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        """The validation loss, and [risk, S(t_1)..S(t_m)] for the task's metrics (ValidationMetrics)."""
        inputs, time, event = batch
        self.log("val/loss", cox_partial_nll(self(inputs), time, event), prog_bar=True, batch_size=len(time))
        return self.predict_step(batch, batch_idx)

    def on_predict_start(self) -> None:
        self.fit_baseline()

    def fit_baseline(self) -> None:
        """Fit Breslow's baseline on the training patients with the current weights."""
        train = self.trainer.datamodule.split("train")
        with torch.no_grad():
            inputs = torch.as_tensor(np.asarray(train.inputs), dtype=torch.float32, device=self.device)
            risk = self(inputs).double().cpu().numpy()
        self.baseline = BreslowBaseline().fit(risk, train.event, train.time)
        self.eval_times = tuple(train.eval_times)

    def predict_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        assert self.baseline is not None, "on_predict_start fits the baseline"
        risk = self(batch[0]).double().cpu().numpy()
        survival = self.baseline.survival_at(risk, self.eval_times)
        return torch.from_numpy(np.column_stack([risk, survival]))

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(params=self.parameters())
        if self.scheduler_factory is None:
            return optimizer
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": self.scheduler_factory(optimizer=optimizer), "monitor": "val/loss"}}
