"""Resubmissions of rejected entries, found by how their scores rank the test samples (both stores).

A rejected entry's scores multiplied by 0.999 and sent under a new name have new bytes, a new hash
and the same metrics: only the order they put the samples in gives them away. A submission whose
scores rank the samples like a rejected entry's (Spearman's rho of at least `SAME_RANKING`, or
equal ranks) is refused as a resubmission of it. The comparison runs where the scores already
are (the committee's database, a folder board's predictions store): nothing per-sample leaves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Optional

from medbench.leaderboard.board.entries import SubmissionRefused

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

SAME_RANKING = 0.999


class Resubmission(SubmissionRefused):
    """The scores are a rejected entry's, reordered by no more than a monotone change."""


def ranking_vector(frame: "pd.DataFrame", kind: str) -> "np.ndarray":
    """The frame's scores (the prediction columns of `kind` a model produces, not the decisions derived from them), rows in the order of the kind's row keys, flattened."""
    import numpy as np

    from medbench.tasks.registry import get_kind

    spec = get_kind(kind)
    keys = [key for key in spec.row_keys if key in frame.columns]
    columns = sorted(
        column for column in frame.columns
        if column not in keys and spec.is_prediction(column) and not column.startswith(spec.derived_prefixes)
    )
    ordered = frame.assign(**{key: frame[key].astype(str) for key in keys}).sort_values(keys, kind="stable")
    return ordered[columns].to_numpy(dtype=np.float64).ravel(order="F")


def rank_agreement(a: "np.ndarray", b: "np.ndarray") -> float:
    """Spearman's rho of two score vectors of the same samples (1.0 for equal ranks, even constant ones)."""
    import numpy as np
    from scipy.stats import rankdata

    if a.shape != b.shape or a.size == 0:
        return 0.0
    ranks_a, ranks_b = rankdata(a), rankdata(b)
    if np.array_equal(ranks_a, ranks_b):
        return 1.0
    if ranks_a.std() == 0 or ranks_b.std() == 0:
        return 0.0
    return float(np.corrcoef(ranks_a, ranks_b)[0, 1])


def check_not_resubmission(
    frame: "pd.DataFrame", kind: str, rejected: Iterable[tuple[str, Callable[[], "pd.DataFrame"]]]
) -> None:
    """Refuse `frame` when its scores rank the samples like one of the `rejected` entries' (id, scores loader)."""
    found = _first_alike(ranking_vector(frame, kind), kind, rejected)
    if found is not None:
        entry_id, rho = found
        raise Resubmission(
            f"resubmission of rejected entry {entry_id[:12]}: these scores rank the test samples as its scores do "
            f"(Spearman {rho:.4f} >= {SAME_RANKING}); the committee's rejection stands, send a different model"
        )


def _first_alike(
    vector: "np.ndarray", kind: str, rejected: Iterable[tuple[str, Callable[[], "pd.DataFrame"]]]
) -> Optional[tuple[str, float]]:
    for entry_id, load in rejected:
        rho = rank_agreement(vector, ranking_vector(load(), kind))
        if rho >= SAME_RANKING:
            return entry_id, rho
    return None
