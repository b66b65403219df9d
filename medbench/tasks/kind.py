"""What a task kind is: the one spec that everything else looks up instead of comparing kind names.

In the spirit of MTEB's task types and lm-eval's `output_type`: a kind declares, in one module
(`medbench/tasks/<kind>.py`, named in :data:`medbench.tasks.registry.KIND_MODULES`), how a
model's raw test output becomes the record's predictions (and their layout), which module
registers its metric families, which plots a report draws from its predictions, and how its
output is described to a stranger. Adding a kind is that module, its metrics and its `conf/`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

from medbench.tasks.columns import SAMPLE_ID

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from medbench.tasks.split import Split
    from medbench.tasks.outputs import TaskOutputs

# (split, the model's raw test output, the protocol's metadata columns) -> what the record keeps
OutputBuilder = Callable[["Split", Any, Sequence[str]], "TaskOutputs"]
# (predictions, qrels or None, primary metric, its per-unit values or None) -> (title, base64 PNG)
# pairs for the report. The caller (`medbench.transfer.report`) computes the per-unit values from
# the metric registry, a layer above the kinds, when the primary metric is a mean of them.
Plotter = Callable[["pd.DataFrame", Optional["pd.DataFrame"], str, Optional["np.ndarray"]], list[tuple[str, str]]]


def no_plots(
    predictions: "pd.DataFrame", qrels: Optional["pd.DataFrame"], primary: str, per_unit: Optional["np.ndarray"]
) -> list[tuple[str, str]]:
    return []


# The model options that read a timeline's code sequences (`task.data.features=sequence`) and
# nothing else: only a timeline task (its data declare a cohort) can feed them.
SEQUENCE_MODELS = frozenset({"timeline_gru", "timeline_gru_survival"})
# The other options a timeline task can feed: those that read a table of numbers, as its window
# counts are (`features=counts`), and those that read no input (scores sent as a file), or their own graph.
TABLE_READING_MODELS = frozenset({"mlp", "logreg", "gbm", "coxph", "deepsurv"})
WINDOW_COUNT_MODELS = TABLE_READING_MODELS | {"onnx", "predictions_file"}


@dataclass(frozen=True)
class Classes:
    """How a classification kind lays out its classes, so that models and data ask it, not the kind's name.

    binary: one score (the probability of class 1) and class indices 0/1; multi-class: one score
    per class and class indices; multi-label: one score per label and a 0/1 matrix of targets.
    """

    # Classes exclude each other: a target is one class index per sample (not a 0/1 row per sample).
    exclusive: bool
    # The model gives one score per sample, the probability of class 1 (of two), not one per class.
    single_score: bool

    @property
    def activation(self) -> str:
        """What turns logits into the kind's probabilities: `softmax` over exclusive classes, else `sigmoid`."""
        return "softmax" if self.exclusive and not self.single_score else "sigmoid"


@dataclass(frozen=True)
class TaskKind:
    name: str
    # What a model outputs for one test unit, as a bundle's `output_format` tells a reader.
    output_description: str
    # The module that registers the kind's metric families and its preparer (`medbench.metrics.registry`).
    metrics_module: str
    build_outputs: OutputBuilder
    plots: Plotter = no_plots
    # Metric family -> the classical paired test (DeLong, McNemar) that tiers prefer for it when
    # units are independent; other families are compared by paired bootstrap.
    paired_tests: Mapping[str, str] = field(default_factory=dict)
    # What a stored predictions frame must hold (checked on every read, `medbench.tasks.stored`):
    # these columns, at least one column starting with each prefix, one row per `row_keys`, and
    # finite numbers in the `finite` columns (names, or prefixes ending in `_`).
    required_columns: tuple[str, ...] = (SAMPLE_ID,)
    required_prefixes: tuple[str, ...] = ()
    row_keys: tuple[str, ...] = (SAMPLE_ID,)
    finite: tuple[str, ...] = ()
    # Whether every test unit has a row (a retrieval run may retrieve nothing for a query).
    answers_every_unit: bool = True
    # Set on classification kinds only: their class layout (None: the kind does not classify).
    classes: Optional[Classes] = None
    # The columns the model produced, by name and by prefix: what a submission to a committee sends.
    # Every other column is the test set's truth or metadata, which a committee keeps hidden
    # (`medbench.leaderboard.committee.hidden`). Those starting with a `derived_prefixes` entry (decisions)
    # the committee re-derives from the scores, so a submission need not send them.
    prediction_columns: tuple[str, ...] = ()
    prediction_prefixes: tuple[str, ...] = ()
    derived_prefixes: tuple[str, ...] = ()
    # The `conf/model` options that serve this kind (`model=NAME`). A run that names another kind's
    # option is refused before anything is built, with these as the ones to use (`medbench.engine.run`).
    models: tuple[str, ...] = ()

    def models_for(self, timelines: bool) -> tuple[str, ...]:
        """The options of :attr:`models` that a task of this kind can feed, in their order.

        On patient timelines: the sequence models and those that read window counts; on any other
        data (a table, images, texts): every option but the sequence models.
        """
        if timelines:
            return tuple(m for m in self.models if m in SEQUENCE_MODELS or m in WINDOW_COUNT_MODELS)
        return tuple(m for m in self.models if m not in SEQUENCE_MODELS)

    def missing_columns(self, columns: Sequence[str]) -> list[str]:
        """The required columns absent from `columns`, and `prefix*` for each required prefix none starts with."""
        present = [str(column) for column in columns]
        return [c for c in self.required_columns if c not in present] + [
            f"{p}*" for p in self.required_prefixes if not any(column.startswith(p) for column in present)
        ]

    def is_prediction(self, column: str) -> bool:
        return column in self.prediction_columns or column.startswith(self.prediction_prefixes)

    def paired_test(self, metric: str) -> Optional[str]:
        """The classical paired test for `metric` (a full name such as `auroc`), or None."""
        return self.paired_tests.get(metric.partition("@")[0])
