"""`medbench leaderboard show|build|verify`: read the shared boards (never imports torch)."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "Show a board in the terminal, choose its baseline, build the static web site, or verify every hash of the boards."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from medbench.leaderboard.location import SITE_DIR, default_root

    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = actions.add_parser("show", help="print a board as a table", description="Print a board as a table.")
    show.add_argument("board", metavar="BOARD")
    show.add_argument("--limit", type=int, default=50, help="current entries shown (0: all; default %(default)s)")
    baseline = actions.add_parser(
        "baseline",
        help="choose the entry every other is compared with (logged)",
        description="Choose the board's baseline: the entry every other entry is compared with (Δ, paired test). "
        "Until the committee chooses one, the board has none. The choice is written to the board file and the audit log.",
    )
    baseline.add_argument("board", metavar="BOARD")
    baseline.add_argument("entry", metavar="ENTRY", help="entry id or a unique prefix of it (as `leaderboard show` prints)")
    baseline.add_argument("--by", required=True, metavar="NAME", help="who chooses it")
    baseline.add_argument("--note", default="", help="why, kept in the audit log")
    build = actions.add_parser("build", help="write the static site", description="Write the static site (no server needed).")
    build.add_argument("--out", type=Path, help=f"site folder (default: <root>/{SITE_DIR})")
    build.add_argument("--no-tiers", action="store_true", help="skip the paired tests that group entries into tiers")
    verify = actions.add_parser(
        "verify",
        help="recompute every hash; exit 1 on any edit",
        description="Recompute every hash; exit 1 on any edit. The printed head hash of each audit log lets a "
        "reviewer notice later that events were cut from its end (compare it with the one you noted, or with git).",
    )
    verify.add_argument("board", nargs="?", metavar="BOARD", help="one board (default: all)")
    for action in (show, baseline, build, verify):
        action.add_argument("--root", type=Path, default=default_root(), help="leaderboards folder (default: %(default)s)")


def execute(args: argparse.Namespace) -> int:
    return {"show": _show, "baseline": _baseline, "build": _build, "verify": _verify}[args.action](args)


def _show(args: argparse.Namespace) -> int:
    from medbench.leaderboard.ranking import rank_board
    from medbench.leaderboard.store import Board
    from medbench.leaderboard.terminal import print_ranking
    from medbench.leaderboard.tiers import cached_tiers

    print_ranking(rank_board(Board(args.root, args.board), cached_tiers), limit=args.limit)
    return 0


def _baseline(args: argparse.Namespace) -> int:
    from medbench.errors import LeaderboardError
    from medbench.leaderboard.location import refresh_hint
    from medbench.leaderboard.review import choose_baseline
    from medbench.leaderboard.store import Board

    board = Board(args.root, args.board)
    board.spec()
    entry_id = board.resolve(args.entry)
    if entry_id is None:
        raise LeaderboardError(f"no entry {args.entry!r} on board {args.board!r} (`medbench leaderboard show {args.board}` lists them)")
    event = choose_baseline(board, entry_id, actor=args.by, note=args.note)
    print(f"baseline of board {board.name}: entry {entry_id[:12]} (audit event {event.seq}, {event.hash[:12]})")
    print(refresh_hint(args.root))
    return 0


def _build(args: argparse.Namespace) -> int:
    from medbench.leaderboard.site import build_site
    from medbench.leaderboard.location import SITE_DIR
    from medbench.leaderboard.tiers import board_tiers

    index = build_site(args.root, args.out or args.root / SITE_DIR, tiers=None if args.no_tiers else board_tiers)
    print(f"leaderboard site: {index.resolve()}  (open it in a browser; no server needed)")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from medbench.errors import LeaderboardError
    from medbench.leaderboard.audit import read_events
    from medbench.leaderboard.store import Board, board_names
    from medbench.leaderboard.verify import verify_boards

    names = [args.board] if args.board else board_names(args.root)
    if not names:
        raise LeaderboardError(f"{args.root}: no boards to verify")
    failed = False
    for name, problems in verify_boards(args.root, names).items():
        if problems:
            failed = True
            print(f"board {name}: {len(problems)} problem(s)")
            for problem in problems:
                print(f"  {problem}")
        else:
            events = read_events(Board(args.root, name).audit_path)
            print(
                f"board {name}: ok (every entry, the board file, the predictions and the audit chain match their hashes; "
                f"{len(events)} events, head {events[-1].hash[:16]})"
            )
    return 1 if failed else 0
