"""`medbench serve --db URL`: the committee's evaluation service over HTTP.

SIGTERM or SIGINT stops it cleanly: background renders end, the database is closed, one line on
stderr says so, and the exit status is 0."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "Serve the committee's boards over HTTP: hidden-label scoring, tokens and roles, the signed audit log."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from medbench.leaderboard.folder.location import add_committee_options

    add_committee_options(parser, server=False)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port; 0 picks a free one (default: %(default)s)")
    parser.add_argument(
        "--access-log", type=Path, metavar="FILE",
        help="append one line per request (method, path, status, time, user; never a body or token) to FILE (default: stderr)",
    )


def execute(args: argparse.Namespace) -> int:
    from medbench.errors import LeaderboardError
    from medbench.leaderboard.committee.access_log import log_access_to
    from medbench.leaderboard.committee.app import bind, serve
    from medbench.leaderboard.board.signing import fingerprint
    from medbench.leaderboard.committee.store import CommitteeStore

    if not args.db:
        raise LeaderboardError("--db: name the database, e.g. --db postgresql://medbench@localhost/medbench or sqlite:///committee.db")
    listener = bind(args.host, args.port)
    store = CommitteeStore(args.db, args.key)
    log_access_to(args.access_log)
    host, port = listener.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(
        f"medbench serve: http://{shown}:{port}  (database {args.db.split('@')[-1]}, "
        f"key {args.key}, fingerprint {fingerprint(store.public_key)})",
        flush=True,
    )
    stopped_by = serve(store, listener)
    print(f"medbench serve: stopped{f' by {stopped_by}' if stopped_by else ''}; background renders ended, database closed", file=sys.stderr)
    return 0
