"""Survival metrics equal scikit-survival's reference functions, and the Cox pieces match its Cox model."""

from __future__ import annotations

import numpy as np
import pytest
from sksurv.linear_model import CoxPHSurvivalAnalysis
from sksurv.metrics import concordance_index_censored, concordance_index_ipcw
from sksurv.metrics import integrated_brier_score as sksurv_ibs
from sksurv.util import Surv

from medbench.metrics.survival import harrell_c_index, integrated_brier_score, uno_c_index
from medbench.models.survival import BreslowBaseline

EVAL_TIMES = [0.3, 0.6, 0.9, 1.2, 1.5]


@pytest.fixture
def cohort() -> dict[str, np.ndarray]:
    """Exponential event times whose hazard grows with a covariate, random censoring, tied times."""
    rng = np.random.default_rng(7)
    n = 300
    x = rng.normal(size=n)
    event_time = rng.exponential(1.0 / np.exp(0.8 * x))
    censor_time = rng.exponential(2.0, size=n)
    time = np.round(np.minimum(event_time, censor_time), 2) + 0.01
    event = event_time <= censor_time
    risk = 0.8 * x + rng.normal(scale=0.5, size=n)
    hazard = np.exp(risk)[:, None] * np.asarray(EVAL_TIMES)[None, :]
    return {"time": time, "event": event, "risk": risk, "survival": np.exp(-hazard), "x": x}


def test_harrell_c_index_equals_sksurv(cohort) -> None:
    expected = concordance_index_censored(cohort["event"], cohort["time"], cohort["risk"])[0]
    assert harrell_c_index(cohort["time"], cohort["event"], cohort["risk"]) == pytest.approx(expected, abs=1e-12)
    assert 0.6 < expected < 0.9


def test_uno_c_index_equals_sksurv_with_test_censoring(cohort) -> None:
    y = Surv.from_arrays(cohort["event"], cohort["time"])
    expected = concordance_index_ipcw(y, y, cohort["risk"], tau=EVAL_TIMES[-1])[0]
    assert uno_c_index(cohort["time"], cohort["event"], cohort["risk"], EVAL_TIMES[-1]) == pytest.approx(expected, abs=1e-12)


def test_integrated_brier_score_equals_sksurv(cohort) -> None:
    y = Surv.from_arrays(cohort["event"], cohort["time"])
    expected = sksurv_ibs(y, y, cohort["survival"], EVAL_TIMES)
    value = integrated_brier_score(cohort["time"], cohort["event"], cohort["survival"], EVAL_TIMES)
    assert value == pytest.approx(expected, abs=1e-12)
    # A useless constant prediction of 0.5 scores worse than the informative curves.
    constant = integrated_brier_score(cohort["time"], cohort["event"], np.full_like(cohort["survival"], 0.5), EVAL_TIMES)
    assert value < constant


def test_metrics_are_nan_where_the_patients_cannot_estimate_them(cohort) -> None:
    no_event = np.zeros_like(cohort["event"])
    assert np.isnan(harrell_c_index(cohort["time"], no_event, cohort["risk"]))
    assert np.isnan(uno_c_index(cohort["time"], no_event, cohort["risk"], EVAL_TIMES[-1]))
    short = cohort["time"] < 1.0
    assert np.isnan(integrated_brier_score(cohort["time"][short], cohort["event"][short], cohort["survival"][short], EVAL_TIMES))


def test_breslow_curves_equal_sksurv_cox_model(cohort) -> None:
    inputs = cohort["x"][:, None]
    y = Surv.from_arrays(cohort["event"], cohort["time"])
    model = CoxPHSurvivalAnalysis(alpha=0.0, ties="breslow").fit(inputs, y)
    risk = model.predict(inputs)
    baseline = BreslowBaseline().fit(risk, cohort["event"], cohort["time"])
    expected = np.array([[fn(t) for t in EVAL_TIMES] for fn in model.predict_survival_function(inputs)])
    np.testing.assert_allclose(baseline.survival_at(risk, EVAL_TIMES), expected, rtol=1e-10)
    # Before the first event nobody has died; after the last the curve stays flat.
    assert baseline.cumulative_hazard_at([0.0])[0] == 0.0
    last = baseline.event_times_[-1]
    assert baseline.cumulative_hazard_at([last + 100])[0] == baseline.cumulative_hazard_at([last])[0]


def test_cox_loss_is_minimal_at_the_cox_estimate(cohort) -> None:
    """The DeepSurv loss is the Breslow partial likelihood: its gradient vanishes at sksurv's fit."""
    torch = pytest.importorskip("torch")
    from medbench.models.deepsurv import cox_partial_nll

    inputs = cohort["x"][:, None]
    y = Surv.from_arrays(cohort["event"], cohort["time"])
    coef = CoxPHSurvivalAnalysis(alpha=0.0, ties="breslow", tol=1e-12).fit(inputs, y).coef_[0]
    beta = torch.tensor(coef, dtype=torch.float64, requires_grad=True)
    x = torch.as_tensor(cohort["x"])
    loss = cox_partial_nll(beta * x, torch.as_tensor(cohort["time"]), torch.as_tensor(cohort["event"], dtype=torch.float64))
    loss.backward()
    assert abs(beta.grad.item()) < 1e-6
    worse = cox_partial_nll((beta.detach() + 0.2) * x, torch.as_tensor(cohort["time"]), torch.as_tensor(cohort["event"], dtype=torch.float64))
    assert worse > loss
