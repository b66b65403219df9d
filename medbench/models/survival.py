"""What every survival model shares: survival curves from risk scores through Breslow's baseline hazard.

A proportional-hazards model (Cox, DeepSurv) learns only a relative risk exp(f(x)); the survival
curve S(t | x) = exp(-H0(t) exp(f(x))) needs the cumulative baseline hazard H0, which Breslow's
estimator computes from the training patients' risks, times and events.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class BreslowBaseline:
    """Breslow's cumulative baseline hazard (scikit-survival's estimator), evaluated at any times."""

    def fit(self, risk: np.ndarray, event: np.ndarray, time: np.ndarray) -> "BreslowBaseline":
        from sksurv.linear_model.coxph import BreslowEstimator

        estimator = BreslowEstimator().fit(np.asarray(risk, dtype=np.float64), np.asarray(event, dtype=bool), np.asarray(time, dtype=np.float64))
        self.event_times_ = np.asarray(estimator.cum_baseline_hazard_.x, dtype=np.float64)
        self.cumulative_hazard_ = np.asarray(estimator.cum_baseline_hazard_.y, dtype=np.float64)
        return self

    def cumulative_hazard_at(self, times: Sequence[float]) -> np.ndarray:
        """H0 at `times`: a right-continuous step function, 0 before the first event, flat after the last."""
        index = np.searchsorted(self.event_times_, np.asarray(times, dtype=np.float64), side="right") - 1
        return np.where(index >= 0, self.cumulative_hazard_[np.clip(index, 0, None)], 0.0)

    def survival_at(self, risk: np.ndarray, times: Sequence[float]) -> np.ndarray:
        """S(t | x) for each patient (rows) at each of `times` (columns)."""
        hazard = self.cumulative_hazard_at(times)
        return np.exp(-np.outer(np.exp(np.asarray(risk, dtype=np.float64)), hazard))
