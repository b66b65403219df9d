"""The care pathways section of a timeline board's page: the top sequences of its test cohort, small cells suppressed.

Every entry of a board shares its data fingerprint (the samples and the split), so its test cohort's
pathways are the same for all; the section shows those of the best placed current entry that
carries them. What it shows is the entry's :class:`~medbench.records.pathways.PathwaySummary`,
whose schema already refuses a pathway of fewer than k patients: counts, shares and codes only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from medbench.leaderboard.board.ranking import Ranking
from medbench.records.pathways import PathwaySummary, pathway_figure, step_timing

TOP = 10


@dataclass(frozen=True)
class PathwayLine:
    pathway: str
    n_patients: int
    share: float
    timing: str


@dataclass(frozen=True)
class PathwaySection:
    summary: PathwaySummary
    entry_id: str
    lines: list[PathwayLine]
    figure_png: str


def pathway_section(ranking: Ranking) -> Optional[PathwaySection]:
    """The section for a board whose current entries carry pathways (timeline boards), else None."""
    carrying = [row for row in ranking.current if row.entry.pathways is not None]
    if not carrying:
        return None
    row = min(carrying, key=lambda r: (r.rank is None, r.rank or 0))
    summary = row.entry.pathways
    assert summary is not None
    lines = [PathwayLine(line.pathway, line.n_patients, line.share, step_timing(line)) for line in summary.rows[:TOP]]
    return PathwaySection(summary, row.entry_id, lines, pathway_figure(summary, TOP))
