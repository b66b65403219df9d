"""A small BEIR folder in which queries can be answered, in English and in French.

Each query names three rare clinical terms of its own. Its highly relevant document (grade 2)
uses two or three of them, its other relevant documents (grade 1) one, and two judged
non-relevant documents repeat one of them, so a term count alone can rank a non-relevant
document above a relevant one; the rest of the corpus is clinical background prose. A lexical
or latent-semantic retriever finds the relevant documents far above chance, yet the ranking is
not trivial. About a third of the queries and their documents are French, with
accents, so tokenisation and encodings are exercised end to end.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from medbench.data.beir import CORPUS_FILE, QRELS_DIR, QRELS_HEADER, QUERIES_FILE

ENGLISH = (
    "patient presented with acute chronic pain fever cough fatigue nausea history examination "
    "treatment therapy dose daily hospital admission discharge follow up week month year blood "
    "pressure heart rate imaging scan report findings normal abnormal mild severe moderate left "
    "right lower upper clinical study trial cohort outcome risk factor symptoms onset diagnosis "
    "management surgery recovery complication medication response"
).split()
FRENCH = (
    "patient présente douleur aiguë chronique fièvre toux fatigue nausée antécédents examen "
    "traitement thérapie dose quotidienne hôpital admission sortie suivi semaine mois année sang "
    "tension fréquence cardiaque imagerie scanner compte rendu résultats normal anormal légère "
    "sévère modérée gauche droite inférieure supérieure clinique étude essai cohorte évolution "
    "risque facteur symptômes début diagnostic prise en charge chirurgie récupération complication"
).split()
# Rare terms are built from clinical word parts: 12 × 10 × 10 = 1,200 distinct terms.
PREFIXES = ("cardio", "hépato", "neuro", "gastro", "pneumo", "néphro", "dermato", "ostéo", "hémato", "immuno", "oto", "rhino")
ROOTS = ("myél", "cyt", "path", "angi", "lip", "fibr", "glyc", "thromb", "kérat", "chondr")
SUFFIXES = ("ite", "ose", "ome", "émie", "algie", "ectomie", "plasie", "urie", "ase", "gène")
TERMS_PER_QUERY = 3
# Judged non-relevant documents per query, each repeating one of its terms once or twice.
HARD_NEGATIVES = 2


def write_retrieval_folder(
    folder: str | Path,
    n_queries: int = 120,
    n_background_documents: int = 200,
    french_fraction: float = 0.35,
    split_fractions: tuple[float, float, float] = (0.5, 0.2, 0.3),
    seed: int = 0,
) -> Path:
    """Write `corpus.jsonl`, `queries.jsonl` and `qrels/{train,dev,test}.tsv` into `folder`."""
    if n_queries * TERMS_PER_QUERY > len(PREFIXES) * len(ROOTS) * len(SUFFIXES):
        raise ValueError(f"at most {len(PREFIXES) * len(ROOTS) * len(SUFFIXES) // TERMS_PER_QUERY} queries can have terms of their own")
    rng = np.random.default_rng(seed)
    terms = _rare_terms(rng, n_queries * TERMS_PER_QUERY)
    documents: list[dict[str, str]] = []
    queries: list[dict[str, str]] = []
    judgments: list[tuple[str, int, int]] = []  # query id, document index, grade

    for q in range(n_queries):
        words = FRENCH if rng.random() < french_fraction else ENGLISH
        own = terms[q * TERMS_PER_QUERY : (q + 1) * TERMS_PER_QUERY]
        query_id = f"q{q:04d}"
        queries.append({"_id": query_id, "text": _prose(rng, words, 4, list(own))})
        n_relevant = int(rng.integers(1, 4))
        for rank in range(n_relevant):
            size = int(rng.integers(2, TERMS_PER_QUERY + 1)) if rank == 0 else 1
            judgments.append((query_id, len(documents), 2 if rank == 0 else 1))
            documents.append(_document(rng, words, list(rng.choice(own, size=size, replace=False))))
        for _ in range(HARD_NEGATIVES):
            judgments.append((query_id, len(documents), 0))
            documents.append(_document(rng, words, [str(rng.choice(own))] * int(rng.integers(1, 3))))
    for _ in range(n_background_documents):
        documents.append(_document(rng, FRENCH if rng.random() < french_fraction else ENGLISH, []))

    order = rng.permutation(len(documents))
    doc_ids = np.empty(len(documents), dtype=object)
    doc_ids[order] = [f"d{i:05d}" for i in range(len(documents))]
    folder = Path(folder)
    (folder / QRELS_DIR).mkdir(parents=True, exist_ok=True)
    _write_jsonl(folder / CORPUS_FILE, [{"_id": doc_ids[i], **documents[i]} for i in order])
    _write_jsonl(folder / QUERIES_FILE, queries)
    assignment = _assign_splits(rng, n_queries, split_fractions)
    for split in ("train", "dev", "test"):
        rows = [f"{qid}\t{doc_ids[d]}\t{grade}" for qid, d, grade in judgments if assignment[int(qid[1:])] == split]
        (folder / QRELS_DIR / f"{split}.tsv").write_text("\n".join(["\t".join(QRELS_HEADER), *rows]) + "\n", encoding="utf-8")
    return folder


def _rare_terms(rng: np.random.Generator, count: int) -> list[str]:
    every = [p + r + s for p in PREFIXES for r in ROOTS for s in SUFFIXES]
    return [every[i] for i in rng.choice(len(every), size=count, replace=False)]


def _prose(rng: np.random.Generator, words: list[str], length: int, inserted: list[str]) -> str:
    tokens = list(rng.choice(words, size=length)) + inserted
    return " ".join(tokens[i] for i in rng.permutation(len(tokens)))


def _document(rng: np.random.Generator, words: list[str], inserted: list[str]) -> dict[str, str]:
    return {
        "title": _prose(rng, words, int(rng.integers(2, 5)), []),
        "text": _prose(rng, words, int(rng.integers(20, 40)), inserted),
    }


def _assign_splits(rng: np.random.Generator, n: int, fractions: tuple[float, float, float]) -> list[str]:
    order = rng.permutation(n)
    n_train, n_dev = int(round(fractions[0] * n)), int(round(fractions[1] * n))
    assignment = [""] * n
    for position, index in enumerate(order):
        assignment[index] = "train" if position < n_train else "dev" if position < n_train + n_dev else "test"
    return assignment


def _write_jsonl(path: Path, records: list[dict[str, str]]) -> None:
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
