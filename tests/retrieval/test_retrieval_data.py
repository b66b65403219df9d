"""Retrieval data modules: queries as samples, judgments as targets, a fingerprint of everything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medbench.data.corpus import RetrievalInputs
from medbench.data.retrieval import BeirDataModule, GeneratedRetrievalDataModule
from medbench.errors import DataError
from tests.retrieval.conftest import DOCUMENTS, QRELS, QUERIES, write_folder


def test_splits_hold_judged_queries_their_texts_and_judgments(beir_folder: Path) -> None:
    data = BeirDataModule(folder=str(beir_folder))
    data.setup()
    test = data.split("test")
    assert test.ids.tolist() == ["q3", "q4"]
    assert isinstance(test.inputs, RetrievalInputs)
    assert test.inputs.texts == ["femur fracture surgery", "œdème cardiaque"]
    assert test.inputs.corpus is data.corpus and len(data.corpus) == 4
    assert list(test.targets) == [{"d3": 1}, {"d4": 1, "d2": 0}]
    assert data.split_ids() == {"train": ["q1", "q2"], "val": [], "test": ["q3", "q4"]}
    assert "4 documents, 4 queries" in data.info().source


def test_a_folder_judging_only_test_queries_is_a_zero_shot_task(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, qrels={"test": QRELS["test"]})
    data = BeirDataModule(folder=str(folder), train_qrels=None)
    data.setup()
    assert len(data.split("train")) == 0 and len(data.split("test")) == 2


def test_a_query_judged_in_two_splits_is_refused(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, qrels={"train": QRELS["train"], "test": [("q1", "d1", 1)]})
    with pytest.raises(DataError, match="'q1' is in both train and test"):
        BeirDataModule(folder=str(folder)).setup()


def _fingerprint(folder: Path) -> str:
    data = BeirDataModule(folder=str(folder))
    data.setup()
    return data.fingerprint()


def test_fingerprint_covers_corpus_queries_and_qrels(tmp_path: Path) -> None:
    reference = _fingerprint(write_folder(tmp_path / "a"))
    assert _fingerprint(write_folder(tmp_path / "b")) == reference
    other_document = [dict(DOCUMENTS[0], text="changed")] + DOCUMENTS[1:]
    other_query = QUERIES[:2] + [dict(QUERIES[2], text="changed")] + QUERIES[3:]
    other_grade = dict(QRELS, test=[("q3", "d3", 2)] + QRELS["test"][1:])
    extra_document = DOCUMENTS + [{"_id": "d5", "title": "", "text": "unjudged"}]
    for folder in (
        write_folder(tmp_path / "document", documents=other_document),
        write_folder(tmp_path / "query", queries=other_query),
        write_folder(tmp_path / "grade", qrels=other_grade),
        write_folder(tmp_path / "extra", documents=extra_document),
    ):
        assert _fingerprint(folder) != reference, folder.name


def test_generated_module_writes_its_folder_once_and_reads_it_back(tmp_path: Path) -> None:
    first = GeneratedRetrievalDataModule(cache_dir=str(tmp_path), n_queries=30, n_background_documents=20)
    first.setup()
    folder = first.beir_folder()
    stamp = (folder / "corpus.jsonl").stat().st_mtime_ns
    second = GeneratedRetrievalDataModule(cache_dir=str(tmp_path), n_queries=30, n_background_documents=20)
    second.setup()
    assert second.beir_folder() == folder and (folder / "corpus.jsonl").stat().st_mtime_ns == stamp
    assert second.fingerprint() == first.fingerprint()
    assert sum(len(ids) for ids in first.split_ids().values()) == 30
    other = GeneratedRetrievalDataModule(cache_dir=str(tmp_path), n_queries=30, n_background_documents=20, generator_seed=1)
    other.setup()
    assert other.fingerprint() != first.fingerprint()


def test_generated_text_has_french_accents(generated_folder: Path) -> None:
    queries = [json.loads(line)["text"] for line in (generated_folder / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    assert any(any(ch in text for ch in "éèô") for text in queries)
    assert any(" with " in f" {text} " or " patient " in f" {text} " for text in queries)
