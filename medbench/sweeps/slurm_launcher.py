"""`hydra/launcher=submitit_slurm`: a SLURM job array whose sweep always ends, saying why.

Hydra's submitit launcher submits the array and then waits on each job's result, asking `sacct`
for states. Without SLURM accounting (small clusters, many hospital ones) `sacct` fails: a job
that can never start stays pending for ever, and a cancelled or killed job leaves the sweep
waiting. This launcher submits the same way (same sbatch script, same job folders) and watches
with `squeue` (:mod:`medbench.sweeps.slurm_queue`):

* a job pending for a reason waiting cannot clear (the request exceeds the partition or its
  nodes), or pending longer than ``max_pending_min``, or whose state cannot be read for
  ``status_timeout_s``, ends the sweep with SLURM's reason, one line, exit 2, and the sweep's
  jobs are cancelled so that nothing is left in the queue;
* a job that ends without a result (``scancel``, killed, node failure) is recorded as failed in
  the sweep's outcomes, with SLURM's final state, and the other jobs go on.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, Optional

from hydra.core.config_store import ConfigStore
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, JobStatus, filter_overrides
from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf, SlurmQueueConf
from hydra_plugins.hydra_submitit_launcher.submitit_launcher import SlurmLauncher as SubmititSlurmLauncher
from omegaconf import OmegaConf, open_dict

from medbench.errors import MedbenchError
from medbench.sweeps.slurm_queue import JobState, SlurmQueueError, cancel, job_request, job_states

log = logging.getLogger(__name__)

# After a job leaves the queue, its result file may take a few seconds to show on a shared file
# system (submitit waits 15 s too).
RESULT_GRACE_S = 15.0


@dataclass
class SlurmLauncherConf(SlurmQueueConf):
    """The plugin's SLURM options, plus when to give up on a job (see the module docstring)."""

    _target_: str = "hydra_plugins.medbench_launcher.slurm.SlurmLauncher"
    # Minutes a job may stay pending for a reason that can clear (Resources, Priority...); null: as long as SLURM keeps it.
    max_pending_min: Optional[float] = None
    # Seconds without a readable answer from squeue before the sweep ends.
    status_timeout_s: float = 300.0
    # Longest pause between two squeue calls (they start at 1 s and double).
    poll_max_s: float = 30.0


def register_schema() -> None:
    """Type `conf/hydra/launcher/submitit_slurm.yaml` with :class:`SlurmLauncherConf` instead of the plugin's schema.

    Hydra's plugin scan (once per process) executes the plugin's module, which registers the
    plugin's schema under the same name: the scan runs first, so that this registration wins.
    """
    from hydra.core.plugins import Plugins

    Plugins.instance()
    ConfigStore.instance().store(group="hydra/launcher", name="submitit_slurm", node=SlurmLauncherConf, provider="medbench")


class JobCannotStart(MedbenchError):
    """A job will not start (or its state cannot be read): the sweep ends."""


@dataclass(frozen=True)
class WatchSettings:
    max_pending_min: Optional[float]
    status_timeout_s: float
    poll_max_s: float
    result_grace_s: float = RESULT_GRACE_S


def array_ids(job_ids: Sequence[str]) -> list[str]:
    """`["12_0", "12_1"]` → `["12"]`: what squeue and scancel are given."""
    return sorted({job_id.split("_")[0] for job_id in job_ids})


