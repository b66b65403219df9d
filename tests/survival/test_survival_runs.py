"""Survival runs end to end: complete records whose metrics are recomputed from the record alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sksurv.metrics import concordance_index_censored, concordance_index_ipcw, integrated_brier_score
from sksurv.util import Surv

from medbench.records.record import read_record
from medbench.evaluation.scoring import score_outputs
from medbench.tasks.outputs import TaskOutputs
from medbench.tasks.survival import survival_column


def sksurv_metrics_of(record) -> dict[str, float]:
    """scikit-survival's metrics on the stored predictions, at the times of the record's config."""
    frame = record.predictions()
    times = list(record.protocol.eval_times)
    event, time, risk = frame["event"].astype(bool).to_numpy(), frame["time"].to_numpy(), frame["risk"].to_numpy()
    survival = frame[[survival_column(t) for t in times]].to_numpy()
    y = Surv.from_arrays(event, time)
    return {
        "c_index": concordance_index_censored(event, time, risk)[0],
        "uno_c_index": concordance_index_ipcw(y, y, risk, tau=times[-1])[0],
        "ibs": integrated_brier_score(y, y, survival, times),
    }


def test_coxph_experiment_writes_a_complete_record(compose_config) -> None:
    from medbench.engine.run import run

    record = read_record(run(compose_config("experiment=survival_coxph")).path)
    assert record.complete and record.protocol.kind == "survival"
    # Nothing is pickled: coefficients and Breslow's baseline as plain arrays, read without pickle.
    assert record.manifest.model.checkpoint_file == "model.npz" and record.manifest.model.parameter_count == 14
    with np.load(record.path / "model.npz", allow_pickle=False) as weights:
        assert weights["coef"].shape == (14,)
    frame = record.predictions()
    times = record.protocol.eval_times
    assert list(frame.columns) == ["sample_id", "time", "event", "risk"] + [survival_column(t) for t in times]
    assert frame["sample_id"].tolist() == record.splits()["test"]
    metrics = record.metrics()
    for name, expected in sksurv_metrics_of(record).items():
        value = metrics.values[name]
        assert value.value == pytest.approx(expected, abs=1e-12)
        assert value.ci is not None and value.ci.low <= value.value <= value.ci.high
    assert metrics.values["c_index"].value > 0.6 and metrics.values["ibs"].value < 0.25
    assert score_outputs(TaskOutputs(frame), record.protocol) == metrics


def test_bca_intervals_of_survival_metrics(compose_config) -> None:
    from medbench.engine.run import run

    metrics = run(compose_config("experiment=survival_coxph", "task.confidence.method=bca", "task.confidence.n_resamples=200")).metrics()
    for value in metrics.values.values():
        assert value.ci is not None and value.ci.method == "bca" and value.ci.low < value.value < value.ci.high


@pytest.mark.parametrize("task", ["survival_gbsg2", "survival_veterans"])
def test_coxph_beats_chance_on_each_dataset(compose_config, task: str) -> None:
    from medbench.engine.run import run

    metrics = run(compose_config(f"task={task}", "model=coxph", "task.confidence.n_resamples=50")).metrics()
    assert metrics.values["c_index"].value > 0.6 and metrics.values["uno_c_index"].value > 0.6


@pytest.mark.parametrize("task", ["survival_whas500", "survival_gbsg2"])
def test_deepsurv_learns(compose_config, task: str) -> None:
    from medbench.engine.run import run

    cfg = compose_config("experiment=survival_deepsurv", f"task={task}", "task.confidence.n_resamples=50", fast=False)
    record = run(cfg)
    assert record.manifest.model.checkpoint_file == "model.pt"
    metrics = record.metrics()
    for name, expected in sksurv_metrics_of(record).items():
        assert metrics.values[name].value == pytest.approx(expected, abs=1e-12)
    assert metrics.values["c_index"].value > 0.6 and metrics.values["uno_c_index"].value > 0.6


def test_a_partners_survival_predictions_are_scored(compose_config, tmp_path: Path) -> None:
    """A predictions file with risk and survival columns is evaluated like a model trained here."""
    from medbench.engine.run import run

    cox = run(compose_config("experiment=survival_coxph", "task.confidence.n_resamples=50"))
    sent = cox.predictions().drop(columns=["time", "event"])
    path = tmp_path / "partner.parquet"
    sent.to_parquet(path)
    columns = [c for c in sent.columns if c != "sample_id"]
    partner = run(
        compose_config(
            "experiment=survival_coxph",
            "task.confidence.n_resamples=50",
            "model=predictions_file",
            f"model.path={path}",
            f"model.score_columns=[{','.join(columns)}]",
        )
    )
    pd.testing.assert_frame_equal(partner.predictions(), cox.predictions())
    assert partner.metrics().values["c_index"].value == cox.metrics().values["c_index"].value


@pytest.mark.parametrize("model", ["coxph", "deepsurv"])
def test_survival_models_refuse_classification_tasks(compose_config, model: str) -> None:
    from medbench.errors import ConfigError
    from medbench.engine.run import run

    with pytest.raises(ConfigError, match="survival"):
        run(compose_config(f"model={model}"))
