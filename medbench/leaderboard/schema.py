"""What a board and an entry hold: aggregates with their intervals and where every number came from.

An entry never holds patient-level data: only metrics over the test set, hashes and provenance.
The per-sample predictions that paired tests need are referenced by their SHA-256 and kept in the
board's content-addressed predictions store.
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from medbench.record import MetricValue

SCHEMA_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BoardSpec(_Strict):
    """`board.json`: what makes two entries comparable, and the entry others are compared with."""

    schema_version: int = SCHEMA_VERSION
    name: str
    task: str
    task_version: str
    kind: str
    dataset_fingerprint: str
    metrics: list[str]
    primary: str
    direction: Literal["maximize", "minimize"]
    baseline: Optional[str] = None
    created_at: str


class Provenance(_Strict):
    """Where the entry's numbers came from: the run, its code, its environment, its submitter."""

    run_id: str
    model_target: str
    parameter_count: Optional[int] = None
    checkpoint_sha256: Optional[str] = None
    seed: int
    overrides: list[str]
    git_commit: Optional[str] = None
    git_dirty: Optional[bool] = None
    medbench_version: str
    python: str
    platform: str
    packages: dict[str, Optional[str]]
    dataset_source: str
    split_sizes: dict[str, int]
    started_at: str
    duration_s: float
    predictions_sha256: str
    # Retrieval: the relevance judgments the per-query metrics need, kept beside the predictions.
    qrels_sha256: Optional[str] = None
    submitter: str
    submitted_at: str
    # What was run, as its user named it: the run's `name` and `tags`, Hydra's option per config
    # group (model: mlp, experiment: …), and its semantic settings as `key=value` (seed and task
    # left out). Entries are named and grouped from these (`naming`); older entries lack them.
    name: str = ""
    tags: list[str] = Field(default_factory=list)
    choices: dict[str, str] = Field(default_factory=dict)
    settings: dict[str, str] = Field(default_factory=dict)
    # SHA-256 of the semantic config without the seed and the task: the runs of one config over several seeds share it.
    config_sha256: Optional[str] = None


class ConfidenceSpec(_Strict):
    """The task's `confidence` block, so the board's paired tests resample as `medbench compare` does."""

    method: str
    level: float
    n_resamples: int
    seed: int


class Entry(_Strict):
    """One file `entries/<sha256 of its bytes>.json`."""

    schema_version: int = SCHEMA_VERSION
    board: str
    task: str
    task_version: str
    kind: str
    dataset_fingerprint: str
    primary: str
    direction: Literal["maximize", "minimize"]
    n_samples: int
    # Samples drawn together by the task's resampling (patients, sites): paired tests respect it.
    cluster_column: Optional[str] = None
    metrics: dict[str, MetricValue]
    provenance: Provenance
    # Metrics per level of each subgroup column (sex, age band, site, language), as in metrics.json.
    subgroups: dict[str, dict[str, dict[str, MetricValue]]] = Field(default_factory=dict)
    confidence: Optional[ConfidenceSpec] = None

    @property
    def label(self) -> str:
        """A short human name: the model's class and its seed."""
        return f"{self.provenance.model_target.rsplit('.', 1)[-1]} seed={self.provenance.seed}"

    def primary_value(self) -> MetricValue:
        return self.metrics[self.primary]
