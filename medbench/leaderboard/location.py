"""Where the boards live: what every leaderboard command needs before it reads anything.

Kept apart from :mod:`medbench.leaderboard.store` (pydantic schemas, file locks) so that building
the command line, `medbench --help` included, imports nothing of the store.
"""

from __future__ import annotations

import os
from pathlib import Path

SITE_DIR = "_site"


def default_root() -> Path:
    """`$MEDBENCH_ROOT/leaderboards`, as `conf/paths/default.yaml` says (`./leaderboards` without it)."""
    return Path(os.environ.get("MEDBENCH_ROOT", ".")) / "leaderboards"


def refresh_hint(root: Path) -> str:
    """What every command that changes a board prints: the static page shows the change once rebuilt."""
    return f"refresh the board page: `medbench leaderboard build --root {root}`, then reload it in the browser"
