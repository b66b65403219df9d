"""Survival metrics on a survival predictions frame, equal to scikit-survival's reference functions.

* ``c_index``: Harrell's C, the share of comparable pairs (the earlier time is an event) whose risks
  are ordered like their times, ties in risk counting one half (`concordance_index_censored`).
* ``uno_c_index``: Uno's C, the same pairs weighted by 1 / G(t_i)^2, truncated at the horizon
  tau = the largest evaluation time; unlike Harrell's, it does not depend on the censoring
  (`concordance_index_ipcw`).
* ``ibs``: the integrated Brier score, IPCW Brier scores of the survival probabilities at the
  evaluation times, integrated by the trapezoid rule and divided by their span; lower is better
  (`integrated_brier_score`).

The censoring distribution G of the IPCW metrics is the Kaplan-Meier estimate from the evaluated
patients' own follow-up (the test split, or a bootstrap resample of it), as scikit-survival does
when given the test data as its "training" data: everything a metric needs is in the
predictions frame, so a record is rescored exactly and each resample re-estimates G.

Every function takes ``weights`` (B, n): how often each patient is drawn in each of B resamples.
They are vectorised over resamples (pairwise matrices of the n patients, fine for the few
thousand patients of clinical test sets); with integer weights they equal scikit-survival's
functions on the data with rows repeated, which tests/survival/test_survival_metrics.py checks.
A metric the patients cannot estimate (no comparable pair; evaluation times beyond their
follow-up, as in a rare resample) is NaN.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from medbench.metrics.direction import HIGHER_SHARE, LOWER_SHARE
from medbench.metrics.registry import Prepared, register, register_preparer
from medbench.tasks.survival import EVENT, RISK, SURVIVAL_PREFIX, TIME, survival_arrays
from medbench.tasks.columns import SAMPLE_ID

if TYPE_CHECKING:
    from medbench.tasks.outputs import TaskOutputs

KIND = "survival"
# Risks closer than this are tied (scikit-survival's `tied_tol`).
TIED_TOLERANCE = 1e-8


@dataclass(frozen=True)
class SurvivalData:
    time: np.ndarray  # (n,) follow-up
    event: np.ndarray  # (n,) bool
    risk: np.ndarray  # (n,) higher = earlier event
    survival: np.ndarray  # (n, m) S(eval_times[k])
    eval_times: np.ndarray  # (m,) increasing

    @cached_property
    def comparable(self) -> np.ndarray:
        """(n, n): patient i had the event before j's follow-up ended (or at the time j was censored)."""
        earlier = self.time[:, None] < self.time[None, :]
        censored_at_same_time = (self.time[:, None] == self.time[None, :]) & ~self.event[None, :]
        return (self.event[:, None] & (earlier | censored_at_same_time)).astype(np.float64)

    @cached_property
    def concordant(self) -> np.ndarray:
        """(n, n): comparable pairs counted as concordant (1) or tied in risk (1/2)."""
        difference = self.risk[:, None] - self.risk[None, :]
        tied = np.abs(difference) <= TIED_TOLERANCE
        return self.comparable * np.where(tied, 0.5, (difference > 0).astype(np.float64))

    @cached_property
    def unique_times(self) -> np.ndarray:
        return np.unique(self.time)


def censoring_survival(data: SurvivalData, weights: np.ndarray, at: np.ndarray) -> np.ndarray:
    """(B, len(at)): Kaplan-Meier estimate of P(censoring time > t) in each resample, at times `at`.

    As scikit-survival's `CensoringDistributionEstimator`: at a tied time, patients with an event
    leave the risk set before the censored ones are counted.
    """
    times = data.unique_times
    at_or_after = (data.time[None, :] >= times[:, None]).astype(np.float64)
    same_time = data.time[None, :] == times[:, None]
    events_there = (same_time & data.event[None, :]).astype(np.float64)
    censored_there = (same_time & ~data.event[None, :]).astype(np.float64)
    at_risk = weights @ (at_or_after - events_there).T
    censored = weights @ censored_there.T
    with np.errstate(invalid="ignore", divide="ignore"):
        drop = np.where(censored > 0, censored / np.where(at_risk > 0, at_risk, 1), 0.0)
    curve = np.cumprod(1.0 - drop, axis=1)
    index = np.searchsorted(times, at, side="right") - 1
    return np.where(index >= 0, curve[:, np.clip(index, 0, None)], 1.0)


