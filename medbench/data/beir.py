"""BEIR-layout folders: the format most public retrieval benchmarks are distributed in.

    <folder>/corpus.jsonl       {"_id": ..., "title": ..., "text": ...} per line
    <folder>/queries.jsonl      {"_id": ..., "text": ...} per line
    <folder>/qrels/<split>.tsv  header `query-id  corpus-id  score`, then one judgment per line

Every problem is reported as a :class:`DataError` naming the file and line: a missing file or
field, malformed JSON, a duplicate id, a judgment naming an unknown query or document, an
empty split. Text is read as UTF-8 (accents and non-Latin scripts are kept as they are).
"""

from __future__ import annotations

import json
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from medbench.data.corpus import Corpus
from medbench.errors import DataError

CORPUS_FILE = "corpus.jsonl"
QUERIES_FILE = "queries.jsonl"
QRELS_DIR = "qrels"
QRELS_HEADER = ("query-id", "corpus-id", "score")

# query id -> {document id -> graded relevance}
Qrels = dict[str, dict[str, int]]


@dataclass(frozen=True)
class BeirDataset:
    corpus: Corpus
    queries: dict[str, str]
    qrels: dict[str, Qrels]


def load_beir(folder: str | Path, splits: Sequence[str]) -> BeirDataset:
    """Read the corpus, the queries and the qrels of each split in `splits` from a BEIR folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such BEIR folder (it should hold {CORPUS_FILE}, {QUERIES_FILE} and {QRELS_DIR}/)")
    corpus = load_corpus(folder / CORPUS_FILE)
    queries = load_queries(folder / QUERIES_FILE)
    known_documents = set(corpus.ids.tolist())
    for split in splits:
        if not (folder / QRELS_DIR / f"{split}.tsv").is_file():
            available = sorted(path.stem for path in (folder / QRELS_DIR).glob("*.tsv"))
            raise DataError(
                f"{folder / QRELS_DIR / split}.tsv: file not found; this folder judges the splits {available}. "
                "Choose them with task.data.train_qrels / val_qrels / test_qrels (null: no such split)"
            )
    qrels = {
        split: load_qrels(folder / QRELS_DIR / f"{split}.tsv", queries.keys(), known_documents)
        for split in splits
    }
    return BeirDataset(corpus=corpus, queries=queries, qrels=qrels)


def load_corpus(path: Path) -> Corpus:
    ids: list[str] = []
    titles: list[str] = []
    texts: list[str] = []
    first_line: dict[str, int] = {}
    for line_number, record in _json_lines(path):
        doc_id = _field(record, "_id", path, line_number)
        text = _field(record, "text", path, line_number)
        title = record.get("title") or ""
        if not isinstance(title, str):
            raise DataError(f"{path}:{line_number}: 'title' must be a string, not {type(title).__name__}")
        if doc_id in first_line:
            raise DataError(f"{path}:{line_number}: document id {doc_id!r} already used on line {first_line[doc_id]}")
        first_line[doc_id] = line_number
        ids.append(doc_id)
        titles.append(title)
        texts.append(text)
    if not ids:
        raise DataError(f"{path}: the corpus has no documents")
    return Corpus(ids=np.array(ids, dtype=object), titles=titles, texts=texts)


def load_queries(path: Path) -> dict[str, str]:
    queries: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for line_number, record in _json_lines(path):
        query_id = _field(record, "_id", path, line_number)
        if query_id in first_line:
            raise DataError(f"{path}:{line_number}: query id {query_id!r} already used on line {first_line[query_id]}")
        first_line[query_id] = line_number
        queries[query_id] = _field(record, "text", path, line_number)
    if not queries:
        raise DataError(f"{path}: the file has no queries")
    return queries


def load_qrels(path: Path, known_queries: Container[str], known_documents: Container[str]) -> Qrels:
    """Judgments of one split; every query and document they name must exist."""
    qrels: Qrels = {}
    lines = _text_lines(path)
    header_line, header = next(lines, (1, ""))
    if tuple(header.split("\t")) != QRELS_HEADER:
        raise DataError(
            f"{path}:{header_line}: expected the tab-separated header {' '.join(QRELS_HEADER)!r}, found {header!r}"
        )
    for line_number, line in lines:
        fields = line.split("\t")
        if len(fields) != 3:
            raise DataError(f"{path}:{line_number}: expected 3 tab-separated fields (query-id, corpus-id, score), found {len(fields)}")
        query_id, doc_id, grade = (field.strip() for field in fields)
        try:
            relevance = int(grade)
        except ValueError:
            raise DataError(f"{path}:{line_number}: score {grade!r} is not an integer relevance grade") from None
        if query_id not in known_queries:
            raise DataError(f"{path}:{line_number}: query {query_id!r} is not in {QUERIES_FILE}")
        if doc_id not in known_documents:
            raise DataError(f"{path}:{line_number}: document {doc_id!r} is not in {CORPUS_FILE}")
        judged = qrels.setdefault(query_id, {})
        if doc_id in judged:
            raise DataError(f"{path}:{line_number}: query {query_id!r} and document {doc_id!r} are judged twice")
        judged[doc_id] = relevance
    if not qrels:
        raise DataError(f"{path}: the split has no judgments")
    return qrels


def _json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for line_number, line in _text_lines(path):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(f"{path}:{line_number}: not valid JSON ({error.msg} at column {error.colno})") from None
        if not isinstance(record, dict):
            raise DataError(f"{path}:{line_number}: expected a JSON object, found {type(record).__name__}")
        yield line_number, record


def _text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers; a missing or non-UTF-8 file is a DataError."""
    if not path.is_file():
        raise DataError(f"{path}: file not found (a BEIR folder holds {CORPUS_FILE}, {QUERIES_FILE} and {QRELS_DIR}/<split>.tsv)")
    with open(path, encoding="utf-8-sig") as handle:
        line_number = 0
        try:
            for line_number, line in enumerate(handle, start=1):
                line = line.rstrip("\r\n")
                if line.strip():
                    yield line_number, line
        except UnicodeDecodeError as error:
            raise DataError(f"{path}:{line_number + 1}: not UTF-8 text ({error.reason})") from None


def _field(record: dict[str, Any], name: str, path: Path, line_number: int) -> str:
    if name not in record:
        raise DataError(f"{path}:{line_number}: the field {name!r} is missing")
    value = record[name]
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise DataError(f"{path}:{line_number}: {name!r} must be a string, not {type(value).__name__}")
    return str(value)
