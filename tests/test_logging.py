"""Loggers: CSV by default, wandb offline with one run per job, finished even when the job fails."""

from __future__ import annotations

import pytest


def test_csv_logger_writes_inside_the_record(compose_config) -> None:
    from medbench.engine.run import run

    record = run(compose_config())
    assert (record.logs_dir() / "metrics.csv").is_file()
    header = (record.logs_dir() / "metrics.csv").read_text().splitlines()[0]
    assert "val/loss" in header and "train/loss" in header


@pytest.mark.slow
def test_wandb_runs_offline_and_finishes_on_failure(compose_config, monkeypatch: pytest.MonkeyPatch) -> None:
    import wandb

    from medbench.models.classifier import ClassifierModule
    from medbench.engine.run import run

    record = run(compose_config("logger=wandb"))
    offline_runs = list(record.path.glob("wandb/offline-run-*"))
    assert len(offline_runs) == 1
    assert wandb.run is None

    def explode(self, batch, batch_idx):
        raise RuntimeError("boom")

    monkeypatch.setattr(ClassifierModule, "training_step", explode)
    with pytest.raises(RuntimeError, match="boom"):
        run(compose_config("logger=wandb", "seed=7"))
    assert wandb.run is None
