"""The committee's audit log: hash-chained events, each signed, and a signed head (count + last hash).

Events and their hash are the board's (:mod:`medbench.leaderboard.board.events`); here each event
also names its board and carries the server's Ed25519 signature of its hash. The head, signed too (an export's also
covering the digest of its site's files), is what a reader keeps: a later log
must extend it (same hash at the same position), so cutting events from the end is detected.

The log may change its key: a `key_rotated` event, signed by the old key, introduces the next
one (`board.key_history`); the events after it, and the heads, are signed by the new key. A reader
checks the whole log from its first key on, and may trust any key of that history.

This module reads and checks; appending happens in the store, inside the transaction that
writes what the event records.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Optional

from medbench.io import compact_bytes
from medbench.leaderboard.board import events as board_events
from medbench.leaderboard.board.events import GENESIS, Event
from medbench.leaderboard.board.key_history import KeyChain, KeyPeriod, key_at
from medbench.leaderboard.board.signing import load_public_key, signature_holds


def event_line(event: Event) -> bytes:
    """The event as the export's `log.jsonl` holds it: every field, `board` and `signature` included."""
    return compact_bytes(asdict(event))


def head_message(count: int, last_hash: str, public_key_sha256: str, site_sha256: Optional[str] = None) -> bytes:
    """What a head's signature covers; an export's head also covers its site's files (`site_sha256`)."""
    fields: dict[str, Any] = {"count": count, "hash": last_hash, "public_key": public_key_sha256}
    if site_sha256 is not None:
        fields["site_sha256"] = site_sha256
    return compact_bytes(fields)


def chain_problems(lines: list[bytes], first_key_pem: str, where: str = "log.jsonl") -> tuple[list[str], list[Event], KeyChain]:
    """Every problem of the log (unreadable, edited, re-linked, renumbered, unsigned lines, forged key
    rotations), its events, and its keys: the history its valid rotations make from `first_key_pem` on."""
    keys = KeyChain(first_key_pem)
    problems, events = board_events.chain_problems(lines, where, keys.check)
    return problems, events, keys


def head_problems(head: dict[str, Any], events: list[Event], history: list[KeyPeriod], name: str) -> list[str]:
    """What is wrong with a signed head against the log: its signature (by the key in force after its
    last event), and whether the log extends it."""
    try:
        count, last_hash, signature = int(head["count"]), str(head["hash"]), str(head["signature"])
        stated_key = str(head["public_key"])
        site = None if head.get("site_sha256") is None else str(head["site_sha256"])
    except (KeyError, TypeError, ValueError):
        return [f"{name}: not a signed head (count, hash, public_key, signature)"]
    problems = []
    signer = key_at(history, count)
    if stated_key != signer.fingerprint or not signature_holds(
        load_public_key(signer.public_key), head_message(count, last_hash, stated_key, site), signature
    ):
        problems.append(f"{name}: the head's signature does not hold for the key in force after its {count} events ({signer.fingerprint})")
    if count > len(events):
        problems.append(f"{name}: the head counts {count} events but the log has {len(events)} (events were cut from its end)")
    elif count > 0 and events[count - 1].hash != last_hash:
        problems.append(f"{name}: event {count - 1} no longer has the head's hash (the log was rewritten)")
    elif count == 0 and last_hash != GENESIS:
        problems.append(f"{name}: an empty head must name the genesis hash")
    return problems
