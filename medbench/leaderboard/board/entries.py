"""Entries of either store: a checked run record, what a run says about itself, and its provenance.

A folder board makes an entry from a whole record (`entry_from_record`: its predictions rescored
here, its provenance from the manifest). The committee makes one from a submission: scores it
computes itself against hidden labels, and the run's description (`run_description`, the same
manifest fields, sent by the client as `meta`). Both turn a description into a
:class:`~medbench.leaderboard.board.schema.Provenance` with `provenance_of`, the one mapping.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from medbench.errors import LeaderboardError, RecordError
from medbench.leaderboard.board.events import now_utc
from medbench.leaderboard.board.schema import Entry, Provenance

if TYPE_CHECKING:
    from medbench.records.record import Metrics, RunRecord

# Sizes of a run's description as it arrives from outside (a committee submission's `meta`): generous
# for any real run, and small enough that no description can grow every page of a board.
SHORT_TEXT = 256  # names, versions, hashes, timestamps
LONG_TEXT = 16 * 1024  # one override or one setting's value (a task's list of class names, say)
MANY_ITEMS = 512  # overrides, tags, choices, packages
SETTINGS_ITEMS = 4096  # the flattened semantic config
MAX_DESCRIPTION_BYTES = 256 * 1024  # the whole description, as JSON

ShortText = Annotated[str, StringConstraints(max_length=SHORT_TEXT)]
LongText = Annotated[str, StringConstraints(max_length=LONG_TEXT)]


class RunDescription(BaseModel):
    """What a run says about itself (the manifest's fields and the config's name, tags and settings):
    all a committee takes from a submission besides its scores, typed and bounded.

    Fields a client does not send stay None (`provenance_of` gives them a neutral value); fields
    it sends that are not here are dropped.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    run_id: Optional[ShortText] = None
    model_target: Optional[ShortText] = None
    parameter_count: Optional[int] = None
    checkpoint_sha256: Optional[ShortText] = None
    seed: Optional[int] = None
    overrides: Optional[list[LongText]] = Field(default=None, max_length=MANY_ITEMS)
    git_commit: Optional[ShortText] = None
    git_dirty: Optional[bool] = None
    medbench_version: Optional[ShortText] = None
    python: Optional[ShortText] = None
    platform: Optional[ShortText] = None
    packages: Optional[dict[ShortText, Optional[ShortText]]] = Field(default=None, max_length=MANY_ITEMS)
    started_at: Optional[ShortText] = None
    duration_s: Optional[float] = None
    dataset_fingerprint: Optional[ShortText] = None
    task_version: Optional[ShortText] = None  # the protocol's version the run was made under
    name: Optional[ShortText] = None
    tags: Optional[list[ShortText]] = Field(default=None, max_length=MANY_ITEMS)
    choices: Optional[dict[ShortText, ShortText]] = Field(default=None, max_length=MANY_ITEMS)
    settings: Optional[dict[ShortText, LongText]] = Field(default=None, max_length=SETTINGS_ITEMS)
    config_sha256: Optional[ShortText] = None
    # The submitter's word that its data file is not its benchmark's official release (MedMNIST).
    official_release: Optional[bool] = None

    @model_validator(mode="after")
    def _bounded(self) -> "RunDescription":
        size = len(json.dumps(self.model_dump(exclude_none=True), separators=(",", ":")))
        if size > MAX_DESCRIPTION_BYTES:
            raise ValueError(f"the description takes {size} bytes as JSON; at most {MAX_DESCRIPTION_BYTES}")
        return self



