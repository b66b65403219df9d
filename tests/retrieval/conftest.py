"""Fixtures of the retrieval tests: a tiny handwritten BEIR folder and the generated one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medbench.data.beir import QRELS_HEADER
from medbench.data.generators.retrieval import write_retrieval_folder

DOCUMENTS = [
    {"_id": "d1", "title": "Tumeur hépatique", "text": "Les tumeurs du foie sont découvertes à l'échographie."},
    {"_id": "d2", "title": "Pneumonia", "text": "Community-acquired pneumonia treated with antibiotics."},
    {"_id": "d3", "title": "", "text": "Fracture of the femur after a fall; surgery was performed."},
    {"_id": "d4", "title": "Cœur", "text": "Insuffisance cardiaque et œdème pulmonaire."},
]
QUERIES = [
    {"_id": "q1", "text": "tumeur du foie"},
    {"_id": "q2", "text": "pneumonia antibiotics"},
    {"_id": "q3", "text": "femur fracture surgery"},
    {"_id": "q4", "text": "œdème cardiaque"},
]
QRELS = {"train": [("q1", "d1", 1), ("q2", "d2", 2)], "test": [("q3", "d3", 1), ("q4", "d4", 1), ("q4", "d2", 0)]}


def write_folder(folder: Path, documents=DOCUMENTS, queries=QUERIES, qrels=QRELS) -> Path:
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents), encoding="utf-8")
    (folder / "queries.jsonl").write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in queries), encoding="utf-8")
    for split, rows in qrels.items():
        lines = ["\t".join(QRELS_HEADER)] + [f"{q}\t{d}\t{g}" for q, d, g in rows]
        (folder / "qrels" / f"{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def beir_folder(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "beir")


@pytest.fixture(scope="session")
def generated_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_retrieval_folder(tmp_path_factory.mktemp("generated") / "beir", seed=0)


@pytest.fixture(scope="session")
def generated_data(generated_folder: Path):
    from medbench.data.retrieval import BeirDataModule

    data = BeirDataModule(folder=str(generated_folder), val_qrels="dev")
    data.setup()
    return data



def mean_ndcg_at_10(outputs) -> float:
    """nDCG@10 of a retrieval run's outputs over every judged test query (medbench's trec_eval metric)."""
    from medbench.metrics.retrieval import evaluate

    _, values = evaluate(outputs.predictions, outputs.qrels, ["ndcg@10"], all_judged=True)
    return float(values["ndcg@10"].mean())
