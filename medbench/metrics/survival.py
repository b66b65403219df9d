"""Survival metrics on stored predictions, through scikit-survival's reference implementations.

* Harrell's C-index: the share of comparable pairs whose risks are ordered like their event times.
* Uno's C-index: the same with inverse-probability-of-censoring weights, truncated at the horizon
  `tau` = the task's largest evaluation time; unlike Harrell's it does not depend on the censoring.
* Integrated Brier score: the IPCW Brier score of the survival probabilities, integrated over the
  evaluation times (trapezoid) and divided by their span; lower is better.

The censoring distribution of the IPCW metrics is the Kaplan-Meier estimate from the evaluated
patients' own follow-up (the test split, or one bootstrap resample of it): everything a metric
needs is then in `predictions.parquet` and `task.eval_times`, and a record is rescored exactly.

A metric that the evaluated patients cannot estimate (no event; evaluation times beyond their
follow-up, as can happen in a bootstrap resample) is NaN rather than an error.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from medbench.tasks.survival import survival_targets


def harrell_c_index(time: np.ndarray, event: np.ndarray, risk: np.ndarray) -> float:
    from sksurv.metrics import concordance_index_censored

    if not np.asarray(event, dtype=bool).any():
        return float("nan")
    return float(concordance_index_censored(np.asarray(event, dtype=bool), np.asarray(time, dtype=np.float64), risk)[0])


def uno_c_index(time: np.ndarray, event: np.ndarray, risk: np.ndarray, tau: float) -> float:
    from sksurv.metrics import concordance_index_ipcw

    observed = survival_targets(event, time)
    if not (observed["event"] & (observed["time"] < tau)).any():
        return float("nan")
    return float(concordance_index_ipcw(observed, observed, np.asarray(risk, dtype=np.float64), tau=tau)[0])


def integrated_brier_score(time: np.ndarray, event: np.ndarray, survival: np.ndarray, eval_times: Sequence[float]) -> float:
    from sksurv.metrics import integrated_brier_score as sksurv_integrated_brier_score

    observed = survival_targets(event, time)
    times = np.asarray(eval_times, dtype=np.float64)
    if times[0] < observed["time"].min() or times[-1] >= observed["time"].max():
        return float("nan")
    return float(sksurv_integrated_brier_score(observed, observed, np.asarray(survival, dtype=np.float64), times))
