"""Sweep speed-up: the same 4-run sweep, serial (Hydra's basic launcher) vs joblib with 2 workers.

    PYTHONPATH=. python benchmarks/bench_sweep.py [--jobs 2] [--runs 4] [--repeats 1] [--fast]

Each sweep runs `medbench run -m seed=0..N-1` (the default MLP experiment, full training with
early stopping; `--fast` adds debug=fast) in a fresh temporary MEDBENCH_ROOT (so no record is
reused), as a separate process, wall-clock timed end to end: what a user waits for. Each joblib
worker pays the import of torch and Lightning once (several seconds), so with debug=fast runs
of about a second that fixed cost dominates; the default runs are what real sweeps look like.
One BLAS thread per process in both arms. The load average is printed beside the numbers because
on a shared machine other work steals cores from the parallel arm first.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def time_sweep(launcher_overrides: list[str], runs: int, fast: bool) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the sweep's whole process tree: launcher and workers, user + sys)."""
    seeds = ",".join(str(seed) for seed in range(runs))
    with tempfile.TemporaryDirectory(prefix="medbench-bench-sweep-") as root:
        env = dict(os.environ, MEDBENCH_ROOT=root, PYTHONPATH=str(REPO_ROOT), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        command = [sys.executable, "-m", "medbench", "run", "-m", f"seed={seeds}", *launcher_overrides]
        command += ["debug=fast"] if fast else []
        cpu_before = _children_cpu()
        start = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        cpu = _children_cpu() - cpu_before
        if result.returncode != 0:
            raise SystemExit(f"sweep failed ({' '.join(launcher_overrides) or 'basic'}):\n{result.stderr[-2000:]}")
        complete = len(list(Path(root, "runs", "breast_cancer").glob("*/manifest.json")))
        if complete != runs:
            raise SystemExit(f"expected {runs} records, found {complete}")
    return elapsed, cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--fast", action="store_true", help="debug=fast runs (measures mostly start-up costs)")
    args = parser.parse_args()
    arms = {
        "serial (basic launcher)": [],
        f"joblib n_jobs={args.jobs}": ["hydra/launcher=joblib", f"hydra.launcher.n_jobs={args.jobs}"],
    }
    load_before = os.getloadavg()
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in arms}
    for _ in range(args.repeats):
        for name, overrides in arms.items():  # alternate the arms so that load drifts hit both
            times[name].append(time_sweep(overrides, args.runs, args.fast))
    load_after = os.getloadavg()
    kind = "debug=fast" if args.fast else "full default runs"
    print(f"{args.runs}-run sweep ({kind}, default MLP task), {os.cpu_count()} CPUs, {args.repeats} repeat(s)")
    for name, values in times.items():
        walls = [wall for wall, _ in values]
        cpus = [cpu for _, cpu in values]
        print(
            f"  {name:28s} wall median {statistics.median(walls):6.1f} s (all: {', '.join(f'{v:.1f}' for v in walls)}); "
            f"CPU {statistics.median(cpus):6.1f} s"
        )
    serial, parallel = (statistics.median([wall for wall, _ in v]) for v in times.values())
    print(f"  measured speed-up of joblib over serial (wall): {serial / parallel:.2f}x")
    # CPU seconds show the cost of parallelism (each worker imports torch and Lightning once) and
    # how many cores the sweep actually got from a shared machine.
    for name, values in times.items():
        wall, cpu = (statistics.median(x) for x in zip(*values))
        print(f"  {name:28s} used {cpu / wall:.2f} cores on average")
    print(f"  load average (1/5/15 min) before: {load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f}, "
          f"after: {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}")


if __name__ == "__main__":
    main()
