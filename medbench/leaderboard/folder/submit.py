"""`medbench submit`: turn a run record into a board entry, refusing what cannot be compared.

A record is accepted when it is complete and schema-valid, its predictions are present, and it is
comparable with the board (`comparability.judge`). The first submission creates the board from
the record. The same run with the same predictions submitted twice is recognised and not added
again, so submitting a whole sweep folder is safe to repeat.
"""

from __future__ import annotations

import getpass
import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from medbench.errors import LeaderboardError, RecordError
from medbench.leaderboard.folder import audit
from medbench.leaderboard.board.comparability import judge
from medbench.leaderboard.board.schema import BoardSpec, Entry, Provenance
from medbench.leaderboard.folder.store import Board
from medbench.io import sha256_file
from medbench.records.record import Metrics, RunRecord, read_record


class SubmissionRefused(LeaderboardError):
    """A record that cannot join the board; the message lists every reason."""


class FailedRun(SubmissionRefused):
    """The run itself failed: there is nothing to rank (`--skip-failed` passes over these)."""


@dataclass(frozen=True)
class SubmitResult:
    board: str
    entry_id: str
    added: bool
    upgraded_from: Optional[str] = None
    baseline: bool = False
    # Metric → (claimed, recomputed) where the record's metrics.json did not match its predictions.
    corrected: Optional[dict[str, tuple[float, float]]] = None


def default_submitter() -> str:
    return os.environ.get("MEDBENCH_SUBMITTER") or getpass.getuser()


def submit_run(
    root: Path, run_dir: Path, *, board: Optional[str] = None, submitter: str, baseline: bool = False
) -> SubmitResult:
    """Check the record at `run_dir` and add it to `board` (default: the task's name)."""
    import dataclasses

    record = checked_record(run_dir)
    entry = entry_from_record(record, board or record.protocol.name, submitter)
    result = submit_entries(root, entry.board, [(entry, record.predictions_path(), record.qrels_path())], baseline=baseline)[0]
    return dataclasses.replace(result, corrected=claimed_differences(record, entry) or None)


def checked_record(run_dir: Path) -> RunRecord:
    """The record, or a refusal saying what makes it unfit for a board."""
    try:
        record = read_record(run_dir)
        if record.complete:
            record.predictions()  # checked on every read: ids, columns, finite scores
    except RecordError as error:
        raise SubmissionRefused(f"not a valid run record: {error}") from None
    failure = record.manifest.failure
    if not record.complete:
        raise FailedRun(f"{run_dir}: the run failed ({failure.type}: {failure.message})" if failure else f"{run_dir}: the run failed")
    if record.manifest.dataset is None:
        raise SubmissionRefused(f"{run_dir}: the manifest has no dataset fingerprint, so the run cannot be compared")
    return record


def entry_from_record(record: RunRecord, board: str, submitter: str) -> Entry:
    """The entry of a checked record: its aggregates, recomputed here from its predictions under its
    protocol (a record's `metrics.json` is a claim, never trusted), and its provenance."""
    manifest, metrics = record.manifest, rescored_metrics(record)
    undefined = sorted(name for name, metric in metrics.values.items() if not math.isfinite(metric.value))
    if undefined:
        raise SubmissionRefused(f"{record.path}: metric(s) {undefined} are not finite numbers; a board cannot rank them")
    dataset = manifest.dataset
    config = record.config()
    return Entry(
        board=board,
        protocol=manifest.protocol,
        dataset_fingerprint=dataset.fingerprint,
        n_samples=metrics.n_samples,
        metrics=metrics.values,
        subgroups=metrics.subgroups,
        provenance=Provenance(
            run_id=manifest.run_id,
            model_target=manifest.model.target,
            parameter_count=manifest.model.parameter_count,
            checkpoint_sha256=manifest.model.checkpoint_sha256,
            seed=manifest.seed,
            overrides=manifest.overrides,
            git_commit=manifest.git.commit,
            git_dirty=manifest.git.dirty,
            medbench_version=manifest.medbench_version,
            python=manifest.environment.python,
            platform=manifest.environment.platform,
            packages=manifest.environment.packages,
            dataset_source=dataset.source,
            split_sizes=dataset.split_sizes,
            started_at=manifest.timing.started_at,
            duration_s=manifest.timing.duration_s,
            predictions_sha256=record.predictions_sha256(),
            qrels_sha256=sha256_file(qrels) if (qrels := record.qrels_path()) else None,
            submitter=submitter,
            submitted_at=audit.now_utc(),
            name=str(config.get("name") or ""),
            tags=[str(tag) for tag in config.get("tags") or []],
            choices=dict(manifest.choices),
            **run_settings(config),
        ),
    )


def rescored_metrics(record: RunRecord) -> Metrics:
    from medbench.errors import MedbenchError
    from medbench.evaluation.scoring import record_outputs, score_outputs

    try:
        return score_outputs(record_outputs(record), record.protocol)
    except MedbenchError as error:
        raise SubmissionRefused(f"{record.path}: its predictions cannot be rescored ({error})") from None


def claimed_differences(record: RunRecord, entry: Entry) -> dict[str, tuple[float, float]]:
    """Metric → (claimed in metrics.json, recomputed) where the record's claim is not what its predictions give."""
    claimed = record.metrics().values
    return {
        name: (claimed[name].value if name in claimed else float("nan"), value.value)
        for name, value in entry.metrics.items()
        if name not in claimed or claimed[name] != value
    }


