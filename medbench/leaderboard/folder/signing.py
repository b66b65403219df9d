"""A folder board's optional signature: its audit events signed with a local Ed25519 key, as the
committee's server signs its log (the key code is the board layer's, `board.signing`).

A board is signed when its folder holds `public_key.pem`. The first event of a new board writes
that file when `$MEDBENCH_BOARD_KEY` names a key file (created 0600 on first use); from then on
every event must be signed with the board's key, so changing the board needs the key, and `leaderboard
verify` checks every event's signature: a chain rebuilt after an edit, or a fake `approve`, cannot
be signed without the private key. A board without the file is unsigned, as before.

The key can rotate (`folder.key_rotation`): a `key_rotated` event, signed by the old key, names the
new one (`board.key_history`). `public_key.pem` stays the board's first key, the anchor the log's
key history starts from; the board's current key is the last one its log introduced.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

from medbench.errors import LeaderboardError
from medbench.leaderboard.board.key_history import KEY_ROTATED, KeyChain, KeyPeriod, history_of, key_at

PUBLIC_KEY_FILE = "public_key.pem"
KEY_VARIABLE = "MEDBENCH_BOARD_KEY"
ROTATION_MARKER = b'"event":"key_rotated"'


def board_keys(log_path: Path) -> list[KeyPeriod]:
    """The keys a signed board's log was signed with, oldest first (empty for an unsigned board)."""
    from medbench.leaderboard.board.events import Event
    from medbench.leaderboard.folder.log_lines import committed_lines

    first = Path(log_path).parent / PUBLIC_KEY_FILE
    if not first.is_file():
        return []
    rotations = [Event.from_line(line) for line in committed_lines(log_path) if ROTATION_MARKER in line]
    return history_of(first.read_text(), [event for event in rotations if event.event == KEY_ROTATED])


def signing_key(log_path: Path, *, new_board: bool) -> Optional[Any]:
    """The private key that signs the board's next event, None for an unsigned board.

    A new board becomes signed when `$MEDBENCH_BOARD_KEY` is set; a signed board refuses a change
    without its current key, or with another one. A rotation cut short leaves the new key in
    `KEY.next`: a board whose log already introduced it is signed with it.
    """
    from medbench.io import atomic_write
    from medbench.leaderboard.board.signing import fingerprint, load_key, load_or_create_key, pending_path, public_pem

    pinned_file = Path(log_path).parent / PUBLIC_KEY_FILE
    key_path = os.environ.get(KEY_VARIABLE)
    if not pinned_file.is_file() and not (new_board and key_path):
        return None
    if not key_path:
        raise LeaderboardError(f"{pinned_file.parent}: the board is signed ({PUBLIC_KEY_FILE}); set ${KEY_VARIABLE} to its key file to change it")
    key = load_or_create_key(Path(key_path))
    if not pinned_file.is_file():
        atomic_write(pinned_file, public_pem(key).encode("ascii"))
        return key
    current = board_keys(log_path)[-1]
    if fingerprint(public_pem(key)) == current.fingerprint:
        return key
    pending = pending_path(Path(key_path))
    if pending.is_file() and fingerprint(public_pem(load_key(pending))) == current.fingerprint:
        return load_key(pending)
    raise LeaderboardError(f"{key_path}: not the key this board is signed with ({current.fingerprint}); pass the board's key in ${KEY_VARIABLE}")


def signature_check(board_folder: Path, public_key_pem: Optional[str]) -> tuple[list[str], Optional[KeyChain]]:
    """(problems, the key chain that checks each event) for verifying the board's log from its first
    key on; no chain for an unsigned board with no key pinned."""
    own_file = Path(board_folder) / PUBLIC_KEY_FILE
    if not own_file.is_file():
        return ([f"{board_folder}: the board is unsigned (no public_key.pem), not with the key you pinned"] if public_key_pem else []), None
    return [], KeyChain(own_file.read_text())


def pinned_problems(board_folder: Path, chain: KeyChain, public_key_pem: Optional[str], last_seq: Optional[int]) -> list[str]:
    """The pinned key must be one of the board's keys that signed its log up to its last event."""
    from medbench.leaderboard.board.signing import fingerprint

    if public_key_pem is None:
        return []
    fingerprints = [period.fingerprint for period in chain.history]
    last = key_at(chain.history, last_seq) if last_seq is not None else chain.history[0]
    if fingerprint(public_key_pem) in fingerprints[: fingerprints.index(last.fingerprint) + 1]:
        return []
    return [f"{board_folder}: the board is signed with another key, not with the key you pinned"]
