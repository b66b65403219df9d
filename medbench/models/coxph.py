"""The Cox proportional-hazards baseline of survival tasks (scikit-survival), as an Estimator."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from medbench.data.survival import SurvivalSplit
from medbench.errors import ConfigError
from medbench.models.sklearn import SklearnModel
from medbench.models.survival import BreslowBaseline
from medbench.tasks.survival import pack_survival_scores


class CoxPH(SklearnModel):
    """Cox regression with a small ridge penalty; survival curves from Breslow's baseline hazard.

    `alpha` (ridge) keeps the Newton steps stable when one-hot levels are rare or collinear; 0.01
    on standardised covariates changes the coefficients negligibly otherwise.
    """

    def __init__(self, alpha: float = 0.01, ties: str = "breslow", n_iter: int = 100) -> None:
        from sksurv.linear_model import CoxPHSurvivalAnalysis

        super().__init__(CoxPHSurvivalAnalysis(alpha=alpha, ties=ties, n_iter=n_iter))
        self.baseline = BreslowBaseline()

    def fit(self, train: SurvivalSplit, val: SurvivalSplit) -> None:
        if not isinstance(train, SurvivalSplit):
            raise ConfigError("model: CoxPH fits survival tasks (task.kind=survival) only")
        super().fit(train, val)
        risk = self.estimator.predict(np.asarray(train.inputs))
        self.baseline.fit(risk, train.event, train.time)

    def save(self, path: Path) -> Optional[Path]:
        """Coefficients and Breslow's baseline as plain arrays (`.npz`, read with allow_pickle=False).

        Kept in the record only: the baseline's steps are the training patients' event times, so
        `medbench export` leaves this file out."""
        target = path.with_suffix(".npz")
        with open(target, "wb") as stream:
            np.savez(
                stream,
                coef=np.asarray(self.estimator.coef_, dtype=np.float64),
                baseline_event_times=self.baseline.event_times_,
                baseline_cumulative_hazard=self.baseline.cumulative_hazard_,
            )
        return target

    def predict_scores(self, split: SurvivalSplit) -> np.ndarray:
        """[risk, S(t_1)..S(t_m)] at the split's evaluation times (see :mod:`medbench.tasks.survival`)."""
        risk = self.estimator.predict(np.asarray(split.inputs))
        return pack_survival_scores(risk, self.baseline.survival_at(risk, split.eval_times))
