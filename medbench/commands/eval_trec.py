"""`medbench eval-trec QRELS RUN`: trec_eval's measures from standard files, as JSON.

Anyone can check medbench against trec_eval with it: ``ndcg@10`` is trec_eval's
``ndcg_cut.10``, ``map@100`` its ``map_cut.100``, ``recall@100`` its ``recall.100``,
``precision@10`` its ``P.10``, ``mrr`` its ``recip_rank`` (``mrr@10``: on the run cut at 10).
"""

from __future__ import annotations

import argparse
import json

HELP = "Evaluate a TREC run file against TREC qrels (trec_eval semantics); print JSON keyed by metric."
DEFAULT_METRICS = ("ndcg@10", "map@100", "recall@100", "precision@10", "mrr@10")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("qrels", help="qrels file: `qid iter docid relevance` per line")
    parser.add_argument("run", help="run file: `qid Q0 docid rank score tag` per line")
    parser.add_argument("--metrics", nargs="+", default=list(DEFAULT_METRICS), help=f"metric names (default: {' '.join(DEFAULT_METRICS)})")
    parser.add_argument("--per-query", action="store_true", help="also print every query's value")
    parser.add_argument("-c", "--complete", action="store_true", help="average over every judged query, 0 for those missing from the run (trec_eval -c)")


def execute(args: argparse.Namespace) -> int:
    from medbench.data.trec import read_qrels, read_run
    from medbench.metrics.registry import get_metric
    from medbench.metrics.retrieval import KIND, evaluate

    for name in args.metrics:
        get_metric(KIND, name)
    queries, values = evaluate(read_run(args.run), read_qrels(args.qrels), args.metrics, all_judged=args.complete)
    report: dict = {}
    for name, per_query in values.items():
        mean = float(per_query.mean()) if len(per_query) else 0.0
        if args.per_query:
            report[name] = {"mean": mean, "per_query": {str(q): float(v) for q, v in zip(queries, per_query)}}
        else:
            report[name] = mean
    print(json.dumps(report, indent=2))
    return 0
