"""The run record: the one contract between what produces results and what reads them.

A record is a folder ``<runs_dir>/<task>/<run_id>/``. This module alone knows the names of the
files inside it and their schemas; statistics, leaderboards, reproduction and export read records
through :func:`read_record` and never parse the files themselves.

Records are written atomically: everything goes to a staging folder under
``<runs_dir>/<task>/.staging/`` and the folder is renamed into place only when the manifest is
final. A run that crashes or is killed leaves, at worst, an orphan staging folder, never a folder
that looks complete.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, Field, ValidationError, field_validator

from medbench.errors import RecordError
from medbench.io import Strict, atomic_write, fsync_dir, sha256_file, validation_problems
from medbench.metrics.direction import Direction
from medbench.records.pathways import PathwaySummary
from medbench.records.protocol import Protocol

# 2: the manifest holds the whole task protocol (`protocol`) instead of a few task fields (`task`).
SCHEMA_VERSION = 2

CONFIG_FILE = "config.yaml"
OVERRIDES_FILE = "overrides.yaml"
MANIFEST_FILE = "manifest.json"
METRICS_FILE = "metrics.json"
PREDICTIONS_FILE = "predictions.parquet"
# Retrieval only: the relevance judgments of the test queries (query id, doc id, grade).
QRELS_FILE = "qrels.parquet"
SPLITS_FILE = "splits.json"
# Timeline tasks: the test cohort's care pathways, aggregates of at least k patients (medbench.records.pathways).
PATHWAYS_FILE = "pathways.json"
CHECKPOINT_STEM = "model"
# A TF-IDF text model's learned arrays, read without unpickling (medbench.models.tfidf_arrays).
TFIDF_CHECKPOINT_SUFFIX = ".tfidf.npz"
LOGS_DIR = "logs"
# What the CSV logger (the default) writes under LOGS_DIR: one row per logging step or epoch.
LOGGED_METRICS_FILE = "metrics.csv"
# Written by `medbench reproduce` into its own folder, beside the rerun's record.
REPRODUCTION_FILE = "reproduction.json"
STAGING_DIR = ".staging"
SCRATCH_DIR = ".scratch"


def _undefined_as_nan(value: Any) -> Any:
    """JSON has no NaN: an undefined metric is written as null and read back as NaN."""
    return float("nan") if value is None else value


class ConfidenceInterval(Strict):
    low: float
    high: float
    level: float
    method: str
    # Resamples on which the metric was defined (a resample without positives leaves AUROC undefined).
    n_resamples: int
    # What was resampled: "sample", "query", or "cluster:<column>" when units were drawn by cluster.
    resampling_unit: Optional[str] = None
    stratified: Optional[bool] = None

    _nan = field_validator("low", "high", mode="before")(_undefined_as_nan)


class MetricValue(Strict):
    value: float
    ci: Optional[ConfidenceInterval] = None
    # Why the number deserves caution: a test class too small to estimate it, or an interval that
    # cannot be drawn ("n too small"). Records from before it have none.
    warning: Optional[str] = None

    _nan = field_validator("value", mode="before")(_undefined_as_nan)


class Metrics(Strict):
    """`metrics.json`: every test metric, with the primary one named."""

    schema_version: int = SCHEMA_VERSION
    primary: str
    direction: Direction
    n_samples: int
    values: dict[str, MetricValue]
    subgroups: dict[str, dict[str, dict[str, MetricValue]]] = Field(default_factory=dict)

    def primary_value(self) -> MetricValue:
        return self.values[self.primary]


class VocabularyInfo(Strict):
    """A text model's vocabulary: only terms in at least `min_document_frequency` training documents."""

    min_document_frequency: int
    terms: int
    left_out: int


class ModelInfo(Strict):
    target: str
    parameter_count: Optional[int] = None
    checkpoint_file: Optional[str] = None
    checkpoint_sha256: Optional[str] = None
    vocabulary: Optional[VocabularyInfo] = None


