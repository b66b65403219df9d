"""Where the boards live: what every leaderboard command needs before it reads anything.

Kept apart from :mod:`medbench.leaderboard.folder.store` (pydantic schemas, file locks) so that building
the command line, `medbench --help` included, imports nothing of the store.
"""

from __future__ import annotations

import os
from pathlib import Path

SITE_DIR = "_site"


def default_root() -> Path:
    """`$MEDBENCH_ROOT/leaderboards`, as `conf/paths/default.yaml` says (`./leaderboards` without it)."""
    return Path(os.environ.get("MEDBENCH_ROOT", ".")) / "leaderboards"


def default_key() -> Path:
    """The committee server's Ed25519 key: `$MEDBENCH_KEY`, else beside the boards (created on first use)."""
    return Path(os.environ["MEDBENCH_KEY"]) if os.environ.get("MEDBENCH_KEY") else default_root() / "committee.ed25519"


def add_committee_options(parser, *, server: bool = True) -> None:  # noqa: ANN001 (argparse, imported by the caller)
    """`--server URL` and `--db URL` (with their environment defaults), and `--key` for a local database."""
    if server:
        parser.add_argument(
            "--server", default=os.environ.get("MEDBENCH_SERVER"),
            help="the committee's service (default: $MEDBENCH_SERVER); authenticates with $MEDBENCH_TOKEN",
        )
    parser.add_argument(
        "--db", default=os.environ.get("MEDBENCH_DB"),
        help="the committee's database, used in this process: sqlite:///FILE or postgresql://... (default: $MEDBENCH_DB)",
    )
    parser.add_argument("--key", type=Path, default=default_key(), help="the server's Ed25519 signing key (default: %(default)s)")


def refresh_hint(root: Path) -> str:
    """What every command that changes a board prints: the static page shows the change once rebuilt."""
    return f"refresh the board page: `medbench leaderboard build --root {root}`, then reload it in the browser"


def committee_refresh_hint() -> str:
    """The same for a committee's boards: the service's JSON is live, its public site is an export."""
    return "refresh the public board page: `medbench leaderboard export --db URL -o DIR` (GET /boards/BOARD is live)"
