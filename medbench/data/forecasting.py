"""Dated counts (admissions, ED arrivals, occupied beds) as forecasting splits with rolling origins.

A series is a regular sequence of dated values; one table may hold several (a `series` column:
sites, wards). Every split is made of *forecasts*: from an origin date `t`, the values at
`t+1 .. t+horizon`, with features computed from the history up to `t` only.

Time-aware split (rolling origin), on the common calendar of the series::

    train ............ | val windows | test windows, origins every `origin_step` ... | end
    targets <= v_1       v_1 .. o_1    o_1, o_1 + step, ..., o_K (the last window ends at the end)

The test period is strictly after everything the model is fitted or selected on: every training
target is dated at or before the first validation origin, every validation target at or before
the first test origin, and every test target after it (:func:`check_chronology` refuses
otherwise). At a later test origin the model sees the newly observed history as inputs (rolling
origin) but is not refitted.

Each forecast's metadata holds its series, origin, target date, horizon, its window
(`series@origin`: the unit the default protocol resamples together, as errors within a window are
correlated) and its series' MASE scale: the in-sample mean absolute seasonal-naive error over the
training history.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np
import pandas as pd

from medbench.data.base import DataInfo, MedbenchDataModule
from medbench.tasks.split import Split
from medbench.errors import DataError

SERIES, ORIGIN, DATE, HORIZON, WINDOW, SCALE = "series", "origin", "date", "horizon", "window", "scale"
N_LAGS = 14
# Same-season values averaged into one feature (the last four Mondays for a Monday target).
N_SEASONS_AVERAGED = 4
ROLLING_WINDOWS = (7, 28)


@dataclass(frozen=True)
class ForecastSplit(Split):
    """Forecasts of one split: `inputs` maps feature names to columns; targets are the values to forecast."""

    quantiles: tuple[float, ...] = ()
    season_length: int = 7


class ForecastingDataModule(MedbenchDataModule):
    """Rolling-origin splits of the long table a subclass returns from :meth:`load_table`."""

    def __init__(
        self,
        horizon: int = 28,
        season_length: int = 7,
        n_test_origins: int = 13,
        origin_step: int = 7,
        n_val_origins: int = 2,
        yearly_lag: Optional[int] = 364,
        quantiles: Sequence[float] = (0.05, 0.25, 0.5, 0.75, 0.95),
        train_origin_stride: int = 1,
        batch_size: int = 256,
        num_workers: int = 0,
    ) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers)
        if min(horizon, season_length, n_test_origins, origin_step, train_origin_stride) < 1 or n_val_origins < 0:
            raise DataError(
                "task.data: horizon, season_length, n_test_origins, origin_step and train_origin_stride must be >= 1, n_val_origins >= 0"
            )
        if any(not 0.0 < q < 1.0 for q in quantiles):
            raise DataError(f"task.data.quantiles: {list(quantiles)} must lie strictly between 0 and 1")
        self.horizon, self.season_length = horizon, season_length
        self.n_test_origins, self.origin_step, self.n_val_origins = n_test_origins, origin_step, n_val_origins
        self.yearly_lag = yearly_lag
        # Training forecasts start every `train_origin_stride` periods: consecutive origins share
        # most of their history, so a stride above 1 loses little and fits much faster.
        self.train_origin_stride = train_origin_stride
        self.quantiles = tuple(sorted(float(q) for q in quantiles))
        self._source = ""
        self._n_features = 0

    def load_table(self) -> tuple[pd.DataFrame, str]:
        """A long table with columns `date` (datetime64), `value` (float) and `series` (str), and a source description."""
        raise NotImplementedError

    def load_splits(self) -> dict[str, Split]:
        table, self._source = self.load_table()
        dates, values, names = pivot_series(table, self._source)
        origins = plan_origins(len(dates), self.horizon, self.n_test_origins, self.origin_step, self.n_val_origins, self.min_history)
        train_end = origins["val"][0] if len(origins["val"]) else origins["test"][0]
        scales = mase_scales(values[:, : train_end + 1], self.season_length, names)
        train_origins = np.arange(train_end - self.horizon, self.min_history - 1, -self.train_origin_stride)[::-1]
        if len(train_origins) == 0:
            raise DataError(f"{self._source}: no training forecasts fit before the validation and test periods; supply a longer history")
        splits = {
            "train": self._forecasts(dates, values, names, scales, train_origins, last_target=train_end),
            "val": self._forecasts(dates, values, names, scales, origins["val"]),
            "test": self._forecasts(dates, values, names, scales, origins["test"]),
        }
        check_chronology({name: split.metadata for name, split in splits.items()})
        self._n_features = len(splits["train"].inputs)
        return splits

    @property
    def min_history(self) -> int:
        """The first origin (index) with every lag feature defined."""
        return max(N_LAGS - 1, max(ROLLING_WINDOWS) - 1, N_SEASONS_AVERAGED * self.season_length)

    def _forecasts(
        self,
        dates: pd.DatetimeIndex,
        values: np.ndarray,
        names: list[str],
        scales: np.ndarray,
        origins: np.ndarray,
        last_target: Optional[int] = None,
    ) -> ForecastSplit:
        """Every (series, origin, horizon) forecast of `origins`; with `last_target`, only targets up to it."""
        n_series = len(names)
        series, origin, step = np.meshgrid(np.arange(n_series), origins, np.arange(1, self.horizon + 1), indexing="ij")
        series, origin, step = series.ravel(), origin.ravel(), step.ravel()
        if last_target is not None:
            keep = origin + step <= last_target
            series, origin, step = series[keep], origin[keep], step[keep]
        target = origin + step
        features = forecast_features(values, dates, series, origin, step, self.season_length, self.yearly_lag)
        origin_dates, target_dates = dates[origin], dates[target]
        labels = np.asarray(names, dtype=object)[series]
        origin_text = origin_dates.strftime("%Y-%m-%d").to_numpy()
        metadata = pd.DataFrame(
            {
                SERIES: labels,
                ORIGIN: origin_text,
                DATE: target_dates.strftime("%Y-%m-%d").to_numpy(),
                HORIZON: step.astype(np.int64),
                WINDOW: [f"{name}@{day}" for name, day in zip(labels, origin_text)],
                SCALE: scales[series],
            }
        )
        ids = np.array([f"{window}+{h}" for window, h in zip(metadata[WINDOW], step)])
        return ForecastSplit(
            ids=ids,
            inputs=features,
            targets=values[series, target],
            metadata=metadata,
            quantiles=self.quantiles,
            season_length=self.season_length,
        )

    def info(self) -> DataInfo:
        self.setup()
        return DataInfo(network_kwargs={"in_features": self._n_features, "num_outputs": 1}, source=self._source)


def pivot_series(table: pd.DataFrame, source: str) -> tuple[pd.DatetimeIndex, np.ndarray, list[str]]:
    """The common dates and a (n_series, n_dates) array of values; refuses gaps, duplicates and misaligned series."""
    if table.empty:
        raise DataError(f"{source}: no rows")
    if table["value"].isna().any():
        raise DataError(f"{source}: {int(table['value'].isna().sum())} missing or non-numeric values; fill them (0 for counts) or drop those dates")
    duplicated = table.duplicated([SERIES, DATE])
    if duplicated.any():
        first = table[duplicated].iloc[0]
        raise DataError(f"{source}: date {first[DATE]:%Y-%m-%d} appears twice in series {first[SERIES]!r}; aggregate to one value per date")
    wide = table.pivot(index=DATE, columns=SERIES, values="value").sort_index()
    if wide.isna().any().any():
        missing = wide.columns[wide.isna().any()].tolist()
        raise DataError(f"{source}: series {missing[:3]} lack values on dates the others have; all series must cover the same dates")
    dates = pd.DatetimeIndex(wide.index)
    # Only whether a frequency exists matters here, not its type: pandas's notice that the type
    # will change (pandas 3) says nothing a user can act on and stays out of the run's output.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="A future version of pandas will return a BaseOffset")
        regular = len(dates) < 3 or pd.infer_freq(dates) is not None
    if not regular:
        gaps = np.diff(dates.values)
        raise DataError(
            f"{source}: the dates are not regular (steps from {pd.Timedelta(gaps.min())} to {pd.Timedelta(gaps.max())}); "
            "supply one value per period, with 0 where nothing was counted"
        )
    return dates, wide.to_numpy(dtype=np.float64).T, [str(name) for name in wide.columns]


def plan_origins(
    n_dates: int, horizon: int, n_test: int, step: int, n_val: int, min_history: int
) -> dict[str, np.ndarray]:
    """Indices of the validation and test origins; the last test window ends on the last date."""
    last = n_dates - 1 - horizon
    test = last - step * np.arange(n_test)[::-1]
    val = test[0] - horizon - step * np.arange(n_val)[::-1]
    first = val[0] if n_val else test[0]
    if first - horizon < min_history:
        raise DataError(
            f"the series have {n_dates} dates; {n_test} test and {n_val} validation origins {step} apart with a "
            f"horizon of {horizon} need at least {n_dates + min_history - (first - horizon)}: lower them or supply a longer history"
        )
    return {"val": val.astype(np.int64), "test": test.astype(np.int64)}


def mase_scales(history: np.ndarray, season_length: int, names: list[str]) -> np.ndarray:
    """Per series, the mean absolute seasonal-naive error over the training history (MASE's denominator)."""
    differences = np.abs(history[:, season_length:] - history[:, :-season_length])
    scales = differences.mean(axis=1)
    flat = [name for name, scale in zip(names, scales) if not scale > 0]
    if flat:
        raise DataError(f"series {flat[:3]} repeat the same value every season in training: MASE is undefined for them")
    return scales


def forecast_features(
    values: np.ndarray,
    dates: pd.DatetimeIndex,
    series: np.ndarray,
    origin: np.ndarray,
    step: np.ndarray,
    season_length: int,
    yearly_lag: Optional[int],
) -> dict[str, np.ndarray]:
    """Features of each forecast, from values at or before its origin and the calendar of its target date."""
    target = origin + step
    seasons_back = -(-step // season_length)  # ceil: the last same-season date at or before the origin
    features: dict[str, np.ndarray] = {"horizon": step.astype(np.float64), "series_code": series.astype(np.float64)}
    features["seasonal_naive"] = values[series, target - season_length * seasons_back]
    features["season_mean"] = np.mean(
        [values[series, target - season_length * (seasons_back + k)] for k in range(N_SEASONS_AVERAGED)], axis=0
    )
    for lag in range(N_LAGS):
        features[f"lag_{lag}"] = values[series, origin - lag]
    cumulative = np.concatenate([np.zeros((values.shape[0], 1)), np.cumsum(values, axis=1)], axis=1)
    for window in ROLLING_WINDOWS:
        features[f"mean_{window}"] = (cumulative[series, origin + 1] - cumulative[series, origin + 1 - window]) / window
    if yearly_lag:
        back = target - yearly_lag
        features["yearly"] = np.where(back >= 0, values[series, np.maximum(back, 0)], np.nan)
    target_dates = dates[target]
    features["day_of_week"] = target_dates.day_of_week.to_numpy(dtype=np.float64)
    features["day_of_year"] = target_dates.day_of_year.to_numpy(dtype=np.float64)
    features["month"] = target_dates.month.to_numpy(dtype=np.float64)
    return features


def check_chronology(metadata: dict[str, pd.DataFrame]) -> None:
    """Refuse splits where validation or test forecasts are not strictly after what precedes them.

    Every training target must be dated at or before the first validation origin, every validation
    target at or before the first test origin, and every forecast's target after its own origin.
    """
    for name, frame in metadata.items():
        if len(frame) and (pd.to_datetime(frame[DATE]) <= pd.to_datetime(frame[ORIGIN])).any():
            raise DataError(f"{name} split: a forecast's target date is not after its origin")
    order = [name for name in ("train", "val", "test") if len(metadata.get(name, ())) > 0]
    for earlier, later in zip(order, order[1:]):
        last_target = pd.to_datetime(metadata[earlier][DATE]).max()
        first_origin = pd.to_datetime(metadata[later][ORIGIN]).min()
        if last_target > first_origin:
            raise DataError(
                f"time-aware split violated: the {earlier} split has targets up to {last_target:%Y-%m-%d}, after the "
                f"first {later} origin {first_origin:%Y-%m-%d}; the {later} period must come strictly after {earlier}"
            )


class CsvForecastingDataModule(ForecastingDataModule):
    """Dated values from the user's CSV (or parquet): a date column, a value column, optionally a series column."""

    def __init__(
        self,
        path: str,
        date_column: str = "date",
        value_column: str = "value",
        series_column: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.path = Path(path)
        self.date_column, self.value_column, self.series_column = date_column, value_column, series_column

    def load_table(self) -> tuple[pd.DataFrame, str]:
        if not self.path.is_file():
            raise DataError(f"task.data.path: {self.path} does not exist")
        try:
            raw = pd.read_parquet(self.path) if self.path.suffix == ".parquet" else pd.read_csv(self.path)
        except (ValueError, OSError, pd.errors.ParserError) as error:
            raise DataError(f"{self.path}: cannot be read as a table: {error}") from None
        columns = [self.date_column, self.value_column] + ([self.series_column] if self.series_column else [])
        missing = [column for column in columns if column not in raw.columns]
        if missing:
            raise DataError(f"{self.path}: column(s) {missing} not found; it has {list(raw.columns)} (set task.data.date_column / value_column / series_column)")
        dates = pd.to_datetime(raw[self.date_column], errors="coerce")
        if dates.isna().any():
            row = int(np.flatnonzero(dates.isna().to_numpy())[0])
            raise DataError(f"{self.path}: {self.date_column!r} value {raw[self.date_column].iloc[row]!r} (row {row + 2}) is not a date")
        table = pd.DataFrame(
            {
                DATE: dates,
                "value": pd.to_numeric(raw[self.value_column], errors="coerce"),
                SERIES: raw[self.series_column].astype(str) if self.series_column else "all",
            }
        )
        return table, f"{self.path.name} ({len(table)} rows)"


class GeneratedForecastingDataModule(ForecastingDataModule):
    """Synthetic daily admissions with trend, weekly and yearly seasonality: for CI and the default run."""

    def __init__(self, n_series: int = 2, n_days: int = 1095, seed: int = 0, start: str = "2021-01-04", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n_series, self.n_days, self.seed, self.start = n_series, n_days, seed, start

    def load_table(self) -> tuple[pd.DataFrame, str]:
        from medbench.data.generators.series import daily_admissions

        table = daily_admissions(self.n_series, self.n_days, self.seed, self.start)
        return table, f"generated daily admissions ({self.n_series} series x {self.n_days} days, seed {self.seed})"
