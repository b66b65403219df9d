"""Transfer bundles: what a run looks like when it leaves the building.

A bundle is a folder (or a zip of one) holding the run's resolved config, overrides, manifest and
metrics (the record's own files, same names), a `metadata.json` that describes the model to a
stranger (checked against `schemas/bundle_metadata.schema.json`, shipped in the package), the
checkpoint with its SHA-256, the environment (`environment.txt`) and an evaluation report
(`report.html`). Per-sample predictions never leave: the metadata cites their content hash.
"""

from __future__ import annotations

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
from medbench.names import checked_name, inside
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

# Limits on a bundle zip, read from its central directory before anything is extracted.
# A bundle holds 7 text files and at most one weights file: 64 members is room to spare.
MAX_ZIP_MEMBERS = 64
# The largest weights medbench writes (a ResNet-18 state dict, a MiniLM ONNX graph) are under
# 100 MB; 2 GiB per member and 4 GiB in all leave room for a partner's larger ONNX model.
MAX_ZIP_MEMBER_BYTES = 2 << 30
MAX_ZIP_TOTAL_BYTES = 4 << 30
# Weights deflate about 1.1x and configs, JSON and the report about 5-10x; deflate's ceiling is
# about 1,030x, which only runs of one byte reach. Checked only on members over 1 MiB, where a
# high ratio can cost the receiver's disk anything.
MAX_ZIP_RATIO = 100
RATIO_CHECKED_FROM_BYTES = 1 << 20
EXTRACT_CHUNK_BYTES = 1 << 20


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
    """Extract a bundle zip once its central directory passes :func:`_checked_members`; every
    member is copied in bounded chunks and stopped at its declared size (a lying header fails)."""
    try:
        with zipfile.ZipFile(archive_path) as archive:
            members = _checked_members(archive_path, archive.infolist(), shutil.disk_usage(into).free)
            for member in members:
                _extract_bounded(archive, member, into / member.filename, archive_path)
    except zipfile.BadZipFile as error:
        raise RecordError(f"{archive_path}: not a readable zip ({error}); refused") from None
    return into


def _checked_members(archive_path: Path, members: list[zipfile.ZipInfo], free_bytes: int) -> list[zipfile.ZipInfo]:
    """The members, refused (one line naming the limit) unless every one is a plain file name,
    unencrypted, stored or deflated, within the per-member, ratio, count and total limits."""
    if len(members) > MAX_ZIP_MEMBERS:
        raise RecordError(f"{archive_path}: {len(members)} members, over MAX_ZIP_MEMBERS={MAX_ZIP_MEMBERS}; refused, nothing extracted")
    seen: set[str] = set()
    total = 0
    for member in members:
        name = checked_name(member.filename, f"{archive_path}: zip member")
        if name in seen:
            raise RecordError(f"{archive_path}: member {name!r} appears twice; refused, nothing extracted")
        seen.add(name)
        if member.flag_bits & 0x1:
            raise RecordError(f"{archive_path}: member {name!r} is encrypted; refused, nothing extracted")
        if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise RecordError(f"{archive_path}: member {name!r} uses compression method {member.compress_type}; only stored and deflated are read")
        if member.file_size > MAX_ZIP_MEMBER_BYTES:
            raise RecordError(
                f"{archive_path}: member {name!r} unpacks to {member.file_size} bytes, over MAX_ZIP_MEMBER_BYTES={MAX_ZIP_MEMBER_BYTES}; refused, nothing extracted"
            )
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_CHECKED_FROM_BYTES and ratio > MAX_ZIP_RATIO:
            raise RecordError(
                f"{archive_path}: member {name!r} unpacks {ratio:.0f}x its compressed size, over MAX_ZIP_RATIO={MAX_ZIP_RATIO} (a zip bomb); refused, nothing extracted"
            )
        total += member.file_size
    if total > MAX_ZIP_TOTAL_BYTES:
        raise RecordError(f"{archive_path}: members unpack to {total} bytes, over MAX_ZIP_TOTAL_BYTES={MAX_ZIP_TOTAL_BYTES}; refused, nothing extracted")
    if total > free_bytes:
        raise RecordError(f"{archive_path}: members unpack to {total} bytes, more than the {free_bytes} free in the scratch folder; refused, nothing extracted")
    return members


def _extract_bounded(archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, archive_path: Path) -> None:
    """Copy one member, never writing more than the size its central-directory entry declares."""
    written = 0
    with archive.open(member) as source, open(target, "wb") as sink:
        while chunk := source.read(EXTRACT_CHUNK_BYTES):
            written += len(chunk)
            if written > member.file_size:
                raise RecordError(f"{archive_path}: member {member.filename!r} unpacks past its declared {member.file_size} bytes; refused")
            sink.write(chunk)
