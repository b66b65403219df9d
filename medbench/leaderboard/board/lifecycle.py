"""Committee review, for both stores: `submitted → reproduced → approved | rejected`, and who may act.

An entry's state is never stored in the entry (whose bytes are its identity) but replayed from
its board's audit events (:mod:`medbench.leaderboard.board.events`), so a review cannot be edited
silently: it is one more chained event. A folder board (`folder.review`) and the committee's
store (`CommitteeStore`) apply the same steps and the same refusals:

* `reproduce` (a rerun matched) moves a submitted entry to reproduced; `reproduction_failed`
  leaves it submitted, for the committee to reject or retry;
* `approve` needs a reproduced entry; `reject` is possible before or after reproduction; both are
  final and need the committee's reason;
* every step names who takes it; nobody reviews an entry of their own team, nor their own
  submission, and a board with a reviewer list (`BoardSpec.reviewers`) is reviewed by those only;
* the baseline others are compared with is a current entry the committee has not rejected, and
  never one of the chooser's own team (or their own submission);
* a reproduction's tolerance is bounded (`release.check_tolerance`), so a loose one cannot turn
  any predictions into a `reproduce` event, and a new task version is opened by the committee
  (`open_version`), never by a submission.

Ranking (`ranking.rank_entries`) reads the states from here, so an entry the committee rejected
is listed apart, never ranked, never in a tier, on every board of either store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Optional

from medbench.errors import LeaderboardError
from medbench.leaderboard.board.comparability import compare_versions, is_stale
from medbench.leaderboard.board.events import Event
from medbench.leaderboard.board.schema import BoardSpec, Entry
from medbench.records.protocol import Protocol

SUBMITTED, REPRODUCED, APPROVED, REJECTED = "submitted", "reproduced", "approved", "rejected"
DECISIONS = ("approve", "reject")

# event → (states it may follow, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "reproduce": (frozenset({SUBMITTED}), REPRODUCED),
    "reproduction_failed": (frozenset({SUBMITTED}), SUBMITTED),
    "approve": (frozenset({REPRODUCED}), APPROVED),
    "reject": (frozenset({SUBMITTED, REPRODUCED}), REJECTED),
}


class Forbidden(LeaderboardError):
    """The actor may not take this step (their role, or the entry is their own team's)."""


def review_states(events: Iterable[Event]) -> dict[str, str]:
    """The current review state of every submitted entry, replaying the events in order."""
    states: dict[str, str] = {}
    for event in events:
        if event.event == "submit":
            states[event.entry] = SUBMITTED
        elif event.event in TRANSITIONS and event.entry in states:
            states[event.entry] = TRANSITIONS[event.event][1]
    return states


def check_step(event: str, *, actor: str, note: str) -> None:
    """Refuse a step nobody signs, and a decision without the committee's reason."""
    if event not in TRANSITIONS:
        raise LeaderboardError(f"decision {event!r}: {' or '.join(DECISIONS)}")
    if not actor.strip():
        raise LeaderboardError(f"{event}: name who does it (--reviewer NAME)")
    if event in DECISIONS and not note.strip():
        raise LeaderboardError(f"{event}: give the committee's reason (--note TEXT)")


def check_reviewer(
    entry_id: str,
    *,
    actor: str,
    actor_team: Optional[str],
    entry_team: Optional[str],
    submitter: Optional[str] = None,
    reviewers: tuple[str, ...] = (),
) -> None:
    """Refuse a review by the entry's own team or submitter, or by someone not on the board's reviewer list."""
    if actor_team and entry_team and actor_team == entry_team:
        raise Forbidden(f"entry {entry_id[:12]} is from {actor!r}'s own team {entry_team!r}: another team's reviewer decides")
    if submitter is not None and actor.strip() == submitter.strip():
        raise Forbidden(f"entry {entry_id[:12]} was submitted by {actor!r}: another reviewer decides")
    if reviewers and actor not in reviewers:
        raise Forbidden(f"{actor!r} is not a reviewer of this board (its reviewers: {', '.join(reviewers)})")


def next_state(state: Optional[str], event: str, entry_id: str, unblocking: Callable[[str], str]) -> str:
    """The state `event` moves the entry to from `state`; a refusal, with `unblocking(state)`, when it may not."""
    allowed, after = TRANSITIONS[event]
    if state is None:
        raise LeaderboardError(f"entry {entry_id[:12]} has no submit event: it is not on the board")
    if state not in allowed:
        raise LeaderboardError(
            f"entry {entry_id[:12]} is {state}; {event} is possible only from {' or '.join(sorted(allowed))}: {unblocking(state)}"
        )
    return after


def check_baseline(
    spec: BoardSpec,
    entry_id: str,
    entry: Entry,
    state: Optional[str],
    *,
    chooser: str,
    chooser_team: Optional[str] = None,
    entry_team: Optional[str] = None,
) -> None:
    """Refuse a baseline that would compare nothing (a stale entry, one the committee rejected) or
    flatter its chooser (an entry of their own team, their own submission)."""
    if (chooser_team and entry_team and chooser_team == entry_team) or chooser.strip() == entry.provenance.submitter.strip():
        raise Forbidden(
            f"entry {entry_id[:12]} is {chooser!r}'s own team's: a baseline is chosen by someone whose entry it is not"
        )
    if is_stale(spec, entry):
        raise LeaderboardError(
            f"entry {entry_id[:12]} is stale (task version {entry.task_version}, the board is at {spec.task_version}): "
            f"choose a current entry (`medbench leaderboard show {spec.name}` lists them)"
        )
    if state == REJECTED:
        raise LeaderboardError(
            f"entry {entry_id[:12]} was rejected by the committee: choose another (`medbench leaderboard show {spec.name}`)"
        )


def open_version(spec: BoardSpec, protocol: Protocol, dataset_fingerprint: str) -> BoardSpec:
    """The board's spec under a newer task version the committee opens; its older entries become stale."""
    order = compare_versions(protocol.version, spec.task_version)
    if order is None or order <= 0:
        raise LeaderboardError(
            f"task version {protocol.version!r} is not newer than the board's {spec.task_version!r}: a new version must be newer"
        )
    if protocol.name != spec.task:
        raise LeaderboardError(f"task {protocol.name!r} differs from the board's task {spec.task!r}")
    return spec.model_copy(update={"protocol": protocol, "dataset_fingerprint": dataset_fingerprint, "baseline": None})
