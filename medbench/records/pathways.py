"""The care pathways of a run's test cohort as they may leave the hospital: aggregates of at least k patients.

A timeline run keeps them in its record (`pathways.json`, named by :mod:`medbench.records.record`),
and boards, bundles and reports carry them on. The schema itself enforces the small-cell rule, so
that a summary read from outside (an entry, a bundle) cannot smuggle a cell of fewer than
:data:`SMALL_CELL` patients past a reader: every pathway shown counts at least `min_patients`
subjects, and `min_patients` is never below :data:`SMALL_CELL`. Steps are event codes
(`VOCABULARY:code`), never subject ids or times.
"""

from __future__ import annotations

from typing import Optional

from pydantic import Field, model_validator

from medbench.io import Strict

# No pathway of fewer patients is shown anywhere outside the hospital (as for text terms).
SMALL_CELL = 5
ARROW = " → "
NO_STEP = "(no further step)"
MAX_STEP_CHARS = 200
MAX_PATHWAYS = 100


class PathwayRow(Strict):
    steps: list[str] = Field(max_length=50)
    n_patients: int
    share: float = Field(ge=0.0, le=1.0)
    # Median days from the previous step (the index for the first), per step; None where no subject had it.
    median_days: list[Optional[float]]

    @property
    def pathway(self) -> str:
        return ARROW.join(self.steps) or NO_STEP


class SubgroupCell(Strict):
    level: str = Field(max_length=MAX_STEP_CHARS)
    steps: list[str] = Field(max_length=50)
    n_patients: int
    share: float = Field(ge=0.0, le=1.0)  # of the level's patients

    @property
    def pathway(self) -> str:
        return ARROW.join(self.steps) or NO_STEP


class SubgroupLevel(Strict):
    level: str = Field(max_length=MAX_STEP_CHARS)
    n_patients: int


class SubgroupPathways(Strict):
    """How the shown pathways split over the levels of one subgroup (sex, age band at the index).

    Cells under k are hidden, and so are complementary cells (:mod:`medbench.stats.suppression`),
    so that no hidden cell follows from the pathway's total and the level's size by subtraction;
    levels of fewer than k patients are not shown at all."""

    subgroup: str = Field(max_length=MAX_STEP_CHARS)
    # The levels of at least k patients, in their natural order (a list: canonical JSON sorts a map's keys).
    levels: list[SubgroupLevel] = Field(max_length=50)
    cells: list[SubgroupCell] = Field(max_length=MAX_PATHWAYS * 20)
    hidden_cells: int = Field(ge=0)


class PathwaySummary(Strict):
    """The most frequent pathways after the index event, how many were suppressed, and their split by subgroup."""

    index_codes: list[str]
    step_codes: list[str]
    length: int = Field(ge=1)
    min_patients: int = Field(ge=SMALL_CELL)
    n_patients: int = Field(ge=0)
    suppressed: int = Field(ge=0)
    suppressed_patients: int = Field(ge=0)
    rows: list[PathwayRow] = Field(max_length=MAX_PATHWAYS)
    subgroups: list[SubgroupPathways] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _no_small_cell(self) -> "PathwaySummary":
        small = [row.pathway for row in self.rows if row.n_patients < self.min_patients]
        small += [cell.pathway for group in self.subgroups for cell in group.cells if cell.n_patients < self.min_patients]
        small += [level.level for group in self.subgroups for level in group.levels if level.n_patients < self.min_patients]
        if small:
            raise ValueError(f"{len(small)} pathway(s) of fewer than {self.min_patients} patients: small cells must be suppressed")
        if any(len(step) > MAX_STEP_CHARS for row in self.rows for step in row.steps):
            raise ValueError(f"a pathway step longer than {MAX_STEP_CHARS} characters is not an event code")
        return self


def pathway_figure(summary: PathwaySummary, top: int = 10) -> str:
    """An icicle chart (a sunburst unrolled) of the `top` pathways as a base64 PNG (:mod:`medbench.plots`).

    One column per step, one box per pathway prefix, its height the share of patients; only the
    summary's pathways (each of at least `min_patients` subjects) are drawn, so the figure carries
    no small cell either."""
    from matplotlib import colormaps

    from medbench.plots import figure, png

    fig, axes = figure()
    fig.set_size_inches(3 + 2.5 * summary.length, 5)
    rows = summary.rows[:top]
    # Every prefix of a shown pathway with its patients, under its parent, in order of first appearance.
    children: dict[tuple[str, ...], dict[tuple[str, ...], int]] = {}
    for row in rows:
        for depth in range(len(row.steps)):
            prefix = tuple(row.steps[: depth + 1])
            siblings = children.setdefault(prefix[:-1], {})
            siblings[prefix] = siblings.get(prefix, 0) + row.n_patients
    colours: dict[str, tuple] = {}
    palette = colormaps["tab20"]
    total = max(summary.n_patients, 1)

    def draw(parent: tuple[str, ...], bottom: float) -> float:
        """Draw the children of `parent` from `bottom` up, each within its parent's span; return the top."""
        for prefix, n in children.get(parent, {}).items():
            code, height = prefix[-1], n / total
            axes.bar(len(parent), height, bottom=bottom, width=0.95, color=colours.setdefault(code, palette(len(colours) % 20)), edgecolor="white")
            if height > 0.03:
                axes.text(len(parent), bottom + height / 2, f"{code}\n{n}", ha="center", va="center", fontsize=7)
            draw(prefix, bottom)
            bottom += height
        return bottom

    top_of_steps = draw((), 0.0)
    no_step = sum(row.n_patients for row in rows if not row.steps)
    if no_step:
        axes.bar(0, no_step / total, bottom=top_of_steps, width=0.95, color="#d9d9d9", edgecolor="white")
        axes.text(0, top_of_steps + no_step / total / 2, f"{NO_STEP}\n{no_step}", ha="center", va="center", fontsize=7)
    axes.set(xticks=range(summary.length), xticklabels=[f"step {k + 1}" for k in range(summary.length)], ylabel="share of patients", ylim=(0, 1))
    axes.set_title(f"Top pathways of {summary.n_patients} patients (cells < {summary.min_patients} suppressed)", fontsize=9)
    return png(fig)


def step_timing(row: PathwayRow) -> str:
    """The median days between steps in words (`12 d → 40 d`), or a dash."""
    return ARROW.join(f"{d:.0f} d" for d in row.median_days if d is not None) or "–"