def run_settings(config) -> dict:
    """The run's semantic settings as `key=value` strings, and the hash of them all.

    The task is the board's (its version apart) and the seed varies within a config, so neither
    names an entry nor splits a group: both are left out.
    """
    from medbench.config.identity import semantic_config
    from medbench.io import compact_bytes, sha256_hex

    semantic = semantic_config(config)
    semantic.pop("seed", None)
    semantic.pop("task", None)
    return {"settings": dict(_flatten(semantic)), "config_sha256": sha256_hex(compact_bytes(semantic))}


def _flatten(node, prefix: str = ""):
    if isinstance(node, dict) and node:
        for key in sorted(node):
            yield from _flatten(node[key], f"{prefix}{key}.")
    else:
        yield prefix[:-1], node if isinstance(node, str) else json.dumps(node, separators=(",", ":"))


def submit_entries(
    root: Path, board_name: str, items: Iterable[tuple[Entry, Path, Optional[Path]]], *, baseline: bool = False
) -> list[SubmitResult]:
    """Add entries (each with its predictions file, and qrels file for retrieval) under one hold of the board's lock.

    `baseline` names the first added entry the board's baseline. Otherwise a board has none until
    the committee chooses one (`medbench leaderboard baseline`): a baseline picked by submission
    order would compare every entry with whichever run happened to come first.
    """
    board = Board(root, board_name)
    items = list(items)
    results = []
    with board.locked():
        known = _submitted(board, {entry.provenance.run_id for entry, _, _ in items})
        for entry, predictions, qrels in items:
            results.append(_add(board, entry, predictions, qrels, known, baseline and not results))
    return results


def _add(
    board: Board, entry: Entry, predictions: Path, qrels: Optional[Path], known: dict[tuple[str, str], str], baseline: bool
) -> SubmitResult:
    """Add one entry; the caller holds the lock and passes what the board already holds."""
    key = (entry.provenance.run_id, entry.provenance.predictions_sha256)
    if key in known:
        return SubmitResult(board.name, known[key], added=False)
    spec, upgraded_from = _spec_for(board, entry)
    board.store_predictions(predictions, entry.provenance.predictions_sha256)
    if qrels is not None and entry.provenance.qrels_sha256:
        board.store_predictions(qrels, entry.provenance.qrels_sha256)
    entry_id = board.write_entry(entry)
    audit.append_event(
        board.audit_path,
        "submit",
        actor=entry.provenance.submitter,
        entry=entry_id,
        data={"run_id": key[0], "predictions_sha256": key[1], "task_version": entry.task_version},
    )
    known[key] = entry_id
    if baseline:
        spec = spec.model_copy(update={"baseline": entry_id})
        digest = board.write_spec(spec)
        audit.append_event(
            board.audit_path, "baseline", actor=entry.provenance.submitter, entry=entry_id, data={"board_sha256": digest}
        )
    return SubmitResult(board.name, entry_id, added=True, upgraded_from=upgraded_from, baseline=baseline)


def _spec_for(board: Board, entry: Entry) -> tuple[BoardSpec, Optional[str]]:
    """The board's spec once `entry` is accepted (created or upgraded), and the version it replaced."""
    new_spec = BoardSpec(
        name=board.name,
        protocol=entry.protocol,
        dataset_fingerprint=entry.dataset_fingerprint,
        created_at=audit.now_utc(),
    )
    if not board.exists() or not audit.has_events(board.audit_path):
        # No committed event: a board file without its `create` event was interrupted; write it anew.
        digest = board.write_spec(new_spec)
        audit.append_event(
            board.audit_path, "create", actor=entry.provenance.submitter, data={"board_sha256": digest, "task_version": entry.task_version}
        )
        return new_spec, None
    spec = board.spec()
    verdict = judge(spec, entry)
    if not verdict.accepted:
        raise SubmissionRefused(f"run {entry.provenance.run_id} refused by board {board.name!r}: " + "; ".join(verdict.reasons))
    if not verdict.upgrade:
        return spec, None
    new_spec = new_spec.model_copy(update={"created_at": spec.created_at})
    digest = board.write_spec(new_spec)
    audit.append_event(
        board.audit_path,
        "upgrade",
        actor=entry.provenance.submitter,
        note=f"task version {spec.task_version} -> {entry.task_version}: older entries are now stale",
        data={"board_sha256": digest, "task_version": entry.task_version, "previous_version": spec.task_version},
    )
    return new_spec, spec.task_version


def _submitted(board: Board, run_ids: set[str]) -> dict[tuple[str, str], str]:
    """(run id, predictions hash) → entry id of the earlier submissions of `run_ids`.

    Only submit lines naming one of the run ids are parsed (the run id is found by its key in
    the canonical line): the log grows with every event, and each submission reads it under the
    lock every other submitter waits on.
    """
    marker = b'"run_id":"'
    known = {}
    for line in audit.committed_lines(board.audit_path):
        start = line.find(marker)
        if start < 0 or b'"event":"submit"' not in line:
            continue
        start += len(marker)
        if line[start : line.index(b'"', start)].decode() in run_ids:
            event = audit.AuditEvent.from_line(line)
            known[(event.data["run_id"], event.data["predictions_sha256"])] = event.entry
    return known
