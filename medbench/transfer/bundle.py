"""Transfer bundles: what a run looks like when it leaves the building.

A bundle is a folder (or a zip of one) holding the run's resolved config, overrides, manifest and
metrics (the record's own files, same names), a `metadata.json` that describes the model to a
stranger (checked against `schemas/bundle_metadata.schema.json`, shipped in the package), the
checkpoint with its SHA-256, the environment (`environment.txt`) and an evaluation report
(`report.html`). Per-sample predictions never leave: the metadata cites their content hash.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Optional

from medbench.errors import RecordError
from medbench.io import Strict, sha256_file
from medbench.names import inside
from medbench.records.protocol import Protocol
from medbench.records.record import (
    CONFIG_FILE,
    MANIFEST_FILE,
    METRICS_FILE,
    OVERRIDES_FILE,
    Manifest,
    Metrics,
    MetricValue,
    VocabularyInfo,
    read_config,
    read_model,
    read_overrides,
)

METADATA_FILE = "metadata.json"
ENVIRONMENT_FILE = "environment.txt"
REPORT_FILE = "report.html"
# 2: `task` is the run's whole protocol (as its manifest holds it).
METADATA_SCHEMA_VERSION = 2
METADATA_SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "bundle_metadata.schema.json"
TO_BE_COMPLETED = "to be completed by the developer"


class BundleData(Strict):
    source: str
    fingerprint: str
    split_sizes: dict[str, int]
    loader: str


class InputFormat(Strict):
    loader: str
    description: str


class OutputFormat(Strict):
    kind: str
    description: str


class Checkpoint(Strict):
    file: str
    sha256: str
    # Formats that load without running code: a weights-only state dict, an ONNX graph, a TF-IDF
    # model's arrays (medbench.models.tfidf_arrays). Pickles never travel.
    format: Literal["torch-state-dict", "onnx", "tfidf-arrays"]


class PredictionsReference(Strict):
    """The predictions stay with the record's owner; this identifies them without their rows."""

    content_sha256: str
    n_samples: int


class Versions(Strict):
    medbench: str
    python: str
    git_commit: Optional[str] = None
    git_dirty: Optional[bool] = None
    packages: dict[str, Optional[str]]


class BundleMetadata(Strict):
    """`metadata.json`: the model described for someone who has only the bundle."""

    schema_version: int = METADATA_SCHEMA_VERSION
    run_id: str
    created_at: str
    task: Protocol
    intended_use: str
    data: BundleData
    input_format: InputFormat
    output_format: OutputFormat
    metrics: dict[str, MetricValue]
    primary_metric: str
    n_test_samples: int
    model_target: str
    parameter_count: Optional[int] = None
    checkpoint: Optional[Checkpoint] = None
    # Text models: the weights keep only terms seen in at least `min_document_frequency` (k)
    # training documents; `left_out` terms were rarer and never left the run.
    text_vocabulary: Optional[VocabularyInfo] = None
    predictions: PredictionsReference
    versions: Versions
    licence: str


def metadata_json_schema() -> dict[str, Any]:
    """The JSON schema of `metadata.json`, as shipped in the package for partners' own validators."""
    return BundleMetadata.model_json_schema()


@dataclass(frozen=True)
class Bundle:
    """A bundle read from disk, its metadata, manifest and metrics validated."""

    path: Path
    metadata: BundleMetadata
    manifest: Manifest
    metrics: Metrics

    def config(self) -> Any:
        """The resolved config of the run (what `reproduce` reruns), read as a record's is."""
        return read_config(self.path)

    def overrides(self) -> list[str]:
        return read_overrides(self.path)

    def checkpoint_path(self) -> Optional[Path]:
        """The weights file `metadata.json` names, refused unless it lies inside the bundle."""
        if self.metadata.checkpoint is None:
            return None
        return inside(self.path, self.metadata.checkpoint.file, f"{METADATA_FILE}: checkpoint.file")


def is_bundle(path: Path) -> bool:
    if path.is_dir():
        return (path / METADATA_FILE).is_file()
    return path.is_file() and zipfile.is_zipfile(path)


@contextmanager
def open_bundle(path: Path) -> Iterator[Bundle]:
    """Read a bundle folder, or a zip unpacked into a temporary folder for the duration of the block."""
    if path.is_dir():
        yield read_bundle(path)
        return
    with tempfile.TemporaryDirectory(prefix="medbench-bundle-") as scratch:
        yield read_bundle(_unzip(path, Path(scratch)))


def read_bundle(path: Path) -> Bundle:
    for name in (METADATA_FILE, MANIFEST_FILE, METRICS_FILE, CONFIG_FILE, OVERRIDES_FILE):
        if not (path / name).is_file():
            raise RecordError(f"{path}: not a medbench bundle ({name} is missing)")
    bundle = Bundle(
        path=path,
        metadata=read_model(path / METADATA_FILE, BundleMetadata),
        manifest=read_model(path / MANIFEST_FILE, Manifest),
        metrics=read_model(path / METRICS_FILE, Metrics),
    )
    checkpoint = bundle.checkpoint_path()
    if checkpoint is not None:
        if not checkpoint.is_file():
            raise RecordError(f"{path}: the checkpoint {checkpoint.name} named in {METADATA_FILE} is missing")
        actual = sha256_file(checkpoint)
        if actual != bundle.metadata.checkpoint.sha256:  # type: ignore[union-attr]
            raise RecordError(
                f"{checkpoint}: SHA-256 {actual} differs from {bundle.metadata.checkpoint.sha256} in {METADATA_FILE}"  # type: ignore[union-attr]
            )
    return bundle


def zip_folder(folder: Path, target: Path) -> Path:
    """`folder`'s files, flat, into the zip `target`."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, arcname=file.name)
    return target


def _unzip(archive_path: Path, into: Path) -> Path:
    """Extract a bundle zip; members with paths (`../x`, `a/b`) are refused, not extracted."""
    with zipfile.ZipFile(archive_path) as archive:
        for member in archive.infolist():
            if Path(member.filename).name != member.filename or member.filename in ("", ".", ".."):
                raise RecordError(f"{archive_path}: member {member.filename!r} is not a flat file name; refused")
        for member in archive.infolist():
            with archive.open(member) as source, open(into / member.filename, "wb") as target:
                shutil.copyfileobj(source, target)
    return into
