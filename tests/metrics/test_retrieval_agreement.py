"""Retrieval metrics equal pytrec_eval (trec_eval) per query to 1e-9, on randomized and edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytrec_eval = pytest.importorskip("pytrec_eval")

from medbench.metrics import ranking  # noqa: E402
from medbench.metrics.retrieval import evaluate  # noqa: E402

# medbench name -> trec_eval measure (as pytrec_eval reports it)
MEASURES = {
    "ndcg@10": "ndcg_cut_10",
    "ndcg@3": "ndcg_cut_3",
    "ndcg": "ndcg",
    "map@10": "map_cut_10",
    "map": "map",
    "recall@5": "recall_5",
    "recall@100": "recall_100",
    "precision@5": "P_5",
    "precision@30": "P_30",
    "mrr": "recip_rank",
}
TREC_MEASURES = {"ndcg_cut.3,10", "ndcg", "map_cut.10", "map", "recall.5,100", "P.5,30", "recip_rank"}


def random_case(seed: int, n_queries: int = 60, n_docs: int = 40):
    """Graded qrels with negative and zero grades, unjudged docs, ties, short runs, odd queries."""
    rng = np.random.default_rng(seed)
    docs = [f"d{i}" for i in range(n_docs)] + ["D1", "d10a", "é", "001", "1"]
    qrels, run = {}, {}
    for q in range(n_queries):
        query = f"q{q}"
        judged = rng.choice(len(docs), size=rng.integers(1, 15), replace=False)
        qrels[query] = {docs[i]: int(rng.choice([-1, 0, 0, 1, 2, 3])) for i in judged}
        if q % 7 == 3:
            continue  # judged, not in the run
        retrieved = rng.choice(len(docs), size=rng.integers(1, 30), replace=False)
        scores = np.round(rng.normal(size=len(retrieved)), 1 if q % 2 else 6)  # ties on odd queries
        run[query] = {docs[i]: float(s) for i, s in zip(retrieved, scores)}
    run["unjudged_query"] = {"d1": 1.0, "d2": 0.5}
    return qrels, run


def frames(qrels: dict, run: dict, seed: int = 0, rows: str = "shuffled") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Frames of the case; run rows shuffled, grouped by query, or grouped and ranked (as TREC files)."""
    qrels_frame = pd.DataFrame([(q, d, r) for q, judged in qrels.items() for d, r in judged.items()], columns=["sample_id", "doc_id", "relevance"])
    run_frame = pd.DataFrame([(q, d, s) for q, ranked in run.items() for d, s in ranked.items()], columns=["sample_id", "doc_id", "score"])
    if rows == "ranked":
        run_frame = run_frame.sort_values(["sample_id", "score"], ascending=[True, False], kind="stable")
    elif rows == "shuffled":
        run_frame = run_frame.sample(frac=1.0, random_state=seed)
    return qrels_frame, run_frame.reset_index(drop=True)


def trec_cut(run: dict, k: int) -> dict:
    """The run cut at k in trec_eval's order (score descending, document id descending)."""
    return {q: dict(sorted(ranked.items(), key=lambda item: (item[1], item[0]), reverse=True)[:k]) for q, ranked in run.items()}


def assert_per_query_equal(qrels: dict, run: dict, queries, values) -> None:
    expected = pytrec_eval.RelevanceEvaluator(qrels, TREC_MEASURES).evaluate(run)
    assert sorted(queries) == sorted(expected)
    for name, measure in MEASURES.items():
        got = dict(zip(queries, values[name]))
        for query, per_query in expected.items():
            assert got[query] == pytest.approx(per_query[measure], abs=1e-9), (name, query)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("rows", ["shuffled", "grouped", "ranked"])
def test_per_query_values_equal_trec_eval(seed: int, rows: str) -> None:
    qrels, run = random_case(seed)
    qrels_frame, run_frame = frames(qrels, run, seed, rows)
    queries, values = evaluate(run_frame, qrels_frame, list(MEASURES))
    assert_per_query_equal(qrels, run, queries, values)


@pytest.mark.parametrize("k", [1, 3, 10])
def test_mrr_at_k_is_recip_rank_of_the_cut_run(k: int) -> None:
    qrels, run = random_case(11)
    queries, values = evaluate(*reversed(frames(qrels, run)), [f"mrr@{k}"])
    expected = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(trec_cut(run, k))
    for query, value in zip(queries, values[f"mrr@{k}"]):
        assert value == pytest.approx(expected[query]["recip_rank"], abs=1e-12)


def test_small_chunks_give_the_same_values(monkeypatch: pytest.MonkeyPatch) -> None:
    qrels, run = random_case(5)
    qrels_frame, run_frame = frames(qrels, run)
    queries, whole = evaluate(run_frame, qrels_frame, list(MEASURES))
    monkeypatch.setattr(ranking, "CHUNK_ROWS", 37)
    chunked_queries, chunked = evaluate(run_frame, qrels_frame, list(MEASURES))
    assert list(chunked_queries) == list(queries)
    for name in MEASURES:
        np.testing.assert_array_equal(chunked[name], whole[name])


