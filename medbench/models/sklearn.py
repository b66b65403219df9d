"""scikit-learn estimators as medbench models: classic baselines and partners' fitted models."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, Optional

import numpy as np

from medbench.data.base import Split


class SklearnClassifier:
    """Fits any scikit-learn classifier with `predict_proba` on the training split's arrays."""

    def __init__(self, estimator: Any) -> None:
        if not hasattr(estimator, "predict_proba"):
            raise TypeError(f"{type(estimator).__name__} has no predict_proba; medbench needs scores, not labels")
        self.estimator = estimator

    def fit(self, train: Split, val: Split) -> None:
        self.estimator.fit(np.asarray(train.inputs), train.targets)

    def predict_scores(self, split: Split) -> np.ndarray:
        proba = self.estimator.predict_proba(np.asarray(split.inputs))
        return proba[:, 1] if proba.shape[1] == 2 else proba

    def save(self, path: Path) -> Optional[Path]:
        # Pickle: only for the record's owner. Transfer bundles rebuild the model from its config.
        target = path.with_suffix(".pkl")
        target.write_bytes(pickle.dumps(self.estimator))
        return target

    def parameter_count(self) -> Optional[int]:
        total = 0
        # A pipeline's learned weights are those of its last step (the classifier).
        final = getattr(self.estimator, "_final_estimator", self.estimator)
        for name in ("coef_", "intercept_", "coefs_", "intercepts_"):
            value = getattr(final, name, None)
            if value is None:
                continue
            arrays = value if isinstance(value, list) else [value]
            total += sum(int(np.size(a)) for a in arrays)
        return total or None