def checked_description(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a submission's `meta` that are set, each within its type and size; a refusal otherwise."""
    from pydantic import ValidationError

    from medbench.io import validation_problems

    try:
        return RunDescription.model_validate(meta).model_dump(exclude_none=True)
    except ValidationError as error:
        raise LeaderboardError(f"the submission's description is invalid: {validation_problems(error)}") from None


class SubmissionRefused(LeaderboardError):
    """A record that cannot join the board; the message lists every reason."""


class FailedRun(SubmissionRefused):
    """The run itself failed: there is nothing to rank (`--skip-failed` passes over these)."""


def checked_record(run_dir: Path) -> "RunRecord":
    """The record, or a refusal saying what makes it unfit for a board."""
    from medbench.records.record import read_record

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


NON_OFFICIAL_SUFFIX = "-nonofficial-data"


def default_board_name(record: "RunRecord") -> str:
    """The task's name, marked when the run's data file is not its benchmark's official release:
    such numbers are not comparable with published ones and must not take the canonical board."""
    dataset = record.manifest.dataset
    unofficial = dataset is not None and dataset.official_release is False
    return record.protocol.name + (NON_OFFICIAL_SUFFIX if unofficial else "")


def run_description(record: "RunRecord") -> dict[str, Any]:
    """What a checked record says about its run, by the fields of `RunDescription` (a committee submission's `meta`)."""
    manifest, config = record.manifest, record.config()
    return {
        "run_id": manifest.run_id, "model_target": manifest.model.target, "parameter_count": manifest.model.parameter_count,
        "checkpoint_sha256": manifest.model.checkpoint_sha256, "seed": manifest.seed, "overrides": manifest.overrides,
        "git_commit": manifest.git.commit, "git_dirty": manifest.git.dirty, "medbench_version": manifest.medbench_version,
        "python": manifest.environment.python, "platform": manifest.environment.platform,
        "packages": manifest.environment.packages, "started_at": manifest.timing.started_at,
        "duration_s": manifest.timing.duration_s, "dataset_fingerprint": manifest.dataset.fingerprint,
        "task_version": record.protocol.version,
        "name": str(config.get("name") or ""), "tags": [str(tag) for tag in config.get("tags") or []],
        "choices": dict(manifest.choices), "official_release": manifest.dataset.official_release, **run_settings(config),
    }


def provenance_of(
    description: Mapping[str, Any],
    *,
    dataset_source: str,
    split_sizes: dict[str, int],
    predictions_sha256: str,
    qrels_sha256: Optional[str],
    submitter: str,
    submitted_at: str,
    run_id: str,
) -> Provenance:
    """The provenance of an entry: the run's description (a record's, or a submission's `meta`, whose
    missing fields get a neutral value), and what the store itself knows of the entry.

    `run_id` is used when the description names none (a partner's predictions file).
    """
    from medbench import __version__

    d = description
    return Provenance(
        run_id=str(d.get("run_id") or run_id),
        model_target=str(d.get("model_target") or "unknown"),
        parameter_count=d.get("parameter_count"),
        checkpoint_sha256=d.get("checkpoint_sha256"),
        seed=int(d["seed"]) if d.get("seed") is not None else None,
        overrides=[str(item) for item in d.get("overrides") or []],
        git_commit=d.get("git_commit"),
        git_dirty=d.get("git_dirty"),
        medbench_version=str(d.get("medbench_version") or __version__),
        python=str(d.get("python") or "unknown"),
        platform=str(d.get("platform") or "unknown"),
        packages={str(k): (str(v) if v is not None else None) for k, v in (d.get("packages") or {}).items()},
        dataset_source=dataset_source,
        split_sizes=split_sizes,
        started_at=str(d.get("started_at") or submitted_at),
        duration_s=float(d.get("duration_s") or 0.0),
        predictions_sha256=predictions_sha256,
        qrels_sha256=qrels_sha256,
        submitter=submitter,
        submitted_at=submitted_at,
        name=str(d.get("name") or ""),
        tags=[str(tag) for tag in d.get("tags") or []],
        choices={str(k): str(v) for k, v in (d.get("choices") or {}).items()},
        settings={str(k): str(v) for k, v in (d.get("settings") or {}).items()},
        config_sha256=d.get("config_sha256"),
        official_release=d["official_release"] if isinstance(d.get("official_release"), bool) else None,
    )


def check_finite(metrics: "Metrics", where: str) -> None:
    """Refuse metrics a board cannot rank (undefined on these predictions)."""
    undefined = sorted(name for name, metric in metrics.values.items() if not math.isfinite(metric.value))
    if undefined:
        raise SubmissionRefused(f"{where}metric(s) {undefined} are not finite numbers; a board cannot rank them")


def entry_from_record(record: "RunRecord", board: str, submitter: str) -> Entry:
    """The entry of a checked record: its aggregates, recomputed here from its predictions under its
    protocol (a record's `metrics.json` is a claim, never trusted), and its provenance."""
    from medbench.io import sha256_file

    manifest, metrics = record.manifest, rescored_metrics(record)
    check_finite(metrics, f"{record.path}: ")
    dataset = manifest.dataset
    qrels = record.qrels_path()
    return Entry(
        board=board,
        protocol=manifest.protocol,
        dataset_fingerprint=dataset.fingerprint,
        n_samples=metrics.n_samples,
        metrics=metrics.values,
        subgroups=metrics.subgroups,
        pathways=record.pathways(),
        provenance=provenance_of(
            run_description(record),
            dataset_source=dataset.source,
            split_sizes=dataset.split_sizes,
            predictions_sha256=record.predictions_sha256(),
            qrels_sha256=sha256_file(qrels) if qrels else None,
            submitter=submitter,
            submitted_at=now_utc(),
            run_id=manifest.run_id,
        ),
    )


def rescored_metrics(record: "RunRecord") -> "Metrics":
    from medbench.errors import MedbenchError
    from medbench.evaluation.scoring import record_outputs, score_outputs

    try:
        return score_outputs(record_outputs(record), record.protocol)
    except MedbenchError as error:
        raise SubmissionRefused(f"{record.path}: its predictions cannot be rescored ({error})") from None


def claimed_differences(record: "RunRecord", entry: Entry) -> dict[str, tuple[float, float]]:
    """Metric → (claimed in metrics.json, recomputed) where the claim does not agree exactly (`evaluation.agreement`)."""
    from medbench.evaluation.agreement import EXACT, disagreeing

    claimed = record.metrics().values
    return {
        name: (claimed[name].value if name in claimed else float("nan"), entry.metrics[name].value)
        for name in disagreeing(claimed, entry.metrics, EXACT)
        if name in entry.metrics
    }


def run_settings(config: Mapping[str, Any]) -> dict[str, Any]:
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


def _flatten(node: Any, prefix: str = ""):
    if isinstance(node, dict) and node:
        for key in sorted(node):
            yield from _flatten(node[key], f"{prefix}{key}.")
    else:
        yield prefix[:-1], node if isinstance(node, str) else json.dumps(node, separators=(",", ":"))
