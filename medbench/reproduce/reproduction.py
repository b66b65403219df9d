"""Reproduction: rerun a run from what it stored, and say whether the numbers came back.

The target is a run record, a transfer bundle or a leaderboard entry (whose run record is looked
up under the local runs folder). In order:

1. the stored, fully resolved config is checked by the `_target_` allow-list (it came from
   outside) and rebuilt as it was, not from today's defaults;
2. the dataset is loaded and its fingerprint compared with the stored one; a mismatch stops here;
3. the run is rerun into a fresh folder under `paths.reproductions_dir`, so it really reruns and
   never touches the original record;
4. every metric (value and interval bounds) is compared with a tolerance, the environments are
   diffed, and `reproduction.json` is written beside the rerun's record.
"""

from __future__ import annotations

import getpass
import math
import platform
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, Optional

from omegaconf import DictConfig, OmegaConf

from medbench.errors import ConfigError, DataError, RecordError
from medbench.io import Strict
from medbench.names import checked_name
from medbench.records.record import (
    REPRODUCTION_FILE,
    EnvironmentInfo,
    GitInfo,
    MetricValue,
    RunRecord,
    read_record,
    write_model,
)

SCHEMA_VERSION = 1
# Default tolerance where bit-identical results are not expected (GPU kernels, non-deterministic trainers).
NONDETERMINISTIC_TOLERANCE = 1e-4

TargetKind = Literal["record", "bundle", "leaderboard_entry"]


class MetricComparison(Strict):
    name: str
    original: Optional[float]
    reproduced: Optional[float]
    # Largest absolute difference over the value and the interval bounds.
    difference: Optional[float]
    within_tolerance: bool


class EnvironmentDifference(Strict):
    field: str
    original: Optional[str]
    reproduction: Optional[str]


class LeaderboardLink(Strict):
    board: str
    entry: str
    event: str
    audit_seq: int


class Reproduction(Strict):
    """`reproduction.json`: what was rerun, by whom, where, and how the numbers compare."""

    schema_version: int = SCHEMA_VERSION
    target: str
    target_kind: TargetKind
    status: Literal["match", "mismatch"]
    original_run_id: str
    reproduction_run_id: str
    same_run_id: bool
    # The attempt's folder (this file and the rerun's record below it) and the rerun's record.
    folder: str
    reproduction_record: str
    who: str
    when: str
    where: str
    dataset_fingerprint: str
    tolerance: float
    tolerance_reason: str
    metrics: list[MetricComparison]
    predictions_identical: Optional[bool] = None
    weights_identical: Optional[bool] = None
    environment_differences: list[EnvironmentDifference]
    duration_s: float
    leaderboard: Optional[LeaderboardLink] = None


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


