"""A partner's TREC run file is scored as a model: the same outputs as medbench's own retrievers."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from medbench.data.retrieval import BeirDataModule
from medbench.errors import ConfigError, DataError
from medbench.models.base import Estimator
from medbench.models.retrieval.bm25 import BM25Retriever
from medbench.models.retrieval.trec_run import TrecRunFile
from medbench.tasks.registry import get_kind
from tests.retrieval.conftest import mean_ndcg_at_10


def _write_run(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def data(beir_folder: Path) -> BeirDataModule:
    module = BeirDataModule(folder=str(beir_folder))
    module.setup()
    return module


def test_run_file_gives_the_test_queries_lines_ranked_by_score(data, tmp_path: Path) -> None:
    run = _write_run(
        tmp_path / "engine.trec",
        [
            "q1 Q0 d1 1 9.0 engine",  # a training query: left out
            "q3 Q0 d1 1 3.5 engine",
            "q3 Q0 d3 2 3.5 engine",  # tie with d1: d3 ranks first (document id descending)
            "q4 Q0 d4 1 0.7 engine",
            "q4 Q0 d2 2 0.2 engine",
        ],
    )
    model = TrecRunFile(str(run))
    assert isinstance(model, Estimator)
    model.fit(data.split("train"), data.split("val"))
    outputs = get_kind("retrieval").build_outputs(data.split("test"), model.predict_scores(data.split("test")), [])
    assert outputs.predictions[["sample_id", "doc_id", "rank"]].values.tolist() == [
        ["q3", "d3", 1], ["q3", "d1", 2], ["q4", "d4", 1], ["q4", "d2", 2],
    ]
    saved = model.save(tmp_path / "model")
    assert saved.name == "model.run" and saved.read_bytes() == run.read_bytes()


def test_top_k_keeps_each_querys_best_documents(data, tmp_path: Path) -> None:
    run = _write_run(tmp_path / "r.trec", ["q3 Q0 d1 1 1.0 x", "q3 Q0 d3 2 2.0 x", "q3 Q0 d2 3 0.5 x", "q4 Q0 d4 1 1.0 x"])
    frame = TrecRunFile(str(run), top_k=1).predict_scores(data.split("test"))
    assert sorted(map(tuple, frame[["sample_id", "doc_id"]].values.tolist())) == [("q3", "d3"), ("q4", "d4")]


def test_a_medbench_run_written_as_trec_scores_the_same(generated_data, tmp_path: Path) -> None:
    from medbench.data.trec import write_run

    test = generated_data.split("test")
    bm25 = BM25Retriever()
    bm25.fit(generated_data.split("train"), generated_data.split("val"))
    direct = get_kind("retrieval").build_outputs(test, bm25.predict_scores(test), [])
    write_run(direct.predictions, tmp_path / "bm25.trec", tag="bm25")
    replayed = get_kind("retrieval").build_outputs(test, TrecRunFile(str(tmp_path / "bm25.trec")).predict_scores(test), [])
    assert replayed.predictions.equals(direct.predictions)
    assert mean_ndcg_at_10(replayed) == mean_ndcg_at_10(direct)


def test_problems_name_the_run_file(data, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        TrecRunFile(str(tmp_path / "missing.trec"))
    unknown = _write_run(tmp_path / "unknown.trec", ["q3 Q0 d99 1 1.0 x"])
    with pytest.raises(DataError, match=r"unknown\.trec: the run names 1 documents that are not in the task's corpus"):
        TrecRunFile(str(unknown)).predict_scores(data.split("test"))
    other = _write_run(tmp_path / "other.trec", ["q1 Q0 d1 1 1.0 x"])
    with pytest.raises(DataError, match=r"other\.trec: the run has no line for any of the 2 test queries"):
        TrecRunFile(str(other)).predict_scores(data.split("test"))
    malformed = _write_run(tmp_path / "malformed.trec", ["q3 Q0 d3 1 1.0 x", "q4 Q0 d4 one 1.0 x"])
    with pytest.raises(DataError, match=r"malformed\.trec, line 2"):
        TrecRunFile(str(malformed)).predict_scores(data.split("test"))
    partial = _write_run(tmp_path / "partial.trec", ["q3 Q0 d3 1 1.0 x"])
    with caplog.at_level(logging.WARNING):
        TrecRunFile(str(partial)).predict_scores(data.split("test"))
    assert "1 of 2 test queries have no line in the run" in caplog.text


def test_a_run_that_skips_queries_scores_them_zero(generated_data, tmp_path: Path) -> None:
    """The task counts every judged test query: leaving out hard queries cannot raise a score."""
    from medbench.data.trec import write_run
    from medbench.records.protocol import Confidence, Protocol
    from medbench.evaluation.scoring import score_outputs

    test = generated_data.split("test")
    bm25 = BM25Retriever()
    bm25.fit(generated_data.split("train"), generated_data.split("val"))
    full = get_kind("retrieval").build_outputs(test, bm25.predict_scores(test), [])
    kept = sorted(set(full.predictions["sample_id"]))[: len(test) // 2]
    write_run(full.predictions[full.predictions["sample_id"].isin(kept)], tmp_path / "half.trec", tag="half")
    half = get_kind("retrieval").build_outputs(test, TrecRunFile(str(tmp_path / "half.trec")).predict_scores(test), [])
    protocol = Protocol(name="t", version="1", kind="retrieval", metrics=("ndcg@10",), primary="ndcg@10", confidence=Confidence(n_resamples=10))
    full_score = score_outputs(full, protocol).values["ndcg@10"].value
    half_score = score_outputs(half, protocol).values["ndcg@10"].value
    per_query = evaluate_per_query(full, kept)
    assert half_score == pytest.approx(per_query / len(test), abs=1e-12)
    assert half_score < full_score


def evaluate_per_query(outputs, queries: list[str]) -> float:
    """Sum of nDCG@10 over `queries` of a complete run."""
    from medbench.metrics.retrieval import evaluate

    ids, values = evaluate(outputs.predictions, outputs.qrels, ["ndcg@10"])
    return float(sum(v for q, v in zip(ids, values["ndcg@10"]) if q in set(queries)))
