"""Rerun a claim into a fresh folder under `paths.reproductions_dir` and write its `reproduction.json`; link the result to the board entry it reproduces."""

from __future__ import annotations

import getpass
import platform
import socket
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from omegaconf import DictConfig

from medbench.errors import RecordError
from medbench.names import checked_name
from medbench.records.record import (
    REPRODUCTION_FILE,
    RunRecord,
    write_model,
)
from medbench.reproduce.claims import Claim
from medbench.reproduce.outcome import (
    LeaderboardLink,
    Reproduction,
    compare_metrics,
    default_tolerance,
    environment_differences,
)
from medbench.reproduce.rebuild import check_fingerprint, rebuild_config


def reproduce(
    claim: Claim,
    local: DictConfig,
    tolerance: Optional[float] = None,
    who: Optional[str] = None,
    data_root: Optional[Path] = None,
) -> Reproduction:
    """Rerun `claim` and write its `reproduction.json`; see the module docstring for the steps."""
    from medbench.config.identity import legacy_run_id_of, run_id_of
    from medbench.engine.run import run
    from medbench.records.provenance import environment_info, git_info

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
        # A record made before run ids hashed the data by content has the id of its config with the path.
        same_run_id=claim.run_id in (run_id_of(cfg), legacy_run_id_of(cfg)),
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
        tolerance=reproduction.tolerance,
        note=f"{reproduction.status} at tolerance {reproduction.tolerance:g}, on {reproduction.where}, {reproduction.when}",
    )
    linked = reproduction.model_copy(
        update={"leaderboard": LeaderboardLink(board=board, entry=entry_id, event=event.event, audit_seq=event.seq)}
    )
    write_model(Path(reproduction.folder) / REPRODUCTION_FILE, linked)
    return linked