def watch(
    results: Mapping[str, Sequence[Path]],
    settings: WatchSettings,
    read_states: Callable[[Sequence[str]], dict[str, JobState]] = job_states,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, str]:
    """Wait until each job has its results (`results`: job id → one file per SLURM task) or has left the queue without.

    Result files are looked for every second; squeue is asked after 0, 1, 3, 7... seconds, then
    every ``poll_max_s``. Returns the jobs that ended without a result, each with what SLURM last
    said of it. Raises :class:`JobCannotStart` when a job cannot start or the states cannot be
    read in time.
    """
    lost: dict[str, str] = {}
    last_seen: dict[str, JobState] = {}
    pending_since: dict[str, float] = {}
    gone_since: dict[str, float] = {}
    last_read = next_read = clock()
    interval = 1.0
    while True:
        open_jobs = [job for job, paths in results.items() if job not in lost and not all(p.exists() for p in paths)]
        if not open_jobs:
            return lost
        now = clock()
        if now >= next_read:
            states = _read(read_states, open_jobs, now - last_read, settings)
            if states is not None:
                last_read = now
                for job in open_jobs:
                    state = states.get(job)
                    if state is None or state.finished:
                        if now - gone_since.setdefault(job, now) >= settings.result_grace_s:
                            lost[job] = _ending(job, state, last_seen.get(job))
                        continue
                    gone_since.pop(job, None)  # listed live again (requeued)
                    if state.pending:
                        _check_pending(state, now - pending_since.setdefault(job, now), settings)
                        if state.reason != "None" and state.reason != getattr(last_seen.get(job), "reason", None):
                            log.info("SLURM job %s pending: %s", job, state.reason)
                    else:
                        pending_since.pop(job, None)
                    last_seen[job] = state
            next_read = now + interval
            interval = min(2 * interval, settings.poll_max_s)
        sleep(1.0)


def _read(
    read_states: Callable[[Sequence[str]], dict[str, JobState]], jobs: list[str], unread_s: float, settings: WatchSettings
) -> Optional[dict[str, JobState]]:
    """The jobs' states, or None when squeue fails (for less than ``status_timeout_s`` since it last answered)."""
    try:
        return read_states(array_ids(jobs))
    except SlurmQueueError as error:
        if unread_s > settings.status_timeout_s:
            raise JobCannotStart(
                f"the state of SLURM job {', '.join(array_ids(jobs))} could not be read for "
                f"{settings.status_timeout_s:g} s (hydra.launcher.status_timeout_s): {error}"
            ) from None
        log.warning("SLURM job states unreadable (will retry): %s", error)
        return None


def _ending(job: str, state: Optional[JobState], last_seen: Optional[JobState]) -> str:
    """What SLURM says of a job that left no result."""
    if state is not None:
        return f"SLURM job {job} ended {state.state} (reason {state.reason}) without a result"
    # A pending array task that is cancelled vanishes from the queue at once; any job does after MinJobAge.
    seen = f"last seen {last_seen.state}" if last_seen is not None else "never seen by squeue"
    return f"SLURM job {job} left the queue ({seen}) without a result: cancelled, or purged by SLURM"


def _check_pending(state: JobState, pending_s: float, settings: WatchSettings) -> None:
    if state.hopeless:
        raise JobCannotStart(
            f"SLURM job {state.job_id} cannot start: pending with reason {state.reason}, which waiting does not "
            f"clear{_asked(state.job_id)}; ask for less (hydra.launcher.cpus_per_task, mem_gb, timeout_min) "
            "or another hydra.launcher.partition"
        )
    if settings.max_pending_min is not None and pending_s > 60 * settings.max_pending_min:
        raise JobCannotStart(
            f"SLURM job {state.job_id} still pending after {settings.max_pending_min:g} min "
            f"(hydra.launcher.max_pending_min), reason {state.reason}{_asked(state.job_id)}"
        )


def _asked(job_id: str) -> str:
    request = job_request(job_id)
    return f" (it asked for {request})" if request else ""


