"""Tiers: groups of entries that paired tests on their per-sample predictions cannot tell apart.

Requires the statistics module's paired comparison (`medbench.stats`); until it is present the
board shows "tiers unavailable" and ranks by the primary metric alone.
"""

from __future__ import annotations

from typing import Optional

from medbench.leaderboard.store import Board

UNAVAILABLE = "unavailable: the paired tests of medbench.stats are not installed in this version"


def board_tiers(board: Board) -> tuple[Optional[dict[str, int]], str]:
    """Tiers of the board's current entries and a note on how they were made (or why not)."""
    return None, UNAVAILABLE


def cached_tiers(board: Board) -> tuple[Optional[dict[str, int]], str]:
    """The tiers the last `leaderboard build` computed, without recomputing (for `show`)."""
    return None, UNAVAILABLE
