"""`medbench board create NAME --from-record RUN_DIR`: a board with hidden labels (admin, hospital side)."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "Create a committee board from the hospital's run record of a task: protocol, test ids, hidden ground truth."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from medbench.leaderboard.folder.location import add_committee_options

    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a board", description=HELP)
    create.add_argument("name", metavar="NAME")
    create.add_argument(
        "--from-record", type=Path, required=True, metavar="RUN_DIR",
        help="the hospital's run of the task: its protocol, test sample ids and targets (which stay in the database)",
    )
    create.add_argument("--daily-quota", type=int, default=5, help="submissions per team per UTC day (default: %(default)s)")
    add_committee_options(create, server=False)


def execute(args: argparse.Namespace) -> int:
    from medbench.errors import LeaderboardError
    from medbench.leaderboard.committee.board_admin import create_board_from_record
    from medbench.leaderboard.committee.store import CommitteeStore
    from medbench.leaderboard.committee.client import token

    if not args.db:
        raise LeaderboardError("--db: boards are created on the hospital's database (or set MEDBENCH_DB)")
    store = CommitteeStore(args.db, args.key)
    try:
        event = create_board_from_record(
            store, args.from_record, args.name, daily_quota=args.daily_quota, actor=store.authenticate(token())
        )
        protocol = store.protocol(args.name)
    finally:
        store.close()
    print(f"created board {args.name}: {event.data['n_samples']} hidden test samples of task {protocol.name} "
          f"v{protocol.version}, primary {protocol.primary}, "
          f"{args.daily_quota} submission(s) per team per day (audit event {event.seq})")
    return 0
