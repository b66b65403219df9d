"""Rolling-origin splits: the test period strictly after training, features from the past only, user CSVs."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from medbench.data.forecasting import (
    CsvForecastingDataModule,
    GeneratedForecastingDataModule,
    check_chronology,
    forecast_features,
)
from medbench.data.generators.series import daily_admissions
from medbench.errors import DataError

SMALL = dict(n_days=500, horizon=14, n_test_origins=3, origin_step=7, n_val_origins=1)


def test_every_split_comes_after_the_one_before() -> None:
    module = GeneratedForecastingDataModule(**SMALL)
    module.setup()
    train, val, test = (module.split(name).metadata for name in ("train", "val", "test"))
    assert pd.to_datetime(train["date"]).max() <= pd.to_datetime(val["origin"]).min()
    assert pd.to_datetime(val["date"]).max() <= pd.to_datetime(test["origin"]).min()
    assert len(test) == 2 * 3 * 14 and test["window"].nunique() == 6
    assert pd.to_datetime(test["date"]).max() == pd.Timestamp("2021-01-04") + pd.Timedelta(days=499)


def test_a_forecasts_features_do_not_see_past_its_origin() -> None:
    values = np.random.default_rng(0).poisson(20, size=(1, 200)).astype(float)
    dates = pd.date_range("2022-01-01", periods=200, freq="D")
    origin, steps = np.full(7, 150), np.arange(1, 8)
    before = forecast_features(values, dates, np.zeros(7, int), origin, steps, 7, 364)
    future = values.copy()
    future[:, 151:] = -1.0
    after = forecast_features(future, dates, np.zeros(7, int), origin, steps, 7, 364)
    for name in before:
        np.testing.assert_array_equal(before[name], after[name], err_msg=name)


def test_a_test_period_that_overlaps_training_is_refused() -> None:
    train = pd.DataFrame({"origin": ["2022-01-01"], "date": ["2022-02-10"]})
    test = pd.DataFrame({"origin": ["2022-02-01"], "date": ["2022-02-05"]})
    with pytest.raises(DataError, match="time-aware split violated: the train split has targets up to 2022-02-10"):
        check_chronology({"train": train, "val": test.iloc[:0], "test": test})


def test_a_history_too_short_is_refused_with_what_it_needs() -> None:
    with pytest.raises(DataError, match="the series have 70 dates; .* need at least"):
        GeneratedForecastingDataModule(**{**SMALL, "n_days": 70}).setup()


def test_the_users_csv_with_a_pandas_index_and_a_site_column(tmp_path: Path) -> None:
    path = tmp_path / "admissions.csv"
    daily_admissions(2, 500, seed=3).rename(columns={"date": "day", "value": "admissions", "series": "site"}).to_csv(path)
    module = CsvForecastingDataModule(str(path), date_column="day", value_column="admissions", series_column="site", **{k: v for k, v in SMALL.items() if k != "n_days"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no library notice reaches the user's run output
        module.setup()
    assert set(module.split("test").metadata["series"]) == {"site_1", "site_2"}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda table: table.drop(index=10), "dates are not regular|lack values on dates"),
        (lambda table: pd.concat([table, table.iloc[[5]]]), "appears twice in series"),
        (lambda table: table.assign(value=table["value"].where(table.index != 7)), "1 missing or non-numeric values"),
    ],
)
def test_gaps_duplicates_and_missing_values_are_refused(tmp_path: Path, edit, message: str) -> None:
    path = tmp_path / "counts.csv"
    edit(daily_admissions(1, 500, seed=1)).to_csv(path, index=False)
    with pytest.raises(DataError, match=message):
        CsvForecastingDataModule(str(path), series_column="series", **{k: v for k, v in SMALL.items() if k != "n_days"}).setup()
