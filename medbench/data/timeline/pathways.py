"""Care pathways: for a cohort's index event, the most frequent sequences of the next treatments or conditions.

In the manner of OHDSI's treatment pathways: each subject's index is their first event of the
index codes; the steps are the later events of the step codes (from the index time on), with
repeats of the same code in a row collapsed (refills), cut after `length` steps. Pathways are
counted by subject, with the median days between steps, overall and per subgroup (sex, age band
at the index). Any pathway of fewer than `min_patients` subjects is suppressed: it is counted only
in the `suppressed` totals; a subgroup cell of fewer, and any cell that subtraction would recover
from the totals, is hidden. What the summary holds is aggregates of at least `min_patients`
patients and nothing else (what may leave the hospital).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

import numpy as np
import polars as pl

from medbench.data.timeline.cohort import DAY_US, PREDICTION_TIME, matches
from medbench.data.timeline.meds import CODE, SUBJECT, TIME
from medbench.errors import DataError
from medbench.records.pathways import ARROW, NO_STEP, SMALL_CELL, PathwayRow, PathwaySummary, SubgroupCell, SubgroupLevel, SubgroupPathways

SUBGROUPS = ("sex", "age_band")


@dataclass(frozen=True)
class Pathways:
    """Pathways shown (each of at least `min_patients` subjects), most frequent first, and what was suppressed."""

    # pathway (steps joined by ARROW), steps (list), n_patients, share, median_days (per step, from the previous one)
    table: pl.DataFrame
    n_patients: int
    suppressed: int  # pathways hidden
    suppressed_patients: int
    min_patients: int
    length: int
    index_codes: tuple[str, ...] = ()
    step_codes: tuple[str, ...] = ()
    # One row per subject: its pathway and its level of each subgroup. Inside the hospital only:
    # what leaves it is `summary`'s cells, suppressed.
    members: Optional[pl.DataFrame] = None
    subgroups: tuple[str, ...] = ()

    def summary(self, top: int = 20) -> PathwaySummary:
        """The `top` pathways as they may be shared (a record, a board, a report); refused under k = SMALL_CELL."""
        if self.min_patients < SMALL_CELL:
            raise DataError(f"pathways to draw or share need min_patients >= {SMALL_CELL}, not {self.min_patients}")
        shown = self.table.head(top)
        rows = [
            PathwayRow(steps=steps, n_patients=n, share=share, median_days=days)
            for steps, n, share, days in shown.select("steps", "n_patients", "share", "median_days").iter_rows()
        ]
        return PathwaySummary(
            index_codes=list(self.index_codes), step_codes=list(self.step_codes), length=self.length,
            min_patients=self.min_patients, n_patients=self.n_patients, suppressed=self.suppressed,
            suppressed_patients=self.suppressed_patients, rows=rows,
            subgroups=[self._by_subgroup(subgroup, shown) for subgroup in self.subgroups],
        )

    def _by_subgroup(self, subgroup: str, shown: pl.DataFrame) -> SubgroupPathways:
        """The split of the `shown` pathways over `subgroup`'s levels, with every other patient in a rest row
        (published as a total only), small and complementary cells hidden."""
        from medbench.stats.suppression import suppressed_cells

        assert self.members is not None
        from medbench.data.timeline.features import AGE_BANDS

        order = {name: k for k, (_, _, name) in enumerate(AGE_BANDS)}
        levels = sorted(self.members[subgroup].unique().to_list(), key=lambda level: (order.get(level, len(order)), level))
        pathways = shown["pathway"].to_list()
        counted = self.members.group_by("pathway", subgroup).agg(pl.len().alias("n"))
        counts = np.zeros((len(pathways) + 1, len(levels)), dtype=np.int64)
        row_of, column_of = {p: i for i, p in enumerate(pathways)}, {level: j for j, level in enumerate(levels)}
        for pathway, level, n in counted.iter_rows():
            counts[row_of.get(pathway, len(pathways)), column_of[level]] += n
        sizes = counts.sum(axis=0)
        hidden = suppressed_cells(counts, self.min_patients, rest_row=True, hidden_columns=sizes < self.min_patients)
        steps = shown["steps"].to_list()
        cells = [
            SubgroupCell(level=str(levels[j]), steps=steps[i], n_patients=int(counts[i, j]), share=float(counts[i, j] / sizes[j]))
            for i in range(len(pathways)) for j in range(len(levels)) if counts[i, j] > 0 and not hidden[i, j]
        ]
        return SubgroupPathways(
            subgroup=subgroup,
            levels=[SubgroupLevel(level=str(level), n_patients=int(n)) for level, n in zip(levels, sizes) if n >= self.min_patients],
            cells=cells,
            hidden_cells=int((hidden[: len(pathways)] & (counts[: len(pathways)] > 0)).sum()),
        )


def pathways(
    events: pl.DataFrame,
    index_codes: Sequence[str],
    step_codes: Sequence[str],
    *,
    length: int = 3,
    min_patients: int = 5,
    subgroups: Sequence[str] = SUBGROUPS,
) -> Pathways:
    if length < 1 or min_patients < 1:
        raise DataError(f"pathways need length >= 1 and min_patients >= 1, not {length} and {min_patients}")
    unknown = [subgroup for subgroup in subgroups if subgroup not in SUBGROUPS]
    if unknown:
        raise DataError(f"pathway subgroups must be among {SUBGROUPS}, not {unknown}")
    index = events.filter(matches(index_codes) & pl.col(TIME).is_not_null()).group_by(SUBJECT).agg(pl.col(TIME).min().alias("_index"))
    if index.height == 0:
        raise DataError(f"no subject has an index event {list(index_codes)}")
    steps = (
        events.filter(matches(step_codes) & ~matches(index_codes))
        .join(index, on=SUBJECT)
        .filter(pl.col(TIME) >= pl.col("_index"))
        .sort([SUBJECT, TIME, CODE])
        .filter((pl.col(CODE) != pl.col(CODE).shift(1).over(SUBJECT)).fill_null(True))
        .with_columns(
            pl.int_range(pl.len()).over(SUBJECT).alias("_step"),
            ((pl.col(TIME) - pl.col(TIME).shift(1).over(SUBJECT).fill_null(pl.col("_index"))).dt.total_microseconds() / DAY_US).alias("_days"),
        )
        .filter(pl.col("_step") < length)
    )
    per_subject = index.join(
        steps.group_by(SUBJECT).agg(pl.col(CODE).alias("steps"), pl.col("_days").alias("days")), on=SUBJECT, how="left"
    ).with_columns(
        pl.col("steps").fill_null([]),
        pl.col("steps").list.join(ARROW).replace("", NO_STEP).fill_null(NO_STEP).alias("pathway"),
    )
    counted = (
        per_subject.group_by("pathway")
        .agg(
            pl.col("steps").first(),
            pl.len().alias("n_patients"),
            *[pl.col("days").list.get(k, null_on_oob=True).median().alias(f"_median_{k}") for k in range(length)],
        )
        .with_columns(pl.concat_list([f"_median_{k}" for k in range(length)]).alias("median_days"))
        .drop([f"_median_{k}" for k in range(length)])
    )
    shown = counted.filter(pl.col("n_patients") >= min_patients).sort(["n_patients", "pathway"], descending=[True, False])
    hidden = counted.filter(pl.col("n_patients") < min_patients)
    table = shown.with_columns((pl.col("n_patients") / index.height).alias("share"))
    return Pathways(
        table=table.select("pathway", "steps", "n_patients", "share", "median_days"),
        members=_members(events, per_subject, tuple(subgroups)) if subgroups else None,
        subgroups=tuple(subgroups),
        n_patients=index.height,
        suppressed=hidden.height,
        suppressed_patients=int(hidden["n_patients"].sum()),
        min_patients=min_patients,
        length=length,
        index_codes=tuple(index_codes),
        step_codes=tuple(step_codes),
    )


def _members(events: pl.DataFrame, per_subject: pl.DataFrame, subgroups: tuple[str, ...]) -> pl.DataFrame:
    """Each subject's pathway and level of each subgroup (at the index time: from events before it)."""
    from medbench.data.timeline.features import history, subgroups as subgroups_of

    samples = per_subject.select(SUBJECT, pl.col("_index").alias(PREDICTION_TIME)).with_row_index("sample_index")
    levels = subgroups_of(history(events, samples), samples.height)
    return samples.with_columns([pl.Series(subgroup, levels[subgroup]) for subgroup in subgroups]).join(
        per_subject.select(SUBJECT, "pathway"), on=SUBJECT
    ).select("pathway", *subgroups)
