"""Synthetic run records and entries: what the leaderboard tests and benchmark submit.

Every synthetic record is a real record (written through `medbench.records.record`, scored through
`medbench.evaluation.scoring`) of a binary task on generated samples: the same samples and targets for every
model (`data_seed`), so paired comparisons are meaningful, and scores whose separation grows with
`skill`. Nothing here is patient data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

import numpy as np

from medbench import __version__
from medbench.records.fingerprint import content_hash
from medbench.leaderboard.board.events import now_utc
from medbench.leaderboard.board.schema import Entry, Provenance
from medbench.records.protocol import Confidence, Protocol
from medbench.tasks.columns import DOC_ID, PREDICTION, RANK, RELEVANCE, SAMPLE_ID, SCORE, TARGET, trec_sorted
from medbench.records.record import (
    ConfidenceInterval,
    DatasetInfo,
    EnvironmentInfo,
    Failure,
    GitInfo,
    Manifest,
    MetricValue,
    ModelInfo,
    Timing,
    record_dir,
    staged_record,
)

TASK = "synthetic"
METRICS = ("auroc", "accuracy", "brier")
RETRIEVAL_METRICS = ("ndcg@10", "mrr")
DOCS_PER_QUERY = 20
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


def retrieval_outputs(n_queries: int, data_seed: int, skill: float, seed: int) -> tuple[Any, Any]:
    """A run of 20 ranked documents per query, one of them relevant, and its qrels."""
    import pandas as pd

    rng = np.random.default_rng(data_seed)
    queries = np.repeat([f"q{index:04d}" for index in range(n_queries)], DOCS_PER_QUERY)
    docs = np.array([f"d{index:02d}" for index in range(DOCS_PER_QUERY)] * n_queries)
    relevant = rng.integers(0, DOCS_PER_QUERY, size=n_queries)
    is_relevant = (np.tile(np.arange(DOCS_PER_QUERY), n_queries) == np.repeat(relevant, DOCS_PER_QUERY)).astype(np.int64)
    noise = np.random.default_rng(seed + 1_000_003).normal(size=len(queries))
    run = pd.DataFrame({SAMPLE_ID: queries, DOC_ID: docs, SCORE: skill * 2.0 * is_relevant + noise})
    run[RANK] = trec_sorted(run).groupby(SAMPLE_ID).cumcount().astype(np.int64) + 1  # aligned on the index: rows keep their order
    qrels = pd.DataFrame({SAMPLE_ID: queries[is_relevant == 1], DOC_ID: docs[is_relevant == 1], RELEVANCE: 1})
    return run, qrels


N_CLASSES = 3
SURVIVAL_TIMES = (1.0, 2.0, 3.0)
QUANTILE_LEVELS = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)


def _ids(n_samples: int) -> np.ndarray:
    return np.array([f"s{index:05d}" for index in range(n_samples)])


def _classified(kind: str, n_samples: int, data_seed: int, skill: float, seed: int) -> tuple[Any, None, list[Any]]:
    """Targets and probabilities laid out as the kind's `Classes` say (one score, one per class, one per label)."""
    from medbench.tasks.predictions import classification_frame
    from medbench.tasks.registry import classes_of

    classes = classes_of(kind)
    if classes.single_score:
        ids, targets = samples(n_samples, data_seed)
        return classification_frame(ids, targets, scores(targets, skill, seed), kind), None, [ids, targets]
    data, noise = np.random.default_rng(data_seed), np.random.default_rng(seed + 1_000_003)
    ids = _ids(n_samples)
    if classes.exclusive:
        targets = data.integers(0, N_CLASSES, size=n_samples)
        logits = skill * 3.0 * np.eye(N_CLASSES)[targets] + noise.normal(size=(n_samples, N_CLASSES))
        probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    else:
        targets = (data.random((n_samples, N_CLASSES)) < 0.4).astype(np.int64)
        probabilities = 1.0 / (1.0 + np.exp(-(skill * 3.0 * (targets - 0.5) + noise.normal(size=(n_samples, N_CLASSES)))))
    return classification_frame(ids, targets, probabilities, kind), None, [ids, targets]


def _regression(kind: str, n_samples: int, data_seed: int, skill: float, seed: int) -> tuple[Any, None, list[Any]]:
    import pandas as pd

    data, noise = np.random.default_rng(data_seed), np.random.default_rng(seed + 1_000_003)
    ids, targets = _ids(n_samples), data.normal(size=n_samples)
    predictions = skill * targets + (1.0 - skill) * noise.normal(size=n_samples)
    return pd.DataFrame({SAMPLE_ID: ids, TARGET: targets, PREDICTION: predictions}), None, [ids, targets]


