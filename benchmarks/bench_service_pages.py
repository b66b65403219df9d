"""Time the board pages `medbench serve` answers: a cold render, then cached GETs of a big board.

    python benchmarks/bench_service_pages.py [--entries 1000] [--clients 4] [--seconds 5]

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
server and the clients share its cores. Nothing here is a test: the numbers go to the notes.
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


def main() -> None:
    import httpx

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    db, key = f"sqlite:///{folder / 'committee.db'}", folder / "server.ed25519"
    store, admin, submitter, _ = store_with_partner(db, key)
    start = time.perf_counter()
    pages = pages_board(store, folder / "runs", admin, submitter, args.entries)
    store.close()
    print(f"{args.entries} entries submitted in {time.perf_counter() - start:.1f} s; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)

    process, url = start_server(db, key)
    page = f"{url}/boards/{pages}"
    browser = {"Accept": "text/html,application/xhtml+xml", "Accept-Encoding": "gzip"}
    try:
        start = time.perf_counter()
        while (first := httpx.get(page, headers=browser, timeout=600)).status_code == 503:  # rendering in the background
            time.sleep(0.05)
        cold = time.perf_counter() - start
        first.raise_for_status()
        print(f"cold render of /boards/{pages} ({args.entries} entries, tiers included): {cold:.2f} s; "
              f"page {len(first.content) / 1e6:.2f} MB, {int(first.headers['content-length']) / 1e6:.2f} MB gzip-encoded", flush=True)
        cases = [
            ("page revalidated with its ETag (304)", {**browser, "If-None-Match": first.headers["etag"]}, 304, page),
            ("page, gzip-encoded (200)", browser, 200, page),
            ("JSON, gzip-encoded (200)", {"Accept-Encoding": "gzip"}, 200, f"{url}/api/boards/{pages}"),
            ("peer: page without ETag or gzip (200)", {"Accept": "text/html", "Accept-Encoding": "identity"}, 200, page),
        ]
        rates = {}
        for label, headers, status, target in cases:
            rate, size = requests_per_second(target, headers, status, args.clients, args.seconds)
            rates[label] = rate
            print(f"GET {label}: {rate:.0f} req/s with {args.clients} clients ({size / 1e3:.1f} kB per answer)", flush=True)
        peer = rates["peer: page without ETag or gzip (200)"]
        print(f"ratio against the peer: revalidation {rates[cases[0][0]] / peer:.1f}x, gzip-encoded page {rates[cases[1][0]] / peer:.1f}x")
    finally:
        process.terminate()
        process.wait()


if __name__ == "__main__":
    main()
