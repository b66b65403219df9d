"""BM25, all-MiniLM-L6-v2 and their fusions on SciFact, side by side, with paired tests.

    nice python benchmarks/scifact_hybrid.py PATH_TO/scifact.zip [--root DIR] [--json OUT]

Runs `medbench run` for BM25 (Anserini's k1 = 0.9, b = 0.4, stemming), dense MiniLM, hybrid RRF
(k = 60, weights 1 / 1), hybrid interpolation (min-max, 0.5 / 0.5) and BM25's top 100 re-scored
by the MiniLM bi-encoder (no cross-encoder ships in a package), then `medbench compare` (paired
bootstrap over the 300 test claims, two-sided p-value) of each fusion against both of its parts.
Run `benchmarks/scifact_dense.py` first with the same --root to time the encoder: its document
embeddings are then read from the cache here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from beir_runs import beir_folder, beir_task, side_by_side

RUNS = {
    "bm25": ["model=bm25"],
    "dense_minilm": ["model=dense_minilm"],
    "hybrid_rrf": ["model=hybrid_rrf"],
    "hybrid_interpolation": ["model=hybrid_interpolation"],
    "rerank_bm25_minilm": ["model=rerank_minilm"],
}
PAIRS = [
    ("hybrid_rrf", "bm25"),
    ("hybrid_rrf", "dense_minilm"),
    ("hybrid_interpolation", "bm25"),
    ("hybrid_interpolation", "dense_minilm"),
    ("hybrid_rrf", "hybrid_interpolation"),
    ("rerank_bm25_minilm", "bm25"),
    ("rerank_bm25_minilm", "dense_minilm"),
]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="scifact.zip or the unzipped BEIR folder")
    parser.add_argument("--root", type=Path, default=Path(".cache/medbench-benchmarks"), help="runs and caches go here")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    task = beir_task("scifact", beir_folder(args.path, root / "data"))
    result = side_by_side(root, {label: [*task, *overrides] for label, overrides in RUNS.items()}, PAIRS, args.threads)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
