"""The layout of a survival task's outputs: what a model returns and what `predictions.parquet` holds.

A survival model's test output is one float array of shape (n_patients, 1 + m): column 0 is the
risk score (higher = earlier event, e.g. the Cox linear predictor), columns 1..m the predicted
probabilities of surviving beyond each of the task's `m` evaluation times (`task.eval_times`).
One array serves Estimators and Lightning modules alike (predict batches concatenate).

predictions.parquet, one row per test patient:

survival    sample_id, time, event (0/1), risk, survival_<t> for each evaluation time t

`t` is written in the shortest form that reads back to the same float (`survival_365`,
`survival_182.5`): the frame names its own evaluation times, so the metrics are recomputed from
it alone, exactly; the times are the task's `task.eval_times`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from medbench.tasks.split import Split
from medbench.errors import DataError
from medbench.tasks.columns import SAMPLE_ID
from medbench.tasks.kind import TaskKind

if TYPE_CHECKING:
    from medbench.tasks.outputs import TaskOutputs

TIME = "time"
EVENT = "event"
RISK = "risk"
SURVIVAL_PREFIX = "survival_"
# Survival curves must not increase with time; this much floating-point slack is forgiven.
MONOTONE_TOLERANCE = 1e-6
# Targets of survival splits: scikit-survival's layout, which its estimators and metrics take.
TARGET_DTYPE = np.dtype([("event", bool), ("time", np.float64)])


class SurvivalArrays(NamedTuple):
    """The columns of a survival predictions frame as arrays, in the order the metrics take them."""

    time: np.ndarray
    event: np.ndarray
    risk: np.ndarray
    survival: np.ndarray  # (n, m): S(eval_times[k]) in column k
    eval_times: np.ndarray  # (m,), increasing


def pack_survival_scores(risk: np.ndarray, survival: np.ndarray) -> np.ndarray:
    """The (n, 1 + m) raw output of a survival model from risks (n,) and survival probabilities (n, m)."""
    return np.column_stack([np.asarray(risk, dtype=np.float64), np.asarray(survival, dtype=np.float64)])


def survival_targets(event: np.ndarray, time: np.ndarray) -> np.ndarray:
    """The structured (event, time) array of :data:`TARGET_DTYPE`."""
    targets = np.empty(len(time), dtype=TARGET_DTYPE)
    targets["event"] = np.asarray(event, dtype=bool)
    targets["time"] = np.asarray(time, dtype=np.float64)
    return targets


def survival_column(time: float) -> str:
    """The column of the survival probabilities at `time`: `survival_365`, `survival_182.5`."""
    return f"{SURVIVAL_PREFIX}{np.format_float_positional(float(time), trim='-')}"


def survival_outputs(split: Split, raw_output: np.ndarray, metadata_columns: Sequence[str]) -> "TaskOutputs":
    """The task outputs of a survival run: its predictions frame."""
    from medbench.tasks.outputs import TaskOutputs

    scores = np.asarray(raw_output, dtype=np.float64)
    eval_times = tuple(getattr(split, "eval_times", ()))
    n_times = len(eval_times)
    if scores.ndim != 2 or scores.shape != (len(split), 1 + n_times):
        raise DataError(
            f"a survival model must return an array of shape (n_patients, 1 + n_eval_times) = "
            f"({len(split)}, {1 + n_times}) [risk, S(t_1)..S(t_m)]; got shape {scores.shape}"
        )
    risk, survival = scores[:, 0], scores[:, 1:]
    check_survival_scores(risk, survival)
    frame = pd.DataFrame(
        {
            SAMPLE_ID: np.asarray(split.ids).astype(str),
            TIME: np.asarray(split.targets["time"], dtype=np.float64),
            EVENT: np.asarray(split.targets["event"]).astype(np.int64),
            RISK: risk,
        }
    )
    for index, time in enumerate(eval_times):
        frame[survival_column(time)] = survival[:, index]
    for column in metadata_columns:
        if split.metadata is None or column not in split.metadata.columns:
            raise DataError(f"the task names metadata column {column!r}, but the test split has no such column")
        frame[column] = split.metadata[column].to_numpy()
    return TaskOutputs(frame)


def check_survival_scores(risk: np.ndarray, survival: np.ndarray) -> None:
    """Refuse non-finite risks, probabilities outside [0, 1] and survival curves that rise."""
    bad_rows = ~np.isfinite(risk) | ~np.isfinite(survival).all(axis=1)
    if bad_rows.any():
        raise DataError(f"the model returned NaN or infinite risks or survival probabilities for {int(bad_rows.sum())} of {len(risk)} patients")
    if ((survival < 0) | (survival > 1)).any():
        raise DataError("the model returned survival probabilities outside [0, 1]")
    if (np.diff(survival, axis=1) > MONOTONE_TOLERANCE).any():
        raise DataError("the model returned survival curves that increase with time; S(t) must not increase")


def survival_arrays(frame: pd.DataFrame) -> SurvivalArrays:
    """Read the arrays back from a predictions frame; the evaluation times come from the column names."""
    missing = [column for column in (TIME, EVENT, RISK) if column not in frame.columns]
    if missing:
        raise DataError(f"the survival predictions lack column(s) {missing}; they have {list(frame.columns)}")
    columns = [str(c) for c in frame.columns if str(c).startswith(SURVIVAL_PREFIX)]
    try:
        times = np.array([float(c[len(SURVIVAL_PREFIX):]) for c in columns])
    except ValueError:
        raise DataError(f"survival columns must read survival_<time>; got {columns}") from None
    if len(times) < 2:
        raise DataError(f"the survival predictions need survival_<time> columns for at least two times; they have {list(frame.columns)}")
    order = np.argsort(times)
    return SurvivalArrays(
        time=frame[TIME].to_numpy(dtype=np.float64),
        event=frame[EVENT].to_numpy().astype(bool),
        risk=frame[RISK].to_numpy(dtype=np.float64),
        survival=frame[[columns[i] for i in order]].to_numpy(dtype=np.float64),
        eval_times=times[order],
    )


KIND = TaskKind(
    name="survival",
    models=("coxph", "deepsurv", "timeline_gru_survival", "predictions_file"),
    output_description="per patient a risk score (higher = earlier event) and survival probabilities at the task's times",
    metrics_module="medbench.metrics.survival",
    build_outputs=survival_outputs,
    required_columns=(SAMPLE_ID, TIME, EVENT, RISK),
    required_prefixes=(SURVIVAL_PREFIX,),
    prediction_columns=(RISK,),
    prediction_prefixes=(SURVIVAL_PREFIX,),
    finite=(RISK, TIME, SURVIVAL_PREFIX),
)
