"""What a board draws from its entries' per-sample predictions besides tests: aggregates only.

A binary entry's ROC curve is kept at no more than `ROC_POINTS` thresholds (the score quantiles),
each point with its true- and false-positive counts; its calibration in `CALIBRATION_BINS`
equal-width bins of the predicted probability, each with its count, mean prediction and observed
rate, and bins of fewer than `MIN_COUNT` samples left out (counted, not drawn). The board's
subgroup sizes are counted once (every entry is scored on the same test set), sizes under
`MIN_COUNT` shown as such rather than as a number. No sample id, target or score leaves here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

ROC_POINTS = 50
CALIBRATION_BINS = 10
MIN_COUNT = 5


def binary_curves(predictions: Any) -> dict[str, Any]:
    """ROC points and calibration bins of a binary predictions frame (columns target, score)."""
    import numpy as np

    targets = predictions["target"].to_numpy().astype(bool)
    scores = predictions["score"].to_numpy(dtype=float)
    positives, negatives = int(targets.sum()), int((~targets).sum())
    thresholds = np.unique(np.quantile(scores, np.linspace(0.0, 1.0, ROC_POINTS - 1)))[::-1]
    roc = [[0.0, 0.0, 0, 0]]
    for threshold in thresholds:
        chosen = scores >= threshold
        tp, fp = int((chosen & targets).sum()), int((chosen & ~targets).sum())
        roc.append([fp / negatives if negatives else 0.0, tp / positives if positives else 0.0, tp, fp])
    if roc[-1][:2] != [1.0, 1.0]:
        roc.append([1.0, 1.0, positives, negatives])
    calibration, suppressed = [], 0
    if scores.min() >= 0.0 and scores.max() <= 1.0:
        bins = np.minimum((scores * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)
        for index in range(CALIBRATION_BINS):
            inside = bins == index
            count = int(inside.sum())
            if 0 < count < MIN_COUNT:
                suppressed += 1
            elif count:
                calibration.append([index / CALIBRATION_BINS, (index + 1) / CALIBRATION_BINS, float(scores[inside].mean()),
                                    float(targets[inside].mean()), count])
    return {
        "positives": positives, "negatives": negatives,
        "roc": roc,  # [false-positive rate, true-positive rate, true positives, false positives]
        "calibration": calibration,  # [bin low, bin high, mean predicted, observed rate, count]
        "suppressed_bins": suppressed,
        "probabilities": bool(scores.min() >= 0.0 and scores.max() <= 1.0),
    }


def subgroup_sizes(predictions: Any, columns: Sequence[str]) -> dict[str, dict[str, Optional[int]]]:
    """Samples (queries, for retrieval) per level of each subgroup column; None for fewer than `MIN_COUNT`."""
    units = predictions.drop_duplicates("sample_id")
    sizes: dict[str, dict[str, Optional[int]]] = {}
    for column in columns:
        if column in units.columns:
            counts = units[column].astype(str).value_counts()
            sizes[column] = {str(level): (int(n) if n >= MIN_COUNT else None) for level, n in counts.items()}
    return sizes
