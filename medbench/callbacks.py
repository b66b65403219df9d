"""Lightning callbacks of medbench: the task's own metrics on the validation split, every epoch.

Checkpoints and early stopping must follow what the task is judged on (its primary metric, in its
direction), not the training loss: a loss can keep falling while the ranking it produces gets
worse, and then the kept checkpoint is not the best model. :class:`ValidationMetrics` computes
the task's metrics with the same registry and output layout as the test scoring, on the
validation predictions a module returns from `validation_step`, and logs them as `val/<name>`
for `ModelCheckpoint` and `EarlyStopping` to monitor (conf/callbacks/default.yaml).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch

from medbench.errors import MedbenchError

log = logging.getLogger(__name__)


class ValidationMetrics(pl.Callback):
    """Log `val/<metric>` for `primary` and each of `metrics` (names in the registry of the task kind `kind`) after each validation epoch.

    The module's `validation_step` returns the same array its `predict_step` does (probabilities;
    risk and survival curves); batches come in the order of the validation split, so the first
    `n` predictions belong to its first `n` samples (`limit_val_batches` scores a prefix). A
    module whose `validation_step` returns nothing (and every module under DDP, whose ranks see
    interleaved shards) is asked for `predict_step` on the whole validation loader instead. A metric the prefix cannot define (one class only) is logged as NaN.
    """

    def __init__(self, primary: str, kind: Any, metrics: Sequence[str] = ()) -> None:
        super().__init__()
        self.metrics = list(dict.fromkeys([str(primary), *(str(name) for name in metrics)]))
        self.kind = str(getattr(kind, "value", kind))
        self._batches: list[torch.Tensor] = []

    def on_validation_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._batches = []

    def on_validation_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int, dataloader_idx: int = 0
    ) -> None:
        if isinstance(outputs, torch.Tensor):
            self._batches.append(outputs.detach().double().cpu())

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        if not self._batches or trainer.world_size > 1:
            # Under DDP each rank saw an interleaved shard: every rank predicts the whole split instead.
            self._batches = self._predicted(trainer.datamodule.val_dataloader(), pl_module)
        if not self._batches:
            return
        values = self.values(trainer.datamodule, torch.cat(self._batches).numpy())
        self._batches = []
        for name, value in values.items():
            pl_module.log(f"val/{name}", value, prog_bar=name == self.metrics[0])

    @staticmethod
    def _predicted(loader: Any, pl_module: pl.LightningModule) -> list[torch.Tensor]:
        batches = []
        with torch.no_grad():
            for index, batch in enumerate(loader):
                batch = pl_module.transfer_batch_to_device(batch, pl_module.device, 0)
                batches.append(pl_module.predict_step(batch, index).detach().double().cpu())
        return batches

    def values(self, datamodule: Any, scores: np.ndarray) -> dict[str, float]:
        from medbench.metrics.registry import get_metric, prepare
        from medbench.tasks.registry import get_kind

        split = datamodule.split("val")
        n = len(scores)
        prefix = dataclasses.replace(
            split, ids=split.ids[:n], inputs=split.inputs[:n], targets=split.targets[:n], metadata=None
        )
        prepared = prepare(self.kind, get_kind(self.kind).build_outputs(prefix, scores, []))
        values = {}
        for name in self.metrics:
            try:
                value = get_metric(self.kind, name).value(prepared)
            except (MedbenchError, ValueError) as error:
                log.debug("val/%s is undefined on %d validation samples: %s", name, n, error)
                value = math.nan
            values[name] = float(value)
        return values