def _survival(kind: str, n_samples: int, data_seed: int, skill: float, seed: int) -> tuple[Any, None, list[Any]]:
    import pandas as pd

    from medbench.tasks.survival import EVENT, RISK, TIME, survival_column

    data, noise = np.random.default_rng(data_seed), np.random.default_rng(seed + 1_000_003)
    ids = _ids(n_samples)
    time = data.exponential(2.0, size=n_samples) + 0.1
    event = (data.random(n_samples) < 0.7).astype(np.int64)
    risk = -skill * np.log(time) + (1.0 - skill) * noise.normal(size=n_samples)
    frame = pd.DataFrame({SAMPLE_ID: ids, TIME: time, EVENT: event, RISK: risk})
    for t in SURVIVAL_TIMES:
        frame[survival_column(t)] = np.exp(-0.3 * t * np.exp(risk))
    return frame, None, [ids, time, event]


def _forecasting(kind: str, n_samples: int, data_seed: int, skill: float, seed: int) -> tuple[Any, None, list[Any]]:
    data, noise = np.random.default_rng(data_seed), np.random.default_rng(seed + 1_000_003)
    frame, truth = _forecasts(_ids(n_samples), data, noise, skill)
    return frame, None, truth


def _retrieval(kind: str, n_queries: int, data_seed: int, skill: float, seed: int) -> tuple[Any, Any, list[Any]]:
    run, qrels = retrieval_outputs(n_queries, data_seed, skill, seed)
    return run, qrels, [qrels[SAMPLE_ID].to_numpy(), qrels[DOC_ID].to_numpy()]


# (kind, units, data seed, skill, seed) -> (predictions, qrels or None, the truth the fingerprint hashes)
Generator = Callable[[str, int, int, float, int], tuple[Any, Optional[Any], list[Any]]]


@dataclass(frozen=True)
class SyntheticTask:
    """The synthetic task of one kind: its name, metrics, subgroup columns and generator."""

    name: str
    metrics: tuple[str, ...]
    subgroups: tuple[str, ...]
    generate: Generator


SYNTHETIC_TASKS: dict[str, SyntheticTask] = {
    "binary": SyntheticTask(TASK, METRICS, ("sex", "age_band"), _classified),
    "multiclass": SyntheticTask(f"{TASK}-multiclass", ("macro_auroc", "accuracy"), ("language",), _classified),
    "multilabel": SyntheticTask(f"{TASK}-multilabel", ("macro_auroc", "micro_f1"), ("language",), _classified),
    "survival": SyntheticTask(f"{TASK}-survival", ("c_index", "ibs"), ("language",), _survival),
    "regression": SyntheticTask(f"{TASK}-regression", ("mae", "rmse"), ("language",), _regression),
    "forecasting": SyntheticTask(f"{TASK}-forecasting", ("mase", "smape", "pinball", "coverage@0.9", "width@0.9"), ("language",), _forecasting),
    "retrieval": SyntheticTask(f"{TASK}-retrieval", RETRIEVAL_METRICS, ("language",), _retrieval),
}
# The levels a subgroup column draws from.
SUBGROUP_LEVELS = {"sex": ("F", "M"), "age_band": ("<50", "50-70", ">70"), "language": ("en", "fr")}


def _forecasts(ids: np.ndarray, data: np.random.Generator, noise: np.random.Generator, skill: float) -> tuple[Any, list[Any]]:
    """Point and quantile forecasts of a positive series; the MASE scale is the seasonal-naive error (1.0),
    so a model of `skill` 0 errs about as much as seasonal naive and MASE falls below 1 as skill grows."""
    import pandas as pd
    from scipy.stats import norm

    from medbench.tasks.forecasting import quantile_column

    targets = 10.0 + 3.0 * data.normal(size=len(ids))
    spread = 1.25 * (1.0 - 0.6 * skill)
    predictions = targets + spread * noise.normal(size=len(ids))
    frame = pd.DataFrame({SAMPLE_ID: ids, TARGET: targets, PREDICTION: predictions, "scale": np.ones(len(ids))})
    for level in QUANTILE_LEVELS:
        frame[quantile_column(level)] = predictions + spread * norm.ppf(level)
    return frame, [ids, targets]