def _pair_ratio(data: SurvivalData, weights: np.ndarray, row_weights: np.ndarray) -> np.ndarray:
    """sum_ij w_i w_j r_i concordant_ij / sum_ij w_i w_j r_i comparable_ij for each resample."""
    left = weights * row_weights
    numerator = ((left @ data.concordant) * weights).sum(axis=1)
    denominator = ((left @ data.comparable) * weights).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)


@register_preparer(KIND)
def prepare(outputs: "TaskOutputs") -> Prepared:
    frame = outputs.predictions
    arrays = survival_arrays(frame)
    core = [SAMPLE_ID, TIME, EVENT, RISK] + [c for c in frame.columns if str(c).startswith(SURVIVAL_PREFIX)]
    return Prepared(
        units=frame[SAMPLE_ID].to_numpy().astype(str),
        unit_name="sample",
        data=SurvivalData(arrays.time, arrays.event, arrays.risk, arrays.survival, arrays.eval_times),
        # Resamples keep the share of events, as the split does.
        strata=arrays.event.astype(np.int64),
        metadata=frame.drop(columns=[c for c in core if c in frame.columns]).reset_index(drop=True),
    )


@register(KIND, "c_index", scale=HIGHER_SHARE)
def harrell_c_index(data: SurvivalData, weights: np.ndarray, _: None) -> np.ndarray:
    """Harrell's concordance index."""
    return _pair_ratio(data, weights, np.ones(len(data.time)))


@register(KIND, "uno_c_index", scale=HIGHER_SHARE)
def uno_c_index(data: SurvivalData, weights: np.ndarray, _: None) -> np.ndarray:
    """Uno's IPCW concordance index, truncated at the largest evaluation time."""
    tau = data.eval_times[-1]
    counted = data.event & (data.time < tau)
    censoring = censoring_survival(data, weights, data.time)
    # scikit-survival refuses a resample where G vanishes at a counted event time: undefined here.
    undefined = ((censoring == 0) & counted[None, :] & (weights > 0)).any(axis=1)
    with np.errstate(divide="ignore"):
        ipcw = np.where(counted[None, :] & (censoring > 0), 1.0 / np.where(censoring > 0, censoring, 1) ** 2, 0.0)
    values = _pair_ratio(data, weights, ipcw)
    return np.where(undefined, np.nan, values)


@register(KIND, "ibs", scale=LOWER_SHARE)
def integrated_brier_score(data: SurvivalData, weights: np.ndarray, _: None) -> np.ndarray:
    """Integrated Brier score over the evaluation times (IPCW, trapezoid rule); lower is better."""
    times = data.eval_times
    drawn = weights > 0
    first = np.where(drawn, data.time[None, :], np.inf).min(axis=1)
    last = np.where(drawn, data.time[None, :], -np.inf).max(axis=1)
    inside = (times[0] >= first) & (times[-1] < last)
    # A zero censoring survival makes a term vanish, as scikit-survival's 1 / inf does.
    at_followup = censoring_survival(data, weights, data.time)
    at_times = censoring_survival(data, weights, times)
    inverse_followup = np.where(at_followup > 0, 1.0 / np.where(at_followup > 0, at_followup, 1), 0.0)
    inverse_times = np.where(at_times > 0, 1.0 / np.where(at_times > 0, at_times, 1), 0.0)
    had_event = (data.time[:, None] <= times[None, :]) & data.event[:, None]
    still_followed = data.time[:, None] > times[None, :]
    cases = (weights * inverse_followup) @ (data.survival**2 * had_event)
    controls = inverse_times * (weights @ ((1.0 - data.survival) ** 2 * still_followed))
    brier = (cases + controls) / weights.sum(axis=1, keepdims=True)
    integral = np.trapezoid(brier, times, axis=1) / (times[-1] - times[0])
    return np.where(inside, integral, np.nan)
