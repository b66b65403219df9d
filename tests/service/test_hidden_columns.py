"""Which columns are truth and which are predictions comes from the task kind's spec, not from names."""

from __future__ import annotations

import pytest

from medbench.leaderboard.committee.hidden import is_prediction_column
from medbench.tasks.registry import KIND_MODULES, get_kind


@pytest.mark.parametrize("kind", sorted(KIND_MODULES))
def test_every_kind_declares_what_its_model_produced(kind: str) -> None:
    spec = get_kind(kind)
    assert spec.prediction_columns or spec.prediction_prefixes
    assert not spec.is_prediction("sample_id")
    truth = {"binary": "target", "multiclass": "target", "multilabel": "target_0", "retrieval": "sample_id",
             "survival": "event", "regression": "target", "forecasting": "scale"}[kind]
    assert not is_prediction_column(truth, kind)


def test_a_column_is_judged_by_its_boards_kind() -> None:
    # A binary board's metadata column may start like another kind's scores: it stays hidden truth.
    assert not is_prediction_column("score_site", "binary")
    assert is_prediction_column("score_2", "multiclass")
    assert is_prediction_column("survival_365", "survival") and not is_prediction_column("time", "survival")
    assert not is_prediction_column("survival_365", "regression")
    # Without a kind (a partner's file), whatever any kind's model produces is sent.
    assert is_prediction_column("quantile_0.5") and not is_prediction_column("target")