def write_record(
    runs_dir: Path,
    *,
    seed: int,
    skill: float = 0.8,
    n_samples: int = 200,
    data_seed: int = 0,
    task_version: str = "1.0",
    metrics: Optional[tuple[str, ...]] = None,
    failed: bool = False,
    n_resamples: int = 200,
    kind: str = "binary",
    model: str = "synthetic",
    name: str = "",
    settings: Optional[dict[str, Any]] = None,
    subgroups: bool = False,
    level: float = 0.95,
    interval_method: str = "percentile",
    official_release: Optional[bool] = None,
) -> Path:
    """Write one complete (or failed) synthetic run record, scored with bootstrap intervals; return its folder.

    `kind` names its task in :data:`SYNTHETIC_TASKS` (`synthetic`, `synthetic-<kind>`): `n_samples`
    samples, or queries for retrieval.
    `model` is the model option Hydra would record, `settings` its keys (`model.<key>` in the config),
    `name` the run's name; `subgroups` adds a sex and an age band per sample (a language per query)
    and scores every metric per level of them; `official_release` is the manifest's word on the data file.
    """
    from medbench.evaluation.scoring import score_outputs
    from medbench.metrics.registry import scale_of
    from medbench.tasks.outputs import TaskOutputs

    synthetic = SYNTHETIC_TASKS[kind]
    task = synthetic.name
    metrics = metrics or synthetic.metrics
    settings = dict(settings or {})
    run_id = content_hash(
        [task, task_version, seed, skill, n_samples, data_seed, list(metrics), failed, model, name, sorted(settings.items()), subgroups, level, interval_method]
        + ([official_release] if official_release is not None else [])
    )[:16]
    subgroup_columns = synthetic.subgroups if subgroups else ()
    frame, qrels, truth = synthetic.generate(kind, n_samples, data_seed, skill, seed)
    ids = frame[SAMPLE_ID].unique()
    if subgroups:
        frame = _with_subgroups(frame, ids, data_seed, subgroup_columns)
    outputs = TaskOutputs(frame, qrels)
    protocol = Protocol(
        name=task, version=task_version, kind=kind, metrics=tuple(metrics), primary=metrics[0],
        direction=scale_of(kind, metrics[0]).direction,
        confidence=Confidence(method=interval_method, level=level, n_resamples=n_resamples), subgroup_columns=subgroup_columns,
    )
    overrides = [f"model={model}"] * (model != "synthetic") + [f"model.{key}={value}" for key, value in settings.items()] + [f"seed={seed}"]
    with staged_record(record_dir(runs_dir, task, run_id)) as writer:
        writer.write_config(_config_yaml(protocol, seed, model, name, settings), overrides)
        if not failed:
            writer.write_splits({"test": [str(i) for i in ids]})
            writer.write_predictions(outputs.predictions)
            if outputs.qrels is not None:
                writer.write_qrels(outputs.qrels)
            writer.write_metrics(score_outputs(outputs, protocol))
        dataset = DatasetInfo(
            fingerprint=content_hash(truth), split_sizes={"test": len(ids)}, source="synthetic", official_release=official_release
        )
        return writer.commit(_manifest(run_id, seed, protocol, dataset, failed, overrides, {"task": task, "model": model})).path


def _with_subgroups(frame: Any, ids: np.ndarray, data_seed: int, columns: tuple[str, ...]) -> Any:
    """Subgroup columns per sample (per query for retrieval), the same for every model given `data_seed`."""
    rng = np.random.default_rng(data_seed + 17)
    levels = {column: rng.choice(list(SUBGROUP_LEVELS[column]), size=len(ids)) for column in columns}
    by_id = {column: dict(zip(ids, values)) for column, values in levels.items()}
    return frame.assign(**{column: frame[SAMPLE_ID].map(mapping) for column, mapping in by_id.items()})


def _config_yaml(protocol: Protocol, seed: int, model: str, name: str, settings: dict[str, Any]) -> str:
    """The resolved config such a run would have: the task's protocol and the model's settings."""
    import yaml

    task = protocol.model_dump(mode="json")
    task["primary_metric"] = task.pop("primary")
    config = {"seed": seed, "name": name, "tags": [], "task": task, "model": {"_target_": MODEL_TARGET, "option": model, **settings}}
    return yaml.safe_dump(config, sort_keys=False)


def _manifest(
    run_id: str, seed: int, protocol: Protocol, dataset: DatasetInfo, failed: bool, overrides: list[str], choices: dict[str, str]
) -> Manifest:
    now = datetime.now(timezone.utc).isoformat()
    return Manifest(
        run_id=run_id,
        status="failed" if failed else "complete",
        medbench_version=__version__,
        seed=seed,
        protocol=protocol,
        model=ModelInfo(target=MODEL_TARGET, parameter_count=2),
        dataset=dataset,
        git=GitInfo(commit="0" * 40, dirty=False),
        environment=_environment(),
        timing=Timing(started_at=now, finished_at=now, duration_s=0.0),
        overrides=overrides,
        choices=choices,
        failure=Failure(type="RuntimeError", message="synthetic failure", traceback="") if failed else None,
    )


@lru_cache(maxsize=1)
def _environment() -> EnvironmentInfo:
    from medbench.records.provenance import environment_info

    return environment_info()


def entry(index: int, *, board: str = TASK, predictions_sha256: str, n_samples: int = 200) -> Entry:
    """An entry made directly (no record), for boards of thousands of entries in the benchmark.

    Entries come three seeds to a config; configs cycle through four model options, each with its own width.
    """
    rng = np.random.default_rng(index)
    config, seed = divmod(index, 3)
    half = 1.96 * np.sqrt(0.25 / n_samples)
    values = {name: float(rng.uniform(0.6, 0.95)) for name in METRICS}
    return Entry(
        board=board,
        protocol=Protocol(name=TASK, version="1.0", kind="binary", metrics=METRICS, primary="auroc"),
        dataset_fingerprint="f" * 64,
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
            seed=seed,
            overrides=[f"model.width={config}", f"seed={seed}"],
            choices={"model": ("mlp", "logreg", "cnn", "gbm")[config % 4]},
            settings={"model.width": str(config)},
            config_sha256=content_hash(["synthetic-config", config]),
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
