"""Every experiment file composes and runs end to end with tiny limits."""

from __future__ import annotations


import pytest

from medbench.config.location import config_dir

EXPERIMENTS = sorted(path.stem for path in (config_dir() / "experiment").glob("*.yaml"))
# A pretrained encoder over a whole corpus, or a 5,000-document corpus: tens of seconds on a CPU.
SLOW = {"retrieval_minilm_dense", "retrieval_icd11_fr_bm25"}


@pytest.mark.parametrize("experiment", [pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name for name in EXPERIMENTS])
def test_experiment_runs(compose_config, experiment: str) -> None:
    from medbench.engine.run import run

    record = run(compose_config(f"experiment={experiment}"))
    assert record.complete
    metrics = record.metrics()
    assert metrics.primary in metrics.values
