"""The BEIR loader reads good folders exactly and names the file and line of every problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medbench.data.beir import load_beir
from medbench.errors import DataError
from tests.retrieval.conftest import DOCUMENTS, QUERIES, write_folder


def test_reads_corpus_queries_and_qrels_with_accents(beir_folder: Path) -> None:
    dataset = load_beir(beir_folder, ["train", "test"])
    assert dataset.corpus.ids.tolist() == ["d1", "d2", "d3", "d4"]
    assert dataset.corpus.titles[0] == "Tumeur hépatique"
    assert dataset.corpus.documents()[2] == DOCUMENTS[2]["text"]  # no title: the text alone
    assert dataset.corpus.documents()[3] == "Cœur Insuffisance cardiaque et œdème pulmonaire."
    assert dataset.queries["q4"] == "œdème cardiaque"
    assert dataset.qrels["test"] == {"q3": {"d3": 1}, "q4": {"d4": 1, "d2": 0}}
    assert dataset.qrels["train"] == {"q1": {"d1": 1}, "q2": {"d2": 2}}


def test_numeric_ids_are_read_as_strings(tmp_path: Path) -> None:
    documents = [{"_id": 4983, "title": "t", "text": "x"}]
    queries = [{"_id": 1, "text": "q"}]
    folder = write_folder(tmp_path, documents, queries, {"test": [("1", "4983", 1)]})
    dataset = load_beir(folder, ["test"])
    assert dataset.qrels["test"] == {"1": {"4983": 1}}


def _rewrite(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda f: (f / "corpus.jsonl").unlink(), r"corpus\.jsonl: file not found"),
        (lambda f: (f / "qrels" / "test.tsv").unlink(), r"test\.tsv: file not found; this folder judges the splits \['train'\]"),
        (
            lambda f: _rewrite(f / "corpus.jsonl", [json.dumps(DOCUMENTS[0]), '{"_id": "d2", "text": "unterminated'] + [json.dumps(d) for d in DOCUMENTS[2:]]),
            r"corpus\.jsonl:2: not valid JSON",
        ),
        (lambda f: _rewrite(f / "corpus.jsonl", [json.dumps({"_id": "d1", "title": "no text"})]), r"corpus\.jsonl:1: the field 'text' is missing"),
        (lambda f: _rewrite(f / "queries.jsonl", [json.dumps({"text": "no id"})]), r"queries\.jsonl:1: the field '_id' is missing"),
        (lambda f: _rewrite(f / "corpus.jsonl", [json.dumps(d) for d in DOCUMENTS + DOCUMENTS[:1]]), r"corpus\.jsonl:5: document id 'd1' already used on line 1"),
        (lambda f: _rewrite(f / "queries.jsonl", [json.dumps(q) for q in QUERIES + QUERIES[1:2]]), r"queries\.jsonl:5: query id 'q2' already used on line 2"),
        (lambda f: _rewrite(f / "corpus.jsonl", ["[1, 2]"]), r"corpus\.jsonl:1: expected a JSON object"),
        (lambda f: _rewrite(f / "qrels" / "test.tsv", ["qid\tdocid\tscore", "q3\td3\t1"]), r"test\.tsv:1: expected the tab-separated header"),
        (lambda f: _rewrite(f / "qrels" / "test.tsv", ["query-id\tcorpus-id\tscore", "q3\td3"]), r"test\.tsv:2: expected 3 tab-separated fields"),
        (lambda f: _rewrite(f / "qrels" / "test.tsv", ["query-id\tcorpus-id\tscore", "q3\td3\thigh"]), r"test\.tsv:2: score 'high' is not an integer"),
        (lambda f: _rewrite(f / "qrels" / "test.tsv", ["query-id\tcorpus-id\tscore", "q3\td3\t1", "q3\td99\t1"]), r"test\.tsv:3: document 'd99' is not in corpus\.jsonl"),
        (lambda f: _rewrite(f / "qrels" / "test.tsv", ["query-id\tcorpus-id\tscore", "q9\td3\t1"]), r"test\.tsv:2: query 'q9' is not in queries\.jsonl"),
        (lambda f: _rewrite(f / "qrels" / "test.tsv", ["query-id\tcorpus-id\tscore", "q3\td3\t1", "q3\td3\t2"]), r"test\.tsv:3: query 'q3' and document 'd3' are judged twice"),
        (lambda f: _rewrite(f / "qrels" / "test.tsv", ["query-id\tcorpus-id\tscore"]), r"test\.tsv: the split has no judgments"),
        (lambda f: _rewrite(f / "corpus.jsonl", []), r"corpus\.jsonl: the corpus has no documents"),
        (lambda f: (f / "queries.jsonl").write_bytes("{\"_id\": \"q1\", \"text\": \"caf\xe9\"}\n".encode("latin-1")), r"queries\.jsonl:1: not UTF-8"),
    ],
    ids=[
        "missing-corpus", "missing-split", "malformed-json", "missing-text", "missing-id", "duplicate-document",
        "duplicate-query", "not-an-object", "bad-header", "missing-column", "non-integer-grade", "unknown-document",
        "unknown-query", "duplicate-judgment", "empty-split", "empty-corpus", "not-utf8",
    ],
)
def test_bad_folders_are_refused_naming_file_and_line(beir_folder: Path, corrupt, message: str) -> None:
    corrupt(beir_folder)
    with pytest.raises(DataError, match=message):
        load_beir(beir_folder, ["train", "test"])


def test_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such BEIR folder"):
        load_beir(tmp_path / "nowhere", ["test"])
