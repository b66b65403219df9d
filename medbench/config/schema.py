"""Structured configs: the typed shape of a composed medbench config.

Hydra merges every YAML file into these dataclasses, so a misspelt key or a wrong type fails at
composition with the full key named, before anything runs. Free-form parts (the model, trainer,
loggers, callbacks) are `Any`: they are `_target_` nodes owned by the libraries they instantiate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, OmegaConf


class Direction(str, Enum):
    maximize = "maximize"
    minimize = "minimize"


@dataclass
class ConfidenceConfig:
    """How the uncertainty of every reported metric is estimated."""

    method: str = "percentile"
    level: float = 0.95
    n_resamples: int = 1000
    seed: int = 0


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
    """`maximize`/`minimize` (a task's direction) as Lightning's `max`/`min`, for checkpoint and early-stopping configs."""
    value = str(getattr(direction, "value", direction))
    if value not in {d.value for d in Direction}:
        raise ValueError(f"task.direction must be maximize or minimize, not {value!r}")
    return "max" if value == Direction.maximize.value else "min"


# Registered on import: sweep workers (joblib, submitit) resolve configs in fresh processes that
# import this module when they unpickle the config, without calling register_configs().
OmegaConf.register_new_resolver("lightning_mode", lightning_mode, replace=True)


def register_configs() -> None:
    """Make the schema available to `conf/config.yaml` as `medbench_schema`, and medbench's SLURM launcher's."""
    from medbench.sweeps.slurm_launcher import register_schema

    ConfigStore.instance().store(name="medbench_schema", node=MedbenchConfig)
    register_schema()
