"""Fusion of runs: reciprocal rank fusion and score interpolation, computed by hand on small runs."""

from __future__ import annotations

import pandas as pd
import pytest

from medbench.errors import ConfigError
from medbench.models.retrieval.fusion import interpolated_scores, normalised_scores, reciprocal_rank_fusion


def run(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["sample_id", "doc_id", "score"])


LEXICAL = run([("q1", "a", 9.0), ("q1", "b", 5.0), ("q1", "c", 1.0), ("q2", "a", 2.0)])
DENSE = run([("q1", "c", 0.9), ("q1", "d", 0.8), ("q1", "a", 0.1), ("q2", "b", 0.5), ("q2", "a", 0.4)])


def as_lists(fused: pd.DataFrame) -> dict[str, list[tuple[str, float]]]:
    return {query: list(zip(group["doc_id"], group["score"].round(9))) for query, group in fused.groupby("sample_id", sort=False)}


def test_rrf_sums_weighted_reciprocal_ranks_and_orders_ties_by_doc_id_descending() -> None:
    fused = reciprocal_rank_fusion({"bm25": LEXICAL, "dense": DENSE}, {"bm25": 1.0, "dense": 1.0}, 60, 10, ["q1", "q2"])
    q1 = dict(as_lists(fused)["q1"])
    assert q1["a"] == pytest.approx(1 / 61 + 1 / 63) and q1["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert q1["b"] == pytest.approx(1 / 62) and q1["d"] == pytest.approx(1 / 62)
    # a and c tie, as do b and d: trec_eval's rule puts the larger document id first.
    assert [doc for doc, _ in as_lists(fused)["q1"]] == ["c", "a", "d", "b"]
    assert [doc for doc, _ in as_lists(fused)["q2"]] == ["a", "b"]  # 1/61 + 1/62 beats 1/61


def test_rrf_weights_and_cut() -> None:
    fused = reciprocal_rank_fusion({"bm25": LEXICAL, "dense": DENSE}, {"bm25": 0.0, "dense": 1.0}, 60, 2, ["q2", "q1"])
    assert fused["sample_id"].tolist() == ["q2", "q2", "q1", "q1"]  # the queries' order, top 2 each
    assert [doc for doc, _ in as_lists(fused)["q1"]] == ["c", "d"]  # the dense run alone
    with pytest.raises(ConfigError, match="rrf_k"):
        reciprocal_rank_fusion({"bm25": LEXICAL}, {"bm25": 1.0}, -1, 10, ["q1"])


def test_normalisations() -> None:
    minmax = normalised_scores(LEXICAL, "minmax")
    assert minmax["score"].tolist() == pytest.approx([1.0, 0.5, 0.0, 0.0])  # q2 has one score: no spread, 0
    z = normalised_scores(DENSE, "zscore")
    q1 = DENSE["score"][:3]
    assert z["score"][:3].tolist() == pytest.approx(((q1 - q1.mean()) / q1.std(ddof=0)).tolist())
    assert z["score"][3:].tolist() == pytest.approx([1.0, -1.0])


def test_interpolation_gives_a_missing_document_the_runs_lowest_score() -> None:
    fused = interpolated_scores({"bm25": LEXICAL, "dense": DENSE}, {"bm25": 0.5, "dense": 0.5}, "minmax", 10, ["q1", "q2"])
    q1 = dict(as_lists(fused)["q1"])
    # bm25 min-max on q1: a 1, b 0.5, c 0 (d missing: 0); dense: c 1, d 0.875, a 0 (b missing: 0).
    assert q1 == pytest.approx({"a": 0.5, "b": 0.25, "c": 0.5, "d": 0.4375})
    assert [doc for doc, _ in as_lists(fused)["q1"]] == ["c", "a", "d", "b"]
    z = interpolated_scores({"bm25": LEXICAL, "dense": DENSE}, {"bm25": 1.0, "dense": 1.0}, "zscore", 10, ["q1", "q2"])
    lowest_dense_q1 = normalised_scores(DENSE, "zscore")["score"][:3].min()
    b = dict(as_lists(z)["q1"])["b"]
    assert b == pytest.approx(normalised_scores(LEXICAL, "zscore")["score"][1] + lowest_dense_q1, abs=1e-9)
    with pytest.raises(ConfigError, match="normalisation"):
        interpolated_scores({"bm25": LEXICAL}, {"bm25": 1.0}, "rank", 10, ["q1"])
