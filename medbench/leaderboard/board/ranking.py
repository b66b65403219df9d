"""Order a board of either store: current entries by the primary metric (respecting its direction); rejected and stale apart.

Each ranked entry carries its rank (ties share one), its difference from the board's chosen
baseline on the primary metric, its review state and, when computed (`tiers`), its tier. Entries
the committee rejected, and entries made under an older task version, are listed apart and never
ranked: a rank would read as a standing the committee did not grant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional

from medbench.leaderboard.board.comparability import is_stale
from medbench.leaderboard.board.events import Event
from medbench.leaderboard.board.lifecycle import REJECTED, review_states
from medbench.leaderboard.board.schema import BoardSpec, Entry
from medbench.leaderboard.board.tiers import BaselineTest, PairTest, Tiers
from medbench.records.record import MetricValue


@dataclass(frozen=True)
class Row:
    entry_id: str
    entry: Entry
    state: str
    stale: bool
    is_baseline: bool
    rank: Optional[int] = None
    delta: Optional[float] = None
    tier: Optional[int] = None
    versus_baseline: Optional[BaselineTest] = None


@dataclass(frozen=True)
class Ranking:
    spec: BoardSpec
    current: list[Row]
    stale: list[Row]
    history: dict[str, list[Event]]
    tiers_note: str
    rejected: list[Row] = field(default_factory=list)
    pairs: dict[str, dict[str, PairTest]] = field(default_factory=dict)


def rank_entries(
    spec: BoardSpec,
    entries: dict[str, Entry],
    events: Sequence[Event],
    tiers: Optional[Tiers] = None,
) -> Ranking:
    """Rank a board of either store: its spec, its entries and its audit events (review state is replayed from them)."""
    states = review_states(events)
    history: dict[str, list[Event]] = {}
    for event in events:
        if event.entry is not None:
            history.setdefault(event.entry, []).append(event)
    loss = spec.protocol.primary_loss()
    values = {entry_id: _headline(entry, spec).value for entry_id, entry in entries.items()}
    losses = {entry_id: loss(value) for entry_id, value in values.items()}
    order = sorted(entries, key=lambda entry_id: (losses[entry_id], entry_id))
    baseline = entries.get(spec.baseline) if spec.baseline else None
    if baseline is not None and (is_stale(spec, baseline) or states.get(spec.baseline) == REJECTED):
        baseline = None  # a baseline the committee has since rejected compares nothing
    baseline_value = baseline.metrics[spec.primary].value if baseline is not None else None
    current: list[Row] = []
    stale: list[Row] = []
    rejected: list[Row] = []
    previous_loss, rank = None, 0
    for entry_id in order:
        entry = entries[entry_id]
        common = dict(entry_id=entry_id, entry=entry, state=states.get(entry_id, "unknown"), is_baseline=baseline is not None and entry_id == spec.baseline)
        if is_stale(spec, entry):
            stale.append(Row(stale=True, **common))
            continue
        if common["state"] == REJECTED:
            rejected.append(Row(stale=False, **common))
            continue
        value = values[entry_id]
        if losses[entry_id] != previous_loss:  # equally good values share a rank (0.88 and 0.92 for a target of 0.9)
            rank, previous_loss = len(current) + 1, losses[entry_id]
        delta = value - baseline_value if baseline_value is not None else None
        current.append(
            Row(
                stale=False,
                rank=rank,
                delta=delta,
                tier=tiers.tiers.get(entry_id) if tiers else None,
                versus_baseline=tiers.versus_baseline.get(entry_id) if tiers else None,
                **common,
            )
        )
    return Ranking(
        spec=spec,
        current=current,
        stale=stale,
        history=history,
        tiers_note=tiers.note if tiers else "",
        rejected=rejected,
        pairs=tiers.pairs if tiers else {},
    )


def _headline(entry: Entry, spec: BoardSpec) -> MetricValue:
    """The board's primary metric of the entry; a stale entry may only have its own primary one."""
    metric = entry.metrics.get(spec.primary)
    return metric if metric is not None else entry.primary_value()


def ranked_ids(spec: BoardSpec, entries: dict[str, Entry], events: Sequence[Event]) -> list[str]:
    """The entries tiers are computed over, in rank order: current and not rejected (`lifecycle`)."""
    return [row.entry_id for row in rank_entries(spec, entries, events).current]
