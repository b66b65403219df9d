"""What a board and an entry hold: aggregates with their intervals and where every number came from.

An entry never holds patient-level data: only metrics over the test set, hashes and provenance.
The per-sample predictions that paired tests need are referenced by their SHA-256 and kept in the
board's content-addressed predictions store.

A board's identity is a task protocol (:class:`medbench.records.protocol.Protocol`, as the runs' manifests
hold it) plus a dataset fingerprint; an entry carries the same two, and may join the board when
both are equal (see :mod:`medbench.leaderboard.board.comparability`).
"""

from __future__ import annotations

from typing import Any, Optional

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer

from medbench.io import Strict
from medbench.leaderboard.board.release import ReleasePolicy
from medbench.records.protocol import Direction, Protocol
from medbench.records.pathways import PathwaySummary
from medbench.records.record import MetricValue

# 2: board and entries hold the whole protocol instead of task, version, kind, metrics, primary...
SCHEMA_VERSION = 2


class _ProtocolView:
    """Short names for the protocol fields that boards and entries are shown and ranked by."""

    protocol: Protocol  # declared by the model that mixes this in

    @property
    def task(self) -> str:
        return self.protocol.name

    @property
    def task_version(self) -> str:
        return self.protocol.version

    @property
    def kind(self) -> str:
        return self.protocol.kind

    @property
    def primary(self) -> str:
        return self.protocol.primary

    @property
    def direction(self) -> Direction:
        return self.protocol.direction


class BoardSpec(Strict, _ProtocolView):
    """`board.json`: what makes two entries comparable, and the entry others are compared with."""

    schema_version: int = SCHEMA_VERSION
    name: str
    protocol: Protocol
    dataset_fingerprint: str
    baseline: Optional[str] = None
    created_at: str
    # What leaves the store of the numbers (`release`): a hidden-label board's, set at `board create`.
    release: Optional[ReleasePolicy] = None
    # Who may review (folder boards: names; empty, anyone but the entry's submitter).
    reviewers: tuple[str, ...] = ()
    # A committee timeline board: the hidden test cohort's care pathways, from the hospital's record at
    # `board create` (cells under k refused by the schema). Absent from the bytes of other boards.
    pathways: Optional[PathwaySummary] = None

    @model_serializer(mode="wrap")
    def _without_absent_pathways(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        if data.get("pathways") is None:
            data.pop("pathways", None)
        return data

    @property
    def metrics(self) -> tuple[str, ...]:
        return self.protocol.metrics


class Provenance(Strict):
    """Where the entry's numbers came from: the run, its code, its environment, its submitter."""

    run_id: str
    model_target: str
    parameter_count: Optional[int] = None
    checkpoint_sha256: Optional[str] = None
    # None for a partner's predictions file: medbench never saw the run, so it invents no seed.
    seed: Optional[int] = None
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
    # The manifest's word on a public benchmark's file (MedMNIST): False for an altered or
    # unofficial file, whose numbers are not comparable with published ones; None: unchecked.
    official_release: Optional[bool] = None


class Entry(Strict, _ProtocolView):
    """One file `entries/<sha256 of its bytes>.json`."""

    schema_version: int = SCHEMA_VERSION
    board: str
    # The protocol the run was scored under, as its manifest holds it.
    protocol: Protocol
    dataset_fingerprint: str
    n_samples: int
    metrics: dict[str, MetricValue]
    provenance: Provenance
    # Metrics per level of each subgroup column (sex, age band, site, language), as in metrics.json.
    subgroups: dict[str, dict[str, dict[str, MetricValue]]] = Field(default_factory=dict)
    # Timeline tasks: the test cohort's care pathways, each of at least k patients (the schema refuses
    # smaller cells). Absent from the bytes of other entries, whose ids stay as they were.
    pathways: Optional[PathwaySummary] = None
    # A committee entry's random value, kept with its full-precision numbers and never released, so
    # that its id (the SHA-256 of its bytes) is no offline oracle for guessed labels (`release`).
    # Absent from a folder entry's bytes.
    salt: Optional[str] = None

    @model_serializer(mode="wrap")
    def _without_absent_salt(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        for optional in ("salt", "pathways"):
            if data.get(optional) is None:
                data.pop(optional, None)
        return data

    def primary_value(self) -> MetricValue:
        return self.metrics[self.primary]
