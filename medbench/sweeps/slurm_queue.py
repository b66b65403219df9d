"""What SLURM says about a sweep's jobs, read from `squeue` and `scontrol`, never from `sacct`.

submitit reads job states from `sacct`, which needs SLURM's accounting database; many clusters
(and every small one) run without it, and then submitit only logs "Bypassing sacct error" while
a job that can never start stays pending. `squeue --states=all` answers on every cluster: the
live jobs, and finished ones for `MinJobAge` seconds (300 by default), with SLURM's reason.

Some pending reasons never clear by waiting: the request exceeds what the partition or its nodes
can ever offer (`PartitionConfig`, `PartitionTimeLimit`...) or breaks a per-job limit. Those are
:data:`HOPELESS_REASONS`; the others (`Resources`, `Priority`, `JobArrayTaskLimit`...) are a
queue doing its work.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass

from medbench.errors import MedbenchError

# Pending reasons that waiting cannot clear (squeue(1), "JOB REASON CODES"): the job must be
# resubmitted with another request, or an administrator must change the cluster.
HOPELESS_REASONS = frozenset(
    {
        "BadConstraints",
        "PartitionConfig",
        "PartitionNodeLimit",
        "PartitionTimeLimit",
        "InvalidAccount",
        "InvalidQOS",
        "DependencyNeverSatisfied",
        "AccountNotAllowed",
        "QOSNotAllowed",
        # The job failed to launch on its node (e.g. its folder is missing there) and SLURM held it.
        "launch failed requeued held",
    }
)
# Per-job limits of a QOS or an association (e.g. QOSMaxCpuPerJobLimit, AssocMaxWallDurationPerJobLimit).
_PER_JOB_LIMIT = re.compile(r"^(QOS|Assoc)\w*PerJob\w*Limit$")

PENDING_STATES = frozenset({"PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD"})
ACTIVE_STATES = frozenset(
    {"RUNNING", "CONFIGURING", "COMPLETING", "RESIZING", "SIGNALING", "STAGE_OUT", "SUSPENDED", "STOPPED"}
)

_COMMAND_TIMEOUT_S = 60


class SlurmQueueError(MedbenchError):
    """A SLURM command failed or answered something unreadable."""


@dataclass(frozen=True)
class JobState:
    """One job (or array task, `123_4`) as squeue lists it."""

    job_id: str
    state: str
    reason: str

    @property
    def pending(self) -> bool:
        return self.state in PENDING_STATES

    @property
    def finished(self) -> bool:
        return not self.pending and self.state not in ACTIVE_STATES

    @property
    def hopeless(self) -> bool:
        """Pending for a reason that waiting will never clear."""
        return self.pending and (self.reason in HOPELESS_REASONS or bool(_PER_JOB_LIMIT.match(self.reason)))


def _slurm(*command: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=_COMMAND_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SlurmQueueError(f"`{' '.join(command)}` could not run: {error}") from None
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise SlurmQueueError(f"`{' '.join(command)}` failed: {message[-1] if message else f'exit {done.returncode}'}")
    return done.stdout


def job_states(job_ids: Iterable[str]) -> dict[str, JobState]:
    """The state of every job and array task of `job_ids` (ids as sbatch gave them) that SLURM still knows."""
    ids = sorted(set(job_ids))
    if not ids:
        return {}
    output = _slurm("squeue", "--noheader", "--array", "--states=all", f"--jobs={','.join(ids)}", "--format=%i|%T|%r")
    return parse_squeue(output)


def parse_squeue(output: str) -> dict[str, JobState]:
    """Lines of `squeue --format=%i|%T|%r` → states by job id."""
    states = {}
    for line in output.splitlines():
        if not line.strip():
            continue
        parts = line.strip().split("|")
        if len(parts) != 3:
            raise SlurmQueueError(f"squeue answered an unreadable line: {line!r}")
        job_id, state, reason = parts
        states[job_id] = JobState(job_id=job_id, state=state.split()[0], reason=reason)
    return states


def job_request(job_id: str) -> str:
    """What the job asked SLURM for (partition, CPUs, memory, time limit), for error messages; "" if unknown."""
    try:
        output = _slurm("scontrol", "--oneliner", "show", "job", job_id)
    except SlurmQueueError:
        return ""
    fields = dict(item.split("=", 1) for item in output.split() if "=" in item)
    wanted = {"Partition": "partition", "NumCPUs": "CPUs", "MinMemoryNode": "memory", "TimeLimit": "time limit"}
    return ", ".join(f"{label} {fields[key]}" for key, label in wanted.items() if fields.get(key) not in (None, "", "0"))


def cancel(job_ids: Iterable[str]) -> None:
    """`scancel` these jobs; a failure is ignored (they may have ended meanwhile)."""
    ids = sorted(set(job_ids))
    if ids:
        try:
            _slurm("scancel", *ids)
        except SlurmQueueError:
            pass
