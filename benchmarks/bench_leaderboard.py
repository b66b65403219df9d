"""Time `medbench leaderboard build` (without tiers) and `leaderboard show` on a 10,000-entry board.

    python benchmarks/bench_leaderboard.py [--entries 10000] [--keep DIR]

The board is made of synthetic entries (`medbench.testing.synthetic.entry`), submitted through
the store like any other (content-addressed files, audit events), sharing a few predictions files.
Build is timed in-process (best of --repeat, wall and CPU seconds) and as the command a user types;
show as the command. As a yardstick on the same machine in the same run, the script also times the
floor any reader of the store pays: the standard library's `json.loads` of every entry file.
Goal (issue 5): build under 2 s without the tiers.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from medbench.testing import synthetic
from medbench.leaderboard.folder.ranking import build_site
from medbench.leaderboard.board.truth import frame_truth_sha256
from medbench.leaderboard.folder.submit import Submission, submit_entries
from medbench.records.record import read_record


def make_board(root: Path, runs: Path, n_entries: int) -> None:
    predictions = [read_record(synthetic.write_record(runs, seed=seed)) for seed in range(5)]
    truth = frame_truth_sha256(predictions[0].predictions(), None, predictions[0].protocol.kind)  # one test set, every seed
    items = [
        Submission(synthetic.entry(index, predictions_sha256=record.predictions_sha256()), record.predictions_path(), None, truth)
        for index in range(n_entries)
        for record in [predictions[index % len(predictions)]]
    ]
    submit_entries(root, synthetic.TASK, items)


def parse_floor_seconds(root: Path) -> float:
    """Read and `json.loads` every entry file: what any reader of the board pays at least."""
    folder = root / synthetic.TASK / "entries"
    start = time.perf_counter()
    for name in os.listdir(folder):
        with open(folder / name, "rb") as handle:
            json.loads(handle.read())
    return time.perf_counter() - start


def command_seconds(*args: str) -> float:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "medbench", *args], check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the board here and keep it")
    args = parser.parse_args()
    workspace = args.keep or Path(tempfile.mkdtemp(prefix="bench-leaderboard-"))
    root = workspace / "leaderboards"
    start = time.perf_counter()
    make_board(root, workspace / "runs", args.entries)
    print(f"made a board of {args.entries} entries in {time.perf_counter() - start:.1f} s ({root})")
    walls, cpus = [], []
    for _ in range(args.repeat):
        start, cpu = time.perf_counter(), time.process_time()
        index = build_site(root, workspace / "site")
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    floor = min(parse_floor_seconds(root) for _ in range(args.repeat))
    size = sum(path.stat().st_size for path in index.parent.rglob("*") if path.is_file())
    print(
        f"leaderboard build, in-process, no tiers: best {min(walls):.2f} s wall, {min(cpus):.2f} s CPU "
        f"of {args.repeat} ({size / 1e6:.1f} MB written)  (goal < 2 s)"
    )
    print(f"peer: json.loads of the {args.entries} entry files: {floor:.2f} s -> build = {min(walls) / floor:.1f}x the parse floor")
    build = command_seconds("leaderboard", "build", "--no-tiers", "--root", str(root), "--out", str(workspace / "site"))
    print(f"`medbench leaderboard build --no-tiers` (process start to exit): {build:.2f} s")
    show = command_seconds("leaderboard", "show", synthetic.TASK, "--root", str(root))
    print(f"`medbench leaderboard show` (top 50 of {args.entries}, process start to exit): {show:.2f} s")
    print(f"load while measuring (1/5/15 min): {os.getloadavg()} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
