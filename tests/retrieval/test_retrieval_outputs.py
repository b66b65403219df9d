"""The record's retrieval layout: trec_eval ranking, checks against the split, no text."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from medbench.data.retrieval import BeirDataModule
from medbench.errors import DataError
from medbench.tasks.registry import get_kind


@pytest.fixture
def test_split(beir_folder: Path):
    data = BeirDataModule(folder=str(beir_folder))
    data.setup()
    return data.split("test")


def _run(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["sample_id", "doc_id", "score"])


def test_run_is_ranked_as_trec_eval_ranks_it(test_split) -> None:
    # Ties are broken by document id, descending (trec_eval's order); queries follow the split.
    run = _run([("q4", "d1", 0.5), ("q4", "d4", 0.5), ("q3", "d1", 0.1), ("q4", "d2", 0.9), ("q3", "d3", 2.0)])
    outputs = get_kind("retrieval").build_outputs(test_split, run, [])
    frame = outputs.predictions
    assert list(frame.columns) == ["sample_id", "doc_id", "score", "rank"]
    assert frame[["sample_id", "doc_id", "rank"]].values.tolist() == [
        ["q3", "d3", 1], ["q3", "d1", 2], ["q4", "d2", 1], ["q4", "d4", 2], ["q4", "d1", 3],
    ]
    assert str(frame["rank"].dtype) == "int64" and str(frame["score"].dtype) == "float64"


def test_qrels_hold_every_judgment_of_the_test_queries(test_split) -> None:
    outputs = get_kind("retrieval").build_outputs(test_split, _run([("q3", "d3", 1.0)]), [])
    assert outputs.qrels.values.tolist() == [["q3", "d3", 1], ["q4", "d4", 1], ["q4", "d2", 0]]
    assert list(outputs.qrels.columns) == ["sample_id", "doc_id", "relevance"]


@pytest.mark.parametrize(
    "rows, message",
    [
        ([("q3", "d3", float("nan"))], "NaN, infinite or non-numeric"),
        ([("q3", "d99", 1.0)], "documents outside the corpus"),
        ([("q1", "d1", 1.0)], "queries outside the test split"),
        ([("q3", "d3", 1.0), ("q3", "d3", 0.5)], "retrieves document 'd3' twice for query 'q3'"),
    ],
)
def test_bad_runs_are_refused(test_split, rows, message: str) -> None:
    with pytest.raises(DataError, match=message):
        get_kind("retrieval").build_outputs(test_split, _run(rows), [])


def test_missing_columns_and_metadata_are_refused(test_split) -> None:
    with pytest.raises(DataError, match=r"lacks the column\(s\) \['score'\]"):
        get_kind("retrieval").build_outputs(test_split, pd.DataFrame({"sample_id": ["q3"], "doc_id": ["d3"]}), [])
    with pytest.raises(DataError, match="no per-query metadata"):
        get_kind("retrieval").build_outputs(test_split, _run([("q3", "d3", 1.0)]), ["site"])