class DatasetInfo(Strict):
    """What identifies the exact data: a content hash of the samples and of the split ids."""

    fingerprint: str
    split_sizes: dict[str, int]
    source: str
    # The loader (its `_target_`) and the seed of its split, for readers who have only the record.
    loader: str = ""
    split_seed: Optional[int] = None
    # For data of a public benchmark (MedMNIST): whether the file is its official release. False
    # marks numbers that are not comparable with published ones (boards can show it); None: unchecked.
    official_release: Optional[bool] = None


class GitInfo(Strict):
    commit: Optional[str] = None
    dirty: Optional[bool] = None


class EnvironmentInfo(Strict):
    python: str
    platform: str
    machine: str
    cpu: str
    cpu_count: int
    gpu: Optional[str] = None
    packages: dict[str, Optional[str]]


class Timing(Strict):
    started_at: str
    finished_at: str
    duration_s: float


class Failure(Strict):
    type: str
    message: str
    traceback: str


class Manifest(Strict):
    """`manifest.json`: where every number of the record came from."""

    schema_version: int = SCHEMA_VERSION
    run_id: str
    status: Literal["complete", "failed"]
    medbench_version: str
    seed: int
    # The task's protocol as the run was scored under it: every reader takes it from here.
    protocol: Protocol
    model: ModelInfo
    dataset: Optional[DatasetInfo] = None
    git: GitInfo
    environment: EnvironmentInfo
    timing: Timing
    overrides: list[str]
    failure: Optional[Failure] = None
    # Hydra's option per config group (model: mlp, experiment: breast_cancer_logreg): what was run,
    # by the names users chose it by, even where no override named it (the default model).
    choices: dict[str, str] = Field(default_factory=dict)


@dataclass(frozen=True)
class RunRecord:
    """A record read from disk. Its files are loaded on demand through its methods."""

    path: Path
    manifest: Manifest

    @property
    def run_id(self) -> str:
        return self.manifest.run_id

    @property
    def complete(self) -> bool:
        return self.manifest.status == "complete"

    def metrics(self) -> Metrics:
        return read_model(self.path / METRICS_FILE, Metrics)

    @property
    def protocol(self) -> Protocol:
        """The task protocol the run was scored under."""
        return self.manifest.protocol

    def config(self) -> Any:
        """The fully resolved config the run used (to rerun it; its protocol is :attr:`protocol`)."""
        return read_config(self.path)

    def overrides(self) -> list[str]:
        return read_overrides(self.path)

    def predictions(self) -> "Any":
        """The per-sample test predictions as a pandas DataFrame, checked as at run time
        (:mod:`medbench.tasks.stored`): a record may have come from elsewhere or been edited."""
        from medbench.tasks.stored import check_stored_predictions

        path = _existing(self.path / PREDICTIONS_FILE)
        frame = _read_parquet(path)
        splits = self.path / SPLITS_FILE
        test_ids = json.loads(splits.read_text()).get("test") if splits.is_file() else None
        check_stored_predictions(frame, self.manifest.protocol.kind, test_ids, path)
        return frame

    def qrels(self) -> "Any":
        """The test queries' relevance judgments of a retrieval record, or None for other kinds."""
        path = self.qrels_path()
        return _read_parquet(path) if path is not None else None

    def qrels_path(self) -> Optional[Path]:
        """The qrels file of a retrieval record (None for other kinds), for byte-identical copies."""
        path = self.path / QRELS_FILE
        return path if path.is_file() else None

    def predictions_path(self) -> Path:
        """The predictions file, for readers that keep a byte-identical copy (leaderboards)."""
        return _existing(self.path / PREDICTIONS_FILE)

    def predictions_sha256(self) -> str:
        return sha256_file(self.predictions_path())

    def pathways(self) -> Optional[PathwaySummary]:
        """The test cohort's care pathways of a timeline run that declared them, else None."""
        path = self.path / PATHWAYS_FILE
        return read_model(path, PathwaySummary) if path.is_file() else None

    def splits(self) -> dict[str, list[str]]:
        return json.loads(_existing(self.path / SPLITS_FILE).read_text())

    def checkpoint_path(self) -> Optional[Path]:
        name = self.manifest.model.checkpoint_file
        return self.path / name if name else None

    def logs_dir(self) -> Path:
        return self.path / LOGS_DIR

    def logged_metrics(self) -> "Any":
        """What the CSV logger recorded during training (val/loss per epoch...), or None without it."""
        import pandas as pd

        path = self.path / LOGS_DIR / LOGGED_METRICS_FILE
        return pd.read_csv(path) if path.is_file() else None

    def predictions_content_hash(self) -> str:
        """A hash of the predictions' content (not of the parquet bytes): what a bundle cites instead of the rows."""
        from medbench.records.fingerprint import content_hash

        frame = self.predictions()
        return content_hash({column: frame[column].to_numpy() for column in frame.columns})


