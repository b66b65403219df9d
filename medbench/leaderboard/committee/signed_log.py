"""The committee's audit log: hash-chained events, each signed, and a signed head (count + last hash).

An event's `hash` is the SHA-256 of its canonical one-line JSON without `hash` and `signature`
(`prev` included, so each event commits to the whole log before it); its `signature` is the
server's Ed25519 signature of that hash. The head, signed too, is what a reader keeps: a later log
must extend it (same hash at the same position), so cutting events from the end is detected.

This module reads and checks; appending happens in the store, inside the transaction that
writes what the event records.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Optional

from medbench.io import compact_bytes, sha256_hex
from medbench.leaderboard.committee.signing import signature_holds

GENESIS = "0" * 64


@dataclass(frozen=True)
class LogEvent:
    seq: int
    time: str
    board: Optional[str]
    event: str
    entry: Optional[str]
    actor: str
    note: str
    data: dict[str, Any]
    prev: str
    hash: str
    signature: str

    def line(self) -> bytes:
        return compact_bytes(asdict(self))


def event_hash(fields: dict[str, Any]) -> str:
    return sha256_hex(compact_bytes({key: value for key, value in fields.items() if key not in ("hash", "signature")}))


def head_message(count: int, last_hash: str, public_key_sha256: str) -> bytes:
    return compact_bytes({"count": count, "hash": last_hash, "public_key": public_key_sha256})


def chain_problems(lines: list[bytes], public_key: Any, where: str = "log.jsonl") -> tuple[list[str], list[LogEvent]]:
    """Every problem of the log (unreadable, edited, re-linked, renumbered, unsigned lines) and its events."""
    problems: list[str] = []
    events: list[LogEvent] = []
    expected_prev: Optional[str] = GENESIS
    for number, line in enumerate(lines, start=1):
        at = f"{where}:{number}"
        try:
            event = LogEvent(**json.loads(line))
        except (ValueError, TypeError):
            problems.append(f"{at}: not a readable audit event (the log was edited)")
            expected_prev = None
            continue
        fields = asdict(event)
        if event_hash(fields) != event.hash:
            problems.append(f"{at}: the event's content does not match its hash (the line was edited)")
        if not signature_holds(public_key, event.hash.encode("ascii"), event.signature):
            problems.append(f"{at}: the signature does not hold (the event was not written by this server's key)")
        if expected_prev is not None and event.prev != expected_prev:
            problems.append(f"{at}: the chain is broken (an earlier event was removed, edited or reordered)")
        if event.seq != number - 1:
            problems.append(f"{at}: sequence number {event.seq}, expected {number - 1} (an event was removed, inserted or moved)")
        expected_prev = event.hash
        events.append(event)
    return problems, events


def head_problems(head: dict[str, Any], events: list[LogEvent], public_key: Any, key_sha256: str, name: str) -> list[str]:
    """What is wrong with a signed head against the log: its signature, and whether the log extends it."""
    try:
        count, last_hash, signature = int(head["count"]), str(head["hash"]), str(head["signature"])
        stated_key = str(head["public_key"])
    except (KeyError, TypeError, ValueError):
        return [f"{name}: not a signed head (count, hash, public_key, signature)"]
    problems = []
    if stated_key != key_sha256 or not signature_holds(public_key, head_message(count, last_hash, stated_key), signature):
        problems.append(f"{name}: the head's signature does not hold for this public key")
    if count > len(events):
        problems.append(f"{name}: the head counts {count} events but the log has {len(events)} (events were cut from its end)")
    elif count > 0 and events[count - 1].hash != last_hash:
        problems.append(f"{name}: event {count - 1} no longer has the head's hash (the log was rewritten)")
    elif count == 0 and last_hash != GENESIS:
        problems.append(f"{name}: an empty head must name the genesis hash")
    return problems
