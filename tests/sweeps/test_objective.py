"""The value a search optimises: a logged validation metric (best epoch) or the primary test metric."""

from __future__ import annotations

import pytest

from medbench.errors import RecordError
from medbench.sweeps.sweep import objective_value


def test_objective_reads_the_best_logged_epoch_or_the_primary_metric(compose_config) -> None:
    from medbench.engine.run import run

    record = run(compose_config())
    logged = record.logged_metrics()["val/auroc"].dropna()
    assert objective_value(record, "val/auroc", "maximize") == pytest.approx(logged.max())
    assert objective_value(record, "val/auroc", "minimize") == pytest.approx(logged.min())
    assert objective_value(record, None, "maximize") == record.metrics().primary_value().value
    with pytest.raises(RecordError, match="objective.metric: 'val/f1' was not logged"):
        objective_value(record, "val/f1", "maximize")
