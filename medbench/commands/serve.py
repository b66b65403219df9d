"""`medbench serve --db URL`: the committee's evaluation service over HTTP."""

from __future__ import annotations

import argparse

HELP = "Serve the committee's boards over HTTP: hidden-label scoring, tokens and roles, the signed audit log."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from medbench.leaderboard.folder.location import add_committee_options

    add_committee_options(parser, server=False)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")


def execute(args: argparse.Namespace) -> int:
    from medbench.errors import LeaderboardError
    from medbench.leaderboard.committee.app import serve

    if not args.db:
        raise LeaderboardError("--db: name the database, e.g. --db postgresql://medbench@localhost/medbench or sqlite:///committee.db")
    print(f"medbench serve: http://{args.host}:{args.port}  (database {args.db.split('@')[-1]}, key {args.key})", flush=True)
    serve(args.db, args.key, args.host, args.port)
    return 0
