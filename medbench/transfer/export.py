"""`export`: turn a complete run record into a transfer bundle (see :mod:`medbench.transfer.bundle`).

The bundle is assembled in a staging folder beside the target, scanned for patient-level content
(:mod:`medbench.transfer.checks`), and renamed into place (or zipped) only when every file is written
and the scan passed, so an interrupted or refused export leaves nothing that looks complete.
Only weights that load without running code travel (a `.pt` state dict, an `.onnx` graph, a TF-IDF
model's plain arrays `.tfidf.npz`), and a
text model only if its vocabulary keeps terms of at least k training documents; what stays home
is listed in :attr:`Export.left_out`.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Optional

from medbench.transfer.bundle import (
    ENVIRONMENT_FILE,
    METADATA_FILE,
    REPORT_FILE,
    TO_BE_COMPLETED,
    BundleData,
    BundleMetadata,
    Checkpoint,
    InputFormat,
    OutputFormat,
    PredictionsReference,
    Versions,
    zip_folder,
)
from medbench.transfer.checks import check_bundle
from medbench.errors import RecordError
from medbench.io import atomic_write, sha256_file
from medbench.tasks.registry import get_kind
from medbench.records.record import (
    CONFIG_FILE,
    MANIFEST_FILE,
    METRICS_FILE,
    OVERRIDES_FILE,
    TFIDF_CHECKPOINT_SUFFIX,
    RunRecord,
    read_record,
    write_model,
)

# Weights formats that travel, by how the file name ends: loading them runs no code (docs/security.md).
WEIGHT_FORMATS = {".pt": "torch-state-dict", ".onnx": "onnx", TFIDF_CHECKPOINT_SUFFIX: "tfidf-arrays"}
# The smallest k a shared text vocabulary may have: each term in at least k training documents.
MIN_DOCUMENT_FREQUENCY = 5


@dataclass
class Export:
    """Where the bundle went and, one line each, what was left out of it and why."""

    path: Path
    left_out: list[str] = field(default_factory=list)


def export_bundle(
    run_dir: Path, output: Path, *, as_zip: bool = False, intended_use: Optional[str] = None, licence: Optional[str] = None
) -> Export:
    """Write the bundle of the record at `run_dir` to `output` (a folder, or `output` as a .zip)."""
    record = read_record(run_dir)
    if not record.complete:
        raise RecordError(f"{run_dir}: the run failed; only complete records can be exported")
    target = output.with_suffix(".zip") if as_zip and output.suffix != ".zip" else output
    if target.exists():
        raise RecordError(f"{target}: already exists; choose another -o or remove it")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".medbench-export-", dir=target.parent) as scratch:
        staging = Path(scratch) / "bundle"
        staging.mkdir()
        left_out = [
            "per-sample predictions (predictions.parquet): only their content hash is in metadata.json",
            "split sample ids (splits.json)",
        ]
        _fill(staging, record, intended_use, licence, left_out)
        check_bundle(staging, _all_ids(record), record.metrics().n_samples)
        if as_zip:
            zip_folder(staging, Path(scratch) / "bundle.zip")
            (Path(scratch) / "bundle.zip").rename(target)
        else:
            staging.rename(target)
    return Export(target, left_out)


def check_exported(bundle: Path, runs_dir: Path) -> None:
    """`medbench export --check`: scan a bundle folder (or zip); sample ids are looked up in the
    local record of its run when there is one."""
    from medbench.transfer.bundle import open_bundle
    from medbench.records.record import find_record

    with open_bundle(bundle) as opened:
        record = find_record(runs_dir, opened.metadata.task.name, opened.metadata.run_id)
        ids = _all_ids(record) if record is not None and record.complete else []
        check_bundle(opened.path, ids, opened.metadata.n_test_samples)


def _all_ids(record: RunRecord) -> list[str]:
    return [sample for ids in record.splits().values() for sample in ids]


def _fill(staging: Path, record: RunRecord, intended_use: Optional[str], licence: Optional[str], left_out: list[str]) -> None:
    from medbench.transfer.report import write_report

    for name in (CONFIG_FILE, OVERRIDES_FILE, MANIFEST_FILE, METRICS_FILE):
        shutil.copyfile(record.path / name, staging / name)
    checkpoint = _copy_checkpoint(record, staging, left_out)
    atomic_write(staging / ENVIRONMENT_FILE, pip_freeze())
    meta = build_metadata(record, checkpoint, intended_use, licence)
    write_model(staging / METADATA_FILE, meta)
    write_report(record, meta, staging / REPORT_FILE)


def _copy_checkpoint(record: RunRecord, staging: Path, left_out: list[str]) -> Optional[Checkpoint]:
    vocabulary = record.manifest.model.vocabulary
    if vocabulary is not None:
        left_out.append(
            f"{vocabulary.left_out} term(s) seen in fewer than k = {vocabulary.min_document_frequency} training documents "
            "(never part of the model)"
        )
    source = record.checkpoint_path()
    if source is None:
        if record.manifest.model.checkpoint_file is None:
            left_out.append("the model's weights: the run kept none (it is rebuilt or retrained from config.yaml)")
        return None
    weight_format = next((name for ending, name in WEIGHT_FORMATS.items() if source.name.endswith(ending)), None)
    if weight_format is None and source.suffix == ".npz":
        left_out.append(f"{source.name}: a survival baseline holds the training patients' event times")
        return None
    if weight_format is None:
        left_out.append(f"{source.name}: not weights that load without running code (only .pt, .onnx and {TFIDF_CHECKPOINT_SUFFIX} travel)")
        return None
    if vocabulary is not None and vocabulary.min_document_frequency < MIN_DOCUMENT_FREQUENCY:
        left_out.append(
            f"{source.name}: its vocabulary keeps terms seen in fewer than {MIN_DOCUMENT_FREQUENCY} training documents "
            f"(k = {vocabulary.min_document_frequency}); retrain with model.estimator.min_df={MIN_DOCUMENT_FREQUENCY} to share it"
        )
        return None
    declared = record.manifest.model.checkpoint_sha256
    actual = sha256_file(source)
    if declared is not None and actual != declared:
        raise RecordError(f"{source}: SHA-256 {actual} differs from the manifest's {declared}; the record was altered")
    shutil.copyfile(source, staging / source.name)
    return Checkpoint(file=source.name, sha256=actual, format=weight_format)


def build_metadata(
    record: RunRecord, checkpoint: Optional[Checkpoint], intended_use: Optional[str], licence: Optional[str]
) -> BundleMetadata:
    manifest, metrics = record.manifest, record.metrics()
    assert manifest.dataset is not None  # complete records always have one
    task = manifest.protocol
    description = task.description
    loader = manifest.dataset.loader
    return BundleMetadata(
        run_id=manifest.run_id,
        created_at=datetime.now(timezone.utc).isoformat(),
        task=task,
        intended_use=intended_use
        or f"Research evaluation on {task.name} v{task.version} ({description.rstrip('.')}). Clinical intended use: {TO_BE_COMPLETED}.",
        data=BundleData(
            source=manifest.dataset.source,
            fingerprint=manifest.dataset.fingerprint,
            split_sizes=manifest.dataset.split_sizes,
            loader=loader,
        ),
        input_format=InputFormat(loader=loader, description=f"the samples {loader} reads from {manifest.dataset.source}"),
        output_format=OutputFormat(kind=task.kind, description=get_kind(task.kind).output_description),
        metrics=dict(metrics.values),
        primary_metric=metrics.primary,
        n_test_samples=metrics.n_samples,
        model_target=manifest.model.target,
        parameter_count=manifest.model.parameter_count,
        checkpoint=checkpoint,
        text_vocabulary=manifest.model.vocabulary,
        predictions=PredictionsReference(content_sha256=record.predictions_content_hash(), n_samples=metrics.n_samples),
        versions=Versions(
            medbench=manifest.medbench_version,
            python=manifest.environment.python,
            git_commit=manifest.git.commit,
            git_dirty=manifest.git.dirty,
            packages=manifest.environment.packages,
        ),
        licence=licence or TO_BE_COMPLETED,
    )


def pip_freeze() -> str:
    """`pip freeze` of this interpreter, from package metadata (no subprocess, no pip needed)."""
    lines = {
        f"{dist.metadata['Name']}=={dist.version}" for dist in importlib_metadata.distributions() if dist.metadata["Name"]
    }
    return "\n".join(sorted(lines, key=str.lower)) + "\n"
