"""`medbench board create|version|reviewers`: the committee's acts on a board.

`create NAME --from-record RUN_DIR` makes a board with hidden labels (admin, hospital side) and its
release policy (`board.release`); `version` opens a newer task version of a committee board (`--db`,
admin token: new hidden labels, the old ones kept for the stale entries) or of a folder board (`--by`),
never by a submission; `reviewers` names who may review a folder board; `rotate-key` hands the signed folder
boards of a root to a new `$MEDBENCH_BOARD_KEY` (`folder.key_rotation`).
"""

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
    release = create.add_argument_group("release policy (what leaves the server of the hidden-label numbers; logged)")
    release.add_argument("--release-metrics", metavar="M,M", help="metrics shown publicly and to submitters (default: every metric)")
    release.add_argument("--submitter-metrics", metavar="M,M", help="metrics a submitter sees of their entries (default: --release-metrics)")
    release.add_argument("--resolution", type=float, help="released numbers are rounded to this step (default and minimum: one test sample's worth, 1/n_test rounded up to 1, 2 or 5 x 10^k)")
    release.add_argument("--no-intervals", action="store_true", help="release no confidence intervals")
    release.add_argument("--subgroups", action="store_true", help="release subgroup metrics too (finer per sample: off by default)")
    release.add_argument("--no-ladder", action="store_true", help="release every entry's numbers, not only those that beat the team's best by the resolution")
    release.add_argument("--reproductions-per-day", type=int, help="reproductions each reviewer may record per UTC day (default: 5)")
    release.add_argument("--tolerance", type=float, help="within what a reproduction matches (default 1e-6, at most 1e-3)")
    release.add_argument(
        "--no-pathways", action="store_true",
        help="a timeline record's care pathways of the test cohort (cells of at least 5 patients) stay off the board",
    )
    add_committee_options(create, server=False)

    from medbench.leaderboard.folder.location import default_root

    version = actions.add_parser(
        "version", help="open a newer task version of a board",
        description="Open a newer task version of a board from a record of it: its protocol and dataset become the "
        "board's, older entries become stale (kept, shown apart, out of tiers and the baseline). A submission never "
        "does this. A committee board (--db, an admin's $MEDBENCH_TOKEN) takes the hospital's run of the new version: "
        "its test labels become the board's new hidden labels, the old ones stay for the stale entries' reproductions, "
        "and the release policy is recomputed for the new test set. A folder board needs --by.",
    )
    version.add_argument("name", metavar="NAME")
    version.add_argument("--from-record", type=Path, required=True, metavar="RUN_DIR", help="a run under the new task version")
    version.add_argument(
        "--no-pathways", action="store_true", help="committee board: the new test cohort's care pathways stay off the board",
    )
    add_committee_options(version, server=False)
    reviewers = actions.add_parser(
        "reviewers", help="name who may review a folder board",
        description="Name the reviewers of a folder board: once named, only they review, open task versions "
        "and change the list (a reviewer never reviews their own submission).",
    )
    reviewers.add_argument("name", metavar="NAME")
    reviewers.add_argument("reviewer", nargs="+", metavar="REVIEWER")
    rotate = actions.add_parser(
        "rotate-key", help="hand the signed folder boards to a new $MEDBENCH_BOARD_KEY",
        description="Rotate the key file $MEDBENCH_BOARD_KEY names: every signed folder board under --root that it signs "
        "logs a key_rotated event signed by the old key, and the file then holds the new key (the old one is kept "
        "as KEY.retired-<fingerprint>, mode 0600). Run it again if it was interrupted: it finishes with the same new key.",
    )
    for action in (version, reviewers, rotate):
        action.add_argument(
            "--by", required=action is not version, metavar="NAME",
            help="who acts for the committee (kept in the audit log)" + ("; a folder board's version needs it" if action is version else ""),
        )
        if action is not rotate:
            action.add_argument("--note", default="", help="why, kept in the audit log")
        action.add_argument("--root", type=Path, default=default_root(), help="leaderboards folder (default: %(default)s)")


def execute(args: argparse.Namespace) -> int:
    return {"create": _create, "version": _version, "reviewers": _reviewers, "rotate-key": _rotate_key}[args.action](args)


def _rotate_key(args: argparse.Namespace) -> int:
    from medbench.leaderboard.folder.key_rotation import rotate_folder_key

    rotated, old, new, retired = rotate_folder_key(args.root, args.by)
    boards = ", ".join(f"{name} (audit event {event.seq})" for name, event in rotated.items())
    print(f"rotated the folder boards' key {old} -> {new}: {boards or 'every board had already logged it'}")
    print(f"the old key is kept as {retired} (mode 0600): move it offline, or destroy it if it leaked; nothing needs it to verify")
    print("each board's public_key.pem stays its first key; `medbench leaderboard verify --public-key` takes it or the new key")
    return 0


