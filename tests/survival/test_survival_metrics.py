"""Survival metrics equal scikit-survival's reference functions, and the Cox pieces match its Cox model."""

from __future__ import annotations

import numpy as np
import pytest
from sksurv.linear_model import CoxPHSurvivalAnalysis
from sksurv.metrics import concordance_index_censored, concordance_index_ipcw
from sksurv.metrics import integrated_brier_score as sksurv_ibs
from sksurv.util import Surv

from medbench.metrics.survival import SurvivalData, harrell_c_index, integrated_brier_score, uno_c_index
from medbench.models.survival import BreslowBaseline

EVAL_TIMES = [0.3, 0.6, 0.9, 1.2, 1.5]


@pytest.fixture
def cohort() -> dict[str, np.ndarray]:
    """Exponential event times whose hazard grows with a covariate, random censoring, tied times and risks."""
    rng = np.random.default_rng(7)
    n = 150
    x = rng.normal(size=n)
    event_time = rng.exponential(1.0 / np.exp(0.8 * x))
    censor_time = rng.exponential(2.0, size=n)
    time = np.round(np.minimum(event_time, censor_time), 1) + 0.05
    event = event_time <= censor_time
    risk = np.round(0.8 * x + rng.normal(scale=0.5, size=n), 1)
    hazard = np.exp(risk)[:, None] * np.asarray(EVAL_TIMES)[None, :]
    return {"time": time, "event": event, "risk": risk, "survival": np.exp(-hazard), "x": x}


def data_of(cohort: dict[str, np.ndarray], rows: np.ndarray | slice = slice(None)) -> SurvivalData:
    return SurvivalData(cohort["time"][rows], cohort["event"][rows], cohort["risk"][rows], cohort["survival"][rows], np.asarray(EVAL_TIMES))


def reference(cohort: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, float]:
    """scikit-survival's three metrics on the patients `rows` (repeated rows = bootstrap draws)."""
    y = Surv.from_arrays(cohort["event"][rows], cohort["time"][rows])
    return {
        "c_index": concordance_index_censored(cohort["event"][rows], cohort["time"][rows], cohort["risk"][rows])[0],
        "uno_c_index": concordance_index_ipcw(y, y, cohort["risk"][rows], tau=EVAL_TIMES[-1])[0],
        "ibs": sksurv_ibs(y, y, cohort["survival"][rows], EVAL_TIMES),
    }


METRICS = {"c_index": harrell_c_index, "uno_c_index": uno_c_index, "ibs": integrated_brier_score}


@pytest.mark.parametrize("name", sorted(METRICS))
def test_metrics_equal_sksurv_on_the_patients(cohort, name: str) -> None:
    n = len(cohort["time"])
    value = METRICS[name](data_of(cohort), np.ones((1, n)), None)[0]
    assert value == pytest.approx(reference(cohort, np.arange(n))[name], abs=1e-12)


@pytest.mark.parametrize("name", sorted(METRICS))
def test_metrics_equal_sksurv_on_bootstrap_resamples(cohort, name: str) -> None:
    """Resampling weights (B, n) give what scikit-survival gives on the data with rows repeated."""
    rng = np.random.default_rng(3)
    n = len(cohort["time"])
    draws = [np.sort(rng.integers(0, n, size=n)) for _ in range(6)]
    weights = np.stack([np.bincount(rows, minlength=n) for rows in draws]).astype(np.float64)
    values = METRICS[name](data_of(cohort), weights, None)
    np.testing.assert_allclose(values, [reference(cohort, rows)[name] for rows in draws], atol=1e-12)


def test_informative_predictions_score_better_than_uninformative_ones(cohort) -> None:
    n = len(cohort["time"])
    ones = np.ones((1, n))
    informative = data_of(cohort)
    assert harrell_c_index(informative, ones, None)[0] > 0.65
    constant = SurvivalData(cohort["time"], cohort["event"], np.zeros(n), np.full((n, 5), 0.5), np.asarray(EVAL_TIMES))
    assert harrell_c_index(constant, ones, None)[0] == 0.5
    assert integrated_brier_score(informative, ones, None)[0] < integrated_brier_score(constant, ones, None)[0]


def test_metrics_are_nan_where_the_patients_cannot_estimate_them(cohort) -> None:
    n = len(cohort["time"])
    no_event = SurvivalData(cohort["time"], np.zeros(n, dtype=bool), cohort["risk"], cohort["survival"], np.asarray(EVAL_TIMES))
    assert np.isnan(harrell_c_index(no_event, np.ones((1, n)), None)[0])
    assert np.isnan(uno_c_index(no_event, np.ones((1, n)), None)[0])
    short_followup = (cohort["time"] < 1.0).astype(np.float64)[None, :]
    assert np.isnan(integrated_brier_score(data_of(cohort), short_followup, None)[0])


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
