"""The append-only audit log of a board: one JSON line per event, each hashing the one before.

Each line is one :class:`medbench.leaderboard.board.events.Event` without `board` (the log is one
board's), and without `signature` unless the board is signed (`folder.signing`). Events: `create` and `upgrade` of the board (with the SHA-256 of the board file they wrote),
`baseline`, `submit`, `reproduce`, `reproduction_failed`, `approve`, `reject`, and on a signed
board `key_rotated` (`folder.key_rotation`). A line's `hash` is
the SHA-256 of its other fields, `prev` included, so editing, removing or reordering any line
breaks the chain from that line on. Appends happen under the board's lock (see `store.Board`).

A line counts once its closing newline is on disk: that is the commit point of every change to a
board (an entry file without its `submit` event is ignored by readers; `verify` reports it). An
unterminated last line is a write that was interrupted: readers ignore it, `chain_problems`
reports it, and the next append cuts it off and records a `repair` event with the hash of the
dropped bytes, so the repair itself is on the chain.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional

from medbench.errors import LeaderboardError
from medbench.io import compact_bytes, sha256_hex
from medbench.leaderboard.board import events
from medbench.leaderboard.board.events import GENESIS, Event, event_hash, now_utc
from medbench.leaderboard.board.signing import sign
from medbench.leaderboard.folder.log_lines import committed_lines
from medbench.leaderboard.folder.signing import pinned_problems, signature_check, signing_key

TRUTH_MARKER = b'"truth_sha256":"'


def append_event(
    log_path: Path,
    event: str,
    *,
    actor: str,
    entry: Optional[str] = None,
    note: str = "",
    data: Optional[dict[str, Any]] = None,
) -> Event:
    """Append one chained event. The caller holds the board's lock."""
    last, torn = _tail(log_path)
    if torn:
        last = _drop_torn_tail(log_path, last, torn, actor)
    return Event.from_line(_chain(log_path, last, event, actor=actor, entry=entry, note=note, data=data or {}))


def _chain(log_path: Path, last: bytes, event: str, *, actor: str, entry: Optional[str], note: str, data: dict[str, Any]) -> bytes:
    """Append the event that follows the line `last` (b"" for the first) and return its line: no board, no signature."""
    previous = Event.from_line(last) if last else None
    fields: dict[str, Any] = {
        "seq": previous.seq + 1 if previous else 0,
        "time": now_utc(),
        "event": event,
        "entry": entry,
        "actor": actor,
        "note": note,
        "data": data,
        "prev": previous.hash if previous else GENESIS,
    }
    fields["hash"] = event_hash(fields)
    key = signing_key(log_path, new_board=previous is None)
    if key is not None:
        fields["signature"] = sign(key, fields["hash"].encode("ascii"))
    line = compact_bytes(fields)
    _append_line(log_path, line + b"\n")
    return line


def _append_line(log_path: Path, line: bytes) -> None:
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def _drop_torn_tail(log_path: Path, last: bytes, torn: int, actor: str) -> bytes:
    """Cut the unterminated last `torn` bytes off the log and chain a `repair` event saying so.

    Returns the repair line, now the log's last line.
    """
    with open(log_path, "r+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(size - torn)
        dropped = handle.read(torn)
        handle.truncate(size - torn)
        handle.flush()
        os.fsync(handle.fileno())
    return _chain(
        log_path, last, "repair", actor=actor, entry=None,
        note="dropped an unterminated last line (an interrupted write; the change it began never committed)",
        data={"dropped_bytes": torn, "dropped_sha256": sha256_hex(dropped)},
    )


def read_events(log_path: Path, *, skip_unreadable: bool = False) -> list[Event]:
    """Every event of the log, in order, without checking the chain (see `chain_problems`).

    An unreadable line is an error naming it, or skipped with `skip_unreadable` (verification
    reports it through `chain_problems` and still checks the rest). An unterminated last line
    never committed and is not an event.
    """
    if not log_path.is_file():
        return []
    found = []
    for number, line in enumerate(committed_lines(log_path), start=1):
        try:
            found.append(Event.from_line(line))
        except (ValueError, TypeError):
            if not skip_unreadable:
                raise LeaderboardError(
                    f"{log_path}:{number}: not a readable audit event; run `medbench leaderboard verify`"
                ) from None
    return found


def chain_problems(log_path: Path, public_key_pem: Optional[str] = None) -> list[str]:
    """What is wrong with the chain: unreadable lines, edited lines, broken links, gaps in `seq`, a torn
    tail, and on a signed board (or with a key pinned) every event whose signature does not hold."""
    if not log_path.is_file():
        return [f"{log_path}: the audit log is missing"]
    problems, chain = signature_check(log_path.parent, public_key_pem)
    data = log_path.read_bytes()
    if data and not data.endswith(b"\n"):
        last_number = data.count(b"\n") + 1
        problems.append(
            f"{log_path}:{last_number}: unterminated last line (a write was interrupted; "
            "it is ignored, and the next submit or review cuts it off and logs a repair event)"
        )
    found, read = events.chain_problems(data[: data.rfind(b"\n") + 1].splitlines(), str(log_path), chain.check if chain else None)
    if chain is not None:
        found += pinned_problems(log_path.parent, chain, public_key_pem, read[-1].seq if read and isinstance(read[-1].seq, int) else None)
    return problems + found


def submitted_entries(log_path: Path) -> set[str]:
    """The ids of the entries whose `submit` event committed: the only entries a board holds."""
    marker = b'"event":"submit"'
    return {json.loads(line)["entry"] for line in committed_lines(log_path) if marker in line}


def pinned_truths(lines: list[bytes]) -> dict[str, str]:
    """Task version → the digest of the test set's truth a board's log (its committed `lines`) pinned for it: named by the
    `create` or `upgrade` event that opened the version, or (a board made before truths were
    pinned) by the version's first submission that names one."""
    pinned: dict[str, str] = {}
    first_submitted: dict[str, str] = {}
    for line in lines:
        truth = _string_field(line, TRUTH_MARKER)
        if truth is None:
            continue
        version = str(_string_field(line, b'"task_version":"'))
        if b'"event":"create"' in line or b'"event":"upgrade"' in line:
            pinned[version] = truth
        else:
            first_submitted.setdefault(version, truth)
    return {**first_submitted, **pinned}


def _string_field(line: bytes, marker: bytes) -> Optional[str]:
    """The string after `marker` (`"key":"`) in a log line, found without parsing it: each
    submission reads the log under the lock every other submitter waits on."""
    start = line.find(marker)
    if start < 0:
        return None
    start += len(marker)
    return line[start : line.index(b'"', start)].decode("ascii", "replace")


def has_events(log_path: Path) -> bool:
    return _tail(log_path)[0] != b""


def _tail(path: Path) -> tuple[bytes, int]:
    """The last complete non-empty line and the length of the unterminated bytes after it,
    reading only the end of the file (logs grow with every event)."""
    if not path.is_file():
        return b"", 0
    with open(path, "rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        block = 4096
        while True:
            start = max(0, size - block)
            handle.seek(start)
            tail = handle.read(size - start)
            cut = tail.rfind(b"\n")
            complete = tail[: cut + 1].rstrip(b"\n")
            if b"\n" in complete or start == 0:
                return complete.rsplit(b"\n", 1)[-1], len(tail) - cut - 1
            block *= 2
