"""BM25 on SciFact's test queries, to compare with the published nDCG@10 (0.665–0.679).

    python benchmarks/scifact_bm25.py PATH_TO/scifact.zip   (or the unzipped `scifact/` folder)

Runs medbench's own path: the BEIR loader, the BM25 retriever (Anserini's k1 = 0.9, b = 0.4), the
retrieval outputs and medbench's nDCG@10 (trec_eval semantics, checked here against pytrec_eval
when it is installed) — with and without stemming. The data is
SciFact in BEIR layout (5,183 abstracts; 300 test claims, 339 judgments).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

from medbench.data.retrieval import BeirDataModule
from medbench.models.retrieval.bm25 import BM25Retriever
from medbench.tasks.registry import get_kind

PUBLISHED = "0.665 (BEIR paper) – 0.679 (Anserini flat)"
ACCEPTED = (0.65, 0.69)


def beir_folder(path: Path, scratch: Path) -> Path:
    """The folder holding corpus.jsonl: `path` itself, or where the zip unpacks it."""
    if path.is_dir():
        return path
    with zipfile.ZipFile(path) as archive:
        archive.extractall(scratch)
    return next(corpus.parent for corpus in scratch.rglob("corpus.jsonl"))


def ndcg_at_10(outputs) -> tuple[float, float | None]:
    """medbench's nDCG@10 over the test queries, and pytrec_eval's (trec_eval itself) when installed."""
    from medbench.metrics.retrieval import evaluate

    _, values = evaluate(outputs.predictions, outputs.qrels, ["ndcg@10"], all_judged=True)
    try:
        import pytrec_eval
    except ImportError:
        return float(values["ndcg@10"].mean()), None
    judged: dict[str, dict[str, int]] = {}
    for row in outputs.qrels.itertuples():
        judged.setdefault(row.sample_id, {})[row.doc_id] = int(row.relevance)
    run: dict[str, dict[str, float]] = {}
    for row in outputs.predictions.itertuples():
        run.setdefault(row.sample_id, {})[row.doc_id] = float(row.score)
    per_query = pytrec_eval.RelevanceEvaluator(judged, {"ndcg_cut.10"}).evaluate(run)
    reference = float(np.mean([per_query.get(query, {}).get("ndcg_cut_10", 0.0) for query in judged]))
    return float(values["ndcg@10"].mean()), reference


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="scifact.zip or the unzipped BEIR folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data = BeirDataModule(folder=str(beir_folder(args.path, Path(scratch))), train_qrels="train", test_qrels="test")
        data.setup()
        test = data.split("test")
        print(f"SciFact: {len(data.corpus)} documents, {len(test)} test queries; published BM25 nDCG@10 {PUBLISHED}")
        ok = True
        for stemming in (True, False):
            start = time.perf_counter()
            model = BM25Retriever(top_k=100, stemming=stemming)
            model.fit(data.split("train"), data.split("val"))
            outputs = get_kind("retrieval").build_outputs(test, model.predict_scores(test), [])
            value, reference = ndcg_at_10(outputs)
            inside = ACCEPTED[0] <= value <= ACCEPTED[1]
            ok &= inside or not stemming
            check = "" if reference is None else f"; pytrec_eval {reference:.4f}"
            print(
                f"BM25 stemming={'on ' if stemming else 'off'} nDCG@10 = {value:.4f} "
                f"({'inside' if inside else 'outside'} {list(ACCEPTED)}{check}; {time.perf_counter() - start:.1f} s)"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
