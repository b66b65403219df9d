"""A folder board ranked, and the site of every board under a root: read from disk, handed to the board's
pure ranking (`board.ranking`) and to the views (`views.site`), which read no store themselves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Optional

from medbench.leaderboard.board.ranking import Ranking, rank_entries
from medbench.leaderboard.board.schema import BoardSpec, Entry
from medbench.leaderboard.board.tiers import Tiers
from medbench.leaderboard.folder.audit import read_events
from medbench.leaderboard.folder.store import Board, board_names

# Given the board, its spec and entries: the tiers to show (computed, cached, or a note why none).
TiersOf = Callable[[Board, BoardSpec, dict[str, Entry]], Tiers]


def rank_board(board: Board, tiers_of: Optional[TiersOf] = None) -> Ranking:
    """Read and rank one board (entries checked against their hashes)."""
    spec = board.spec()
    entries = board.entries()
    tiers = tiers_of(board, spec, entries) if tiers_of else Tiers(note="not computed")
    return rank_entries(spec, entries, read_events(board.audit_path), tiers)


def build_site(root: Path, out: Path, tiers: Optional[TiersOf] = None) -> Path:
    """Write the site for every board under `root` into `out`; return the index page."""
    from medbench.leaderboard.views.site import write_site

    return write_site((rank_board(Board(root, name), tiers) for name in board_names(root)), out)
