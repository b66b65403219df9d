"""What the committee benchmarks share: a store with a partner, a board of synthetic entries, `medbench serve` started.

The scripts run as `python benchmarks/<script>.py`, so this folder is on the path (as `timing`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from medbench.testing import synthetic

if TYPE_CHECKING:
    import pandas as pd

    from medbench.leaderboard.committee.store import CommitteeStore, User

PAGES_SAMPLES = 200


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(db: str, key: Path, sources: Optional[Path] = None) -> tuple[subprocess.Popen, str]:
    """`python -m medbench serve` on a free loopback port, once it answers /health: the process and its URL.

    `sources`: a checkout whose medbench the server runs (an older one, to compare); else this one.
    """
    import httpx

    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(sources)) if sources is not None else None
    process = subprocess.Popen(
        [sys.executable, "-m", "medbench", "serve", "--db", db, "--key", str(key), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=sources,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("medbench serve did not start")


def in_parallel(client: Callable[[int], None], clients: int) -> float:
    """Run `client(k)` for k in 0..clients-1, each in its own thread, all at once; the wall seconds until all return."""
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def frames(n_samples: int, count: int, offset: int = 0) -> Iterator["pd.DataFrame"]:
    """`count` distinct binary submissions (seeds offset, offset + 1...) for the synthetic task of `n_samples` samples."""
    import pandas as pd

    ids, targets = synthetic.samples(n_samples, 0)
    for seed in range(offset, offset + count):
        yield pd.DataFrame({"sample_id": ids, "score": synthetic.scores(targets, 0.6, seed)})


def store_with_partner(db: str, key: Path) -> tuple["CommitteeStore", "User", "User", str]:
    """A committee store at `db` with its admin (root), a submitter (partner, team A) and the submitter's token."""
    from medbench.leaderboard.committee.store import CommitteeStore

    store = CommitteeStore(db, key)
    admin, _ = store.create_user("root", "admin", None, None)
    submitter, token = store.create_user("partner", "submitter", "A", admin)
    return store, admin, submitter, token


def pages_board(store: "CommitteeStore", runs: Path, admin: "User", submitter: "User", entries: int) -> str:
    """Board `pages`: 200 hidden synthetic samples and `entries` submissions of `submitter`; its name."""
    from medbench.leaderboard.committee.board_admin import create_board_from_record

    record = synthetic.write_record(runs, seed=0, n_samples=PAGES_SAMPLES, n_resamples=50)
    create_board_from_record(store, record, "pages", daily_quota=1_000_000, actor=admin)
    for frame in frames(PAGES_SAMPLES, entries, offset=1000):
        store.submit("pages", frame, {}, submitter)
    return "pages"
