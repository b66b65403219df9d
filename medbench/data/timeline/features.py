"""Model inputs of timeline samples, each computed from the events strictly before the sample's prediction time.

Every path starts from :func:`history`, the one place where the future is cut off:

* window counts (MEDS-Tab's tabularization): per code and per window (the last 30 days, 365 days,
  all history), how often it occurred and the mean of its numeric values, plus age in years;
* token sequences for sequence models: the last `length` codes with the days before the
  prediction time, right-aligned;
* subgroup metadata: sex and age band at the prediction time.

The vocabulary (which codes become features or tokens) comes from the training samples' histories
only. All of it is joins and group-bys in polars, no loop over events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

import numpy as np
import polars as pl

from medbench.data.timeline.cohort import DAY_US, PREDICTION_TIME
from medbench.data.timeline.meds import BIRTH, CODE, SUBJECT, TIME, VALUE

AGE_BANDS = ((0, 40, "<40"), (40, 65, "40-64"), (65, 200, "65+"))
PAD, UNKNOWN = 0, 1
AGE_FEATURE = "age_years"


def history(events: pl.DataFrame, samples: pl.DataFrame) -> pl.DataFrame:
    """Each sample's past: sample_index, code, numeric_value, days (before the prediction time; null for static rows).

    `samples` has sample_index, subject_id, prediction_time. An event at the prediction time or
    later is not in it; static rows (no time) are.
    """
    joined = samples.select("sample_index", SUBJECT, PREDICTION_TIME).join(events, on=SUBJECT)
    return joined.filter(pl.col(TIME).is_null() | (pl.col(TIME) < pl.col(PREDICTION_TIME))).select(
        "sample_index",
        CODE,
        VALUE,
        TIME,
        ((pl.col(PREDICTION_TIME) - pl.col(TIME)).dt.total_microseconds().cast(pl.Float64) / DAY_US).alias("days"),
    )


def vocabulary(past: pl.DataFrame, train_samples: Sequence[int], min_samples: int, max_codes: int) -> list[str]:
    """The codes in the histories of at least `min_samples` training samples, the `max_codes` most frequent (ties by name)."""
    counts = (
        past.filter(pl.col("sample_index").is_in(list(train_samples)))
        .select("sample_index", CODE)
        .unique()
        .group_by(CODE)
        .agg(pl.len().alias("n"))
        .filter(pl.col("n") >= min_samples)
        .sort(["n", CODE], descending=[True, False])
        .head(max_codes)
    )
    return counts[CODE].to_list()


def valued_codes(past: pl.DataFrame, train_samples: Sequence[int], codes: Sequence[str]) -> list[str]:
    """The `codes` that carry a numeric value in some training sample's history (their means become features)."""
    present = set(
        past.filter(pl.col("sample_index").is_in(list(train_samples)) & pl.col(VALUE).is_not_null())[CODE].unique().to_list()
    )
    return [code for code in codes if code in present]


@dataclass(frozen=True)
class WindowCounts:
    """The tabular features of a set of samples and their names (`<code>/count/30d`, `<code>/mean/all`, `age_years`)."""

    values: np.ndarray  # (n_samples, n_features) float64; NaN where a mean has no value
    names: list[str]


def window_counts(
    past: pl.DataFrame, n_samples: int, codes: Sequence[str], valued: Sequence[str], windows_days: Sequence[Optional[float]], ages: np.ndarray
) -> WindowCounts:
    """Counts per code of `codes` and mean values per code of `valued`, per window, scattered into a dense matrix."""
    index = pl.DataFrame({CODE: list(codes), "_code_index": np.arange(len(codes), dtype=np.int64)})
    value_columns = np.full(len(codes), -1)
    value_columns[[list(codes).index(code) for code in valued]] = np.arange(len(valued))
    known = past.join(index, on=CODE)
    names: list[str] = []
    blocks = []
    for window in windows_days:
        label = "all" if window is None else f"{window:g}d"
        inside = known if window is None else known.filter(pl.col("days").is_not_null() & (pl.col("days") <= window))
        grouped = inside.group_by(["sample_index", "_code_index"]).agg(pl.len().alias("count"), pl.col(VALUE).mean().alias("mean"))
        rows = grouped["sample_index"].to_numpy()
        columns = grouped["_code_index"].to_numpy()
        count = np.zeros((n_samples, len(codes)))
        count[rows, columns] = grouped["count"].to_numpy()
        mean = np.full((n_samples, len(valued)), np.nan)
        has_value = value_columns[columns] >= 0
        mean[rows[has_value], value_columns[columns[has_value]]] = grouped["mean"].fill_null(np.nan).to_numpy()[has_value]
        blocks += [count, mean]
        names += [f"{code}/count/{label}" for code in codes] + [f"{code}/mean/{label}" for code in valued]
    values = np.column_stack([*blocks, ages]) if blocks else ages[:, None]
    return WindowCounts(values=values, names=[*names, AGE_FEATURE])


def ages_at_prediction(past: pl.DataFrame, n_samples: int) -> np.ndarray:
    """Age in years at the prediction time (NaN without a MEDS_BIRTH before it)."""
    births = past.filter(pl.col(CODE) == BIRTH).group_by("sample_index").agg(pl.col("days").max())
    ages = np.full(n_samples, np.nan)
    ages[births["sample_index"].to_numpy()] = births["days"].to_numpy() / 365.25
    return ages


def subgroups(past: pl.DataFrame, n_samples: int) -> dict[str, np.ndarray]:
    """Sex (from the last `GENDER:` code before the prediction time) and age band of each sample."""
    sex = np.full(n_samples, "unknown", dtype=object)
    genders = (
        past.filter(pl.col(CODE).str.starts_with("GENDER:"))
        .sort(["sample_index", TIME], nulls_last=False)
        .group_by("sample_index")
        .agg(pl.col(CODE).last())
    )
    sex[genders["sample_index"].to_numpy()] = [code.split(":", 1)[1] for code in genders[CODE].to_list()]
    ages = ages_at_prediction(past, n_samples)
    band = np.full(n_samples, "unknown", dtype=object)
    for low, high, name in AGE_BANDS:
        band[(ages >= low) & (ages < high)] = name
    return {"sex": sex.astype(str), "age_band": band.astype(str)}


def token_sequences(past: pl.DataFrame, n_samples: int, codes: Sequence[str], length: int) -> np.ndarray:
    """(n_samples, length, 2): token ids (0 padding, 1 unknown, 2.. `codes`) and log1p(days before), right-aligned."""
    index = pl.DataFrame({CODE: list(codes), "token": np.arange(2, len(codes) + 2, dtype=np.int64)})
    ordered = (
        past.join(index, on=CODE, how="left")
        .with_columns(pl.col("token").fill_null(UNKNOWN), pl.col("days").fill_null(pl.col("days").max().over("sample_index")).fill_null(0.0))
        .sort(["sample_index", "days", CODE], descending=[False, True, False])
        .with_columns(pl.int_range(pl.len()).reverse().over("sample_index").alias("from_end"))
        .filter(pl.col("from_end") < length)
    )
    sequences = np.zeros((n_samples, length, 2), dtype=np.float32)
    rows = ordered["sample_index"].to_numpy()
    positions = length - 1 - ordered["from_end"].to_numpy()
    sequences[rows, positions, 0] = ordered["token"].to_numpy()
    sequences[rows, positions, 1] = np.log1p(np.maximum(ordered["days"].to_numpy(), 0.0))
    return sequences
