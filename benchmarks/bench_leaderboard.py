"""Time `medbench leaderboard build` (without tiers) and `leaderboard show` on a 10,000-entry board.

    python benchmarks/bench_leaderboard.py [--entries 10000] [--keep DIR]

The board is made of synthetic entries (`medbench.leaderboard.synthetic.entry`), submitted through
the store like any other (content-addressed files, audit events), sharing a few predictions files.
Build is timed in-process (best of --repeat) and as the command a user types; show as the command.
Goal (issue 5): build under 2 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from medbench.leaderboard import synthetic
from medbench.leaderboard.site import build_site
from medbench.leaderboard.submit import submit_entries
from medbench.record import read_record


def make_board(root: Path, runs: Path, n_entries: int) -> None:
    predictions = [read_record(synthetic.write_record(runs, seed=seed)) for seed in range(5)]
    items = [
        (
            synthetic.entry(index, predictions_sha256=record.predictions_sha256()),
            record.predictions_path(),
        )
        for index in range(n_entries)
        for record in [predictions[index % len(predictions)]]
    ]
    submit_entries(root, synthetic.TASK, items)


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
    timings = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        index = build_site(root, workspace / "site")
        timings.append(time.perf_counter() - start)
    size = sum(path.stat().st_size for path in index.parent.rglob("*") if path.is_file())
    print(f"leaderboard build, in-process, no tiers: best {min(timings):.2f} s of {args.repeat} ({size / 1e6:.1f} MB written)")
    build = command_seconds("leaderboard", "build", "--no-tiers", "--root", str(root), "--out", str(workspace / "site"))
    print(f"`medbench leaderboard build --no-tiers` (process start to exit): {build:.2f} s  (goal < 2 s)")
    show = command_seconds("leaderboard", "show", synthetic.TASK, "--root", str(root))
    print(f"`medbench leaderboard show` (top 50 of {args.entries}, process start to exit): {show:.2f} s")


if __name__ == "__main__":
    main()
