"""Synthetic daily hospital activity: counts with a trend, a weekly and a yearly cycle, and noise.

Stands in for admissions or ED arrivals in tests and the default forecasting run: the weekly cycle
(fewer admissions at weekends) is what a seasonal-naive forecast captures, the yearly one (a
winter peak) and the trend are what a learned model can add. Nothing here is patient data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Relative activity Monday..Sunday: elective admissions fall at weekends.
WEEKLY = np.array([1.18, 1.10, 1.06, 1.04, 1.00, 0.78, 0.84])
YEARLY_AMPLITUDE = 0.18  # winter peak, summer trough
TREND_PER_YEAR = 0.06


def daily_admissions(n_series: int, n_days: int, seed: int, start: str = "2021-01-04") -> pd.DataFrame:
    """A long table (date, value, series) of `n_series` daily count series over `n_days` days."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=n_days, freq="D")
    years = np.arange(n_days) / 365.25
    weekly = WEEKLY[dates.day_of_week.to_numpy()]
    yearly = 1 + YEARLY_AMPLITUDE * np.cos(2 * np.pi * (dates.day_of_year.to_numpy() - 15) / 365.25)
    frames = []
    for index in range(n_series):
        level = rng.uniform(20, 80)
        rate = level * (1 + TREND_PER_YEAR * years) * weekly * yearly
        # Gamma-Poisson (negative binomial): day-to-day variation beyond Poisson's, as in real counts.
        counts = rng.poisson(rate * rng.gamma(30.0, 1 / 30.0, size=n_days))
        frames.append(pd.DataFrame({"date": dates, "value": counts.astype(np.float64), "series": f"site_{index + 1}"}))
    return pd.concat(frames, ignore_index=True)
