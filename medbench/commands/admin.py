"""`medbench admin create-user NAME --role ROLE [--team T]`: an API token, printed once.
`medbench admin key create|show|rotate`: the server's signing key, the fingerprint to publish, and
its replacement (logged in a `key_rotated` event the old key signs; `committee.key_files`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from medbench.leaderboard.committee.store import CommitteeStore

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
        "key", help="create, show or rotate the server's signing key",
        description="The Ed25519 key that signs the audit log: `create` writes a new one (mode 0600; back it up offline, "
        "a lost key cannot sign the log again), `show` prints its fingerprint and public key to publish (with --db, also "
        "the log's key history), `rotate` hands the log to a new key (needs --db and an admin's MEDBENCH_TOKEN; the old "
        "key signs the `key_rotated` event and is kept as KEY.retired-<fingerprint>).",
    )
    key.add_argument("key_action", choices=("create", "show", "rotate"), metavar="create|show|rotate")
    key.add_argument("--key", type=Path, default=default_key(), help="the key file (default: %(default)s)")
    key.add_argument(
        "--db", default=os.environ.get("MEDBENCH_DB"),
        help="the committee's database whose log the key signs (default: $MEDBENCH_DB; required by rotate)",
    )


def execute(args: argparse.Namespace) -> int:
    if args.action == "key":
        return _key(args.key_action, args.key, args.db)
    return _create_user(args)


def _key(action: str, path: Path, db: Optional[str]) -> int:
    from medbench.errors import LeaderboardError
    from medbench.leaderboard.board.signing import load_key, load_or_create_key, public_pem

    if action == "create":
        if path.exists():
            raise LeaderboardError(f"--key: {path} exists; `medbench admin key show` prints its fingerprint")
        key = load_or_create_key(path)
        print(f"created the signing key {path} (mode 0600); back it up offline, as the database: without it the log cannot be signed again")
        _print_public(public_pem(key))
        return 0
    if not path.is_file():
        raise LeaderboardError(f"--key: no key at {path}; create one with `medbench admin key create --key {path}`")
    if action == "rotate":
        return _rotate(path, db)
    if db is None:
        _print_public(public_pem(load_key(path)))
        return 0
    store = _store(db, path)
    try:
        _print_public(store.current_public_key())
        _print_history(store)
    finally:
        store.close()
    return 0


def _rotate(path: Path, db: Optional[str]) -> int:
    from medbench.errors import LeaderboardError
    from medbench.leaderboard.board.signing import fingerprint
    from medbench.leaderboard.committee.client import token
    from medbench.leaderboard.committee.key_files import rotate

    if not db:
        raise LeaderboardError("--db: the rotation is logged in the committee's database (or set MEDBENCH_DB)")
    store = _store(db, path)
    try:
        actor = store.authenticate(token())
        old = fingerprint(store.public_key)
        event, retired = rotate(store, actor)
        print(f"rotated the signing key {path}: {old} -> {fingerprint(store.public_key)} "
              f"(audit event {event.seq}, key_rotated, signed by the old key; later events and heads are signed by the new one)")
        print(f"the old key is kept as {retired} (mode 0600): move it offline with the backups, or destroy it if it leaked; "
              "nothing needs it to verify")
        print("publish the new fingerprint beside the old one: exports verify with either pinned (`leaderboard verify DIR --public-key`)")
        _print_public(store.current_public_key())
        _print_history(store)
    finally:
        store.close()
    return 0


def _store(db: str, path: Path) -> "CommitteeStore":
    from medbench.leaderboard.committee.store import CommitteeStore

    return CommitteeStore(db, path)


def _print_public(public: str) -> None:
    from medbench.leaderboard.board.signing import fingerprint

    print(f"fingerprint {fingerprint(public)} (publish it; the service also answers GET /public-key)")
    print(public, end="")


def _print_history(store: "CommitteeStore") -> None:
    from medbench.leaderboard.board.key_history import history_lines

    history = store.key_history()
    print(f"key history of the log ({len(history)} key(s), oldest first; an export verifies with any of them pinned):")
    print("\n".join(history_lines(history)))


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
