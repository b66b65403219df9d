"""`medbench submit RUN_DIR...`: add run records to a shared leaderboard, or say why not."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "Submit run records to a leaderboard (checks completeness, schema, predictions, comparability)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from medbench.leaderboard.location import default_root

    parser.add_argument("run_dirs", nargs="+", type=Path, metavar="RUN_DIR", help="run record folders (runs/<task>/<run_id>)")
    parser.add_argument("--board", help="board name (default: the record's task name)")
    parser.add_argument("--submitter", help="who submits (default: $MEDBENCH_SUBMITTER or the user name)")
    parser.add_argument("--baseline", action="store_true", help="name the (first) submitted entry the board's baseline")
    parser.add_argument("--skip-failed", action="store_true", help="pass over records of failed runs instead of refusing them")
    parser.add_argument("--root", type=Path, default=default_root(), help="leaderboards folder (default: %(default)s)")


def execute(args: argparse.Namespace) -> int:
    from medbench.leaderboard.submit import FailedRun, SubmissionRefused, default_submitter, submit_run

    submitter = args.submitter or default_submitter()
    refused = 0
    for run_dir in args.run_dirs:
        try:
            result = submit_run(args.root, run_dir, board=args.board, submitter=submitter, baseline=args.baseline)
        except FailedRun as error:
            if args.skip_failed:
                print(f"skipped {run_dir}: {error}")
                continue
            refused += 1
            print(f"refused {run_dir}: {error}")
            continue
        except SubmissionRefused as error:
            refused += 1
            print(f"refused {run_dir}: {error}")
            continue
        if not result.added:
            print(f"already on board {result.board}: {run_dir} (entry {result.entry_id[:12]})")
            continue
        notes = []
        if result.upgraded_from:
            notes.append(f"board moved from task version {result.upgraded_from}; older entries are stale")
        if result.baseline:
            notes.append("the board's baseline")
        print(f"submitted {run_dir} to board {result.board} as entry {result.entry_id[:12]}" + (f" ({'; '.join(notes)})" if notes else ""))
    if refused:
        print(f"medbench submit: error: {refused} of {len(args.run_dirs)} record(s) refused (reasons above)", flush=True)
        return 2
    return 0
