"""The care pathways of a timeline board: the top sequences of its test cohort, small cells suppressed.

Every entry of a board shares its data fingerprint (the samples and the split), so its test
cohort's pathways are the same for all. A committee board keeps those of the hospital's own record
in its spec (set at `board create`: the cohort is the hidden one); a folder board shows those of
its best placed current entry that carries them, named on the page. What is shown is a
:class:`~medbench.records.pathways.PathwaySummary`, whose schema already refuses a cell of fewer
than k patients: counts, shares and codes only. The same section renders on a board's page and
as the standalone page `medbench timeline pathways` writes, and the same rows go to the CSV.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Optional

from medbench.leaderboard.board.ranking import Ranking
from medbench.leaderboard.views.templating import defused, environment
from medbench.records.pathways import PathwaySummary, pathway_figure, step_timing

TOP = 10
CSV_COLUMNS = ["subgroup", "level", "pathway", "n_patients", "share", "median_days_between_steps"]


@dataclass(frozen=True)
class PathwayLine:
    pathway: str
    n_patients: int
    share: float
    timing: str


@dataclass(frozen=True)
class SubgroupTable:
    """One subgroup's split, pathways by levels: a cell is (patients, share of the level), or None where hidden."""

    subgroup: str
    levels: list[tuple[str, int]]
    rows: list[tuple[str, list[Optional[tuple[int, float]]]]]
    hidden_cells: int


@dataclass(frozen=True)
class PathwaySection:
    summary: PathwaySummary
    source: str  # where the summary came from, in words
    heading: str
    lines: list[PathwayLine]
    figure_png: str
    subgroups: list[SubgroupTable]


def section_of(summary: PathwaySummary, source: str, top: int = TOP, heading: str = "Care pathways of the test cohort") -> PathwaySection:
    lines = [PathwayLine(row.pathway, row.n_patients, row.share, step_timing(row)) for row in summary.rows[:top]]
    tables = []
    for group in summary.subgroups:
        cells = {(cell.pathway, cell.level): (cell.n_patients, cell.share) for cell in group.cells}
        rows = [(line.pathway, [cells.get((line.pathway, level.level)) for level in group.levels]) for line in lines]
        levels = [(level.level, level.n_patients) for level in group.levels]
        tables.append(SubgroupTable(group.subgroup, levels, rows, group.hidden_cells))
    return PathwaySection(summary, source, heading, lines, pathway_figure(summary, top), tables)


def board_pathways(ranking: Ranking) -> Optional[tuple[PathwaySummary, str]]:
    """The board's pathways and their source: the spec's (committee), else the best placed current entry's."""
    if ranking.spec.pathways is not None:
        return ranking.spec.pathways, "the board's hidden test cohort"
    carrying = [row for row in ranking.current if row.entry.pathways is not None]
    if not carrying:
        return None
    row = min(carrying, key=lambda r: (r.rank is None, r.rank or 0))
    assert row.entry.pathways is not None
    return row.entry.pathways, f"entry {row.entry_id[:12]}"


def pathway_section(ranking: Ranking) -> Optional[PathwaySection]:
    """The section for a board that has pathways (timeline boards), else None."""
    found = board_pathways(ranking)
    return None if found is None else section_of(*found)


def pathway_page(summary: PathwaySummary, title: str, source: str, top: int = TOP) -> str:
    """A self-contained HTML page of the section for a whole cohort (what `medbench timeline pathways` writes)."""
    section = section_of(summary, source, top, heading="Most frequent pathways")
    return environment().get_template("pathways_page.html").render(title=title, pathways=section)


def pathways_csv(summary: PathwaySummary) -> str:
    """The summary's rows as CSV: overall (`subgroup` empty), then each subgroup's shown cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in summary.rows:
        writer.writerow(["", "", defused(row.pathway), row.n_patients, f"{row.share:.6f}", step_timing(row)])
    for group in summary.subgroups:
        for cell in group.cells:
            writer.writerow([defused(group.subgroup), defused(cell.level), defused(cell.pathway), cell.n_patients, f"{cell.share:.6f}", ""])
    return buffer.getvalue()
