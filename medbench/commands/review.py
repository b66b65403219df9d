"""`medbench review approve|reject ENTRY --reviewer NAME --note TEXT`: the committee's decision."""

from __future__ import annotations

import argparse
from pathlib import Path

PAST = {"approve": "approved", "reject": "rejected"}

HELP = "Approve (after reproduction) or reject a leaderboard entry; logged in the board's audit chain."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from medbench.leaderboard.folder.location import add_committee_options, default_root

    parser.add_argument("decision", choices=("approve", "reject"))
    parser.add_argument("entry", metavar="ENTRY", help="entry id or a unique prefix of it (as `leaderboard show` prints)")
    parser.add_argument("--reviewer", help="who decides (folder boards only; on a committee the token says who)")
    parser.add_argument("--note", required=True, help="the reason, kept in the audit log")
    parser.add_argument("--board", help="the board (default: search every board)")
    parser.add_argument("--root", type=Path, default=default_root(), help="leaderboards folder (default: %(default)s)")
    add_committee_options(parser)


def execute(args: argparse.Namespace) -> int:
    from medbench.errors import LeaderboardError
    from medbench.leaderboard.folder.location import committee_refresh_hint, refresh_hint
    from medbench.leaderboard.folder.review import find_entry, transition

    if args.server or args.db:
        from medbench.leaderboard.committee.client import open_committee

        if args.reviewer:
            raise LeaderboardError("--reviewer: on a committee the token (MEDBENCH_TOKEN) says who reviews")
        event = open_committee(args.server, args.db, args.key).review(args.entry, args.decision, args.note)
        print(f"{PAST[args.decision]} entry {event['entry'][:12]} on board {event['board']} as {event['actor']} "
              f"(audit event {event['seq']}, {event['hash'][:12]})")
        print(committee_refresh_hint())
        return 0
    if not args.reviewer:
        raise LeaderboardError("--reviewer: name who decides")
    board, entry_id = find_entry(args.root, args.entry, args.board)
    event = transition(board, entry_id, args.decision, actor=args.reviewer, note=args.note)
    print(f"{PAST[args.decision]} entry {entry_id[:12]} on board {board.name} (audit event {event.seq}, {event.hash[:12]})")
    print(refresh_hint(args.root))
    return 0