def read_config(folder: Path) -> Any:
    """The resolved config a record or bundle folder holds, as an OmegaConf DictConfig.

    Records and bundles come from outside too: the YAML is bounded and alias-free before OmegaConf reads it."""
    from medbench.outside_yaml import read_outside_config

    path = _existing(folder / CONFIG_FILE)
    return read_outside_config(path, str(path))


def read_overrides(folder: Path) -> list[str]:
    """The command-line overrides a record or bundle folder holds."""
    from medbench.outside_yaml import read_outside_yaml

    path = _existing(folder / OVERRIDES_FILE)
    return list(read_outside_yaml(path, str(path)) or [])


def record_dir(runs_dir: str | Path, task_name: str, run_id: str) -> Path:
    """`<runs_dir>/<task>/<run_id>`; both names pass the one validator first (a task named `../..` is refused)."""
    from medbench.names import checked_name

    return Path(runs_dir) / checked_name(task_name, "task name") / checked_name(run_id, "run id")


def read_record(path: str | Path) -> RunRecord:
    """Read and validate a record folder; raise :class:`RecordError` saying what is wrong."""
    path = Path(path)
    if not path.is_dir():
        raise RecordError(f"{path}: no such run record folder")
    manifest = read_model(path / MANIFEST_FILE, Manifest)
    record = RunRecord(path=path, manifest=manifest)
    if record.complete:
        for name in (CONFIG_FILE, METRICS_FILE, PREDICTIONS_FILE):
            _existing(path / name)
        record.metrics()
    return record


def find_record(runs_dir: str | Path, task_name: str, run_id: str) -> Optional[RunRecord]:
    """The record of `run_id` if one exists (complete or failed), else None."""
    path = record_dir(runs_dir, task_name, run_id)
    return read_record(path) if path.exists() else None


def iter_records(runs_dir: str | Path) -> Iterator[RunRecord]:
    """Every readable record under `runs_dir`, skipping staging folders."""
    for manifest in sorted(Path(runs_dir).glob(f"*/*/{MANIFEST_FILE}")):
        if manifest.parent.parent.name.startswith("."):
            continue
        yield read_record(manifest.parent)


