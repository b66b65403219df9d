"""Checks of a stored `predictions.parquet`, run on every read (score, compare, submit, report).

A record may come from elsewhere, or have been edited: what was checked when the run wrote it is
checked again when it is read, with one-line errors. The columns each kind must have are declared
by its spec (:class:`medbench.tasks.kind.TaskKind`). No torch here: the committee's commands read records.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Optional

import numpy as np

from medbench.errors import RecordError
from medbench.tasks.columns import SAMPLE_ID

SHOWN = 3


def check_stored_predictions(frame: Any, kind: str, test_ids: Optional[Sequence[str]], path: Path) -> None:
    """Refuse (RecordError) a predictions frame with missing columns, repeated or foreign ids, or
    non-finite scores; `test_ids` (the record's test split) must be exactly the ids it answers."""
    from medbench.tasks.registry import get_kind

    spec = get_kind(kind)
    missing = spec.missing_columns(frame.columns)
    if missing:
        raise RecordError(f"{path}: missing column(s) {', '.join(missing)} for a {kind} task; the file was altered or truncated")
    repeated = frame[frame.duplicated(list(spec.row_keys))][SAMPLE_ID].astype(str).unique().tolist()
    if repeated:
        raise RecordError(f"{path}: {len(repeated)} sample id(s) appear more than once, e.g. {repeated[:SHOWN]}")
    for column in frame.columns:
        if _is_finite_column(str(column), spec.finite):
            values = np.asarray(frame[column], dtype=np.float64)
            bad = int((~np.isfinite(values)).sum())
            if bad:
                raise RecordError(f"{path}: column {column} has {bad} NaN or infinite value(s); scores must be finite")
    if test_ids is not None:
        _check_ids(set(frame[SAMPLE_ID].astype(str)), {str(i) for i in test_ids}, spec.answers_every_unit, path)


def _is_finite_column(column: str, finite: Sequence[str]) -> bool:
    return any(column == name or (name.endswith("_") and column.startswith(name)) for name in finite)


def _check_ids(found: set[str], wanted: set[str], every_unit: bool, path: Path) -> None:
    foreign = sorted(found - wanted)
    if foreign:
        raise RecordError(f"{path}: {len(foreign)} id(s) are not test samples of the record, e.g. {foreign[:SHOWN]}")
    # A retrieval run may retrieve nothing for a query (it scores 0); other kinds answer every unit.
    absent = sorted(wanted - found)
    if absent and every_unit:
        raise RecordError(f"{path}: no predictions for {len(absent)} of the {len(wanted)} test samples, e.g. {absent[:SHOWN]}")
