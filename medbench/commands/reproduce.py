"""`medbench reproduce TARGET`: rerun a record, a bundle or a leaderboard entry and compare its numbers.

Exit status: 0 when every metric is within the tolerance, 1 when one is not, 2 on an error
(unsafe config, dataset fingerprint mismatch, unreadable target).
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "Rerun a run folder, a transfer bundle or a leaderboard entry from its stored config and compare every metric."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from medbench.leaderboard.folder.location import add_committee_options

    parser.add_argument("target", metavar="TARGET", help="a run record folder, a bundle (folder or .zip), or a leaderboard entry id (prefix)")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=None,
        help="largest absolute difference accepted per metric (default: 0 for deterministic CPU runs, 1e-4 otherwise)",
    )
    parser.add_argument("--who", default=None, help="who reproduces (default: the login name); logged on the leaderboard")
    parser.add_argument(
        "--data-root",
        type=Path,
        default=None,
        help="folder holding your copy of the data: the task's data files are looked up there by name "
        "(the only part of a stored config you can change)",
    )
    parser.add_argument("--board", default=None, help="the board of a leaderboard entry (default: search every board)")
    parser.add_argument(
        "--run", type=Path, metavar="RERUN_DIR",
        help="with --server/--db: the record of your rerun of the entry; the committee scores it and compares",
    )
    parser.add_argument("--predictions", type=Path, help="with --server/--db: the rerun's predictions file instead of --run")
    add_committee_options(parser)


def execute(args: argparse.Namespace) -> int:
    if args.server or args.db:
        return _on_committee(args)
    from medbench.errors import ConfigError
    from medbench.reproduce.claims import open_claim
    from medbench.reproduce.rebuild import local_config
    from medbench.reproduce.rerun import link_to_leaderboard, reproduce
    from medbench.reproduce.show import print_reproduction

    if args.tolerance is not None and not args.tolerance >= 0:
        raise ConfigError(f"--tolerance: must be a non-negative number, got {args.tolerance}")
    if args.data_root is not None and not args.data_root.is_dir():
        raise ConfigError(f"--data-root: {args.data_root} is not a folder")
    local = local_config()
    with open_claim(args.target, local, args.board) as claim:
        reproduction = reproduce(claim, local, tolerance=args.tolerance, who=args.who, data_root=args.data_root)
        if claim.entry is not None:
            reproduction = link_to_leaderboard(reproduction, claim, Path(str(local.paths.leaderboards_dir)))
    print_reproduction(reproduction)
    if claim.entry is not None:
        from medbench.leaderboard.folder.location import refresh_hint

        print(refresh_hint(Path(str(local.paths.leaderboards_dir))))
    return 0 if reproduction.status == "match" else 1


def _on_committee(args: argparse.Namespace) -> int:
    """Send a rerun's predictions; the committee scores them and logs `reproduce` or `reproduction_failed`."""
    from medbench.errors import ConfigError
    from medbench.leaderboard.committee.client import file_submission, open_committee, record_submission

    if bool(args.run) == bool(args.predictions):
        raise ConfigError("--run RERUN_DIR or --predictions FILE: the rerun whose predictions the committee scores")
    frame = record_submission(rerun_record(args.run))[0] if args.run else file_submission(args.predictions, "rerun")[0]
    event = open_committee(args.server, args.db, args.key).reproduce(args.target, frame, args.tolerance)
    # The committee answers match or no match (its release policy): which numbers differ stays on the server.
    print(f"{event['event']}: entry {event['entry'][:12]} on board {event['board']} ({event['note']}; audit event {event['seq']})")
    from medbench.leaderboard.folder.location import committee_refresh_hint

    print(committee_refresh_hint())
    return 0 if event["event"] == "reproduce" else 1


def rerun_record(given: Path) -> Path:
    """The rerun's record folder from what the user gives: the record itself, or the reproduction
    folder (or its `reproduction.json`) as `medbench reproduce` printed it, which holds the record
    one task folder down (`<attempt>/<task>/<run_id>/`)."""
    from medbench.records.record import MANIFEST_FILE, REPRODUCTION_FILE

    folder = given.parent if given.name == REPRODUCTION_FILE else given
    if (folder / MANIFEST_FILE).is_file():
        return folder
    nested = sorted(path.parent for path in folder.glob(f"*/*/{MANIFEST_FILE}"))
    return nested[0] if len(nested) == 1 else folder
