"""`medbench admin create-user NAME --role ROLE [--team T]`: an API token, printed once."""

from __future__ import annotations

import argparse

HELP = "Create committee users (submitter, reviewer, admin); prints the API token once."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from medbench.leaderboard.folder.location import add_committee_options

    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create-user", help="create a user and print its token",
        description="Create a user; the first one must be an admin, later ones need an admin's MEDBENCH_TOKEN.",
    )
    create.add_argument("name", metavar="NAME")
    create.add_argument("--role", required=True, choices=("submitter", "reviewer", "admin"))
    create.add_argument("--team", help="the user's team (required for submitters; nobody reviews their own team)")
    add_committee_options(create, server=False)


def execute(args: argparse.Namespace) -> int:
    from medbench.errors import LeaderboardError
    from medbench.leaderboard.committee.store import CommitteeStore
    from medbench.leaderboard.committee.client import token

    if not args.db:
        raise LeaderboardError("--db: users are created on the hospital's database (or set MEDBENCH_DB)")
    store = CommitteeStore(args.db, args.key)
    try:
        api_token = token()
        actor = store.authenticate(api_token) if api_token else None
        user, new_token = store.create_user(args.name, args.role, args.team, actor)
    finally:
        store.close()
    print(f"created {user.role} {user.name}" + (f" of team {user.team}" if user.team else "") + "; its token (shown once):")
    print(new_token)
    return 0
