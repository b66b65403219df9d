"""What is claimed: the run a record, a bundle or a board entry says it was, with its config, metrics and fingerprint."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Optional

from omegaconf import DictConfig

from medbench.errors import RecordError
from medbench.records.record import (
    EnvironmentInfo,
    GitInfo,
    MetricValue,
    RunRecord,
    read_record,
)

TargetKind = Literal["record", "bundle", "leaderboard_entry"]



@dataclass(frozen=True)
class Claim:
    """What a target claims: the config it ran, the numbers it got, where it got them."""

    target: str
    kind: TargetKind
    config: DictConfig
    overrides: list[str]
    run_id: str
    dataset_fingerprint: str
    metrics: dict[str, MetricValue]
    environment: EnvironmentInfo
    git: GitInfo
    medbench_version: str
    predictions_hash: Optional[str]
    # The original weights and their declared SHA-256, when the target carries them.
    checkpoint: Optional[tuple[Path, str]] = None
    # (board name, entry id) when the target is a leaderboard entry.
    entry: Optional[tuple[str, str]] = None



def claim_of_record(record: RunRecord, target: str) -> Claim:
    if not record.complete:
        raise RecordError(f"{record.path}: the run failed; there are no numbers to reproduce")
    if record.manifest.dataset is None:
        raise RecordError(f"{record.path}: the manifest has no dataset fingerprint")
    return Claim(
        target=target,
        kind="record",
        config=record.config(),
        overrides=record.manifest.overrides,
        run_id=record.run_id,
        dataset_fingerprint=record.manifest.dataset.fingerprint,
        metrics=dict(record.metrics().values),
        environment=record.manifest.environment,
        git=record.manifest.git,
        medbench_version=record.manifest.medbench_version,
        predictions_hash=record.predictions_content_hash(),
        checkpoint=_declared_checkpoint(record.checkpoint_path(), record.manifest.model.checkpoint_sha256),
    )



def _declared_checkpoint(path: Optional[Path], sha256: Optional[str]) -> Optional[tuple[Path, str]]:
    return (path, sha256) if path is not None and sha256 is not None else None



def claim_of_bundle(bundle: Any, target: str) -> Claim:
    """`bundle` is a :class:`medbench.transfer.bundle.Bundle`; its metadata cites the predictions by content hash."""
    manifest = bundle.manifest
    return Claim(
        target=target,
        kind="bundle",
        config=bundle.config(),
        overrides=bundle.overrides(),
        run_id=manifest.run_id,
        dataset_fingerprint=bundle.metadata.data.fingerprint,
        metrics=dict(bundle.metrics.values),
        environment=manifest.environment,
        git=manifest.git,
        medbench_version=manifest.medbench_version,
        predictions_hash=bundle.metadata.predictions.content_sha256,
        checkpoint=_declared_checkpoint(
            bundle.checkpoint_path(), bundle.metadata.checkpoint.sha256 if bundle.metadata.checkpoint else None
        ),
    )



def claim_of_entry(leaderboards_dir: Path, runs_dir: Path, prefix: str, board_name: Optional[str]) -> Claim:
    """A leaderboard entry: its numbers and fingerprint, rebuilt from its run record found under `runs_dir`."""
    from medbench.leaderboard.folder.review import find_entry
    from medbench.records.record import find_record

    board, entry_id = find_entry(leaderboards_dir, prefix, board_name)
    entry = board.read_entry(entry_id)
    record = find_record(runs_dir, entry.task, entry.provenance.run_id)
    if record is None:
        raise RecordError(
            f"leaderboard entry {entry_id[:12]}: its run record {entry.provenance.run_id} is not under "
            f"{Path(runs_dir) / entry.task}; copy the submitter's record there, or reproduce their bundle"
        )
    base = claim_of_record(record, prefix)
    return Claim(
        target=prefix,
        kind="leaderboard_entry",
        config=base.config,
        overrides=base.overrides,
        run_id=base.run_id,
        dataset_fingerprint=entry.dataset_fingerprint,
        metrics=dict(entry.metrics),
        environment=base.environment,
        git=base.git,
        medbench_version=base.medbench_version,
        predictions_hash=base.predictions_hash,
        checkpoint=base.checkpoint,
        entry=(board.name, entry_id),
    )



@contextmanager
def open_claim(target: str, local: DictConfig, board: Optional[str] = None) -> Iterator[Claim]:
    """The claim of a run folder, a bundle (folder or zip, unpacked for the block) or a leaderboard entry id."""
    from medbench.transfer.bundle import is_bundle, open_bundle

    path = Path(target)
    if path.exists() and is_bundle(path):
        with open_bundle(path) as bundle:
            yield claim_of_bundle(bundle, target)
    elif path.exists():
        yield claim_of_record(read_record(path), target)
    elif path.suffix or "/" in target:
        raise RecordError(f"{target}: no such run folder or bundle")
    else:
        yield claim_of_entry(Path(str(local.paths.leaderboards_dir)), Path(str(local.paths.runs_dir)), target, board)

