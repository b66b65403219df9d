"""`medbench run -m hydra/launcher=submitit_slurm` on a real single-node SLURM cluster (conftest.py).

The cluster has no accounting, like many small ones: `sacct` fails, and the launcher must still
see jobs finish, fail, get cancelled or never start.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from medbench.records.record import RunRecord, iter_records
from medbench.sweeps.sweep import SUMMARY_JSON

pytestmark = pytest.mark.slow

SLURM = "hydra/launcher=submitit_slurm"
FAST = ("debug=fast", "model=logreg")


def _medbench(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "medbench", "run", "-m", *args], capture_output=True, text=True, env=env, timeout=300
    )


def _records(runs: Path) -> dict[str, RunRecord]:
    return {record.run_id: record for record in iter_records(runs)}


def _summary(root: Path) -> dict:
    (path,) = (root / "runs" / ".sweeps").glob(f"*/{SUMMARY_JSON}")
    return json.loads(path.read_text())


def _array_id(root: Path) -> str:
    """The SLURM job id of the sweep's array, from submitit's job folders (`<array>_<task>`)."""
    (array,) = {folder.name.split("_")[0] for folder in (root / "runs" / ".sweeps").glob("*/.submitit/[0-9]*_[0-9]*")}
    return array


def _settled(cluster, job: str) -> dict[str, str]:
    """The states of `job`'s tasks once none is running or completing (bounded wait)."""
    deadline = time.monotonic() + 30
    while True:
        states = cluster.jobs(f"--jobs={job}")
        if time.monotonic() > deadline or not {"RUNNING", "COMPLETING"} & set(states.values()):
            return states
        time.sleep(0.5)


def test_sweep_runs_under_slurm_and_matches_the_same_runs_made_locally(
    slurm_cluster, cli_env, compose_config, tmp_path: Path
) -> None:
    from medbench.engine.run import run

    result = _medbench(slurm_cluster.env(cli_env), SLURM, *FAST, "seed=0,1")
    assert result.returncode == 0, result.stderr[-3000:]
    array = _array_id(tmp_path)
    # The results are written before the job's processes end: SLURM lists it COMPLETED a moment later.
    assert _settled(slurm_cluster, array) == {f"{array}_0": "COMPLETED", f"{array}_1": "COMPLETED"}
    assert "Bypassing sacct error" not in result.stderr

    local_root = tmp_path / "local"
    for seed in (0, 1):  # the same runs, in this process
        overrides = ["model=logreg", f"seed={seed}"]
        run(compose_config(*overrides, f"paths.root_dir={local_root}"), overrides=["debug=fast", *overrides])

    on_slurm, made_here = _records(tmp_path / "runs"), _records(local_root / "runs")
    assert len(on_slurm) == 2 and on_slurm.keys() == made_here.keys()
    for run_id, record in on_slurm.items():
        twin = made_here[run_id]
        assert record.complete and twin.complete
        assert record.metrics().model_dump() == twin.metrics().model_dump()
        assert record.predictions_content_hash() == twin.predictions_content_hash()
        assert record.manifest.dataset == twin.manifest.dataset
    assert [row["status"] for row in _summary(tmp_path)["rows"]] == ["complete", "complete"]


def test_a_failing_job_is_recorded_and_a_cancelled_one_leaves_the_others(
    slurm_cluster, cli_env, compose_config, tmp_path: Path
) -> None:
    from medbench.config.identity import run_id_of

    # Two tasks at a time: the third waits in the queue while the first two run, and is cancelled there.
    launcher = subprocess.Popen(
        [sys.executable, "-m", "medbench", "run", "-m", SLURM, "hydra.launcher.array_parallelism=2", *FAST]
        + ["model.estimator.C=1.0,-1.0,2.0"],
        env=slurm_cluster.env(cli_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not list((tmp_path / "runs" / ".sweeps").glob("*/.submitit/[0-9]*_[0-9]*")) and time.monotonic() < deadline:
            time.sleep(0.2)
        third = f"{_array_id(tmp_path)}_2"
        assert slurm_cluster.jobs(f"--jobs={third}") == {third: "PENDING"}
        slurm_cluster.command("scancel", third)
        stdout, stderr = launcher.communicate(timeout=300)
    finally:
        launcher.kill()
    assert launcher.returncode == 1, stderr[-3000:]

    rows = _summary(tmp_path)["rows"]
    assert [row["status"] for row in rows] == ["complete", "failed", "failed"], rows
    assert "'C' parameter" in rows[1]["error"] and rows[1]["record"], rows[1]
    # squeue lists a cancelled pending array task as CANCELLED, or (still in the array's pending
    # record when cancelled) not at all: both are SLURM's word, depending on timing.
    error = rows[2]["error"]
    assert f"SLURM job {third} ended CANCELLED" in error or f"SLURM job {third} left the queue (" in error, error
    assert "without a result" in error
    assert rows[2]["run_id"] == run_id_of(compose_config("model=logreg", "model.estimator.C=2.0"))
    records = _records(tmp_path / "runs")
    assert {record.manifest.status for record in records.values()} == {"complete", "failed"}
    assert rows[2]["run_id"] not in records


@pytest.mark.parametrize("ask", ["cpus", "memory"])
def test_a_job_that_cannot_start_ends_the_sweep_with_slurms_reason(slurm_cluster, cli_env, tmp_path, ask) -> None:
    too_much = {
        "cpus": f"hydra.launcher.cpus_per_task={slurm_cluster.cpus + 1}",
        "memory": f"hydra.launcher.mem_gb={2 * slurm_cluster.memory_mb // 1024 + 1}",
    }[ask]
    started = time.monotonic()
    result = _medbench(slurm_cluster.env(cli_env), SLURM, *FAST, too_much, "seed=0,1")
    assert time.monotonic() - started < 60
    assert result.returncode == 2, result.stderr[-3000:]
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("medbench run: error: ") and "Traceback" not in result.stderr
    if ask == "cpus":  # accepted by sbatch, then pending for ever: cancelled with SLURM's reason
        assert "cannot start: pending with reason PartitionConfig" in message and "cpus_per_task" in message
        array = _array_id(tmp_path)
        assert set(_settled(slurm_cluster, array).values()) == {"CANCELLED"}
    else:  # refused by sbatch itself
        assert "sbatch refused the sweep: sbatch: error: Memory specification can not be satisfied" in message
        assert "Requested node configuration is not available" in message
    assert not list(iter_records(tmp_path / "runs"))