def local_config() -> DictConfig:
    """The user's own composed config: where to write, and which extra `_target_` modules they allow."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from medbench.config.location import config_dir
    from medbench.config.schema import register_configs

    register_configs()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
            return compose(config_name="config")
    finally:
        GlobalHydra.instance().clear()


def rebuild_config(claim: Claim, local: DictConfig, runs_dir: Path, data_root: Optional[Path] = None) -> DictConfig:
    """The stored config, checked by :mod:`medbench.config.safety`, typed by the schema, writing under `runs_dir`.

    The receiver's own paths, loggers and allow-list replace the claim's; caches move to the local
    cache, data files under `data_root` when given, and a model file is read only from the
    claim's own folder (see docs/security.md).
    """
    from omegaconf.errors import OmegaConfBaseException

    from medbench.config.safety import allowed_targets_of, check_outside_config
    from medbench.config.schema import MedbenchConfig

    selected = check_outside_config(claim.config, claim.target, allowed_targets_of(local))
    paths = OmegaConf.to_container(local.paths, resolve=True)
    assert isinstance(paths, dict)
    relocate(selected, claim, str(paths["cache_dir"]), data_root)
    paths["runs_dir"] = str(runs_dir)
    own = {"paths": paths, "logger": OmegaConf.to_container(local.logger, resolve=True), "force": True, "print_config": False}
    try:
        return OmegaConf.merge(OmegaConf.structured(MedbenchConfig), selected, own)
    except OmegaConfBaseException as error:
        raise ConfigError(
            f"{claim.target}: the stored config does not fit this medbench's schema ({error}); "
            f"it was written by medbench {claim.medbench_version}"
        ) from None


def relocate(config: dict[str, Any], claim: Claim, cache_dir: str, data_root: Optional[Path]) -> None:
    """Point the file-system keys the safety check let through at this machine's own places:
    caches where the shipped option puts them in the local cache, data files under `data_root`
    when given, model files at the copy the claim carries (see docs/security.md)."""
    from medbench.config.safety import relocation_of, shipped_options

    shipped = shipped_options()
    for node, key, path in list(_file_keys(config, "")):
        kind, value = relocation_of(path, shipped), node[key]
        if value is None or kind is None:
            continue
        if kind == "cache":
            node[key] = shipped.caches[path].replace("${paths.cache_dir}", cache_dir)
        elif kind == "data" and data_root is not None:
            node[key] = str(data_root / Path(str(value)).name)
        elif kind == "model_file":
            node[key] = str(_model_file_inside(claim, path, str(value)))


def _file_keys(node: Any, path: str) -> Iterator[tuple[dict[str, Any], str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            child = f"{path}.{key}" if path else str(key)
            yield node, key, child
            yield from _file_keys(value, child)


def _model_file_inside(claim: Claim, key: str, original: str) -> Path:
    """The copy of a model file (ONNX, predictions) the claim carries; anything else is refused."""
    if claim.checkpoint is not None and claim.checkpoint[0].suffix.lower() == Path(original).suffix.lower():
        return claim.checkpoint[0]
    raise ConfigError(
        f"{claim.target}: {key}: the {claim.kind} does not carry the file it names ({Path(original).name}); "
        "a model file from outside is read only from inside the bundle or record, never from this machine"
    )


def check_fingerprint(cfg: DictConfig, claim: Claim, local: DictConfig) -> str:
    """Load the data the config names; stop, naming both fingerprints, if it is not the data of the claim."""
    from medbench.config.instantiation import instantiate_outside
    from medbench.config.safety import allowed_targets_of

    datamodule = instantiate_outside(cfg.task.data, "task.data", claim.target, allowed_targets_of(local))
    datamodule.setup()
    fingerprint = datamodule.fingerprint()
    if fingerprint != claim.dataset_fingerprint:
        raise DataError(
            f"{claim.target}: the dataset here has fingerprint {fingerprint}, the run used "
            f"{claim.dataset_fingerprint}: not the same samples or splits (task {cfg.task.name} "
            f"v{cfg.task.version}, data {cfg.task.data.get('_target_')}); nothing was rerun"
            + (". If your copy of the data is elsewhere, give its folder with --data-root" if _reads_files(cfg) else "")
        )
    return fingerprint


def _reads_files(cfg: DictConfig) -> bool:
    from medbench.config.safety import DATA_PATH_KEYS

    return any(OmegaConf.select(cfg, key) is not None for key in DATA_PATH_KEYS)


def default_tolerance(claim: Claim) -> tuple[float, str]:
    trainer = claim.config.get("trainer") or {}
    on_cpu = claim.environment.gpu is None or str(trainer.get("accelerator", "cpu")) == "cpu"
    if on_cpu and trainer.get("deterministic", True):
        return 0.0, "exact: the original was a deterministic CPU run"
    return NONDETERMINISTIC_TOLERANCE, "default for GPU or non-deterministic runs"


def reproduce(
    claim: Claim,
    local: DictConfig,
    tolerance: Optional[float] = None,
    who: Optional[str] = None,
    data_root: Optional[Path] = None,
) -> Reproduction:
    """Rerun `claim` and write its `reproduction.json`; see the module docstring for the steps."""
    from medbench.config.identity import run_id_of
    from medbench.records.provenance import environment_info, git_info
    from medbench.engine.run import run

    clock = time.perf_counter()
    started = datetime.now(timezone.utc)
    run_id = checked_name(claim.run_id, "run id")
    attempt = Path(str(local.paths.reproductions_dir)) / f"{run_id}-{started.strftime('%Y%m%dT%H%M%S%fZ')}"
    cfg = rebuild_config(claim, local, attempt, data_root)
    fingerprint = check_fingerprint(cfg, claim, local)
    record = run(cfg, overrides=claim.overrides)
    if record is None:
        raise RecordError("reproduce: ran as a non-zero distributed rank; run it as a single process")
    if tolerance is None:
        tolerance, reason = default_tolerance(claim)
    else:
        reason = "set by the user"
    comparisons = compare_metrics(claim.metrics, dict(record.metrics().values), tolerance)
    predictions_identical = (
        record.predictions_content_hash() == claim.predictions_hash if claim.predictions_hash else None
    )
    here = record.manifest.environment
    reproduction = Reproduction(
        target=claim.target,
        target_kind=claim.kind,
        status="match" if all(c.within_tolerance for c in comparisons) else "mismatch",
        original_run_id=claim.run_id,
        reproduction_run_id=record.run_id,
        same_run_id=run_id_of(cfg) == claim.run_id,
        folder=str(attempt),
        reproduction_record=str(record.path),
        who=who or getpass.getuser(),
        when=started.isoformat(),
        where=f"{socket.gethostname()} ({platform.platform()}, {here.cpu}{', ' + here.gpu if here.gpu else ''})",
        dataset_fingerprint=fingerprint,
        tolerance=tolerance,
        tolerance_reason=reason,
        metrics=comparisons,
        predictions_identical=predictions_identical,
        weights_identical=same_weights(claim.checkpoint, record),
        environment_differences=environment_differences(
            claim, environment_info(), git_info(), record.manifest.medbench_version
        ),
        duration_s=round(time.perf_counter() - clock, 3),
    )
    write_model(attempt / REPRODUCTION_FILE, reproduction)
    return reproduction


def same_weights(original: Optional[tuple[Path, str]], record: RunRecord) -> Optional[bool]:
    """Do the rerun's weights equal the original's? Torch weights are loaded weights-only and
    compared tensor by tensor; other formats (pickles are never loaded) by their SHA-256."""
    rerun = record.checkpoint_path()
    if original is None or rerun is None:
        return None
    path, declared = original
    if path.suffix != ".pt" or rerun.suffix != ".pt":
        return declared == record.manifest.model.checkpoint_sha256
    import torch

    from medbench.engine.checkpoints import load_state_dict

    before, after = load_state_dict(path, declared), load_state_dict(rerun)
    return before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)


def link_to_leaderboard(reproduction: Reproduction, claim: Claim, leaderboards_dir: Path) -> Reproduction:
    """Log the outcome on the entry's board (`reproduced` on a match) and keep the event in the record."""
    from medbench.leaderboard.folder.review import record_reproduction

    assert claim.entry is not None
    board, entry_id = claim.entry
    differences = {
        c.name: {"submitted": c.original, "reproduced": c.reproduced} for c in reproduction.metrics if not c.within_tolerance
    }
    event = record_reproduction(
        leaderboards_dir,
        board,
        entry_id,
        reproducer=reproduction.who,
        reproduced_run_id=reproduction.reproduction_run_id,
        matches=reproduction.status == "match",
        differences=differences,
        note=f"{reproduction.status} at tolerance {reproduction.tolerance:g}, on {reproduction.where}, {reproduction.when}",
    )
    linked = reproduction.model_copy(
        update={"leaderboard": LeaderboardLink(board=board, entry=entry_id, event=event.event, audit_seq=event.seq)}
    )
    write_model(Path(reproduction.folder) / REPRODUCTION_FILE, linked)
    return linked