def _release_options(args: argparse.Namespace) -> dict:
    """The release policy's fields the command line sets (the rest keep `release.default_policy`'s)."""
    chosen = {
        "public": _names(args.release_metrics), "resolution": args.resolution,
        "reproductions_per_day": args.reproductions_per_day, "tolerance": args.tolerance,
    }
    chosen["submitter"] = _names(args.submitter_metrics) or chosen["public"]
    if args.no_intervals:
        chosen["intervals"] = False
    if args.subgroups:
        chosen["subgroups"] = True
    if args.no_ladder:
        chosen["ladder"] = False
    return {key: value for key, value in chosen.items() if value is not None}


def _names(text: str | None) -> tuple[str, ...] | None:
    return tuple(name.strip() for name in text.split(",") if name.strip()) if text else None


def _version(args: argparse.Namespace) -> int:
    if args.by is None:
        return _committee_version(args)
    from medbench.leaderboard.folder.location import refresh_hint
    from medbench.leaderboard.folder.review import open_version
    from medbench.leaderboard.folder.store import Board

    event = open_version(Board(args.root, args.name), args.from_record, actor=args.by, note=args.note)
    print(f"board {args.name} is at task version {event.data['task_version']} (from {event.data['previous_version']}; "
          f"older entries are stale; audit event {event.seq})")
    print(refresh_hint(args.root))
    return 0


def _committee_version(args: argparse.Namespace) -> int:
    from medbench.errors import LeaderboardError
    from medbench.leaderboard.committee.board_admin import version_board_from_record
    from medbench.leaderboard.committee.client import token
    from medbench.leaderboard.committee.store import CommitteeStore
    from medbench.leaderboard.folder.location import committee_refresh_hint

    if not args.db:
        raise LeaderboardError(
            "board version: a committee board's is opened on the hospital's database (--db URL or $MEDBENCH_DB); "
            "a folder board's names who opens it (--by NAME)"
        )
    store = CommitteeStore(args.db, args.key)
    try:
        event = version_board_from_record(
            store, args.from_record, args.name, actor=store.authenticate(token()), pathways=not args.no_pathways,
            note=args.note,
        )
        policy = store.spec(args.name).release
    finally:
        store.close()
    print(f"board {args.name} is at task version {event.data['task_version']} (from {event.data['previous_version']}): "
          f"{event.data['n_samples']} new hidden test samples; older entries are stale, their labels kept (audit event {event.seq})")
    print(f"released: {', '.join(policy.public)} to {policy.resolution:g} (recomputed for the new test set)")
    print(committee_refresh_hint())
    return 0


def _reviewers(args: argparse.Namespace) -> int:
    from medbench.leaderboard.folder.review import set_reviewers
    from medbench.leaderboard.folder.store import Board

    event = set_reviewers(Board(args.root, args.name), args.reviewer, actor=args.by, note=args.note)
    print(f"reviewers of board {args.name}: {', '.join(event.data['reviewers'])} (audit event {event.seq})")
    return 0


def _create(args: argparse.Namespace) -> int:
    from medbench.errors import LeaderboardError
    from medbench.leaderboard.committee.board_admin import create_board_from_record
    from medbench.leaderboard.committee.store import CommitteeStore
    from medbench.leaderboard.committee.client import token

    if not args.db:
        raise LeaderboardError("--db: boards are created on the hospital's database (or set MEDBENCH_DB)")
    store = CommitteeStore(args.db, args.key)
    try:
        event = create_board_from_record(
            store, args.from_record, args.name, daily_quota=args.daily_quota, actor=store.authenticate(token()),
            release=_release_options(args), pathways=not args.no_pathways,
        )
        spec = store.spec(args.name)
        protocol, policy = spec.protocol, spec.release
    finally:
        store.close()
    print(f"created board {args.name}: {event.data['n_samples']} hidden test samples of task {protocol.name} "
          f"v{protocol.version}, primary {protocol.primary}, "
          f"{args.daily_quota} submission(s) per team per day (audit event {event.seq})")
    print(f"released: {', '.join(policy.public)} to {policy.resolution:g}"
          f"{', with intervals' if policy.intervals else ''}{', subgroups' if policy.subgroups else ''}"
          f"{'; Ladder rule on' if policy.ladder else ''}; {policy.reproductions_per_day} reproduction(s) per reviewer per day "
          f"within {policy.tolerance:g}")
    if spec.pathways is not None:
        print(f"care pathways of the {spec.pathways.n_patients} test patients shown ({len(spec.pathways.rows)} pathways, "
              f"cells under {spec.pathways.min_patients} patients suppressed; --no-pathways keeps them off)")
    return 0
