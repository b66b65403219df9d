"""Structured configs: the typed shape of a composed medbench config.

Hydra merges every YAML file into these dataclasses, so a misspelt key or a wrong type fails at
composition with the full key named, before anything runs. Free-form parts (the model, trainer,
loggers, callbacks) are `Any`: they are `_target_` nodes owned by the libraries they instantiate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, make_dataclass
from pathlib import Path
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, OmegaConf

from medbench.metrics.direction import Direction
from medbench.records.protocol import Confidence


# How the uncertainty of every reported metric is estimated: the Protocol's one model
# (`medbench.records.protocol.Confidence`) as a dataclass Hydra types the `confidence` block with;
# its ranges are checked when the run builds the protocol.
ConfidenceConfig = make_dataclass(
    "ConfidenceConfig",
    [(name, kind, field(default=Confidence.model_fields[name].default)) for name, kind in Confidence.setting_types().items()],
)
ConfidenceConfig.__module__ = __name__  # found again by name when sweep workers unpickle a config


@dataclass
class TaskConfig:
    """A task as the user configures it: its data, and the fields that make its protocol.

    A run turns it once into the typed :class:`medbench.records.protocol.Protocol` (everything but `data`),
    writes that into the record, and every reader takes it from there. `version` must change
    whenever the protocol changes (data, split, metric definitions), so that leaderboard entries
    made under an older protocol are never compared with newer ones.
    """

    name: str = MISSING
    version: str = MISSING
    # A registered task kind (`medbench.tasks.registry`): it fixes the layout of `predictions.parquet`.
    kind: str = MISSING
    description: str = ""
    data: Any = MISSING
    metrics: list[str] = MISSING
    primary_metric: str = MISSING
    direction: Direction = Direction.maximize
    confidence: ConfidenceConfig = field(default_factory=ConfidenceConfig)
    # Columns of the test metadata: samples sharing `cluster_column` (a patient, a site) are
    # resampled together; `subgroup_columns` get their own metrics.
    cluster_column: Optional[str] = None
    subgroup_columns: list[str] = field(default_factory=list)
    # Survival tasks: the times (in the data's unit) at which survival probabilities are predicted,
    # stored (`survival_<i>` columns) and scored; the largest is the horizon of Uno's C-index.
    eval_times: list[float] = field(default_factory=list)


@dataclass
class ObjectiveConfig:
    """What a hyperparameter search optimises: a metric logged in training (e.g. `val/auroc`,
    best epoch) or, when null, the record's primary test metric."""

    metric: Optional[str] = None
    mode: Direction = Direction.maximize


@dataclass
class SafetyConfig:
    """Extra modules whose `_target_`s configs from outside (bundles, submissions) may build.

    Read from the user's own config only, never from the config being checked."""

    allowed_targets: list[str] = field(default_factory=list)


@dataclass
class PathsConfig:
    root_dir: str = "."
    runs_dir: str = "runs"
    reproductions_dir: str = "runs/_reproductions"
    leaderboards_dir: str = "leaderboards"
    data_dir: str = "data"
    cache_dir: str = ".cache/medbench"


@dataclass
class MedbenchConfig:
    task: TaskConfig = MISSING
    model: Any = MISSING
    trainer: Any = field(default_factory=dict)
    logger: Any = field(default_factory=dict)
    callbacks: Any = field(default_factory=dict)
    paths: PathsConfig = field(default_factory=PathsConfig)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    safety: SafetyConfig = field(default_factory=SafetyConfig)
    seed: int = 0
    force: bool = False
    num_threads: int = 1
    print_config: bool = False
    name: str = ""
    tags: list[str] = field(default_factory=list)


def lightning_mode(direction: Any) -> str:
    """`maximize`/`minimize` (a task's direction) as Lightning's `max`/`min`, for checkpoint and early-stopping configs.

    A `target` metric (coverage at its level) has no such mode: checkpoints cannot follow it."""
    value = str(getattr(direction, "value", direction))
    modes = {Direction.maximize.value: "max", Direction.minimize.value: "min"}
    if value not in modes:
        raise ValueError(
            f"task.direction {value!r}: checkpoints and early stopping follow a metric to maximize or minimize; "
            "monitor another metric (callbacks.*.monitor and mode)"
        )
    return modes[value]


# The metrics of a user-file classification task by its kind: `task.kind=multilabel` on a task
# written for multiclass notes gets multi-label metrics, not multiclass ones its outputs lack.
KIND_METRICS = {
    "binary": ["auroc", "accuracy", "sensitivity", "specificity", "brier"],
    "multiclass": ["macro_auroc", "accuracy", "balanced_accuracy", "macro_f1"],
    "multilabel": ["macro_auroc", "micro_auroc", "macro_f1", "subset_accuracy"],
}


def kind_metrics(kind: Any) -> list[str]:
    """`${kind_metrics:${.kind}}`: the default metrics of a classification kind (the first is the primary)."""
    value = str(getattr(kind, "value", kind))
    if value not in KIND_METRICS:
        raise ValueError(f"task.kind {value!r} has no default metrics here; set task.metrics and task.primary_metric")
    return list(KIND_METRICS[value])


def kind_primary(kind: Any) -> str:
    """`${kind_primary:${.kind}}`: the first of the kind's default metrics."""
    return kind_metrics(kind)[0]


def name_of_file(key: str, fallback: str, *, _parent_: Any) -> str:
    """`${name_of_file:data.path,clinical_notes}`: a user-file task's default name, the stem of the
    file its `key` names (`operative_reports.csv` → `operative_reports`), so that two files do not
    share one board name.

    Characters a name may not hold become `_`; no file yet (`???`, a generated set) gives `fallback`,
    and a missing path is left for `validate` to name.
    """
    node, _, leaf = key.rpartition(".")
    parent = OmegaConf.select(_parent_, node) if node else _parent_
    if parent is None or OmegaConf.is_missing(parent, leaf) or parent.get(leaf) is None:
        return fallback
    stem = Path(str(parent.get(leaf)).rstrip("/\\")).name.split(".")[0]
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("_.-")[:128]
    return name or fallback


# Registered on import: sweep workers (joblib, submitit) resolve configs in fresh processes that
# import this module when they unpickle the config, without calling register_configs().
OmegaConf.register_new_resolver("lightning_mode", lightning_mode, replace=True)
OmegaConf.register_new_resolver("kind_metrics", kind_metrics, replace=True)
OmegaConf.register_new_resolver("kind_primary", kind_primary, replace=True)
OmegaConf.register_new_resolver("name_of_file", name_of_file, replace=True)


def register_configs() -> None:
    """Make the schema available to `conf/config.yaml` as `medbench_schema`.

    The SLURM launcher's schema belongs to the sweeps layer above (`medbench.sweeps.slurm_launcher.register_schema`):
    `medbench run` registers both.
    """
    ConfigStore.instance().store(name="medbench_schema", node=MedbenchConfig)
