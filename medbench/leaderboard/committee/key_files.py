"""The server's key file through a rotation (`medbench admin key rotate`), in an order a crash cannot break.

    KEY                     the key that signs now (`--key`, `$MEDBENCH_KEY`)
    KEY.next                the new key while the log does not yet name it
    KEY.retired-<fp>        the old key, kept 0600 after its rotation (`fp`: its fingerprint)

1. the new key is written to `KEY.next` (0600, flushed) and the old one copied to `KEY.retired-<fp>`;
2. one transaction appends the `key_rotated` event (signed by the old key) and records the new
   public key as the database's current one;
3. `KEY.next` is renamed over `KEY` (by whichever process gets there first: the rotation itself,
   or a running store that meets the new key in the database).

A crash before 2 leaves `KEY` and the log as they were (the unused `KEY.next` is dropped by the
next rotation): nothing ever signs with a key the log did not introduce. A crash between 2 and 3
leaves `KEY` behind the log; the store, on opening, finds `KEY.next` holding the log's current key
and finishes the rename (`finish_rotation`). A service running through a rotation does the same on
its next write, so its next event is signed by the new key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Protocol

from medbench.errors import LeaderboardError
from medbench.io import fsync_dir
from medbench.leaderboard.board.signing import (
    fingerprint,
    load_key,
    new_key,
    pending_path,
    public_pem,
    retired_path,
    write_private_key,
)

if TYPE_CHECKING:
    from medbench.leaderboard.board.events import Event


class RotatingStore(Protocol):
    """What a rotation needs of the committee's store (`store.CommitteeStore`, which opens its key through
    `finish_rotation`: named structurally, so that the two modules do not import each other)."""

    key_path: Path
    public_key: str

    def admit_rotation(self, actor: Any) -> None: ...

    def record_rotation(self, new_key: Any, actor: Any) -> "Event": ...


def rotate(store: RotatingStore, actor: Any) -> tuple["Event", Path]:
    """Hand the store's log to a new key; return the `key_rotated` event and where the old key is kept."""
    from filelock import FileLock

    key_path = store.key_path
    store.admit_rotation(actor)  # refused before any key file is written
    with FileLock(str(key_path.with_name(f"{key_path.name}.lock"))):
        old = load_key(key_path)
        if public_pem(old) != store.public_key:
            raise LeaderboardError(f"--key: {key_path} changed since the store opened; run the rotation again")
        pending = pending_path(key_path)
        if os.path.lexists(pending):
            pending.unlink()  # a rotation that stopped before the log named its key: that key never signed anything
        new = new_key()
        write_private_key(pending, new)
        retired = retired_path(key_path, fingerprint(store.public_key))
        if not os.path.lexists(retired):
            write_private_key(retired, old)
        event = store.record_rotation(new, actor)
        if finish_rotation(key_path, store.public_key) is None:  # a running store may have moved it first
            raise LeaderboardError(f"--key: {key_path} does not hold the new key the log names; restore it from {pending}")
    return event, retired


def finish_rotation(key_path: Path, current_public_pem: str) -> Optional[Any]:
    """The private key of the log's current public key: the one in `key_path`, or the one a rotation cut
    short left in `KEY.next` (moved into place now); None when neither holds it."""
    pending = pending_path(key_path)
    try:
        if public_pem(load_key(pending)) == current_public_pem:
            os.replace(pending, key_path)
            fsync_dir(key_path.parent)
    except (LeaderboardError, FileNotFoundError):
        pass  # no rotation was cut short (or another process finished it first)
    key = load_key(key_path)
    return key if public_pem(key) == current_public_pem else None
