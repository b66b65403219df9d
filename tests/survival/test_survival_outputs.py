"""The survival predictions frame: its layout, and refusal of malformed model outputs."""

from __future__ import annotations

import numpy as np
import pytest

from medbench.data.survival import SurvivalSplit
from medbench.errors import DataError
from medbench.tasks.registry import get_kind
from medbench.tasks.survival import pack_survival_scores, survival_arrays, survival_targets


@pytest.fixture
def split() -> SurvivalSplit:
    targets = survival_targets(np.array([1, 0, 1]), np.array([5.0, 8.0, 2.0]))
    return SurvivalSplit(ids=np.array(["a", "b", "c"]), inputs=np.zeros((3, 2)), targets=targets, eval_times=(1.0, 4.5))


def test_frame_holds_ids_times_events_risks_and_survival_columns(split: SurvivalSplit) -> None:
    raw = pack_survival_scores(np.array([0.1, -0.2, 0.3]), np.array([[0.9, 0.5], [0.95, 0.7], [0.8, 0.3]]))
    frame = get_kind("survival").build_outputs(split, raw, []).predictions
    assert list(frame.columns) == ["sample_id", "time", "event", "risk", "survival_1", "survival_4.5"]
    assert frame["sample_id"].tolist() == ["a", "b", "c"] and frame["event"].tolist() == [1, 0, 1]
    arrays = survival_arrays(frame[["sample_id", "time", "event", "risk", "survival_4.5", "survival_1"]])
    np.testing.assert_array_equal(arrays.survival, raw[:, 1:])
    np.testing.assert_array_equal(arrays.eval_times, [1.0, 4.5])
    with pytest.raises(DataError, match="at least two times"):
        survival_arrays(frame.drop(columns=["survival_1"]))
    with pytest.raises(DataError, match="survival_<time>"):
        survival_arrays(frame.rename(columns={"survival_1": "survival_one"}))


@pytest.mark.parametrize(
    ("survival", "problem"),
    [
        ([[0.9, np.nan], [0.9, 0.5], [0.9, 0.5]], "NaN or infinite"),
        ([[0.9, 1.2], [0.9, 0.5], [0.9, 0.5]], r"outside \[0, 1\]"),
        ([[0.5, 0.9], [0.9, 0.5], [0.9, 0.5]], "increase with time"),
    ],
)
def test_malformed_survival_scores_are_refused(split: SurvivalSplit, survival, problem: str) -> None:
    raw = pack_survival_scores(np.zeros(3), np.asarray(survival))
    with pytest.raises(DataError, match=problem):
        get_kind("survival").build_outputs(split, raw, [])


def test_wrong_number_of_columns_is_refused(split: SurvivalSplit) -> None:
    with pytest.raises(DataError, match=r"shape \(n_patients, 1 \+ n_eval_times\) = \(3, 3\)"):
        get_kind("survival").build_outputs(split, np.zeros((3, 2)), [])
