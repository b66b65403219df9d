"""`medbench leaderboard show|baseline|build|verify|export`: read and curate the boards (never imports torch).

`show` reads a folder board, or a committee's (`--server`/`--db`); `export` writes a committee's
public export (aggregates, signed log and head, site); `verify` checks folder boards, or an
export folder offline.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "Show a board, choose its baseline, build the static site, export a committee's boards, or verify every hash."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from medbench.leaderboard.folder.location import SITE_DIR, add_committee_options, default_root

    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="print a board as a table", description="Print a board as a table.")
    show.add_argument("board", metavar="BOARD")
    show.add_argument("--limit", type=int, default=50, help="current entries shown (0: all; default %(default)s)")
    baseline = actions.add_parser(
        "baseline",
        help="choose the entry every other is compared with (logged)",
        description="Choose the board's baseline: the entry every other entry is compared with (Δ, paired test). "
        "Until the committee chooses one, the board has none. The choice is written to the board file and the audit log; "
        "with --server/--db it goes to the committee, as the reviewer or admin whose MEDBENCH_TOKEN is set.",
    )
    baseline.add_argument("board", metavar="BOARD")
    baseline.add_argument("entry", metavar="ENTRY", help="entry id or a unique prefix of it (as `leaderboard show` prints)")
    baseline.add_argument("--by", metavar="NAME", help="who chooses it (folder boards only; on a committee the token says who)")
    baseline.add_argument("--note", default="", help="why, kept in the audit log (required on a committee)")
    add_committee_options(baseline)
    build = actions.add_parser("build", help="write the static site", description="Write the static site (no server needed).")
    build.add_argument("--out", type=Path, help=f"site folder (default: <root>/{SITE_DIR})")
    build.add_argument("--no-tiers", action="store_true", help="skip the paired tests that group entries into tiers")
    verify = actions.add_parser(
        "verify",
        help="recompute every hash; exit 1 on any edit",
        description="Recompute every hash; exit 1 on any edit. The printed head hash of each audit log lets a "
        "reviewer notice later that events were cut from its end (compare it with the one you noted, or with git).",
    )
    verify.add_argument("board", nargs="?", metavar="BOARD|DIR", help="one board (default: all), or a committee export folder")
    verify.add_argument("--head", type=Path, help="with DIR: a head.json kept from an earlier export, which the log must extend")
    verify.add_argument(
        "--public-key", type=Path,
        help="the committee's published key for DIR (default: the export's own), or a signed folder board's (default: its public_key.pem)",
    )
    export = actions.add_parser(
        "export", help="write a committee's public export",
        description="Write aggregates, the signed audit log and head, and the static site of every committee board "
        "(never per-sample data).",
    )
    export.add_argument("-o", "--out", type=Path, required=True, help="export folder (replaced)")
    export.add_argument("--no-tiers", action="store_true", help="skip the paired tests that group entries into tiers")
    add_committee_options(export, server=False)
    add_committee_options(show)
    for action in (show, baseline, build, verify):
        action.add_argument("--root", type=Path, default=default_root(), help="leaderboards folder (default: %(default)s)")


def execute(args: argparse.Namespace) -> int:
    return {"show": _show, "baseline": _baseline, "build": _build, "verify": _verify, "export": _export}[args.action](args)


def _show(args: argparse.Namespace) -> int:
    if args.server or args.db:
        from medbench.leaderboard.views.terminal import print_ranking
        from medbench.leaderboard.committee.client import open_committee, ranking_from_json

        committee = open_committee(args.server, args.db, args.key)
        print_ranking(ranking_from_json(committee.board_json(args.board)), limit=args.limit)
        return 0
    from medbench.leaderboard.folder.ranking import rank_board
    from medbench.leaderboard.folder.store import Board
    from medbench.leaderboard.views.terminal import print_ranking
    from medbench.leaderboard.folder.tiers import cached_tiers

    print_ranking(rank_board(Board(args.root, args.board), cached_tiers), limit=args.limit)
    return 0


def _baseline(args: argparse.Namespace) -> int:
    from medbench.errors import LeaderboardError
    from medbench.leaderboard.folder.location import refresh_hint
    from medbench.leaderboard.folder.review import choose_baseline
    from medbench.leaderboard.folder.store import Board

    if args.server or args.db:
        return _committee_baseline(args)
    if not args.by:
        raise LeaderboardError("--by: name who chooses the baseline")
    board = Board(args.root, args.board)
    board.spec()
    entry_id = board.resolve(args.entry)
    if entry_id is None:
        raise LeaderboardError(f"no entry {args.entry!r} on board {args.board!r} (`medbench leaderboard show {args.board}` lists them)")
    event = choose_baseline(board, entry_id, actor=args.by, note=args.note)
    print(f"baseline of board {board.name}: entry {entry_id[:12]} (audit event {event.seq}, {event.hash[:12]})")
    print(refresh_hint(args.root))
    return 0


def _committee_baseline(args: argparse.Namespace) -> int:
    from medbench.errors import LeaderboardError
    from medbench.leaderboard.folder.location import committee_refresh_hint
    from medbench.leaderboard.committee.client import open_committee

    if args.by:
        raise LeaderboardError("--by: on a committee the token (MEDBENCH_TOKEN) says who chooses the baseline")
    event = open_committee(args.server, args.db, args.key).baseline(args.board, args.entry, args.note)
    print(f"baseline of board {event['board']}: entry {event['entry'][:12]} chosen by {event['actor']} "
          f"(audit event {event['seq']}, {event['hash'][:12]})")
    print(committee_refresh_hint())
    return 0


def _build(args: argparse.Namespace) -> int:
    from medbench.leaderboard.folder.ranking import build_site
    from medbench.leaderboard.folder.location import SITE_DIR
    from medbench.leaderboard.folder.tiers import board_tiers

    index = build_site(args.root, args.out or args.root / SITE_DIR, tiers=None if args.no_tiers else board_tiers)
    print(f"leaderboard site: {index.resolve()}  (open it in a browser; no server needed)")
    return 0


def _export(args: argparse.Namespace) -> int:
    import json

    from medbench.errors import LeaderboardError
    from medbench.leaderboard.committee.store import CommitteeStore
    from medbench.leaderboard.committee.publish import export

    if not args.db:
        raise LeaderboardError("--db: the export is made on the committee's database (or set MEDBENCH_DB)")
    store = CommitteeStore(args.db, args.key)
    try:
        export(store, args.out, tiers=not args.no_tiers)
    finally:
        store.close()
    head = json.loads((args.out / "head.json").read_bytes())
    print(f"exported {head['count']} events (head {head['hash'][:16]}, key {head['public_key']}) to {args.out}; "
          f"keep head.json to check later exports with `medbench leaderboard verify DIR --head`")
    return 0


def _verify_export(args: argparse.Namespace) -> int:
    from medbench.leaderboard.committee.publish import verify_export

    key = args.public_key.read_text() if args.public_key else None
    problems, facts = verify_export(Path(args.board), public_key_pem=key, old_head=args.head)
    if problems:
        print(f"export {args.board}: {len(problems)} problem(s)")
        for problem in problems:
            print(f"  {problem}")
        return 1
    pinned = "the key you pinned" if key else "the export's own key: compare its fingerprint with the committee's published one"
    rotated = f", rotated {facts['keys'] - 1} time(s) from the first key {facts['first_key']}" if facts["keys"] > 1 else ""
    print(f"export {args.board}: ok ({facts['events']} signed events, {facts['boards']} board(s), head {facts['head'][:16]}; "
          f"key {facts['key']}{rotated}; trusted through {pinned}" + ("; extends the earlier head" if args.head else "") + ")")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from medbench.errors import LeaderboardError

    if args.board and (Path(args.board) / "head.json").is_file():
        return _verify_export(args)
    if args.head:
        raise LeaderboardError(f"--head: {args.board or args.root} is not an export folder (no head.json)")
    from medbench.leaderboard.folder.audit import read_events
    from medbench.leaderboard.folder.signing import board_keys
    from medbench.leaderboard.folder.store import Board, board_names
    from medbench.leaderboard.folder.verify import verify_boards

    names = [args.board] if args.board else board_names(args.root)
    if not names:
        raise LeaderboardError(f"{args.root}: no boards to verify")
    failed = False
    key = args.public_key.read_text() if args.public_key else None
    for name, problems in verify_boards(args.root, names, key).items():
        if problems:
            failed = True
            print(f"board {name}: {len(problems)} problem(s)")
            for problem in problems:
                print(f"  {problem}")
        else:
            board = Board(args.root, name)
            events = read_events(board.audit_path)
            keys = board_keys(board.audit_path)
            rotated = f" (rotated {len(keys) - 1} time(s) from the first key {keys[0].fingerprint})" if len(keys) > 1 else ""
            signature = f"every event signed by the key in force, now {keys[-1].fingerprint}{rotated}; " if keys else "unsigned; "
            print(
                f"board {name}: ok (every entry, the board file, the predictions and the audit chain match their hashes, "
                f"and every entry's numbers its stored predictions rescored against the pinned truth; "
                f"{signature}{len(events)} events, head {events[-1].hash[:16]})"
            )
    return 1 if failed else 0