def compare_metrics(
    original: dict[str, MetricValue], reproduced: dict[str, MetricValue], tolerance: float
) -> list[MetricComparison]:
    comparisons = []
    for name in sorted(set(original) | set(reproduced)):
        before, after = original.get(name), reproduced.get(name)
        if before is None or after is None:
            comparisons.append(
                MetricComparison(
                    name=name,
                    original=before.value if before else None,
                    reproduced=after.value if after else None,
                    difference=None,
                    within_tolerance=False,
                )
            )
            continue
        difference = max(_difference(a, b) for a, b in _numbers(before, after))
        comparisons.append(
            MetricComparison(
                name=name,
                original=before.value,
                reproduced=after.value,
                difference=difference,
                within_tolerance=difference <= tolerance,
            )
        )
    return comparisons


def _numbers(before: MetricValue, after: MetricValue) -> list[tuple[float, float]]:
    pairs = [(before.value, after.value)]
    if before.ci is not None or after.ci is not None:
        if before.ci is None or after.ci is None:
            return pairs + [(math.nan, 0.0)]
        pairs += [(before.ci.low, after.ci.low), (before.ci.high, after.ci.high)]
    return pairs


def _difference(a: float, b: float) -> float:
    if math.isnan(a) and math.isnan(b):
        return 0.0
    difference = abs(a - b)
    return math.inf if math.isnan(difference) else difference


