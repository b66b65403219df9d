"""TREC qrels and run files: round trip, and errors that name the file and the line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from medbench.data.trec import read_qrels, read_run, write_qrels, write_run
from medbench.errors import DataError


def test_round_trip_keeps_ids_as_strings(tmp_path: Path) -> None:
    qrels = pd.DataFrame({"sample_id": ["007", "q2"], "doc_id": ["d1", "0042"], "relevance": [2, 0]})
    run = pd.DataFrame({"sample_id": ["007", "007"], "doc_id": ["d1", "d9"], "score": [0.123456789012345678, -3.0], "rank": [1, 2]})
    write_qrels(qrels, tmp_path / "q.txt")
    write_run(run, tmp_path / "r.txt")
    pd.testing.assert_frame_equal(read_qrels(tmp_path / "q.txt"), qrels, check_dtype=False)
    back = read_run(tmp_path / "r.txt")
    assert list(back["sample_id"]) == ["007", "007"] and list(back["doc_id"]) == ["d1", "d9"]
    assert back["score"].tolist() == run["score"].tolist()


def test_any_whitespace_separates_fields(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("q1\tQ0  d1 1 2.5 tag\n\nq1 Q0 d2 2 1e-3 tag\n")
    assert read_run(tmp_path / "r.txt")["score"].tolist() == [2.5, 0.001]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("q1 0 d1 1\nq1 0 d2\n", r"line 2: expected 4 fields .* found 3"),
        ("q1 0 d1 1\nq1 0 d2 1 extra\n", r"line 2: expected 4 fields .* found 5"),
        ("q1 0 d1 one\n", r"line 1: field 'relevance' is not a valid number: 'one'"),
        ("q1 0 d1 1.5\n", r"line 1: field 'relevance'"),
        ("q1 0 d1 1\nq1 0 d1 0\n", r"'d1' of query 'q1' is listed twice"),
    ],
)
def test_malformed_qrels_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.qrels"
    path.write_text(text)
    with pytest.raises(DataError, match=message) as error:
        read_qrels(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("q1 Q0 d1 1 nan t\n", "field 'score'"),
        ("q1 Q0 d1 x 0.5 t\n", "field 'rank'"),
        ("q1 Q0 d1 1 0.5\n", "expected 6 fields"),
    ],
)
def test_malformed_runs_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.run"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        read_run(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        read_run(tmp_path / "nope.run")