def test_ties_are_broken_by_document_id_descending() -> None:
    qrels = {"q": {"b": 1}}
    run = {"q": {"a": 1.0, "b": 1.0, "c": 1.0, "B": 1.0}}  # trec order: c, b, a, B
    queries, values = evaluate(*reversed(frames(qrels, run)), ["mrr", "precision@1"])
    assert values["mrr"][0] == pytest.approx(0.5) and values["precision@1"][0] == 0.0
    assert_per_query_equal(qrels | {"r": {"x": 1}}, run | {"r": {"x": 0.0}}, *evaluate(*reversed(frames(qrels | {"r": {"x": 1}}, run | {"r": {"x": 0.0}})), list(MEASURES)))


def test_complete_averaging_counts_judged_queries_missing_from_the_run() -> None:
    qrels, run = random_case(2)
    qrels_frame, run_frame = frames(qrels, run)
    queries, values = evaluate(run_frame, qrels_frame, ["ndcg@10"])
    all_queries, all_values = evaluate(run_frame, qrels_frame, ["ndcg@10"], all_judged=True)
    assert set(all_queries) == set(qrels) and set(queries) == set(qrels) & set(run)
    assert all_values["ndcg@10"].sum() == pytest.approx(values["ndcg@10"].sum())
    assert all_values["ndcg@10"].mean() < values["ndcg@10"].mean()


@pytest.mark.parametrize("rows", ["shuffled", "ranked"])
def test_runs_of_equal_depth(rows: str) -> None:
    """Every query retrieves the same number of documents (the reshape path), with and without ties."""
    qrels, run = random_case(8)
    run = {q: dict(list(ranked.items())[:1]) | {f"x{i}": float(i % 3) for i in range(12)} for q, ranked in run.items()}
    queries, values = evaluate(*reversed(frames(qrels, run, 0, rows)), list(MEASURES))
    assert_per_query_equal(qrels, run, queries, values)


def test_k_beyond_the_run_and_queries_without_relevant_documents() -> None:
    qrels = {"q1": {"a": 1, "b": 1, "c": 0}, "q2": {"a": 0, "z": -2}}
    run = {"q1": {"a": 0.3, "x": 0.2}, "q2": {"a": 1.0}}
    queries, values = evaluate(*reversed(frames(qrels, run)), list(MEASURES))
    assert_per_query_equal(qrels, run, queries, values)
    assert dict(zip(queries, values["precision@30"]))["q1"] == pytest.approx(1 / 30)


def long_ids(case: tuple[dict, dict]) -> tuple[dict, dict]:
    qrels, run = case
    rename = lambda d: f"PMC-document-{d}-long-identifier"  # noqa: E731
    return {q: {rename(d): r for d, r in v.items()} for q, v in qrels.items()}, {q: {rename(d): s for d, s in v.items()} for q, v in run.items()}


@pytest.mark.parametrize("rows", ["shuffled", "ranked"])
def test_long_document_ids(rows: str) -> None:
    qrels, run = long_ids(random_case(4))
    queries, values = evaluate(*reversed(frames(qrels, run, 0, rows)), list(MEASURES))
    assert_per_query_equal(qrels, run, queries, values)


def test_colliding_keys_are_confirmed_on_the_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every id gets the same hashed key: only the string check keeps the right matches."""
    from medbench.metrics import string_keys

    monkeypatch.setattr(string_keys, "EXACT_BYTES", 0)
    monkeypatch.setattr(string_keys, "string_keys", lambda strings, longest: np.zeros(len(strings[0]) - 1, dtype=np.uint64))
    qrels, run = random_case(9)
    queries, values = evaluate(*reversed(frames(qrels, run, 0, "ranked")), list(MEASURES))
    assert_per_query_equal(qrels, run, queries, values)


def test_heavily_judged_queries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond MAX_JUDGED_FOR_KEYS judgments per query, ids are matched by hashing instead."""
    monkeypatch.setattr(ranking, "MAX_JUDGED_FOR_KEYS", 3)
    qrels, run = random_case(10)
    queries, values = evaluate(*reversed(frames(qrels, run, 0, "grouped")), list(MEASURES))
    assert_per_query_equal(qrels, run, queries, values)


def test_grouping_order_is_a_stable_sort_for_many_queries() -> None:
    codes = np.random.default_rng(0).integers(-1, 200_000, 50_000)
    np.testing.assert_array_equal(ranking._group_order(codes), np.argsort(codes, kind="stable"))
    assert ranking._group_order(np.sort(codes)) is None
