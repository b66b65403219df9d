"""From MEDS events and a declared task (:mod:`medbench.tasks.timeline_spec`) to samples and labels, in polars.

A sample is (subject, prediction time); its label comes from events strictly after the prediction
time only, its inputs (:mod:`medbench.data.timeline.features`) from events strictly before it.
Events at the prediction time itself are in neither.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from medbench.data.timeline.meds import BIRTH, CODE, DEATH, SUBJECT, TIME
from medbench.errors import ConfigError, DataError
from medbench.io import validation_problems
from medbench.tasks.timeline_spec import TimelineTask

PREDICTION_TIME = "prediction_time"
DAY_US = 86_400 * 1_000_000


def timeline_task(cohort: Mapping[str, Any]) -> TimelineTask:
    """The typed cohort of `task.data.cohort`; ConfigError naming the keys otherwise."""
    from omegaconf import DictConfig, OmegaConf
    from pydantic import ValidationError

    plain = OmegaConf.to_container(cohort, resolve=True) if isinstance(cohort, DictConfig) else cohort
    try:
        return TimelineTask.model_validate(plain)
    except ValidationError as error:
        raise ConfigError(validation_problems(error, prefix="task.data.cohort.")) from None


def matches(codes: Sequence[str]) -> pl.Expr:
    """Whether `code` is one of `codes`; an entry ending in `*` matches every code with that prefix."""
    exact = [code for code in codes if not code.endswith("*")]
    expression = pl.col(CODE).is_in(exact)
    for prefix in (code[:-1] for code in codes if code.endswith("*")):
        expression = expression | pl.col(CODE).str.starts_with(prefix)
    return expression


def days_between(start: str, end: str) -> pl.Expr:
    """(end - start) in days, as a float."""
    return (pl.col(end) - pl.col(start)).dt.total_microseconds().cast(pl.Float64) / DAY_US


def _after(samples: pl.DataFrame, events: pl.DataFrame, codes: Sequence[str]) -> pl.DataFrame:
    """Events of `codes` strictly after each sample's prediction time: sample_index, time, code, days (after it)."""
    chosen = events.filter(matches(codes) & pl.col(TIME).is_not_null()).select(SUBJECT, TIME, CODE)
    return (
        samples.select("sample_index", SUBJECT, PREDICTION_TIME)
        .join(chosen, on=SUBJECT)
        .filter(pl.col(TIME) > pl.col(PREDICTION_TIME))
        .with_columns(days_between(PREDICTION_TIME, TIME).alias("days"))
    )


def extract_samples(events: pl.DataFrame, task: TimelineTask) -> pl.DataFrame:
    """One row per sample: subject_id, prediction_time and the label columns of the task's label type.

    binary: `label` (0/1); next_code: `next_code`; time_to_event: `duration` (days), `event` (0/1).
    Rows are sorted by subject and prediction time.
    """
    trigger = task.trigger
    dated = events.filter(pl.col(TIME).is_not_null())
    triggers = dated.filter(matches(trigger.codes)).select(SUBJECT, TIME)
    if trigger.occurrence == "first":
        triggers = triggers.group_by(SUBJECT).agg(pl.col(TIME).min())
    offset = pl.duration(microseconds=round(trigger.offset_days * DAY_US))
    samples = triggers.select(SUBJECT, (pl.col(TIME) + offset).alias(PREDICTION_TIME)).unique().sort([SUBJECT, PREDICTION_TIME])
    spans = dated.group_by(SUBJECT).agg(pl.col(TIME).min().alias("_first"), pl.col(TIME).max().alias("_last"))
    deaths = dated.filter(pl.col(CODE) == DEATH).group_by(SUBJECT).agg(pl.col(TIME).min().alias("_death"))
    births = dated.filter(pl.col(CODE) == BIRTH).group_by(SUBJECT).agg(pl.col(TIME).min().alias("_birth"))
    samples = samples.join(spans, on=SUBJECT).join(deaths, on=SUBJECT, how="left").join(births, on=SUBJECT, how="left")
    samples = samples.filter(
        (pl.col("_death").is_null() | (pl.col("_death") > pl.col(PREDICTION_TIME)))
        & (pl.col(PREDICTION_TIME) <= pl.col("_last"))
        & (days_between("_first", PREDICTION_TIME) >= trigger.min_history_days)
    )
    if trigger.min_age_years is not None:
        samples = samples.filter(days_between("_birth", PREDICTION_TIME) >= trigger.min_age_years * 365.25)
    samples = samples.with_row_index("sample_index")
    for exclusion in task.exclude:
        seen = (
            samples.select("sample_index", SUBJECT, PREDICTION_TIME)
            .join(dated.filter(matches(exclusion.codes)).select(SUBJECT, TIME), on=SUBJECT)
            .with_columns(days_between(PREDICTION_TIME, TIME).alias("days"))
            .filter((pl.col("days") <= exclusion.end_days) & ((pl.col("days") > exclusion.start_days) if exclusion.start_days is not None else True))
        )
        samples = samples.join(seen.select("sample_index").unique(), on="sample_index", how="anti")
    labelled = _label(samples, events, task)
    if labelled.height == 0:
        raise DataError(f"the timeline task selects no sample: no event matches trigger {list(trigger.codes)} with the label's follow-up")
    return labelled.sort([SUBJECT, PREDICTION_TIME]).select(SUBJECT, PREDICTION_TIME, *[c for c in labelled.columns if c in ("label", "next_code", "duration", "event")])


def _label(samples: pl.DataFrame, events: pl.DataFrame, task: TimelineTask) -> pl.DataFrame:
    label = task.label
    later = _after(samples, events, label.codes)
    follow_up = days_between(PREDICTION_TIME, "_last")
    if label.type == "binary":
        positive = later.filter(pl.col("days") <= label.window_days).select("sample_index").unique().with_columns(pl.lit(1).alias("label"))
        frame = samples.join(positive, on="sample_index", how="left").with_columns(pl.col("label").fill_null(0))
        # A negative is known only when the record covers the whole window.
        return frame.filter((pl.col("label") == 1) | (follow_up >= label.window_days))
    if label.type == "next_code":
        first = (
            later.filter(pl.col("days") <= label.window_days)
            .sort(["sample_index", TIME, CODE])
            .group_by("sample_index")
            .agg(pl.col(CODE).first().alias("next_code"))
        )
        return samples.join(first, on="sample_index")
    first = later.group_by("sample_index").agg(pl.col("days").min().alias("_to_event"))
    frame = samples.join(first, on="sample_index", how="left").with_columns(follow_up.alias("_follow_up"))
    cap = float("inf") if label.window_days is None else label.window_days
    event = pl.col("_to_event").is_not_null() & (pl.col("_to_event") <= cap)
    duration = pl.when(event).then(pl.col("_to_event")).otherwise(pl.min_horizontal(pl.col("_follow_up"), pl.lit(cap)))
    return frame.with_columns(duration.alias("duration"), event.cast(pl.Int64).alias("event")).filter(pl.col("duration") > 0)
