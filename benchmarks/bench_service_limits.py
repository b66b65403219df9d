"""What two denial-of-service requests cost `medbench serve`: time to the refusal and RSS growth.

    python benchmarks/bench_service_limits.py [--body-mb 70] [--rows 20000000] [--previous /path/to/old/checkout]

1. An unauthenticated POST of a `--body-mb` MB JSON body (a `meta` of tiny numbers, the shape that
   costs a JSON parser most) to /boards/<board>/submissions.
2. A parquet "bomb": a few kilobytes of zstd that decode to `--rows` rows of sample_id and score,
   sent with a valid token by a team that still has quota.

The server runs in a subprocess (uvicorn on 127.0.0.1, SQLite); its RSS is read from
/proc/<pid>/status (after a refused one-row submission has made the server import pandas and
pyarrow, ~100 MB and 0.6 s once per process): VmRSS before the request and VmHWM (peak, reset through clear_refs just
before) after the answer. With `--previous DIR` the same requests go to a server started from
the sources in DIR (an older checkout of medbench) on a copy of the database, each with a
`--previous-timeout` after which it is reported as not refused in time. Nothing here is a test.

Figures (2 cores shared with other sessions, 2026-12-07; a binary board of 200 hidden samples;
this branch against main at e290d1b, the code before these limits, in the same run):

    request                            this code                 previous code
    70 MB unauthenticated body         401 in 0.015 s, +0 MB     401 in 4.3 s, +420 MB
    20M-row parquet bomb (148 KB)      422 in 0.031 s, +0 MB     422 in 30.0 s, +833 MB
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from committee_server import start_server

BOARD = "synthetic"


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def post(port: int, path: str, body: bytes, token: str | None, timeout: float) -> tuple[str, float]:
    """Send the headers, stream the body from a thread, and time the server's first answer line."""
    headers = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", f"Content-Length: {len(body)}"]
    if token:
        headers.append(f"Authorization: Bearer {token}")
    connection = socket.create_connection(("127.0.0.1", port))
    connection.settimeout(timeout)
    start = time.perf_counter()
    connection.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())

    def stream() -> None:
        try:
            view = memoryview(body)
            for offset in range(0, len(body), 1 << 20):
                connection.sendall(view[offset : offset + (1 << 20)])
        except OSError:
            pass  # the server answered and closed without reading the rest: the point

    sender = threading.Thread(target=stream, daemon=True)
    sender.start()
    try:
        answer = connection.recv(4096).split(b"\r\n", 1)[0].decode()
    except (socket.timeout, OSError) as error:
        answer = f"no answer ({type(error).__name__})"
    elapsed = time.perf_counter() - start
    connection.close()
    return answer, elapsed


def measure(process: subprocess.Popen, port: int, path: str, body: bytes, token: str | None, timeout: float) -> dict:
    time.sleep(0.5)
    before = status_kb(process.pid, "VmRSS")
    Path(f"/proc/{process.pid}/clear_refs").write_text("5")  # VmHWM := VmRSS
    answer, elapsed = post(port, path, body, token, timeout)
    peak = status_kb(process.pid, "VmHWM")
    return {"answer": answer, "seconds": round(elapsed, 3), "rss_before_mb": before // 1024, "growth_mb": (peak - before) // 1024}


def bodies(size_mb: int, rows: int) -> tuple[bytes, bytes]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    numbers = b"0," * (size_mb * 1024 * 1024 // 2)
    unauthenticated = b'{"meta": {"settings": [' + numbers + b'0]}, "predictions": ""}'
    buffer = io.BytesIO()
    pq.write_table(pa.table({"sample_id": pa.repeat("s-0", rows), "score": pa.repeat(0.5, rows)}), buffer, compression="zstd")
    print(f"parquet bomb: {len(buffer.getvalue()) / 1024:.0f} KB for {rows:,} rows")
    bomb = json.dumps({"meta": {}, "predictions": base64.b64encode(buffer.getvalue()).decode()}).encode()
    return unauthenticated, bomb


def prepare(folder: Path) -> tuple[str, Path, str]:
    from medbench.leaderboard.committee.board_admin import create_board_from_record
    from medbench.leaderboard.committee.store import CommitteeStore
    from medbench.testing import synthetic

    db, key = f"sqlite:///{folder / 'committee.db'}", folder / "server.ed25519"
    store = CommitteeStore(db, key)
    admin, _ = store.create_user("root", "admin", None, None)
    create_board_from_record(store, synthetic.write_record(folder / "runs", seed=0), BOARD, daily_quota=5, actor=admin)
    _, token = store.create_user("alice", "submitter", "A", admin)
    store.close()
    return db, key, token


def warm_up(port: int, token: str) -> None:
    """A one-row file, refused, so the server has imported pandas and pyarrow before it is measured."""
    import httpx

    from medbench.leaderboard.committee.hidden import to_parquet
    import pandas as pd

    small = to_parquet(pd.DataFrame({"sample_id": ["s-0"], "score": [0.5]}))
    body = {"meta": {}, "predictions": base64.b64encode(small).decode()}
    httpx.post(f"http://127.0.0.1:{port}/boards/{BOARD}/submissions", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def run(sources: Path, db: str, key: Path, token: str, unauthenticated: bytes, bomb: bytes, timeout: float) -> dict:
    process, url = start_server(db, key, sources)
    port = urlsplit(url).port
    try:
        warm_up(port, token)
        return {
            f"{len(unauthenticated) // 2**20} MB unauthenticated body": measure(process, port, f"/boards/{BOARD}/submissions", unauthenticated, None, timeout),
            "parquet bomb": measure(process, port, f"/boards/{BOARD}/submissions", bomb, token, timeout),
        }
    finally:
        process.kill()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--body-mb", type=int, default=70)
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--previous", type=Path, help="a checkout of older medbench sources to compare with")
    parser.add_argument("--previous-timeout", type=float, default=60.0)
    args = parser.parse_args()
    here = Path(__file__).resolve().parents[1]
    unauthenticated, bomb = bodies(args.body_mb, args.rows)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        db, key, token = prepare(folder)
        results = {"this code": run(here, db, key, token, unauthenticated, bomb, 30.0)}
        if args.previous:
            shutil.copy(folder / "committee.db", folder / "previous.db")
            previous_db = f"sqlite:///{folder / 'previous.db'}"
            results[f"previous ({args.previous})"] = run(args.previous, previous_db, key, token, unauthenticated, bomb, args.previous_timeout)
    for code, figures in results.items():
        for request, figure in figures.items():
            print(f"{code:40} {request:32} {figure}")


if __name__ == "__main__":
    main()
