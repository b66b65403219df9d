"""The one audit event of both stores, and the one check of a hash-chained log of them.

A folder board's log (`folder.audit`, JSON lines beside the board) and the committee's log
(`committee.signed_log`, rows of its database, exported as JSON lines) hold the same event: what
happened (`event`) to which `entry`, who did it (`actor`), why (`note`), its `data`, and its
place on the chain (`seq`, `prev`, `hash`). The committee's log spans every board and is signed,
so its events also name their `board` (None for users) and carry a `signature`; a folder log is
one board's and unsigned, so its lines hold neither field.

An event's `hash` is the SHA-256 of its stored one-line JSON without `hash` and `signature`
(`prev` included, so each event commits to the log before it). That is the form both logs have
always hashed: folder lines have no `board` and `signature` keys, committee lines have both.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Optional

from medbench.io import compact_bytes, sha256_hex

GENESIS = "0" * 64
# Fields an event's hash does not cover: the hash itself and the signature made of it.
UNHASHED = frozenset({"hash", "signature"})


@dataclass(frozen=True)
class Event:
    seq: int
    time: str
    event: str
    entry: Optional[str]
    actor: str
    note: str
    data: dict[str, Any]
    prev: str
    hash: str
    board: Optional[str] = None  # the committee's log only: the board the event belongs to
    signature: Optional[str] = None  # the committee's log only: the server's signature of `hash`

    @classmethod
    def from_line(cls, line: bytes) -> "Event":
        return cls(**json.loads(line))


def now_utc(timespec: str = "seconds") -> str:
    """The time an event or entry is stamped with (ISO 8601, UTC)."""
    return datetime.now(timezone.utc).isoformat(timespec=timespec)


def event_hash(fields: Mapping[str, Any]) -> str:
    """The hash of an event as its log stores it: of every field but `hash` and `signature`."""
    return sha256_hex(compact_bytes({key: value for key, value in fields.items() if key not in UNHASHED}))


def chain_problems(
    lines: Iterable[bytes], where: str, check: Optional[Callable[[Event], Optional[str]]] = None
) -> tuple[list[str], list[Event]]:
    """Every problem of a log's lines (unreadable, edited, re-linked, renumbered), and its readable events.

    `check` adds a store's own test of each readable event (the committee's: its signature),
    reported after the hash. After an unreadable line the link and the numbering are checked
    again from the next readable one, so one damaged line is reported once.
    """
    problems: list[str] = []
    events: list[Event] = []
    expected_prev: Optional[str] = GENESIS
    expected_seq: Optional[int] = 0
    for number, line in enumerate(lines, start=1):
        at = f"{where}:{number}"
        try:
            fields = json.loads(line)
            event = Event(**fields)
        except (ValueError, TypeError):
            problems.append(f"{at}: not a readable audit event (the log was edited)")
            expected_prev, expected_seq = None, None
            continue
        if event_hash(fields) != event.hash:
            problems.append(f"{at}: the event's content does not match its hash (the line was edited)")
        own = check(event) if check else None
        if own:
            problems.append(f"{at}: {own}")
        if expected_prev is not None and event.prev != expected_prev:
            problems.append(f"{at}: the chain is broken (an earlier event was removed, edited or reordered)")
        if expected_seq is not None and event.seq != expected_seq:
            problems.append(f"{at}: sequence number {event.seq}, expected {expected_seq} (an event was removed, inserted or moved)")
        expected_prev = event.hash
        expected_seq = event.seq + 1 if isinstance(event.seq, int) else None
        events.append(event)
    return problems, events
