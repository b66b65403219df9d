"""Time the board pages `medbench serve` answers: a cold render, then cached GETs of a big board.

    python benchmarks/bench_service_pages.py [--entries 1000] [--clients 4] [--seconds 5] [--previous DIR]

A committee board of `--entries` entries (synthetic binary submissions, `medbench.testing.synthetic`,
200 hidden samples) in a SQLite store, served by `python -m medbench serve` in its own process:

1. cold render: from the first GET of /boards/<board> as a browser asks for it (Accept: text/html)
   to the page answered (a big board renders in the background; meanwhile 503, asked again):
   rank, paired tests and tiers from the hidden labels, curves, page, JSON and CSV with gzip;
2. cached GETs as a browser makes them: the page revalidated with its ETag (If-None-Match → 304);
3. cached GETs of the whole page, gzip-encoded (Accept-Encoding: gzip), and of the JSON;
4. the peer, in the same run: the same page without its ETag or gzip (the identity body each time),
   which is what every GET cost before the cache kept encodings and ETags.

Requests per second with `--clients` concurrent kept-alive connections (`http.client`) on this machine; the
server and the clients share its cores. With `--previous DIR` the same board is then served and
timed again by the sources in DIR (an older checkout), in the same run. Nothing here is a test.

Figures (2 cores shared with other sessions, load average ~2, 2026-12-07; `--entries 200
--seconds 5`; this code against main at 8e25b7c, whose listener left Nagle's algorithm on):

    GET, 4 kept-alive clients              this code     previous
    page revalidated with its ETag (304)   1124 req/s    1074 req/s
    page, gzip-encoded (50.9 kB)           1017 req/s      91 req/s   (40 ms delayed-ACK stall each)
    JSON, gzip-encoded (34.9 kB)           1044 req/s      88 req/s
    peer: page, identity (393.7 kB)         892 req/s     790 req/s
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from committee_server import in_parallel, pages_board, start_server, store_with_partner


def requests_per_second(url: str, headers: dict[str, str], expected: int, clients: int, seconds: float) -> tuple[float, int]:
    """Requests per second and the bytes of one answer's body as sent, of GET `url` with `headers`.

    Each client is a kept-alive `http.client` connection that reads the body as it comes (a
    browser decodes gzip itself): what is timed is the server, not a client's decoding."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    counts, sizes = [0] * clients, [0]
    stop = time.perf_counter() + seconds

    def loop(k: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        while time.perf_counter() < stop:
            connection.request("GET", parts.path, headers=headers)
            answer = connection.getresponse()
            body = answer.read()
            assert answer.status == expected, answer.status
            sizes[0] = len(body)
            counts[k] += 1
        connection.close()

    seconds_taken = in_parallel(loop, clients)
    return sum(counts) / seconds_taken, sizes[0]


PEER = "peer: page without ETag or gzip (200)"


def measure(sources: Path, db: str, key: Path, board: str, clients: int, seconds: float) -> None:
    """The cold render and the cached GETs of `board`, served by `python -m medbench serve` from `sources`."""
    import httpx

    process, url = start_server(db, key, sources)
    page = f"{url}/boards/{board}"
    browser = {"Accept": "text/html,application/xhtml+xml", "Accept-Encoding": "gzip"}
    try:
        start = time.perf_counter()
        while (first := httpx.get(page, headers=browser, timeout=600)).status_code == 503:  # rendering in the background
            time.sleep(0.05)
        cold = time.perf_counter() - start
        first.raise_for_status()
        print(f"cold render of /boards/{board} (tiers included): {cold:.2f} s; "
              f"page {len(first.content) / 1e6:.2f} MB, {int(first.headers['content-length']) / 1e6:.2f} MB gzip-encoded", flush=True)
        cases = [
            ("page revalidated with its ETag (304)", {**browser, "If-None-Match": first.headers["etag"]}, 304, page),
            ("page, gzip-encoded (200)", browser, 200, page),
            ("JSON, gzip-encoded (200)", {"Accept-Encoding": "gzip"}, 200, f"{url}/api/boards/{board}"),
            (PEER, {"Accept": "text/html", "Accept-Encoding": "identity"}, 200, page),
        ]
        rates = {}
        for label, headers, status, target in cases:
            rate, size = requests_per_second(target, headers, status, clients, seconds)
            rates[label] = rate
            print(f"GET {label}: {rate:.0f} req/s with {clients} clients ({size / 1e3:.1f} kB per answer)", flush=True)
        print(f"ratio against the peer: revalidation {rates[cases[0][0]] / rates[PEER]:.1f}x, "
              f"gzip-encoded page {rates[cases[1][0]] / rates[PEER]:.1f}x", flush=True)
    finally:
        process.terminate()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--previous", type=Path, help="a checkout of older medbench sources to measure too, after this one")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    db, key = f"sqlite:///{folder / 'committee.db'}", folder / "server.ed25519"
    store, admin, submitter, _ = store_with_partner(db, key)
    start = time.perf_counter()
    board = pages_board(store, folder / "runs", admin, submitter, args.entries)
    store.close()
    print(f"{args.entries} entries submitted in {time.perf_counter() - start:.1f} s; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    for label, sources in [("this code", Path(__file__).resolve().parents[1]), (f"previous ({args.previous})", args.previous)]:
        if sources is not None:
            print(f"--- {label}", flush=True)
            measure(sources, db, key, board, args.clients, args.seconds)


if __name__ == "__main__":
    main()