class SlurmLauncher(SubmititSlurmLauncher):
    """The submitit SLURM launcher, watched with squeue; configured by :class:`SlurmLauncherConf`."""

    def __init__(
        self, max_pending_min: Optional[float] = None, status_timeout_s: float = 300.0, poll_max_s: float = 30.0, **params: Any
    ) -> None:
        super().__init__(**params)
        self.watch_settings = WatchSettings(max_pending_min, status_timeout_s, poll_max_s)

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        from submitit.core.utils import FailedJobError

        assert self.config is not None
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        log.info("SLURM sweep output dir: %s", sweep_dir)
        numbers = list(range(initial_job_idx, initial_job_idx + len(job_overrides)))
        for number, overrides in zip(numbers, job_overrides):
            log.info("\t#%d : %s", number, " ".join(filter_overrides(overrides)))
        count = len(numbers)
        try:
            jobs = self._executor().map_array(
                self,
                [list(overrides) for overrides in job_overrides],
                ["hydra.sweep.dir"] * count,
                numbers,
                [f"job_id_for_{number}" for number in numbers],
                [Singleton.get_state()] * count,
            )
        except FailedJobError as error:
            _end_sweep(f"sbatch refused the sweep: {_sbatch_errors(str(error))}")
        submitted = array_ids([job.job_id for job in jobs])
        log.info("%d sweep job(s) submitted as SLURM job %s", count, ", ".join(submitted))
        try:
            # A job of several SLURM tasks (DDP ranks) writes one result per task; rank 0's is the job's.
            results = {job.job_id: [job.task(t).paths.result_pickle for t in range(job.num_tasks)] for job in jobs}
            lost = watch(results, self.watch_settings)
        except JobCannotStart as error:
            cancel(submitted)
            _end_sweep(f"{error}. The sweep's jobs ({', '.join(submitted)}) were cancelled.")
        returns = []
        for number, overrides, job in zip(numbers, job_overrides, jobs):
            ending = lost.get(job.job_id)
            if ending is None:
                try:
                    returns.append(job.results()[0])
                    continue
                except Exception as error:  # the job's own Hydra set-up failed: submitit re-raises its trace
                    ending = _last_error_line(str(error))
            returns.append(self._lost_job(list(overrides), number, f"{ending}; log: {job.task(0).paths.stderr}"))
        return returns

    def _executor(self) -> Any:
        """The submitit executor of the plugin's parameters (same sbatch script as Hydra's launcher)."""
        import submitit

        params = dict(self.params)
        executor = submitit.AutoExecutor(
            cluster="slurm", folder=params.pop("submitit_folder"), slurm_max_num_timeout=params.pop("max_num_timeout")
        )
        shared = set(OmegaConf.structured(BaseQueueConf).keys())
        executor.update_parameters(**{key if key in shared else f"slurm_{key}": value for key, value in params.items()})
        return executor

    def _lost_job(self, overrides: list[str], number: int, reason: str) -> JobReturn:
        """Record a job that left no result as failed in the sweep's outcomes; its objective is the worst value."""
        from medbench.sweeps.sweep import record_lost_job

        assert self.hydra_context is not None and self.config is not None
        log.error("sweep job %d (%s) failed: %s", number, " ".join(overrides), reason)
        cfg = self.hydra_context.config_loader.load_sweep_config(self.config, overrides)
        with open_dict(cfg.hydra.job):
            cfg.hydra.job.num = number
        job_dir = Path(str(self.config.hydra.sweep.dir)) / str(cfg.hydra.sweep.subdir)
        task_cfg = OmegaConf.masked_copy(cfg, [key for key in cfg if key != "hydra"])
        objective = record_lost_job(task_cfg, overrides, job_dir, number, reason)
        result = JobReturn(overrides=overrides, cfg=cfg, working_dir=str(job_dir), status=JobStatus.COMPLETED)
        result.return_value = objective
        return result


def _sbatch_errors(message: str) -> str:
    """sbatch's own error lines (the cause, then "Batch job submission failed: ..."), in one line."""
    lines = [line.strip() for line in message.splitlines() if line.strip().startswith("sbatch: error:")]
    return " ".join(dict.fromkeys(lines)) or _last_error_line(message)


def _last_error_line(message: str) -> str:
    lines = [line.strip() for line in message.splitlines() if "error" in line.lower()]
    return lines[-1] if lines else message.strip().splitlines()[-1]


def _end_sweep(message: str) -> NoReturn:
    """One line on stderr and exit 2: Hydra would print a traceback for an exception raised by a launcher."""
    print(f"medbench run: error: {message}", file=sys.stderr)
    raise SystemExit(2)
