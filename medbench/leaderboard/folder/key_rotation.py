"""`medbench board rotate-key`: hand every folder board under a root that `$MEDBENCH_BOARD_KEY` signs to a new key.

One key file may sign many boards, so a rotation moves all of them: otherwise the boards left
behind could no longer be changed with the key file. The order keeps every step recoverable:

1. the new key is written to `KEY.next` (0600, flushed) and the old one copied to `KEY.retired-<fp>`;
2. each board, under its lock, appends a `key_rotated` event signed by the old key;
3. `KEY.next` is renamed over `KEY`.

Until 3, a board whose log already introduced the new key is signed from `KEY.next`
(`signing.signing_key`), the others with the old key; nothing signs with a key its log did not
introduce. Running the rotation again after a crash finishes it with the same new key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from medbench.errors import LeaderboardError
from medbench.io import fsync_dir
from medbench.leaderboard.board.events import Event
from medbench.leaderboard.board.key_history import KEY_ROTATED, rotation_data
from medbench.leaderboard.board.signing import (
    fingerprint,
    load_key,
    new_key,
    pending_path,
    public_pem,
    retired_path,
    write_private_key,
)
from medbench.leaderboard.folder import audit
from medbench.leaderboard.folder.signing import KEY_VARIABLE, board_keys
from medbench.leaderboard.folder.store import Board, board_names


def rotate_folder_key(root: Path, actor: str) -> tuple[dict[str, Event], str, str, Path]:
    """Rotate the key of every board under `root` it signs; return {board: its key_rotated event}, the old
    and new fingerprints, and where the old key is kept."""
    from filelock import FileLock

    if not os.environ.get(KEY_VARIABLE):
        raise LeaderboardError(f"${KEY_VARIABLE}: set it to the key file that signs the boards to rotate")
    key_path = Path(os.environ[KEY_VARIABLE])
    if not key_path.is_file():
        raise LeaderboardError(f"${KEY_VARIABLE}: no key at {key_path}; a board's key is created when a signed board is")
    with FileLock(str(key_path.with_name(f"{key_path.name}.lock"))):
        old = public_pem(load_key(key_path))
        new = _resumed_or_new(pending_path(key_path))
        signed = {name: Board(root, name) for name in board_names(root) if board_keys(Board(root, name).audit_path)}
        current = {name: board_keys(board.audit_path)[-1].fingerprint for name, board in signed.items()}
        ours = {fingerprint(old), fingerprint(public_pem(new))}
        if not any(fingerprint(old) == key for key in current.values()):
            raise LeaderboardError(f"{root}: no board there is signed with {key_path} ({fingerprint(old)}); nothing to rotate")
        retired = retired_path(key_path, fingerprint(old))
        if not os.path.lexists(retired):
            write_private_key(retired, load_key(key_path))
        rotated = {}
        for name, board in signed.items():
            if current[name] not in ours:
                continue  # signed with another key file
            with board.locked():
                if board_keys(board.audit_path)[-1].fingerprint == fingerprint(old):
                    rotated[name] = audit.append_event(
                        board.audit_path, KEY_ROTATED, actor=actor,
                        note=f"signing key {fingerprint(old)} hands the board to {fingerprint(public_pem(new))}",
                        data=rotation_data(public_pem(new), old),
                    )
        os.replace(pending_path(key_path), key_path)
        fsync_dir(key_path.parent)
    return rotated, fingerprint(old), fingerprint(public_pem(new)), retired


def _resumed_or_new(pending: Path) -> Any:
    """The new key of a rotation cut short (its boards may already name it), or a fresh one written to `pending`."""
    if pending.is_file():
        try:
            return load_key(pending)
        except LeaderboardError:
            pending.unlink()  # torn before any board could name it (it is flushed before the first event)
    key = new_key()
    write_private_key(pending, key)
    return key
