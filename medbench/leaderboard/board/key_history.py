"""A signed log's keys over time: its first key, then each key that a `key_rotated` event introduced.

Rotating appends one `key_rotated` event whose data holds the new key (`public_key`, PEM), its
`fingerprint` and the `previous_fingerprint`, signed by the key in force; every later event, and
every later head, is signed by the new key. A reader who trusts any key of the history can follow
it: each event must hold under the key in force at its place, and a rotation counts only when that
key signed it, so a key that introduces itself, or is introduced by a key nobody trusted, is
refused. Both stores' logs use it (`committee.signed_log`, `folder.signing`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Iterable, Optional

from medbench.errors import LeaderboardError
from medbench.leaderboard.board.events import Event
from medbench.leaderboard.board.signing import fingerprint, load_public_key, signature_holds

KEY_ROTATED = "key_rotated"


@dataclass(frozen=True)
class KeyPeriod:
    """One signing key of a log, and from which event on it signs."""

    fingerprint: str
    public_key: str  # PEM
    since_event: int  # the seq of the first event it signs (its rotation's seq + 1; 0 for the log's first key)
    rotated_at: Optional[str] = None  # when the rotation that introduced it was logged (None: the first key)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def first_period(public_key_pem: str) -> KeyPeriod:
    return KeyPeriod(fingerprint(public_key_pem), public_key_pem, 0)


def rotation_data(new_public_pem: str, previous_public_pem: str) -> dict[str, str]:
    """The data of the `key_rotated` event that hands the log from `previous` to `new`."""
    return {
        "public_key": new_public_pem, "fingerprint": fingerprint(new_public_pem),
        "previous_fingerprint": fingerprint(previous_public_pem),
    }


def history_of(first_public_pem: str, events: Iterable[Event]) -> list[KeyPeriod]:
    """The keys of a log its own store wrote (trusted, so not checked again): the first, then each rotation's."""
    history = [first_period(first_public_pem)]
    for event in events:
        if event.event == KEY_ROTATED:
            history.append(_period(event))
    return history


def key_at(history: list[KeyPeriod], count: int) -> KeyPeriod:
    """The key that signs event number `count`, and so a head of `count` events."""
    return [period for period in history if period.since_event <= count][-1]


def history_lines(history: list[KeyPeriod]) -> list[str]:
    """The history as `admin key show` prints it, oldest first."""
    lines = []
    for number, period in enumerate(history, start=1):
        since = "the log's first key" if period.rotated_at is None else f"signs from event {period.since_event} on, rotated in at {period.rotated_at}"
        current = " (current)" if number == len(history) else ""
        lines.append(f"  {number}. {period.fingerprint}  {since}{current}")
    return lines


class KeyChain:
    """Checks a log's events in order against the key in force, following each rotation that holds."""

    def __init__(self, first_public_pem: str) -> None:
        self.history = [first_period(first_public_pem)]
        self._key = load_public_key(first_public_pem)
        self.refused = False  # a forged rotation was met: nothing after it is trusted (and not reported again)

    def check(self, event: Event) -> Optional[str]:
        """What is wrong with `event`'s signature (None when it holds); a valid rotation moves on to its key."""
        if self.refused:
            return None
        current = self.history[-1].fingerprint
        holds = event.signature is not None and signature_holds(self._key, event.hash.encode("ascii"), event.signature)
        if event.event != KEY_ROTATED:
            return None if holds else f"the signature does not hold (the event was not signed by the log's key in force, {current})"
        try:
            period = _period(event)
        except LeaderboardError as error:
            self.refused = True
            return f"{error}; refused, and no later event is trusted"
        if holds and event.data.get("previous_fingerprint") != current:
            self.refused = True
            return f"a key_rotated event naming {event.data.get('previous_fingerprint')} as the previous key, not the key in force ({current}); refused, and no later event is trusted"
        if not holds:
            self.refused = True
            new_key = load_public_key(period.public_key)
            by_itself = event.signature is not None and signature_holds(new_key, event.hash.encode("ascii"), event.signature)
            signer = "signed by that key itself" if by_itself else "not signed by it"
            return (
                f"a forged key rotation: it introduces key {period.fingerprint}, {signer}, but only the key in force "
                f"({current}) can hand the log on; refused, and no later event is trusted"
            )
        self.history.append(period)
        self._key = load_public_key(period.public_key)
        return None


def _period(event: Event) -> KeyPeriod:
    """The key a `key_rotated` event introduces; its data must name a valid Ed25519 key and that key's fingerprint."""
    public = event.data.get("public_key")
    invalid = LeaderboardError("a key_rotated event without a valid new key (public_key, fingerprint, previous_fingerprint)")
    if not isinstance(public, str) or event.data.get("fingerprint") != fingerprint(public):
        raise invalid
    try:
        load_public_key(public)
    except (LeaderboardError, UnicodeError):
        raise invalid from None
    return KeyPeriod(fingerprint(public), public, event.seq + 1, event.time)
