"""The truth of a test set: what a board's numbers are measured against, apart from the scores.

A predictions frame holds the columns a model produced (its kind's `prediction_columns`, see
`medbench.tasks.kind.TaskKind`) and everything else: sample ids, targets, survival times and
events, metadata such as site or sex that subgroups read. The everything-else is the truth; for
retrieval, the relevance judgments (qrels) too. The committee keeps it hidden (`committee.hidden`);
a folder board pins its digest (`truth_sha256`) at its first entry and refuses a record whose
truth differs, so nobody ranks #1 by rewriting the targets to agree with their scores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from medbench.io import sha256_hex
from medbench.tasks.columns import SAMPLE_ID

if TYPE_CHECKING:
    import pandas as pd


def split_truth(frame: "pd.DataFrame", kind: str) -> tuple["pd.DataFrame", tuple[str, ...]]:
    """The truth of a predictions frame (one row per sample, in record order) and the score columns
    a submission must send (the kind's prediction columns less the decisions derived from scores)."""
    from medbench.tasks.registry import get_kind

    spec = get_kind(kind)
    predicted = [column for column in frame.columns if spec.is_prediction(column)]
    required = tuple(column for column in predicted if not column.startswith(spec.derived_prefixes))
    truth = frame[[column for column in frame.columns if column not in predicted]]
    if spec.row_keys != (SAMPLE_ID,):  # several rows per unit (a query's ranked documents): one truth row each
        truth = truth.drop_duplicates(SAMPLE_ID)
    return truth.reset_index(drop=True), required


def truth_sha256(truth: "pd.DataFrame", qrels: Optional["pd.DataFrame"]) -> str:
    """The digest of a test set's truth, independent of row order and file encoding."""
    parts = [_frame_bytes(truth.assign(**{SAMPLE_ID: truth[SAMPLE_ID].astype(str)}).sort_values(SAMPLE_ID, kind="stable"))]
    if qrels is not None:
        parts.append(_frame_bytes(qrels.astype(str).sort_values(list(qrels.columns), kind="stable")))
    return sha256_hex(b"\0".join(parts))


def frame_truth_sha256(frame: "pd.DataFrame", qrels: Optional["pd.DataFrame"], kind: str) -> str:
    """The truth digest of a stored predictions frame (and its qrels)."""
    return truth_sha256(split_truth(frame, kind)[0], qrels)


def _frame_bytes(frame: "pd.DataFrame") -> bytes:
    return frame.to_csv(index=False, float_format="%.17g").encode("utf-8")
