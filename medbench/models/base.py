"""The two shapes of model the run engine knows.

* A Lightning module (any `LightningModule`) is trained by a `Trainer` built from `conf/trainer`;
  its `predict_step` returns the test scores.
* An :class:`Estimator` fits itself on the splits (scikit-learn, BM25, a predictions file sent by
  a partner) and returns scores directly.

Scores follow the task kind: binary → one probability of the positive class per sample (or the
two columns of class 0 and class 1, as scikit-learn gives them; the kind keeps class 1's);
multiclass → one probability per class; multilabel → one probability per label; survival → the
risk then the survival probabilities at the task's evaluation times (:mod:`medbench.tasks.survival`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Protocol, runtime_checkable

from medbench.tasks.split import Split


@runtime_checkable
class Estimator(Protocol):
    def fit(self, train: Split, val: Split) -> None:
        """Learn from the training split; `val` is for model selection, never for fitting."""

    def predict_scores(self, split: Split) -> Any:
        """Scores for every sample of `split`, in the layout of the task kind."""

    def save(self, path: Path) -> Optional[Path]:
        """Write the fitted state next to `path` (its suffix is chosen here) and return the file, if any."""

    def parameter_count(self) -> Optional[int]:
        """Number of learned parameters, where the notion applies."""
