"""What a task keeps of a model's test outputs: the predictions frame, and the qrels for retrieval.

Each task kind's spec (`get_kind(kind).build_outputs`, :mod:`medbench.tasks.registry`) is the one
builder that turns the model's raw test output into the frame its module lays out. Kinds are
imported by name on first use, so a classification run never imports retrieval code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pandas as pd


@dataclass(frozen=True)
class TaskOutputs:
    """The per-sample evidence a record keeps; every metric is computed from it alone."""

    predictions: pd.DataFrame
    # Retrieval: columns sample_id (query id), doc_id, relevance; None for the other kinds.
    qrels: Optional[pd.DataFrame] = None
