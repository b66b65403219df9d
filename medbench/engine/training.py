"""Train a LightningModule with the configured trainer, loggers and callbacks, then predict the test split.

Loggers and checkpoints write inside the staging folder of the run record, so a run's logs travel
with its record and a killed run leaves nothing outside it.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Optional

import numpy as np
import pytorch_lightning as pl
import torch
from omegaconf import DictConfig

from medbench.data.base import MedbenchDataModule
from medbench.config.instantiation import instantiate_named, instantiate_node
from medbench.config.recorded import recorded_config


# What Lightning prints that a medbench user cannot act on: device banners ("GPU available"),
# adverts and tips, a SLURM hint outside SLURM jobs, its own internal deprecations, and notes on
# logging intervals of tiny data sets. Lightning's warnings about the user's code stay.
CHATTER_LOGGERS = ("pytorch_lightning.utilities.rank_zero", "lightning.pytorch.utilities.rank_zero", "lightning_fabric.utilities.rank_zero")
CHATTER_WARNINGS = (
    r"The `srun` command is available on your system but is not used",
    r"`isinstance\(treespec, LeafSpec\)` is deprecated",
    r"The number of training batches \(\d+\) is smaller than the logging interval",
    r"The '\w+_dataloader' does not have many workers",
)


def quiet_lightning() -> None:
    """Silence Lightning's banners, adverts and internal notices (see CHATTER_*)."""
    for name in CHATTER_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    for pattern in CHATTER_WARNINGS:
        warnings.filterwarnings("ignore", message=pattern)


def build_loggers(cfg: DictConfig, log_root: Path) -> list[pl.loggers.Logger]:
    """The configured loggers, all writing under `log_root`; wandb stays offline unless WANDB_MODE is set."""
    if cfg.logger and "wandb" in cfg.logger:
        os.environ.setdefault("WANDB_MODE", "offline")
    return instantiate_named(cfg.logger, "logger", save_dir=str(log_root))


def fit_and_predict(
    module: pl.LightningModule, datamodule: MedbenchDataModule, cfg: DictConfig, log_root: Path, scratch: Path
) -> Optional[np.ndarray]:
    """Fit `module`, reload its best checkpoint when one was kept, and return the test scores.

    Under DDP (world size > 1) the predict loader would be sharded and padded across ranks; the
    record needs every test sample once and in order, so rank 0 predicts alone on one device and
    the other ranks return None.
    """
    quiet_lightning()
    loggers = build_loggers(cfg, log_root)
    callbacks = instantiate_named(cfg.callbacks, "callbacks")
    for callback in callbacks:
        if isinstance(callback, pl.callbacks.ModelCheckpoint):
            callback.dirpath = str(scratch / "checkpoints")
    trainer: pl.Trainer = instantiate_node(
        cfg.trainer, "trainer", logger=loggers or False, callbacks=callbacks, default_root_dir=str(scratch)
    )
    failed = True
    try:
        for logger in loggers:
            logger.log_hyperparams(recorded_config(cfg))  # no environment values in logs either
        trainer.fit(module, datamodule=datamodule)
        best = next((c.best_model_path for c in callbacks if isinstance(c, pl.callbacks.ModelCheckpoint)), "")
        if trainer.world_size > 1:
            if trainer.global_rank != 0:
                failed = False
                return None
            trainer = pl.Trainer(
                accelerator=cfg.trainer.get("accelerator", "auto"), devices=1, logger=False, enable_progress_bar=False
            )
        batches = trainer.predict(module, datamodule=datamodule, ckpt_path=best or None)
        failed = False
    finally:
        _finish_loggers(loggers, failed)
    return torch.cat([b.detach().cpu() for b in batches]).double().numpy()


def save_weights(module: pl.LightningModule, path: Path) -> Path:
    """Weights only (a state dict), loadable with `torch.load(..., weights_only=True)`."""
    target = path.with_suffix(".pt")
    torch.save(module.state_dict(), target)
    return target


def _finish_loggers(loggers: list[pl.loggers.Logger], failed: bool) -> None:
    for logger in loggers:
        logger.finalize("failed" if failed else "success")
        if type(logger).__name__ == "WandbLogger":
            import wandb

            wandb.finish(exit_code=1 if failed else 0)
