"""What a reproduction found, as `reproduction.json` keeps it: every metric compared within a tolerance, and the environments diffed."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

from medbench.evaluation.agreement import EXACT, NONDETERMINISTIC_TOLERANCE, agree, difference
from medbench.io import Strict
from medbench.records.record import (
    EnvironmentInfo,
    GitInfo,
    MetricValue,
)
from medbench.reproduce.claims import Claim, TargetKind

SCHEMA_VERSION = 1


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



def default_tolerance(claim: Claim) -> tuple[float, str]:
    trainer = claim.config.get("trainer") or {}
    on_cpu = claim.environment.gpu is None or str(trainer.get("accelerator", "cpu")) == "cpu"
    if on_cpu and trainer.get("deterministic", True):
        return EXACT, "exact: the original was a deterministic CPU run"
    return NONDETERMINISTIC_TOLERANCE, "default for GPU or non-deterministic runs"



def compare_metrics(
    original: dict[str, MetricValue], reproduced: dict[str, MetricValue], tolerance: float
) -> list[MetricComparison]:
    """Every metric of either side, compared by the one agreement rule (`evaluation.agreement`)."""
    comparisons = []
    for name in sorted(set(original) | set(reproduced)):
        before, after = original.get(name), reproduced.get(name)
        comparisons.append(
            MetricComparison(
                name=name,
                original=before.value if before else None,
                reproduced=after.value if after else None,
                difference=difference(before, after),
                within_tolerance=agree(before, after, tolerance),
            )
        )
    return comparisons



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



def read_reproduction(path: Path) -> Reproduction:
    from medbench.records.record import read_model

    return read_model(path, Reproduction)

