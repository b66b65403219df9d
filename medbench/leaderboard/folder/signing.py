"""A folder board's optional signature: its audit events signed with a local Ed25519 key, as the
committee's server signs its log (the key code is the board layer's, `board.signing`).

A board is signed when its folder holds `public_key.pem`. The first event of a new board writes
that file when `$MEDBENCH_BOARD_KEY` names a key file (created 0600 on first use); from then on
every event must be signed with that key, so changing the board needs the key, and `leaderboard
verify` checks every event's signature: a chain rebuilt after an edit, or a fake `approve`, cannot
be signed without the private key. A board without the file is unsigned, as before.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

from medbench.errors import LeaderboardError

PUBLIC_KEY_FILE = "public_key.pem"
KEY_VARIABLE = "MEDBENCH_BOARD_KEY"


def signing_key(board_folder: Path, *, new_board: bool) -> Optional[Any]:
    """The private key that signs the board's next event, None for an unsigned board.

    A new board becomes signed when `$MEDBENCH_BOARD_KEY` is set; a signed board refuses a change
    without its key, or with another one.
    """
    from medbench.io import atomic_write
    from medbench.leaderboard.board.signing import fingerprint, load_or_create_key, public_pem

    pinned_file = Path(board_folder) / PUBLIC_KEY_FILE
    key_path = os.environ.get(KEY_VARIABLE)
    if not pinned_file.is_file() and not (new_board and key_path):
        return None
    if not key_path:
        raise LeaderboardError(f"{board_folder}: the board is signed ({PUBLIC_KEY_FILE}); set ${KEY_VARIABLE} to its key file to change it")
    key = load_or_create_key(Path(key_path))
    if not pinned_file.is_file():
        atomic_write(pinned_file, public_pem(key).encode("ascii"))
    elif fingerprint(pinned_file.read_text()) != fingerprint(public_pem(key)):
        raise LeaderboardError(
            f"{key_path}: not the key this board is signed with ({fingerprint(pinned_file.read_text())}); pass the board's key in ${KEY_VARIABLE}"
        )
    return key


def signature_check(board_folder: Path, public_key_pem: Optional[str]) -> tuple[list[str], Optional[Any]]:
    """(problems, check of one event) for verifying the board's log: with the pinned key
    (`public_key_pem`), or the board's own; no check for an unsigned board with no key pinned."""
    from medbench.leaderboard.board.signing import fingerprint, load_public_key, signature_holds

    own_file = Path(board_folder) / PUBLIC_KEY_FILE
    own = own_file.read_text() if own_file.is_file() else None
    if public_key_pem is not None and (own is None or fingerprint(own) != fingerprint(public_key_pem)):
        what = "is unsigned (no public_key.pem)" if own is None else "is signed with another key"
        return [f"{own_file.parent}: the board {what}, not with the key you pinned"], None
    pem = public_key_pem or own
    if pem is None:
        return [], None
    key = load_public_key(pem)

    def check(event: Any) -> Optional[str]:
        if event.signature is None or not signature_holds(key, event.hash.encode("ascii"), event.signature):
            return "the signature does not hold (the event was not written with the board's key)"
        return None

    return [], check
