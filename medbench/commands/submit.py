"""`medbench submit RUN_DIR...`: add run records to a leaderboard, or say why not.

Without `--server`/`--db` the records go to the folder boards under `--root`; with them, to the
committee's store, which scores the records' predictions against its hidden labels itself.
A partner without run records sends a predictions file instead (`--predictions FILE --board B`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Optional

HELP = "Submit run records to a leaderboard (checks completeness, schema, predictions, comparability)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from medbench.leaderboard.folder.location import add_committee_options, default_root

    parser.add_argument("run_dirs", nargs="*", type=Path, metavar="RUN_DIR", help="run record folders (runs/<task>/<run_id>)")
    parser.add_argument("--predictions", type=Path, help="a predictions file (parquet or CSV: sample_id, score...) instead of run records")
    parser.add_argument("--model", default="partner model", help="the model's name for --predictions (default: %(default)s)")
    parser.add_argument("--board", help="board name (default: the record's task name)")
    parser.add_argument("--submitter", help="who submits (default: $MEDBENCH_SUBMITTER or the user name)")
    parser.add_argument(
        "--baseline", action="store_true", help="name the first record submitted the board's baseline (else choose one later: `medbench leaderboard baseline`)"
    )
    parser.add_argument("--skip-failed", action="store_true", help="pass over records of failed runs instead of refusing them")
    parser.add_argument("--root", type=Path, default=default_root(), help="leaderboards folder (default: %(default)s)")
    add_committee_options(parser)


def execute(args: argparse.Namespace) -> int:
    from medbench.errors import LeaderboardError

    if args.server or args.db:
        return _to_committee(args)
    if args.predictions or not args.run_dirs:
        raise LeaderboardError("folder boards take run records (RUN_DIR...); a predictions file goes to a committee (--server or --db)")
    return _to_folder_boards(args)


def _to_committee(args: argparse.Namespace) -> int:
    from medbench.errors import LeaderboardError
    from medbench.leaderboard.board.entries import FailedRun, SubmissionRefused
    from medbench.leaderboard.committee.client import file_submission, open_committee, record_submission

    if args.submitter or args.baseline:
        raise LeaderboardError("--submitter/--baseline: on a committee the token says who submits, and the committee names baselines")
    if args.predictions and (args.run_dirs or not args.board):
        raise LeaderboardError("--predictions FILE: give the --board, and no run records")
    committee = open_committee(args.server, args.db, args.key)
    items = [(args.predictions, *file_submission(args.predictions, args.model), args.board)] if args.predictions else []
    refused = added = 0
    for run_dir in args.run_dirs:
        try:
            frame, meta, task = record_submission(run_dir)
        except FailedRun as error:
            if not args.skip_failed:
                refused += 1
            print(f"{'skipped' if args.skip_failed else 'refused'} {run_dir}: {error}")
            continue
        except SubmissionRefused as error:
            refused += 1
            print(f"refused {run_dir}: {error}")
            continue
        board = args.board or _board_of_task(committee, run_dir, task)
        if board is None:
            refused += 1
            continue
        items.append((run_dir, frame, meta, board))
    for source, frame, meta, board in items:
        try:
            outcome = committee.submit(board, frame, meta)
        except LeaderboardError as error:
            refused += 1
            print(f"refused {source}: {error}")
            continue
        entry = outcome["aggregates"]
        primary_name = entry["protocol"]["primary"]
        primary = entry["metrics"][primary_name]["value"]
        scored = f"entry {outcome['entry_id'][:12]}: {primary_name} {primary:.4f} (scored by the committee)"
        if outcome["added"]:
            print(f"submitted {source} to board {board} as {scored}")
        else:
            print(f"already on board {board}: {source} ({scored})")
        if outcome.get("held"):
            print(f"  the Ladder rule holds this entry's numbers: it does not beat your team's best {primary_name} "
                  f"{primary:.4f} by the board's resolution (`board.release`), so the board shows that best")
        added += outcome["added"]
    if added:
        from medbench.leaderboard.folder.location import committee_refresh_hint

        print(committee_refresh_hint())
    if refused:
        print(f"medbench submit: error: {refused} submission(s) refused (reasons above)", flush=True)
        return 2
    return 0


def _board_of_task(committee: Any, run_dir: Path, task: str) -> Optional[str]:
    """The board named after the record's task; else None, after listing the boards that take its protocol."""
    from medbench.records.record import read_record

    names = committee.board_names()
    if task in names:
        return task
    protocol = read_record(run_dir).protocol
    fitting = [name for name in names if not committee.spec(name).protocol.differing_fields(protocol)]
    if fitting:
        print(f"refused {run_dir}: the committee has no board {task!r}; boards that take its protocol "
              f"(task {protocol.name} v{protocol.version}): {', '.join(fitting)}; pass --board {fitting[0]}")
    else:
        shown = ", ".join(names) if names else "none yet"
        print(f"refused {run_dir}: no board of the committee takes its protocol (task {protocol.name} v{protocol.version}); "
              f"its boards: {shown}; an admin creates one with `medbench board create`")
    return None


def _to_folder_boards(args: argparse.Namespace) -> int:
    from medbench.leaderboard.folder.location import refresh_hint
    from medbench.leaderboard.board.entries import FailedRun, SubmissionRefused
    from medbench.leaderboard.folder.submit import default_submitter, submit_run

    submitter = args.submitter or default_submitter()
    refused = added = 0
    run_dirs = [run_dir for run_dir in args.run_dirs if not _is_reproduction(run_dir)]
    if len(run_dirs) < len(args.run_dirs):
        print(f"skipped {len(args.run_dirs) - len(run_dirs)} folder(s) under {REPRODUCTIONS}/: reruns made by `medbench reproduce`, not submissions")
    for run_dir in run_dirs:
        try:
            baseline = args.baseline and added == 0
            result = submit_run(args.root, run_dir, board=args.board, submitter=submitter, baseline=baseline)
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
        for name, (claimed, recomputed) in (result.corrected or {}).items():
            print(f"note {run_dir}: metrics.json claims {name} {claimed!r}; the board uses {recomputed!r}, recomputed from the predictions")
        if not result.added:
            print(f"already on board {result.board}: {run_dir} (entry {result.entry_id[:12]})")
            continue
        added += 1
        notes = []
        if result.baseline:
            notes.append("the board's baseline")
        print(f"submitted {run_dir} to board {result.board} as entry {result.entry_id[:12]}" + (f" ({'; '.join(notes)})" if notes else ""))
    if added:
        print(refresh_hint(args.root))
    if refused:
        print(f"medbench submit: error: {refused} of {len(run_dirs)} record(s) refused (reasons above)", flush=True)
        return 2
    return 0


# Where `medbench reproduce` writes its reruns (`paths.reproductions_dir`): `runs/*/*/` matches them too.
REPRODUCTIONS = "_reproductions"


def _is_reproduction(run_dir: Path) -> bool:
    return REPRODUCTIONS in Path(run_dir).resolve().parts
