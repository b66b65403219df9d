"""scikit-learn estimators as medbench models: classic baselines and partners' fitted models."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import numpy as np

from medbench.tasks.split import Split
from medbench.errors import DataError


class SklearnModel:
    """What every scikit-learn-style estimator shares: fitting on a split's arrays, saving, counting.

    `prefit=true` evaluates an estimator fitted elsewhere (an innovation from outside, built by its
    `_target_`): it is never refitted, only checked against the width of the training inputs.
    """

    def __init__(self, estimator: Any, prefit: bool = False) -> None:
        self.estimator = estimator
        self.prefit = prefit
        self._check_rows: Any = None
        # A text model's vocabulary (k, terms kept, terms left out), for the record; None otherwise.
        self.vocabulary: Optional[dict[str, int]] = None

    def fit(self, train: Split, val: Split) -> None:
        from medbench.models.sklearn_onnx import check_sample

        inputs = np.asarray(train.inputs)
        self._check_rows = check_sample(train.inputs)
        if not self.prefit:
            from medbench.models.text import vocabulary_info

            self.estimator = one_versus_rest_if_needed(self.estimator, np.asarray(train.targets))
            self.estimator.fit(inputs, train.targets)
            self.vocabulary = vocabulary_info(self.estimator, train.inputs)
            return
        expected = getattr(self.estimator, "n_features_in_", None)
        if expected is None:
            raise DataError(f"model.prefit: {type(self.estimator).__name__} is not fitted (it has no n_features_in_)")
        if expected != inputs.shape[1]:
            raise DataError(
                f"model.prefit: the fitted {type(self.estimator).__name__} expects {expected} features, "
                f"the task's inputs have {inputs.shape[1]}"
            )

    def save(self, path: Path) -> Optional[Path]:
        """Never a pickle: a TF-IDF text pipeline as plain arrays (:mod:`medbench.models.tfidf_arrays`),
        anything else as ONNX when it converts faithfully (:mod:`medbench.models.sklearn_onnx`)."""
        from medbench.models.sklearn_onnx import write_onnx
        from medbench.models.tfidf_arrays import SUFFIX, tfidf_arrays, write_tfidf

        if self._check_rows is None or not hasattr(self.estimator, "predict_proba"):
            return None
        if tfidf_arrays(self.estimator) is not None:
            return write_tfidf(self.estimator, self._check_rows, path.with_suffix(SUFFIX))
        return write_onnx(self.estimator, self._check_rows, path.with_suffix(".onnx"))

    def parameter_count(self) -> Optional[int]:
        total = 0
        # A pipeline's learned weights are those of its last step (the classifier).
        final = getattr(self.estimator, "_final_estimator", self.estimator)
        # One-vs-rest keeps one fitted classifier per label.
        for fitted in getattr(final, "estimators_", None) or [final]:
            for name in ("coef_", "intercept_", "coefs_", "intercepts_"):
                value = getattr(fitted, name, None)
                if value is None:
                    continue
                arrays = value if isinstance(value, list) else [value]
                total += sum(int(np.size(a)) for a in arrays)
        return total or None


class SklearnClassifier(SklearnModel):
    """Any scikit-learn classifier with `predict_proba`, by `_target_`."""

    def __init__(self, estimator: Any, prefit: bool = False) -> None:
        if not hasattr(estimator, "predict_proba"):
            raise TypeError(f"{type(estimator).__name__} has no predict_proba; medbench needs scores, not labels")
        super().__init__(estimator, prefit)

    def predict_scores(self, split: Split) -> np.ndarray:
        """One probability per class (label) and sample: the task kind lays them out (a binary task keeps class 1's)."""
        return self.estimator.predict_proba(np.asarray(split.inputs))


def one_versus_rest_if_needed(estimator: Any, targets: np.ndarray) -> Any:
    """`estimator` as is, or, for multi-label targets (samples × labels) it cannot fit, its classifier
    one-vs-rest: one binary model per label (logistic regression would refuse a 2-D target)."""
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.utils import get_tags

    final = getattr(estimator, "_final_estimator", estimator)
    if targets.ndim != 2 or get_tags(final).target_tags.multi_output or isinstance(final, OneVsRestClassifier):
        return estimator
    if isinstance(estimator, Pipeline):
        name, _ = estimator.steps[-1]
        estimator.steps[-1] = (name, OneVsRestClassifier(final))
        return estimator
    return OneVsRestClassifier(estimator)


class SklearnRegressor(SklearnModel):
    """Any scikit-learn regressor (`predict`), by `_target_`: one value per sample."""

    def predict_scores(self, split: Split) -> np.ndarray:
        return np.asarray(self.estimator.predict(np.asarray(split.inputs)), dtype=np.float64)
