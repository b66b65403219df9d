"""Time a board's render in `medbench serve`, cold and after one new entry, and what a reader waits meanwhile.

    python benchmarks/bench_service_render.py [--sizes 100 1000] [--served 1000]

For each size, a committee board of that many entries (synthetic binary submissions,
`medbench.testing.synthetic`, 200 hidden samples) in a SQLite store:

1. cold render, in this process (`ServedPages`, tiers included: rank, paired tests from the
   hidden labels, curves, page, JSON, CSV, gzip), best of `--repeat`;
2. the peer, in the same run: the same render with every pair tested on its own by
   `compare_paired` on the two entries' outputs (its own truth check and preparation of both), as
   the render did before its tests were kept per entry;
3. the render after one more entry, with the board's tests kept from the render before.

Then, on the `--served` board, `python -m medbench serve` in its own process: the latency of the
first GET of the page (503 + Retry-After: it renders in the background) and the time until the
page is answered; one more entry is submitted, and every GET during the new render is timed (the
stale page, answered at once) until the new version is answered. Before, those GETs waited for
the render. The server and this script share the machine's cores. Nothing here is a test: the
numbers go to the notes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from committee_server import frames, pages_board, start_server, store_with_partner
from timing import clock

from medbench.leaderboard.committee.store import CommitteeStore

NO_BACKGROUND = 10**9  # sync_entries: every board renders in the call, as timed here


def build_board(folder: Path, entries: int) -> tuple[str, Path, str, object]:
    """A SQLite store in `folder` with board `pages` of `entries` entries: its URL, key, board and submitter."""
    db, key = f"sqlite:///{folder / 'committee.db'}", folder / "server.ed25519"
    store, admin, submitter, _ = store_with_partner(db, key)
    board = pages_board(store, folder / "runs", admin, submitter, entries)
    store.close()
    return db, key, board, submitter


def one_more_entry(store: CommitteeStore, board: str, submitter, seed: int) -> None:
    store.submit(board, next(frames(200, 1, offset=seed)), {}, submitter)


def pair_by_pair(monkeypatch_target) -> None:
    """Make `PairedTests.compare` test each pair on its own by `compare_paired` (each entry's outputs read once), as the render did before."""
    from medbench.evaluation.comparison import compare_paired, default_method

    def each_pair_on_its_own(self, entry_a, entry_b, metric):
        kind, confidence, cluster = self.key
        return compare_paired(
            self.run(entry_a).outputs, self.run(entry_b).outputs, kind, metric,
            method=default_method(kind, metric, cluster), confidence=confidence, cluster_column=cluster,
        )

    monkeypatch_target.compare = each_pair_on_its_own


def in_process(db: str, key: Path, board: str, submitter, entries: int, repeat: int) -> float:
    from medbench.leaderboard.board.tiers import PairedTests
    from medbench.leaderboard.committee.pages import ServedPages

    store = CommitteeStore(db, key)
    ServedPages(store, sync_entries=NO_BACKGROUND).board(board)  # imports, warm caches of the database
    cold, _ = clock(lambda: ServedPages(store, sync_entries=NO_BACKGROUND).board(board), repeat)
    kept = PairedTests.compare
    pair_by_pair(PairedTests)
    try:
        peer, _ = clock(lambda: ServedPages(store, sync_entries=NO_BACKGROUND).board(board), 1)
    finally:
        PairedTests.compare = kept
    pages = ServedPages(store, sync_entries=NO_BACKGROUND)
    pages.board(board)
    one_more_entry(store, board, submitter, 900_000 + entries)
    again, _ = clock(lambda: pages.board(board), 1)
    store.close()
    print(f"{entries} entries: cold render {cold:.2f} s; peer (each pair on its own) {peer:.2f} s, ratio {peer / cold:.1f}x; "
          f"render after one more entry, tests kept: {again:.2f} s", flush=True)
    return peer


def served(db: str, key: Path, board: str, submitter, entries: int, peer: float) -> None:
    import httpx

    process, url = start_server(db, key)
    page = f"{url}/boards/{board}"
    browser = {"Accept": "text/html", "Accept-Encoding": "gzip"}
    try:
        with httpx.Client(timeout=600) as client:
            start = time.perf_counter()
            first = client.get(page, headers=browser)
            first_latency = time.perf_counter() - start
            while (answer := client.get(page, headers=browser)).status_code == 503:
                time.sleep(0.05)
            rendered = time.perf_counter() - start
            print(f"served, {entries} entries: first GET {first.status_code} (Retry-After {first.headers.get('retry-after')}) "
                  f"in {first_latency * 1e3:.0f} ms; page answered {rendered:.2f} s after it", flush=True)
            store = CommitteeStore(db, key)
            one_more_entry(store, board, submitter, 800_000 + entries)
            store.close()
            latencies, stale = [], 0
            start = time.perf_counter()
            while True:
                sent = time.perf_counter()
                answer = client.get(page, headers=browser)
                latencies.append(time.perf_counter() - sent)
                if "x-medbench-stale" not in answer.headers:
                    break
                stale += 1
                time.sleep(0.05)
            fresh = time.perf_counter() - start
            print(f"served, during the render after one more entry: {stale} stale answers, latency median "
                  f"{statistics.median(latencies) * 1e3:.0f} ms, max {max(latencies) * 1e3:.0f} ms; new version answered "
                  f"after {fresh:.2f} s (before, each of these GETs waited for a cold render: {peer:.1f} s by the peer)", flush=True)
    finally:
        process.terminate()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000])
    parser.add_argument("--served", type=int, default=1_000, help="the size also timed as served (0: none)")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    for entries in args.sizes:
        folder = Path(tempfile.mkdtemp(prefix="bench-render-"))
        db, key, board, submitter = build_board(folder, entries)
        peer = in_process(db, key, board, submitter, entries, args.repeat)
        if entries == args.served:
            served(db, key, board, submitter, entries, peer)


if __name__ == "__main__":
    main()
