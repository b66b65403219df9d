"""The layout of `predictions.parquet` for each task kind.

One row per test sample, keyed by `sample_id`: the target, the model's score(s) and its
prediction, plus the task's metadata columns (patient, site, subgroup). Never raw text or pixels:
this frame is what statistics, leaderboards and partners read.

binary      sample_id, target, score (probability of class 1), prediction
multiclass  sample_id, target, prediction, score_<k> for each class k
multilabel  sample_id, target_<k>, score_<k>, prediction_<k> for each label k
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from medbench.tasks.split import Split
from medbench.errors import DataError
from medbench.tasks.columns import PREDICTION, SAMPLE_ID, SCORE, TARGET
from medbench.tasks.registry import classes_of, classification_kinds

if TYPE_CHECKING:
    from medbench.tasks.kind import Classes
    from medbench.tasks.outputs import TaskOutputs

THRESHOLD = 0.5


def classification_outputs(
    split: Split, scores: np.ndarray, metadata_columns: Sequence[str], *, kind: str
) -> "TaskOutputs":
    """The task outputs of a classification run: its predictions frame."""
    from medbench.tasks.outputs import TaskOutputs

    return TaskOutputs(classification_frame(split.ids, split.targets, scores, kind, split.metadata, metadata_columns))


def classification_frame(
    ids: np.ndarray,
    targets: np.ndarray,
    scores: np.ndarray,
    kind: str,
    metadata: pd.DataFrame | None = None,
    metadata_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Build the predictions frame of a classification task, laid out by its kind's `Classes`; refuse non-finite scores."""
    classes = classes_of(kind)
    if classes is None:
        raise ValueError(f"task kind {kind!r} does not classify; classification kinds: {', '.join(classification_kinds())}")
    scores = np.asarray(scores, dtype=np.float64)
    if len(scores) != len(ids):
        raise DataError(f"the model returned {len(scores)} scores for {len(ids)} test samples")
    if not np.isfinite(scores).all():
        bad = int((~np.isfinite(scores)).any(axis=tuple(range(1, scores.ndim))).sum()) if scores.ndim > 1 else int((~np.isfinite(scores)).sum())
        raise DataError(f"the model returned NaN or infinite scores for {bad} of {len(ids)} test samples")
    scores = _laid_out(scores, kind, classes)
    frame = pd.DataFrame({SAMPLE_ID: np.asarray(ids).astype(str)})
    if classes.single_score:  # one probability of class 1: target index, score, decision at the threshold
        frame[TARGET] = np.asarray(targets).astype(np.int64)
        frame[SCORE] = scores
        frame[PREDICTION] = (frame[SCORE] >= THRESHOLD).astype(np.int64)
    elif classes.exclusive:  # one probability per class: target index, the most probable class
        frame[TARGET] = np.asarray(targets).astype(np.int64)
        frame[PREDICTION] = scores.argmax(axis=1).astype(np.int64)
        for k in range(scores.shape[1]):
            frame[f"{SCORE}_{k}"] = scores[:, k]
    else:  # independent labels: a 0/1 target, a probability and a decision per label
        targets = np.asarray(targets)
        for k in range(scores.shape[1]):
            frame[f"{TARGET}_{k}"] = targets[:, k].astype(np.int64)
            frame[f"{SCORE}_{k}"] = scores[:, k]
            frame[f"{PREDICTION}_{k}"] = (scores[:, k] >= THRESHOLD).astype(np.int64)
    return attach_metadata(frame, metadata, metadata_columns)


def _laid_out(scores: np.ndarray, kind: str, classes: "Classes") -> np.ndarray:
    """`scores` as the kind lays them out: binary, a vector (of a class-0/class-1 matrix, class 1's
    column); the other kinds, a samples × classes (labels) matrix. DataError for any other shape.

    A model gives its probabilities as it has them (scikit-learn: one column per class); only the
    kind knows whether two columns are the two classes of a binary task or of a multi-class one.
    """
    if classes.single_score and scores.ndim == 2 and scores.shape[1] in (1, 2):
        return scores[:, -1]
    if scores.ndim == (1 if classes.single_score else 2):
        return scores
    wanted = "one probability of class 1 per sample" if classes.single_score else "one probability per class (label) per sample"
    raise DataError(f"a {kind} task takes {wanted}; the model returned scores of shape {scores.shape}")


def attach_metadata(frame: pd.DataFrame, metadata: pd.DataFrame | None, columns: Sequence[str]) -> pd.DataFrame:
    """`frame` with the protocol's metadata columns (cluster, subgroups) of the split added."""
    for column in columns:
        if metadata is None or column not in metadata.columns:
            raise DataError(f"the task names metadata column {column!r}, but the test split has no such column")
        frame[column] = metadata[column].to_numpy()
    return frame