def environment_differences(
    claim: Claim, here: EnvironmentInfo, git: GitInfo, medbench_version: str
) -> list[EnvironmentDifference]:
    """Every field of environment, git and medbench version that differs between the original and this machine."""
    original = _flatten(claim.environment, claim.git, claim.medbench_version)
    current = _flatten(here, git, medbench_version)
    return [
        EnvironmentDifference(field=key, original=original.get(key), reproduction=current.get(key))
        for key in sorted(set(original) | set(current))
        if original.get(key) != current.get(key)
    ]


def _flatten(environment: EnvironmentInfo, git: GitInfo, medbench_version: str) -> dict[str, Optional[str]]:
    flat: dict[str, Optional[str]] = {"medbench": medbench_version}
    for key, value in environment.model_dump().items():
        if key == "packages":
            flat.update({f"package {name}": version for name, version in value.items()})
        else:
            flat[key] = None if value is None else str(value)
    flat["git commit"] = git.commit
    flat["git dirty"] = None if git.dirty is None else str(git.dirty)
    return flat


def print_reproduction(reproduction: Reproduction) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=140)
    metrics = Table(title=f"reproduction of {reproduction.original_run_id} ({reproduction.target_kind})")
    for column in ("metric", "original", "reproduced", "|difference|", f"within {reproduction.tolerance:g}"):
        metrics.add_column(column)
    for c in reproduction.metrics:
        metrics.add_row(
            c.name,
            _fmt(c.original),
            _fmt(c.reproduced),
            "-" if c.difference is None else f"{c.difference:.3g}",
            "yes" if c.within_tolerance else "[red]NO[/red]",
        )
    console.print(metrics)
    environment = Table(title="environment: original vs here (differences only)")
    for column in ("field", "original", "here"):
        environment.add_column(column)
    for d in reproduction.environment_differences:
        environment.add_row(d.field, d.original or "-", d.reproduction or "-")
    if reproduction.environment_differences:
        console.print(environment)
    else:
        console.print("environment: identical (packages, interpreter, hardware, git commit)")
    identical = {True: "identical", False: "DIFFERENT", None: "not compared"}[reproduction.predictions_identical]
    weights = {True: "identical", False: "DIFFERENT", None: "not compared"}[reproduction.weights_identical]
    console.print(f"predictions: {identical}; weights: {weights}; run id {'unchanged' if reproduction.same_run_id else 'CHANGED'}")
    console.print(f"record: {Path(reproduction.folder) / REPRODUCTION_FILE}")
    if reproduction.leaderboard:
        link = reproduction.leaderboard
        console.print(f"leaderboard: {link.board} entry {link.entry[:12]}: {link.event} (audit event {link.audit_seq})")
    console.print(f"[bold]{reproduction.status.upper()}[/bold] ({reproduction.tolerance_reason}; {reproduction.duration_s:.1f} s)")


def _fmt(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.6f}"


def read_reproduction(path: Path) -> Reproduction:
    from medbench.records.record import read_model

    return read_model(path, Reproduction)


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
