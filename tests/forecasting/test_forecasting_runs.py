"""The forecasting task end to end on generated admissions: both baselines, a re-score, a bundle."""

from __future__ import annotations

from pathlib import Path

import pytest

from medbench.transfer.export import export_bundle
from medbench.evaluation.scoring import record_outputs, score_outputs

SMALL = ["task.data.n_days=600", "task.data.n_test_origins=6"]


@pytest.mark.slow
def test_gradient_boosting_beats_seasonal_naive_on_generated_admissions(compose_config, tmp_path: Path) -> None:
    from medbench.engine.run import run

    naive = run(compose_config("experiment=forecasting_seasonal_naive", *SMALL))
    boosted = run(compose_config("experiment=forecasting_gbm", *SMALL, "model.max_iter=60"))
    for record in (naive, boosted):
        assert record.complete and record.protocol.kind == "forecasting"
        metrics = record.metrics()
        assert metrics.n_samples == 2 * 6 * 28
        assert metrics.values["mase"].ci.resampling_unit == "cluster:window"
        assert 0.5 < metrics.values["coverage@0.9"].value <= 1.0
    # The generated series have a yearly cycle and a trend that last week's value cannot follow.
    assert boosted.metrics().values["mase"].value < naive.metrics().values["mase"].value
    # Quantiles recalibrated on the validation forecasts cover about as often as they claim.
    assert 0.8 <= boosted.metrics().values["coverage@0.9"].value <= 0.98
    assert score_outputs(record_outputs(boosted), boosted.protocol) == boosted.metrics()
    report = (export_bundle(naive.path, tmp_path / "bundle").path / "report.html").read_text()
    assert "Coverage of the prediction intervals by horizon" in report
