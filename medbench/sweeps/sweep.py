"""Sweeps: every job runs `run(cfg)`, a failure stays in its job, and the sweep ends with a table.

Whatever the launcher (basic, joblib, submitit on this machine or SLURM), a job

* runs :func:`medbench.engine.run.run`, which reuses a complete record with the same run id: rerunning
  an interrupted sweep skips what finished and runs the rest;
* never raises: a failing run is recorded as failed by `run`, and the job writes an outcome file
  (``job_outcome.json``) into its Hydra job folder, so the other jobs go on;
* returns the value an Optuna search optimises; a failed job returns the worst value (-inf when
  maximising), since Optuna's sweeper aborts the whole search on NaN or an exception.

:class:`SweepSummary`, a Hydra callback, reads those outcomes and the records they point to when
the sweep ends, prints the table, writes it as ``sweep_summary.json`` and ``.csv`` in the sweep
folder, and exits 1 when any job failed.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, Optional

from hydra.experimental.callback import Callback
from omegaconf import DictConfig
from medbench.errors import ConfigError, RecordError
from medbench.wording import counted
from medbench.io import Strict, atomic_write
from medbench.records.record import RunRecord, read_model, read_record, write_model

log = logging.getLogger(__name__)

OUTCOME_FILE = "job_outcome.json"
SUMMARY_JSON = "sweep_summary.json"
SUMMARY_CSV = "sweep_summary.csv"

# complete: ran now; reused: a complete record existed; failed: the run's record says failed;
# refused: the config was refused before any record was written.
JobStatus = Literal["complete", "reused", "failed", "refused"]


class JobOutcome(Strict):
    job: int
    overrides: list[str]
    status: JobStatus
    run_id: Optional[str] = None
    record: Optional[str] = None
    error: Optional[str] = None


class SummaryRow(Strict):
    job: int
    run_id: Optional[str]
    overrides: str
    status: JobStatus
    primary_metric: Optional[str] = None
    value: Optional[float] = None
    ci_low: Optional[float] = None
    ci_high: Optional[float] = None
    record: Optional[str] = None
    error: Optional[str] = None


class SweepSummaryFile(Strict):
    sweep_dir: str
    finished_at: str
    n_jobs: int
    n_failed: int
    rows: list[SummaryRow]


def run_job(cfg: DictConfig, overrides: list[str], job_dir: Path, job_num: int) -> float:
    """One sweep point: run it, write its outcome into `job_dir`, return its objective (the worst value if it failed)."""
    from medbench.engine.run import run

    started = datetime.now(timezone.utc)
    try:
        record = run(cfg, overrides=overrides)
    except Exception as error:  # the sweep goes on; the failure is in the record and the outcome
        log.error("sweep job %d (%s) failed: %s: %s", job_num, " ".join(overrides), type(error).__name__, error)
        failed = _failed_record(cfg)
        outcome = JobOutcome(
            job=job_num,
            overrides=overrides,
            status="failed" if failed is not None else "refused",
            run_id=failed.run_id if failed is not None else None,
            record=str(failed.path) if failed is not None else None,
            error=f"{type(error).__name__}: {error}",
        )
        _write_outcome(job_dir, outcome)
        return _worst(cfg)
    if record is None:  # a DDP rank other than 0: rank 0 reports this job
        return math.nan
    reused = datetime.fromisoformat(record.manifest.timing.started_at) < started
    _write_outcome(
        job_dir,
        JobOutcome(
            job=job_num,
            overrides=overrides,
            status="reused" if reused else "complete",
            run_id=record.run_id,
            record=str(record.path),
        ),
    )
    try:
        return objective_value(record, cfg.objective.metric, _mode(cfg))
    except RecordError as error:
        log.error("sweep job %d: no objective value: %s", job_num, error)
        return _worst(cfg)


def record_lost_job(cfg: DictConfig, overrides: list[str], job_dir: Path, job_num: int, error: str) -> float:
    """A job that ended without reporting (cancelled, killed, lost with its node): failed, in its outcome file.

    Written by the launcher on the job's behalf; returns the worst objective value.
    """
    from medbench.config.identity import run_id_of

    try:
        run_id: Optional[str] = run_id_of(cfg)
    except Exception:  # an unresolvable config: the outcome says so through its error
        run_id = None
    _write_outcome(job_dir, JobOutcome(job=job_num, overrides=overrides, status="failed", run_id=run_id, error=error))
    return _worst(cfg)


def _mode(cfg: DictConfig) -> str:
    mode = str(getattr(cfg.objective.mode, "value", cfg.objective.mode))
    if mode not in ("maximize", "minimize"):
        raise ConfigError(f"objective.mode={mode}: a search maximizes or minimizes its objective; name a metric to maximize or minimize")
    return mode


def _worst(cfg: DictConfig) -> float:
    return -math.inf if _mode(cfg) == "maximize" else math.inf


def _failed_record(cfg: DictConfig) -> Optional[RunRecord]:
    """The failed record `run` left for `cfg`, or None when it failed before writing one."""
    from medbench.config.identity import run_id_of
    from medbench.records.record import find_record

    try:
        return find_record(cfg.paths.runs_dir, cfg.task.name, run_id_of(cfg))
    except Exception:  # an unresolvable config or an unreadable record: nothing to point to
        return None


def objective_value(record: RunRecord, metric: Optional[str], mode: str) -> float:
    """What a search optimises: a metric logged during training (best epoch), or the record's primary test metric.

    Searching on a validation metric keeps the test split out of model selection; the primary
    test metric is the fallback for models that log nothing (scikit-learn baselines).
    """
    if metric is None:
        return record.metrics().primary_value().value
    logged = record.logged_metrics()
    if logged is None or metric not in logged.columns:
        raise RecordError(
            f"objective.metric: {metric!r} was not logged by run {record.run_id} "
            f"(logged: {[] if logged is None else [c for c in logged.columns if '/' in c]}); use the csv logger"
        )
    values = logged[metric].dropna()
    return float(values.max() if mode == "maximize" else values.min())


def _write_outcome(job_dir: Path, outcome: JobOutcome) -> None:
    job_dir.mkdir(parents=True, exist_ok=True)
    write_model(job_dir / OUTCOME_FILE, outcome)


def read_outcomes(sweep_dir: Path) -> list[JobOutcome]:
    """The outcomes of every job of a sweep folder that got as far as writing one, in job order."""
    outcomes = [read_model(path, JobOutcome) for path in sweep_dir.glob(f"*/{OUTCOME_FILE}")]
    return sorted(outcomes, key=lambda outcome: outcome.job)


def summarize(sweep_dir: Path) -> SweepSummaryFile:
    rows = [_row(outcome) for outcome in read_outcomes(sweep_dir)]
    return SweepSummaryFile(
        sweep_dir=str(sweep_dir),
        finished_at=datetime.now(timezone.utc).isoformat(),
        n_jobs=len(rows),
        n_failed=sum(row.status in ("failed", "refused") for row in rows),
        rows=rows,
    )


def _row(outcome: JobOutcome) -> SummaryRow:
    base = dict(
        job=outcome.job,
        run_id=outcome.run_id,
        overrides=" ".join(outcome.overrides),
        status=outcome.status,
        record=outcome.record,
        error=outcome.error,
    )
    if outcome.record is None or outcome.status in ("failed", "refused"):
        return SummaryRow(**base)
    try:
        metrics = read_record(outcome.record).metrics()
    except RecordError as error:
        return SummaryRow(**{**base, "status": "failed", "error": f"record unreadable: {error}"})
    primary = metrics.primary_value()
    return SummaryRow(
        **base,
        primary_metric=metrics.primary,
        value=primary.value,
        ci_low=primary.ci.low if primary.ci else None,
        ci_high=primary.ci.high if primary.ci else None,
    )


def write_summary(summary: SweepSummaryFile, sweep_dir: Path) -> None:
    write_model(sweep_dir / SUMMARY_JSON, summary)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(SummaryRow.model_fields))
    writer.writeheader()
    for row in summary.rows:
        writer.writerow(row.model_dump())
    atomic_write(sweep_dir / SUMMARY_CSV, buffer.getvalue())


def print_summary(summary: SweepSummaryFile) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    shared, own = split_overrides([row.overrides.split() for row in summary.rows])
    table = Table(
        title=f"sweep {summary.sweep_dir}: {counted(summary.n_jobs, 'job')}, {summary.n_failed} failed",
        caption=f"every job: {' '.join(shared)}" if shared else None,
    )
    for column in ("job", "run id", "overrides", "status", "primary metric (95% CI)"):
        table.add_column(column)
    for row, overrides in zip(summary.rows, own):
        # Escaped: an override's list value (`drop_columns=[a,b]`) would otherwise read as rich markup and vanish.
        table.add_row(str(row.job), row.run_id or "-", escape(" ".join(overrides)), _status_cell(row), _metric_cell(row))
    Console(stderr=False, width=160).print(table)


def split_overrides(jobs: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """The overrides every job shares (said once) and, per job, the ones that tell it apart.

    With a single job nothing tells it apart, so its overrides stay on its row.
    """
    if len(jobs) < 2:
        return [], jobs
    shared = [override for override in jobs[0] if all(override in job for job in jobs[1:])]
    return shared, [[override for override in job if override not in shared] for job in jobs]


def _status_cell(row: SummaryRow) -> str:
    if row.status in ("failed", "refused"):
        from rich.markup import escape

        return f"[red]{row.status}[/red]: {escape((row.error or '').splitlines()[0])}"
    return row.status


def _metric_cell(row: SummaryRow) -> str:
    if row.value is None:
        return "-"
    interval = f" [{row.ci_low:.4f}, {row.ci_high:.4f}]" if row.ci_low is not None and row.ci_high is not None else ""
    return f"{row.primary_metric} {row.value:.4f}{interval}"


class SweepSummary(Callback):
    """Hydra callback (conf/hydra/default.yaml): the table at the end of every multirun."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(str(config.hydra.sweep.dir))
        if not sweep_dir.is_dir():
            return
        summary = summarize(sweep_dir)
        write_summary(summary, sweep_dir)
        print_summary(summary)
        if summary.n_failed:
            # Not an exception: Hydra turns those into warnings. The launcher exits 1.
            raise SystemExit(1)
