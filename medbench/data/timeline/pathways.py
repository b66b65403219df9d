"""Care pathways: for a cohort's index event, the most frequent sequences of the next treatments or conditions.

In the manner of OHDSI's treatment pathways: each subject's index is their first event of the
index codes; the steps are the later events of the step codes (from the index time on), with
repeats of the same code in a row collapsed (refills), cut after `length` steps. Pathways are
counted by subject, with the median days between steps, overall and per subgroup (sex, age band
at the index). Any pathway, or subgroup cell, of fewer than `min_patients` subjects is suppressed:
it is counted only in the `suppressed` totals, so the result holds aggregates of at least
`min_patients` patients and nothing else (what may leave the hospital).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

import polars as pl

from medbench.data.timeline.cohort import DAY_US, PREDICTION_TIME, matches
from medbench.data.timeline.meds import CODE, SUBJECT, TIME
from medbench.errors import DataError
from medbench.records.pathways import ARROW, NO_STEP, SMALL_CELL, PathwayRow, PathwaySummary
SUBGROUPS = ("sex", "age_band")


@dataclass(frozen=True)
class Pathways:
    """Pathways shown (each of at least `min_patients` subjects), most frequent first, and what was suppressed."""

    # pathway (steps joined by ARROW), steps (list), n_patients, share, median_days (per step, from the previous one)
    table: pl.DataFrame
    # subgroup, pathway, n_patients, share (of the subgroup): cells of at least `min_patients` only
    by_subgroup: Optional[pl.DataFrame]
    subgroup: Optional[str]
    n_patients: int
    suppressed: int  # pathways hidden
    suppressed_patients: int
    min_patients: int
    length: int
    index_codes: tuple[str, ...] = ()
    step_codes: tuple[str, ...] = ()

    def summary(self, top: int = 20) -> PathwaySummary:
        """The `top` pathways as they may be shared (a record, a board, a report); refused under k = SMALL_CELL."""
        if self.min_patients < SMALL_CELL:
            raise DataError(f"pathways to draw or share need min_patients >= {SMALL_CELL}, not {self.min_patients}")
        rows = [
            PathwayRow(steps=steps, n_patients=n, share=share, median_days=days)
            for steps, n, share, days in self.table.head(top).select("steps", "n_patients", "share", "median_days").iter_rows()
        ]
        return PathwaySummary(
            index_codes=list(self.index_codes), step_codes=list(self.step_codes), length=self.length,
            min_patients=self.min_patients, n_patients=self.n_patients, suppressed=self.suppressed,
            suppressed_patients=self.suppressed_patients, rows=rows,
        )


def pathways(
    events: pl.DataFrame,
    index_codes: Sequence[str],
    step_codes: Sequence[str],
    *,
    length: int = 3,
    min_patients: int = 5,
    subgroup: Optional[str] = None,
) -> Pathways:
    if length < 1 or min_patients < 1:
        raise DataError(f"pathways need length >= 1 and min_patients >= 1, not {length} and {min_patients}")
    if subgroup is not None and subgroup not in SUBGROUPS:
        raise DataError(f"pathway subgroup must be one of {SUBGROUPS}, not {subgroup!r}")
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
    by_subgroup = None
    if subgroup is not None:
        by_subgroup = _by_subgroup(events, per_subject, subgroup, min_patients)
    return Pathways(
        table=table.select("pathway", "steps", "n_patients", "share", "median_days"),
        by_subgroup=by_subgroup,
        subgroup=subgroup,
        n_patients=index.height,
        suppressed=hidden.height,
        suppressed_patients=int(hidden["n_patients"].sum()),
        min_patients=min_patients,
        length=length,
        index_codes=tuple(index_codes),
        step_codes=tuple(step_codes),
    )


def _by_subgroup(events: pl.DataFrame, per_subject: pl.DataFrame, subgroup: str, min_patients: int) -> pl.DataFrame:
    """Pathway shares within each level of `subgroup` (at the index time); cells under `min_patients` left out."""
    from medbench.data.timeline.features import history, subgroups

    samples = per_subject.select(SUBJECT, pl.col("_index").alias(PREDICTION_TIME)).with_row_index("sample_index")
    levels = subgroups(history(events, samples), samples.height)[subgroup]
    frame = samples.with_columns(pl.Series(subgroup, levels)).join(per_subject.select(SUBJECT, "pathway"), on=SUBJECT)
    sizes = frame.group_by(subgroup).agg(pl.len().alias("_size"))
    cells = frame.group_by([subgroup, "pathway"]).agg(pl.len().alias("n_patients")).join(sizes, on=subgroup)
    return (
        cells.filter(pl.col("n_patients") >= min_patients)
        .with_columns((pl.col("n_patients") / pl.col("_size")).alias("share"))
        .select(pl.col(subgroup).alias("subgroup"), "pathway", "n_patients", "share")
        .sort(["subgroup", "n_patients", "pathway"], descending=[False, True, False])
    )
