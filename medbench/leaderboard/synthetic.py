"""Synthetic run records and entries: what the leaderboard tests and benchmark submit.

Every synthetic record is a real record (written through `medbench.record`, scored through
`medbench.scoring`) of a binary task on generated samples: the same samples and targets for every
model (`data_seed`), so paired comparisons are meaningful, and scores whose separation grows with
`skill`. Nothing here is patient data.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import numpy as np

from medbench import __version__
from medbench.data.fingerprint import content_hash
from medbench.leaderboard.audit import now_utc
from medbench.leaderboard.schema import Entry, Provenance
from medbench.record import (
    ConfidenceInterval,
    DatasetInfo,
    EnvironmentInfo,
    Failure,
    GitInfo,
    Manifest,
    MetricValue,
    ModelInfo,
    TaskInfo,
    Timing,
    record_dir,
    staged_record,
)

TASK = "synthetic"
METRICS = ("auroc", "accuracy", "brier")
MODEL_TARGET = "medbench.models.synthetic.Synthetic"


def samples(n_samples: int, data_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample ids and binary targets, identical for every model given the same `data_seed`."""
    rng = np.random.default_rng(data_seed)
    ids = np.array([f"s{index:05d}" for index in range(n_samples)])
    return ids, rng.integers(0, 2, size=n_samples)


def scores(targets: np.ndarray, skill: float, seed: int) -> np.ndarray:
    """Probabilities of class 1 whose separation of the classes grows with `skill`."""
    rng = np.random.default_rng(seed + 1_000_003)
    logits = skill * 4.0 * (targets - 0.5) + rng.normal(size=len(targets))
    return 1.0 / (1.0 + np.exp(-logits))


def write_record(
    runs_dir: Path,
    *,
    seed: int,
    skill: float = 0.8,
    n_samples: int = 200,
    data_seed: int = 0,
    task_version: str = "1.0",
    metrics: tuple[str, ...] = METRICS,
    failed: bool = False,
    n_resamples: int = 200,
) -> Path:
    """Write one complete (or failed) synthetic run record, scored with bootstrap intervals; return its folder."""
    from medbench.scoring import Confidence, Protocol, score_outputs
    from medbench.tasks.outputs import TaskOutputs
    from medbench.tasks.predictions import classification_frame

    ids, targets = samples(n_samples, data_seed)
    run_id = content_hash([TASK, task_version, seed, skill, n_samples, data_seed, list(metrics), failed])[:16]
    frame = classification_frame(ids, targets, scores(targets, skill, seed), "binary")
    protocol = Protocol("binary", tuple(metrics), "auroc", "maximize", Confidence(n_resamples=n_resamples))
    scored = score_outputs(TaskOutputs(frame), protocol)
    with staged_record(record_dir(runs_dir, TASK, run_id)) as writer:
        config = f"seed: {seed}\nskill: {skill}\ntask:\n  name: {TASK}\n  cluster_column: null\n"
        writer.write_config(config, [f"seed={seed}"])
        if not failed:
            writer.write_splits({"test": ids.tolist()})
            writer.write_predictions(frame)
            writer.write_metrics(scored)
        return writer.commit(_manifest(run_id, seed, task_version, ids, targets, failed)).path


def _manifest(run_id: str, seed: int, task_version: str, ids: np.ndarray, targets: np.ndarray, failed: bool) -> Manifest:
    now = datetime.now(timezone.utc).isoformat()
    return Manifest(
        run_id=run_id,
        status="failed" if failed else "complete",
        medbench_version=__version__,
        seed=seed,
        task=TaskInfo(name=TASK, version=task_version, kind="binary", primary_metric="auroc", direction="maximize"),
        model=ModelInfo(target=MODEL_TARGET, parameter_count=2),
        dataset=DatasetInfo(fingerprint=content_hash([ids, targets]), split_sizes={"test": len(ids)}, source="synthetic"),
        git=GitInfo(commit="0" * 40, dirty=False),
        environment=_environment(),
        timing=Timing(started_at=now, finished_at=now, duration_s=0.0),
        overrides=[f"seed={seed}"],
        failure=Failure(type="RuntimeError", message="synthetic failure", traceback="") if failed else None,
    )


@lru_cache(maxsize=1)
def _environment() -> EnvironmentInfo:
    from medbench.provenance import environment_info

    return environment_info()


def entry(index: int, *, board: str = TASK, predictions_sha256: str, n_samples: int = 200) -> Entry:
    """An entry made directly (no record), for boards of thousands of entries in the benchmark."""
    rng = np.random.default_rng(index)
    half = 1.96 * np.sqrt(0.25 / n_samples)
    values = {name: float(rng.uniform(0.6, 0.95)) for name in METRICS}
    return Entry(
        board=board,
        task=TASK,
        task_version="1.0",
        kind="binary",
        dataset_fingerprint="f" * 64,
        primary="auroc",
        direction="maximize",
        n_samples=n_samples,
        metrics={
            name: MetricValue(
                value=value,
                ci=ConfidenceInterval(low=value - half, high=value + half, level=0.95, method="synthetic", n_resamples=0),
            )
            for name, value in values.items()
        },
        provenance=Provenance(
            run_id=f"{index:016x}",
            model_target=MODEL_TARGET,
            parameter_count=2,
            seed=index,
            overrides=[f"seed={index}"],
            git_commit="0" * 40,
            git_dirty=False,
            medbench_version=__version__,
            python="3.11",
            platform="synthetic",
            packages={"medbench": __version__},
            dataset_source="synthetic",
            split_sizes={"test": n_samples},
            started_at=now_utc(),
            duration_s=0.0,
            predictions_sha256=predictions_sha256,
            submitter="benchmark",
            submitted_at=now_utc(),
        ),
    )
