"""Time the committee's service: a submission's round trip, board pages per second, export + verify.

    python benchmarks/bench_committee.py [--db URL] [--samples 10000] [--entries 1000] [--events 10000]

1. Round trip of one submission over HTTP to `medbench serve` on a binary board of `--samples`
   hidden samples (1,000 bootstrap resamples): encode, send, check ids, score every metric with
   its interval, store, sign, answer. Median of --repeat distinct submissions.
2. GET /boards/<board> (the ranked board as JSON) on a board of `--entries` entries: requests per
   second with 1 and with 8 concurrent clients for --seconds each.
3. `export` (without tiers) and offline `verify` of a log of `--events` events (the entries'
   submit events, then users created until the count is reached).

Default database: a SQLite file in a temporary folder; pass --db postgresql://... for PostgreSQL
(an empty database). Nothing here is a test: the numbers go to the notes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from committee_server import frames, in_parallel, pages_board, start_server, store_with_partner
from timing import clock

from medbench.testing import synthetic
from medbench.leaderboard.committee.board_admin import create_board_from_record
from medbench.leaderboard.committee.publish import export, verify_export


def requests_per_second(url: str, clients: int, seconds: float) -> float:
    import httpx

    counts = [0] * clients
    stop = time.perf_counter() + seconds

    def loop(k: int) -> None:
        with httpx.Client() as client:
            while time.perf_counter() < stop:
                client.get(url).raise_for_status()
                counts[k] += 1

    seconds_taken = in_parallel(loop, clients)
    return sum(counts) / seconds_taken


def main() -> None:
    from medbench.leaderboard.committee.client import HttpCommittee

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db")
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=1_000)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-committee-"))
    db = args.db or f"sqlite:///{folder / 'committee.db'}"
    key = folder / "server.ed25519"
    store, admin, submitter, token = store_with_partner(db, key)
    big = synthetic.write_record(folder / "runs", seed=0, n_samples=args.samples, n_resamples=1000)
    create_board_from_record(store, big, "big", daily_quota=1_000_000, actor=admin)
    print(f"database {db.split('@')[-1]}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    pages = pages_board(store, folder / "runs", admin, submitter, args.entries)
    process, url = start_server(db, key)
    try:
        committee = HttpCommittee(url, token)
        times = [clock(lambda frame=frame: committee.submit("big", frame, {}))[0] for frame in frames(args.samples, args.repeat)]
        print(f"submission round trip, {args.samples} samples: median {statistics.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f})")
        page = f"{url}/boards/{pages}"
        print(f"GET /boards/{pages} ({args.entries} entries): 1 client {requests_per_second(page, 1, args.seconds):.1f} req/s, "
              f"8 clients {requests_per_second(page, 8, args.seconds):.1f} req/s", flush=True)
    finally:
        process.terminate()
        process.wait()

    missing = args.events - len(store.events())
    start = time.perf_counter()
    for index in range(max(0, missing)):
        store.create_user(f"user{index}", "reviewer", "R", admin)
    print(f"appended {max(0, missing)} signed events in {time.perf_counter() - start:.1f} s", flush=True)
    seconds, out = clock(lambda: export(store, folder / "public", tiers=False))
    verified, (problems, facts) = clock(lambda: verify_export(out))
    assert not problems, problems[:3]
    print(f"export of {facts['events']} events ({args.entries + args.repeat} entries): {seconds:.2f} s; verify: {verified:.2f} s")
    store.close()


if __name__ == "__main__":
    main()
