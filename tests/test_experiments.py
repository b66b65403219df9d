"""Every experiment file composes and runs end to end with tiny limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from medbench.app import config_dir

EXPERIMENTS = sorted(path.stem for path in (config_dir() / "experiment").glob("*.yaml"))


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_experiment_runs(compose_config, experiment: str) -> None:
    from medbench.run import run

    record = run(compose_config(f"experiment={experiment}"))
    assert record.complete
    metrics = record.metrics()
    assert metrics.primary in metrics.values
