"""`medbench admin create-user NAME --role ROLE [--team T]`: an API token, printed once.
`medbench admin key create|show`: the server's signing key and the fingerprint to publish.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "Create committee users (submitter, reviewer, admin) and the server's signing key."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from medbench.leaderboard.folder.location import add_committee_options, default_key

    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create-user", help="create a user and print its token",
        description="Create a user; the first one must be an admin, later ones need an admin's MEDBENCH_TOKEN.",
    )
    create.add_argument("name", metavar="NAME")
    create.add_argument("--role", required=True, choices=("submitter", "reviewer", "admin"))
    create.add_argument("--team", help="the user's team (required for submitters; nobody reviews their own team)")
    add_committee_options(create, server=False)
    key = actions.add_parser(
        "key", help="create the server's signing key, or show its fingerprint",
        description="The Ed25519 key that signs the audit log: `create` writes a new one (mode 0600; back it up offline, "
        "a lost key cannot sign the log again), `show` prints its fingerprint and public key to publish.",
    )
    key.add_argument("key_action", choices=("create", "show"), metavar="create|show")
    key.add_argument("--key", type=Path, default=default_key(), help="the key file (default: %(default)s)")


def execute(args: argparse.Namespace) -> int:
    if args.action == "key":
        return _key(args.key_action, args.key)
    return _create_user(args)


def _key(action: str, path: Path) -> int:
    from medbench.errors import LeaderboardError
    from medbench.leaderboard.board.signing import fingerprint, load_key, load_or_create_key, public_pem

    if action == "create":
        if path.exists():
            raise LeaderboardError(f"--key: {path} exists; `medbench admin key show` prints its fingerprint")
        key = load_or_create_key(path)
        print(f"created the signing key {path} (mode 0600); back it up offline, as the database: without it the log cannot be signed again")
    else:
        if not path.is_file():
            raise LeaderboardError(f"--key: no key at {path}; create one with `medbench admin key create --key {path}`")
        key = load_key(path)
    public = public_pem(key)
    print(f"fingerprint {fingerprint(public)} (publish it; the service also answers GET /public-key)")
    print(public, end="")
    return 0


def _create_user(args: argparse.Namespace) -> int:
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
