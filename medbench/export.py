"""`export`: turn a complete run record into a transfer bundle (see :mod:`medbench.bundle`).

The bundle is assembled in a staging folder beside the target and renamed into place (or zipped)
only when every file is written, so an interrupted export leaves nothing that looks complete.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Optional

from medbench.bundle import (
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
from medbench.errors import RecordError
from medbench.io import atomic_write, sha256_file
from medbench.tasks.registry import get_kind
from medbench.record import (
    CONFIG_FILE,
    MANIFEST_FILE,
    METRICS_FILE,
    OVERRIDES_FILE,
    RunRecord,
    read_record,
    write_model,
)


def export_bundle(
    run_dir: Path, output: Path, *, as_zip: bool = False, intended_use: Optional[str] = None, licence: Optional[str] = None
) -> Path:
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
        _fill(staging, record, intended_use, licence)
        if as_zip:
            zip_folder(staging, Path(scratch) / "bundle.zip")
            (Path(scratch) / "bundle.zip").rename(target)
        else:
            staging.rename(target)
    return target


def _fill(staging: Path, record: RunRecord, intended_use: Optional[str], licence: Optional[str]) -> None:
    from medbench.report import write_report

    for name in (CONFIG_FILE, OVERRIDES_FILE, MANIFEST_FILE, METRICS_FILE):
        shutil.copyfile(record.path / name, staging / name)
    checkpoint = _copy_checkpoint(record, staging)
    atomic_write(staging / ENVIRONMENT_FILE, pip_freeze())
    meta = build_metadata(record, checkpoint, intended_use, licence)
    write_model(staging / METADATA_FILE, meta)
    write_report(record, meta, staging / REPORT_FILE)


def _copy_checkpoint(record: RunRecord, staging: Path) -> Optional[Checkpoint]:
    source = record.checkpoint_path()
    if source is None:
        return None
    declared = record.manifest.model.checkpoint_sha256
    actual = sha256_file(source)
    if declared is not None and actual != declared:
        raise RecordError(f"{source}: SHA-256 {actual} differs from the manifest's {declared}; the record was altered")
    shutil.copyfile(source, staging / source.name)
    kind = "torch-state-dict" if source.suffix == ".pt" else "scikit-learn-pickle"
    return Checkpoint(file=source.name, sha256=actual, format=kind)


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
