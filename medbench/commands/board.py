"""`medbench board create|version|reviewers`: the committee's acts on a board.

`create NAME --from-record RUN_DIR` makes a board with hidden labels (admin, hospital side) and its
release policy (`board.release`); `version` opens a newer task version of a folder board (never a
submission); `reviewers` names who may review a folder board.
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
        "version", help="open a newer task version of a folder board",
        description="Open a newer task version of a folder board from a record of it: its protocol and dataset become the "
        "board's, older entries become stale. A submission never does this.",
    )
    version.add_argument("name", metavar="NAME")
    version.add_argument("--from-record", type=Path, required=True, metavar="RUN_DIR", help="a run under the new task version")
    reviewers = actions.add_parser(
        "reviewers", help="name who may review a folder board",
        description="Name the reviewers of a folder board: once named, only they review, open task versions "
        "and change the list (a reviewer never reviews their own submission).",
    )
    reviewers.add_argument("name", metavar="NAME")
    reviewers.add_argument("reviewer", nargs="+", metavar="REVIEWER")
    for action in (version, reviewers):
        action.add_argument("--by", required=True, metavar="NAME", help="who acts for the committee (kept in the audit log)")
        action.add_argument("--note", default="", help="why, kept in the audit log")
        action.add_argument("--root", type=Path, default=default_root(), help="leaderboards folder (default: %(default)s)")


def execute(args: argparse.Namespace) -> int:
    return {"create": _create, "version": _version, "reviewers": _reviewers}[args.action](args)


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
    from medbench.leaderboard.folder.location import refresh_hint
    from medbench.leaderboard.folder.review import open_version
    from medbench.leaderboard.folder.store import Board

    event = open_version(Board(args.root, args.name), args.from_record, actor=args.by, note=args.note)
    print(f"board {args.name} is at task version {event.data['task_version']} (from {event.data['previous_version']}; "
          f"older entries are stale; audit event {event.seq})")
    print(refresh_hint(args.root))
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
