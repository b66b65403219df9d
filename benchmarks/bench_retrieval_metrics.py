"""Time trec_eval-style retrieval metrics: pytrec_eval, ranx, torchmetrics and medbench, same data, one run.

    python benchmarks/bench_retrieval_metrics.py [--queries 10000 100000] [--depth 100]

Synthetic run: each query retrieves `depth` documents of a 1M-document corpus with continuous
scores; 5 graded judgments per query, 2 of them among the retrieved documents. Each library gets
its inputs in its own native format, built BEFORE the clock starts:

* pytrec_eval: dicts {query: {doc: grade}} and {query: {doc: score}}; timed = building the
  RelevanceEvaluator (it parses the qrels) + evaluate(run);
* ranx: Qrels/Run objects built from those dicts; timed = ranx.evaluate (after a warm-up call
  that compiles its numba kernels);
* torchmetrics: flat tensors (preds, target, query index) of the run rows; timed = the four
  functional-style retrieval metrics. Its semantics differ (judged relevant documents that were
  not retrieved are ignored, MAP divides by relevant retrieved), so it is timed, not compared;
* medbench: pandas frames with string ids (the record's layout: sample_id, doc_id, score;
  sample_id, doc_id, relevance); timed = everything from the strings: Arrow hashing of ids,
  grouping, the tie check, the per-query metrics (`medbench.metrics.retrieval.evaluate`).

Rows are written query by query in rank order, as TREC runs and medbench records are; a second
medbench timing on shuffled rows shows the cost of the sort that order saves. Agreement of
medbench with pytrec_eval on the benchmark data is checked (max abs difference printed).
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd
from timing import clock

METRICS = {"ndcg@10": "ndcg_cut_10", "map@100": "map_cut_100", "recall@100": "recall_100", "precision@10": "P_10"}
TREC = {"ndcg_cut.10", "map_cut.100", "recall.100", "P.10"}


def make_data(n_queries: int, depth: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    corpus = 1_000_000
    docs = rng.integers(0, corpus, size=(n_queries, depth))
    docs = np.sort(docs, axis=1)
    docs[:, 1:] = np.where(docs[:, 1:] == docs[:, :-1], (docs[:, 1:] + 1) % corpus, docs[:, 1:])  # mostly unique
    scores = -np.sort(-rng.random((n_queries, depth)), axis=1)  # rank order
    perm = rng.permuted(np.tile(np.arange(depth), (n_queries, 1)), axis=1)
    docs = np.take_along_axis(docs, perm, axis=1)
    query_ids = np.array([f"q{i}" for i in range(n_queries)], dtype=object)
    run = pd.DataFrame(
        {
            "sample_id": pd.array(np.repeat(query_ids, depth), dtype="str"),
            "doc_id": pd.array(np.char.add("d", docs.ravel().astype(str)), dtype="str"),
            "score": scores.ravel(),
        }
    )
    run = run.drop_duplicates(["sample_id", "doc_id"]).reset_index(drop=True)
    judged_retrieved = docs[:, [3, 40]]
    judged_other = rng.integers(0, corpus, size=(n_queries, 3))
    judged = np.hstack([judged_retrieved, judged_other])
    qrels = pd.DataFrame(
        {
            "sample_id": pd.array(np.repeat(query_ids, 5), dtype="str"),
            "doc_id": pd.array(np.char.add("d", judged.ravel().astype(str)), dtype="str"),
            "relevance": rng.integers(0, 4, size=judged.size),
        }
    ).drop_duplicates(["sample_id", "doc_id"]).reset_index(drop=True)
    return run, qrels


def as_dicts(run: pd.DataFrame, qrels: pd.DataFrame):
    run_dict: dict = {}
    for q, d, s in zip(run["sample_id"].tolist(), run["doc_id"].tolist(), run["score"].tolist()):
        run_dict.setdefault(q, {})[d] = s
    qrels_dict: dict = {}
    for q, d, r in zip(qrels["sample_id"].tolist(), qrels["doc_id"].tolist(), qrels["relevance"].tolist()):
        qrels_dict.setdefault(q, {})[d] = int(r)
    return run_dict, qrels_dict


def bench(n_queries: int, depth: int, repeat: int) -> None:
    from medbench.metrics.retrieval import evaluate

    print(f"\n== {n_queries} queries x {depth} documents ({n_queries * depth / 1e6:.1f}M run rows) ==")
    run, qrels = make_data(n_queries, depth)
    run_dict, qrels_dict = as_dicts(run, qrels)
    timings = {}

    import pytrec_eval

    timings["pytrec_eval"], expected = clock(lambda: pytrec_eval.RelevanceEvaluator(qrels_dict, TREC).evaluate(run_dict), 1)

    timings["medbench"], (queries, values) = clock(lambda: evaluate(run, qrels, list(METRICS)), repeat)
    shuffled = run.sample(frac=1.0, random_state=1).reset_index(drop=True)
    timings["medbench (shuffled rows)"], _ = clock(lambda: evaluate(shuffled, qrels, list(METRICS)), repeat)
    worst = max(abs(v - expected[q][trec]) for name, trec in METRICS.items() for q, v in zip(queries, values[name]))
    print(f"medbench vs pytrec_eval: max |difference| per query = {worst:.2e} over {len(queries)} queries")

    try:
        import ranx

        ranx_qrels, ranx_run = ranx.Qrels(qrels_dict), ranx.Run(run_dict)
        ranx_metrics = ["ndcg@10", "map@100", "recall@100", "precision@10"]
        small_q, small_r = ranx.Qrels({"q": {"d": 1}}), ranx.Run({"q": {"d": 1.0, "e": 0.5}})
        ranx.evaluate(small_q, small_r, ranx_metrics)  # numba compilation, not timed
        timings["ranx"], _ = clock(lambda: ranx.evaluate(ranx_qrels, ranx_run, ranx_metrics, make_comparable=True), repeat)
    except ImportError:
        print("ranx not installed: skipped")

    try:
        import torch
        from torchmetrics.functional.retrieval import (
            retrieval_average_precision,  # noqa: F401  (imported to fail early if absent)
        )
        from torchmetrics.retrieval import RetrievalMAP, RetrievalNormalizedDCG, RetrievalPrecision, RetrievalRecall

        torch.set_num_threads(1)
        merged = run.merge(qrels, on=["sample_id", "doc_id"], how="left")
        preds = torch.tensor(merged["score"].to_numpy())
        target = torch.tensor(merged["relevance"].fillna(0).to_numpy().astype(np.int64))
        indexes = torch.tensor(pd.factorize(merged["sample_id"])[0])
        binary = target > 0

        def torchmetrics_all():
            return [
                RetrievalNormalizedDCG(top_k=10)(preds, target, indexes=indexes),
                RetrievalMAP(top_k=100)(preds, binary, indexes=indexes),
                RetrievalRecall(top_k=100)(preds, binary, indexes=indexes),
                RetrievalPrecision(top_k=10)(preds, binary, indexes=indexes),
            ]

        timings["torchmetrics"], _ = clock(torchmetrics_all, 1)
    except ImportError:
        print("torch/torchmetrics not installed: skipped")

    reference = timings["medbench"]
    for name, seconds in timings.items():
        print(f"{name:28s} {seconds:8.3f} s   {seconds / reference:7.1f}x medbench")
    print(f"speed-up of medbench over pytrec_eval: {timings['pytrec_eval'] / reference:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="medbench and ranx: best of this many runs")
    args = parser.parse_args()
    for n_queries in args.queries:
        bench(n_queries, args.depth, args.repeat)


if __name__ == "__main__":
    main()
