"""What a task keeps of a model's test outputs: the predictions frame, and the qrels for retrieval.

Each task kind has one builder that turns the model's raw test output into the frame laid out in
:mod:`medbench.tasks.predictions` (classification) or in the kind's own module. Builders of the
other modalities are imported by name, so a classification run never imports retrieval code.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional

import pandas as pd

from medbench.data.split import Split

# kind -> "module:function" with signature (split, raw_output, metadata_columns) -> TaskOutputs
OUTPUT_BUILDERS: dict[str, str] = {
    "binary": "medbench.tasks.predictions:classification_outputs",
    "multiclass": "medbench.tasks.predictions:classification_outputs",
    "multilabel": "medbench.tasks.predictions:classification_outputs",
    "retrieval": "medbench.tasks.retrieval:retrieval_outputs",
    "survival": "medbench.tasks.survival:survival_outputs",
}


@dataclass(frozen=True)
class TaskOutputs:
    """The per-sample evidence a record keeps; every metric is computed from it alone."""

    predictions: pd.DataFrame
    # Retrieval: columns sample_id (query id), doc_id, relevance; None for the other kinds.
    qrels: Optional[pd.DataFrame] = None


def build_outputs(kind: str, split: Split, raw_output: Any, metadata_columns: Sequence[str]) -> TaskOutputs:
    module_name, function_name = OUTPUT_BUILDERS[kind].split(":")
    builder = getattr(importlib.import_module(module_name), function_name)
    return builder(split, raw_output, metadata_columns, kind=kind)
