"""Checks of a stored `predictions.parquet`, run on every read (score, compare, submit, report).

A record may come from elsewhere, or have been edited: what was checked when the run wrote it is
checked again when it is read, with one-line errors. The columns each kind must have follow
:mod:`medbench.tasks.predictions`, :mod:`medbench.tasks.survival` and :mod:`medbench.tasks.retrieval`.
No torch here: the committee's commands read records.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

import numpy as np

from medbench.errors import RecordError

SAMPLE_ID = "sample_id"
DOC_ID = "doc_id"
SHOWN = 3
# kind -> (columns every frame has, prefixes of which at least one column must exist)
REQUIRED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "binary": ((SAMPLE_ID, "target", "score"), ()),
    "multiclass": ((SAMPLE_ID, "target"), ("score_",)),
    "multilabel": ((SAMPLE_ID,), ("target_", "score_")),
    "survival": ((SAMPLE_ID, "time", "event", "risk"), ("survival_",)),
    "retrieval": ((SAMPLE_ID, DOC_ID, "score"), ()),
    "regression": ((SAMPLE_ID, "target", "prediction"), ()),
}
# Columns whose values must all be finite numbers.
SCORE_COLUMNS = ("score", "risk", "time", "prediction")
SCORE_PREFIXES = ("score_", "survival_")


def check_stored_predictions(frame: Any, kind: str, test_ids: Optional[Sequence[str]], path: Path) -> None:
    """Refuse (RecordError) a predictions frame with missing columns, repeated or foreign ids, or
    non-finite scores; `test_ids` (the record's test split) must be exactly the ids it answers."""
    columns, prefixes = REQUIRED.get(kind, ((SAMPLE_ID,), ()))
    missing = [c for c in columns if c not in frame.columns] + [
        f"{p}*" for p in prefixes if not any(str(c).startswith(p) for c in frame.columns)
    ]
    if missing:
        raise RecordError(f"{path}: missing column(s) {', '.join(missing)} for a {kind} task; the file was altered or truncated")
    keys = [SAMPLE_ID, DOC_ID] if kind == "retrieval" else [SAMPLE_ID]
    repeated = frame[frame.duplicated(keys)][SAMPLE_ID].astype(str).unique().tolist()
    if repeated:
        raise RecordError(f"{path}: {len(repeated)} sample id(s) appear more than once, e.g. {repeated[:SHOWN]}")
    for column in frame.columns:
        if column in SCORE_COLUMNS or str(column).startswith(SCORE_PREFIXES):
            values = np.asarray(frame[column], dtype=np.float64)
            bad = int((~np.isfinite(values)).sum())
            if bad:
                raise RecordError(f"{path}: column {column} has {bad} NaN or infinite value(s); scores must be finite")
    if test_ids is not None:
        _check_ids(set(frame[SAMPLE_ID].astype(str)), {str(i) for i in test_ids}, kind, path)


def _check_ids(found: set[str], wanted: set[str], kind: str, path: Path) -> None:
    foreign = sorted(found - wanted)
    if foreign:
        raise RecordError(f"{path}: {len(foreign)} id(s) are not test samples of the record, e.g. {foreign[:SHOWN]}")
    # A retrieval run may retrieve nothing for a query (it scores 0); every other kind answers all.
    absent = sorted(wanted - found)
    if absent and kind != "retrieval":
        raise RecordError(f"{path}: no predictions for {len(absent)} of the {len(wanted)} test samples, e.g. {absent[:SHOWN]}")