class RecordWriter:
    """Fills a staging folder; :meth:`commit` moves it into place in one rename.

    Use it through :func:`staged_record`. Files are written with the ``write_*`` methods, or by
    third parties (loggers, checkpoints) under :attr:`staging`. The manifest is written last.
    """

    def __init__(self, final: Path) -> None:
        self.final = final
        self.staging = final.parent / STAGING_DIR / f"{final.name}-{uuid.uuid4().hex[:8]}"
        self.staging.mkdir(parents=True)

    @property
    def scratch(self) -> Path:
        """Working space for intermediate files (Lightning checkpoints); removed at commit."""
        return self.staging / SCRATCH_DIR

    def checkpoint_path(self, suffix: str) -> Path:
        return self.staging / f"{CHECKPOINT_STEM}{suffix}"

    def write_config(self, resolved_yaml: str, overrides: Optional[list[str]] = None) -> None:
        """The resolved config, and the overrides when given (a rewrite of the config keeps them)."""
        import yaml

        _write_text(self.staging / CONFIG_FILE, resolved_yaml)
        if overrides is not None:
            _write_text(self.staging / OVERRIDES_FILE, yaml.safe_dump(list(overrides), allow_unicode=True))

    def write_splits(self, splits: dict[str, list[str]]) -> None:
        _write_text(self.staging / SPLITS_FILE, json.dumps(splits))

    def write_predictions(self, frame: Any) -> None:
        frame.to_parquet(self.staging / PREDICTIONS_FILE, index=False)

    def write_qrels(self, frame: Any) -> None:
        frame.to_parquet(self.staging / QRELS_FILE, index=False)

    def write_pathways(self, summary: PathwaySummary) -> None:
        _write_text(self.staging / PATHWAYS_FILE, summary.model_dump_json(indent=2))

    def write_metrics(self, metrics: Metrics) -> None:
        _write_text(self.staging / METRICS_FILE, metrics.model_dump_json(indent=2))

    def commit(self, manifest: Manifest) -> RunRecord:
        """Write the manifest and atomically replace whatever stood at the final path."""
        shutil.rmtree(self.scratch, ignore_errors=True)
        _write_text(self.staging / MANIFEST_FILE, manifest.model_dump_json(indent=2))
        fsync_dir(self.staging)
        previous = None
        if self.final.exists():
            previous = self.final.parent / STAGING_DIR / f"{self.final.name}-replaced-{uuid.uuid4().hex[:8]}"
            os.replace(self.final, previous)
        os.replace(self.staging, self.final)
        fsync_dir(self.final.parent)
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
        return RunRecord(path=self.final, manifest=manifest)

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


@contextmanager
def staged_record(final: Path) -> Iterator[RecordWriter]:
    """Stage a record for `final`; anything not committed is removed when the block exits."""
    writer = RecordWriter(final)
    try:
        yield writer
    finally:
        writer.discard()


def _read_parquet(path: Path) -> Any:
    """A parquet file as a DataFrame; a truncated or foreign file is one RecordError, not a pyarrow trace."""
    import pandas as pd

    try:
        return pd.read_parquet(path)
    except Exception as error:  # pyarrow raises ArrowInvalid, OSError, ValueError... for a damaged file
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise RecordError(f"{path}: not a readable parquet file ({first_line}); the record is damaged") from None


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise RecordError(f"{path}: missing from the run record (the record is incomplete or was edited)")
    return path


def write_model(path: Path, value: BaseModel) -> None:
    """`value` as indented JSON, flushed to disk."""
    _write_text(path, value.model_dump_json(indent=2))


def read_model(path: Path, model: type[BaseModel]) -> Any:
    """A JSON file validated against `model`; :class:`RecordError` names the file and the fields."""
    data = _existing(path).read_bytes()
    try:
        return model.model_validate_json(data)
    except ValidationError as error:
        if model is Manifest:
            _refuse_older_manifest(path, data)
        raise RecordError(f"{path}: does not match the {model.__name__} schema v{SCHEMA_VERSION}: {validation_problems(error)}") from None


def _refuse_older_manifest(path: Path, data: bytes) -> None:
    """A manifest of schema v1 (before the protocol was recorded whole): say so, and how to get a current one."""
    try:
        content = json.loads(data)
    except ValueError:
        return
    if isinstance(content, dict) and "task" in content and "protocol" not in content:
        raise RecordError(
            f"{path}: written by an older medbench (manifest schema v{content.get('schema_version', 1)}, no task protocol); "
            "rerun it with `medbench run ... force=true` to get a current record"
        )


def _write_text(path: Path, text: str) -> None:
    atomic_write(path, text)
